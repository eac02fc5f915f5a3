//! The stdout output: what `kubectl logs <pod> -c sidecar` shows. Writes are
//! blocking on purpose: in Kubernetes stdout is a pipe to the container
//! runtime, and a full pipe must slow reading down (backpressure), not drop
//! lines. A closed pipe (EPIPE) is an error: the lines stay un-checkpointed.

use std::io::{self, Write};

use crate::config::Format;
use crate::record::{PodMetadata, Record};

/// Why stdout did not take a batch.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    /// Writing failed, typically EPIPE because nobody reads stdout any more.
    #[error("cannot write to stdout ({0}); undelivered lines stay un-checkpointed")]
    Stdout(#[source] io::Error),
}

/// Writes batches of records to stdout.
#[derive(Debug)]
pub struct StdoutOutput {
    format: Format,
    meta: PodMetadata,
    buf: Vec<u8>,
}

impl StdoutOutput {
    /// An output in `format`; `meta` goes into JSON lines.
    pub fn new(format: Format, meta: PodMetadata) -> Self {
        Self {
            format,
            meta,
            buf: Vec::new(),
        }
    }

    /// Encodes the records as the format says.
    pub fn encode(&self, records: &[Record], out: &mut Vec<u8>) {
        for r in records {
            match self.format {
                Format::Raw => r.write_raw(out),
                Format::Json => r.write_json(&self.meta, out),
            }
        }
    }

    /// Encodes the records and starts writing them on tokio's blocking pool
    /// (the write may block on a full pipe); [`PendingWrite::finish`] says
    /// when they are written. The caller may read the next batch meanwhile.
    pub fn start(&mut self, records: &[Record]) -> PendingWrite {
        let mut buf = std::mem::take(&mut self.buf);
        buf.clear();
        self.encode(records, &mut buf);
        PendingWrite {
            task: tokio::task::spawn_blocking(move || {
                let result = write_stdout(&buf);
                let len = buf.len();
                (buf, len, result)
            }),
        }
    }

    /// [`StdoutOutput::start`] for lines already encoded as raw bytes: the
    /// first `len` bytes of `buf` (the rest is scratch space, kept with the
    /// buffer for reuse; see [`StdoutOutput::take_buffer`]).
    pub fn start_raw(&mut self, buf: Vec<u8>, len: usize) -> PendingWrite {
        PendingWrite {
            task: tokio::task::spawn_blocking(move || {
                let result = write_stdout(&buf[..len]);
                (buf, len, result)
            }),
        }
    }

    /// The buffer of the last batch written, for whoever fills the next one.
    pub fn take_buffer(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.buf)
    }

    /// Writes and flushes the records; returns the bytes written.
    pub async fn deliver(&mut self, records: &[Record]) -> Result<u64, OutputError> {
        let pending = self.start(records);
        pending.finish(self).await
    }
}

/// A batch being written to stdout.
#[derive(Debug)]
pub struct PendingWrite {
    task: tokio::task::JoinHandle<(Vec<u8>, usize, io::Result<()>)>,
}

impl PendingWrite {
    /// Waits until the batch is written and flushed; returns its bytes.
    /// Cancel-safe in the sense that matters: dropping it leaves the write
    /// running, and the batch is simply not committed.
    pub async fn finish(self, output: &mut StdoutOutput) -> Result<u64, OutputError> {
        let (buf, len, result) = self.task.await.expect("the stdout writer does not panic");
        let written = len as u64;
        // Keep the allocation for the next batch, but not a huge one.
        if buf.capacity() <= 4 * 1024 * 1024 {
            output.buf = buf;
        }
        result.map(|()| written).map_err(OutputError::Stdout)
    }
}

fn write_stdout(bytes: &[u8]) -> io::Result<()> {
    let mut out = io::stdout().lock();
    out.write_all(bytes)?;
    out.flush()
}
