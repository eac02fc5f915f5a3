//! The sink's two wire formats, behind one interface so that batching,
//! retries, splitting and dead letters are the same code for both:
//! NDJSON (`--http-sink`: one JSON object per line, the same objects as
//! `--format json`) and OTLP/HTTP protobuf (`--otlp-endpoint`, see
//! [`crate::otlp`]). Each record is encoded once into a batch's bytes; a
//! request for any run of records is built from those bytes.

use crate::otlp::{self, Origin, OtlpFrame, RecordEncoder};
use crate::record::{PodMetadata, Record};

/// The NDJSON media type: one JSON object per line.
pub const CONTENT_TYPE_NDJSON: &str = "application/x-ndjson";

/// What the sink sends, and who the lines are from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Encoding {
    /// NDJSON lines carrying the pod's metadata.
    Ndjson(PodMetadata),
    /// OTLP/HTTP protobuf log records from `Origin`.
    Otlp(Origin),
}

/// An [`Encoding`] ready to encode records: the OTLP frame built once.
#[derive(Debug)]
pub(crate) enum Encoder {
    Ndjson(PodMetadata),
    Otlp {
        frame: OtlpFrame,
        records: RecordEncoder,
    },
}

impl Encoder {
    pub(crate) fn new(encoding: &Encoding) -> Self {
        match encoding {
            Encoding::Ndjson(meta) => Encoder::Ndjson(meta.clone()),
            Encoding::Otlp(origin) => Encoder::Otlp {
                frame: OtlpFrame::new(origin),
                records: RecordEncoder::default(),
            },
        }
    }

    pub(crate) fn content_type(&self) -> &'static str {
        match self {
            Encoder::Ndjson(_) => CONTENT_TYPE_NDJSON,
            Encoder::Otlp { .. } => otlp::CONTENT_TYPE_PROTOBUF,
        }
    }

    /// Appends one record's encoding.
    pub(crate) fn encode(&mut self, record: &Record, out: &mut Vec<u8>) {
        match self {
            Encoder::Ndjson(meta) => record.write_json(meta, out),
            Encoder::Otlp { records, .. } => records.encode(record, out),
        }
    }

    /// What goes before `encoded_len` bytes of encoded records to make a
    /// request body (nothing for NDJSON).
    pub(crate) fn prefix(&self, encoded_len: usize) -> Vec<u8> {
        match self {
            Encoder::Ndjson(_) => Vec::new(),
            Encoder::Otlp { frame, .. } => frame.prefix(encoded_len),
        }
    }

    /// What a 2xx answer says was not taken after all: `(rejected records,
    /// the sink's message)` (OTLP's partial success).
    pub(crate) fn partial_success(&self, answer: &[u8]) -> Option<(u64, String)> {
        match self {
            Encoder::Ndjson(_) => None,
            Encoder::Otlp { .. } => otlp::partial_success(answer),
        }
    }

    /// An error answer's message, for the log: OTLP servers answer with a
    /// protobuf `Status`, others with text.
    pub(crate) fn error_message(&self, answer: &[u8]) -> Option<String> {
        match self {
            Encoder::Ndjson(_) => None,
            Encoder::Otlp { .. } => otlp::status_message(answer),
        }
    }
}
