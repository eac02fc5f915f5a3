//! What one read hands to the outputs, and what comes back once they took
//! it. Lines flow one way, tailer → outputs; only the [`Receipt`] (which
//! file offsets the lines cover) returns to the tailer, after delivery, to
//! move the offsets and so the checkpoint.

use crate::lines::RawLines;
use crate::record::Record;

/// The lines of one batch, in the form the outputs need.
#[derive(Debug)]
pub enum Lines {
    /// One record per line, for outputs that encode lines (JSON on
    /// stdout, the HTTP sink).
    Records(Vec<Record>),
    /// Raw stdout bytes, when stdout is the only output and writes lines
    /// as they are: most of them are the file's own bytes, spliced from it.
    Raw(RawLines),
}

impl Lines {
    /// How much it holds (records, or bytes), for [`Lines::truncate`].
    pub(crate) fn held(&self) -> usize {
        match self {
            Lines::Records(records) => records.len(),
            Lines::Raw(raw) => raw.as_bytes().len(),
        }
    }

    /// Drops what was added since it held `held`.
    pub(crate) fn truncate(&mut self, held: usize) {
        match self {
            Lines::Records(records) => records.truncate(held),
            Lines::Raw(raw) => raw.truncate(held),
        }
    }
}

/// Lines read but not yet delivered, and their receipt.
#[derive(Debug)]
pub struct Batch {
    /// The lines, oldest file first, each file's in file order.
    pub lines: Lines,
    /// What delivering them covers.
    pub receipt: Receipt,
    /// A budget stopped reading: read again without waiting.
    pub more: bool,
}

/// What delivering a batch covers: the tailer moves each file's offset
/// past it ([`crate::tailer::Tailer::commit`]) once every output took it.
#[derive(Debug, Default)]
pub struct Receipt {
    /// Lines in the batch.
    pub lines: usize,
    /// Bytes of the files they cover.
    pub bytes: u64,
    pub(crate) advances: Vec<Advance>,
}

/// A file's delivered offset once a batch is delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Advance {
    /// Which followed file.
    pub(crate) file: u64,
    /// The file's generation when it was read: a batch read before the
    /// file was truncated must not move the new content's offset.
    pub(crate) generation: u64,
    /// The first byte not in the batch.
    pub(crate) offset: u64,
}
