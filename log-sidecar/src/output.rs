//! The stdout output: what `kubectl logs <pod> -c sidecar` shows. Writes are
//! blocking on purpose: in Kubernetes stdout is a pipe to the container
//! runtime, and a full pipe must slow reading down (backpressure), not drop
//! lines. A closed pipe (EPIPE) is an error: the lines stay un-checkpointed.
//!
//! The writes run on one writer thread of their own, in the order batches
//! were started: the next batch can be queued while one is being written,
//! so the pipe does not run dry between batches waiting for a hand-over.

use std::io::{self, Write};
use std::os::fd::AsFd;
use std::sync::mpsc;

use tokio::sync::oneshot;

use crate::config::Format;
use crate::record::{PodMetadata, Record};
use crate::splice::{self, FileRange};

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
    /// Size to grow a stdout pipe to when the writer starts (0: as it is).
    pipe_bytes: u64,
    /// The writer thread's queue, started with the first batch.
    writer: Option<mpsc::Sender<Job>>,
}

/// One batch for the writer thread: the first `len` bytes of `buf`, of
/// which `ranges` may be spliced from their files instead.
#[derive(Debug)]
struct Job {
    buf: Vec<u8>,
    len: usize,
    ranges: Vec<FileRange>,
    done: oneshot::Sender<Written>,
}

/// A job's buffer back, and how its write went.
type Written = (Vec<u8>, usize, io::Result<()>);

impl StdoutOutput {
    /// An output in `format`; `meta` goes into JSON lines.
    pub fn new(format: Format, meta: PodMetadata) -> Self {
        Self {
            format,
            meta,
            buf: Vec::new(),
            pipe_bytes: 0,
            writer: None,
        }
    }

    /// Grows stdout, when it is a pipe, to `bytes` (see `--stdout-pipe-bytes`).
    pub fn with_pipe_bytes(mut self, bytes: u64) -> Self {
        self.pipe_bytes = bytes;
        self
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

    /// Encodes the records and queues them for the writer thread (the
    /// write may block on a full pipe); [`PendingWrite::finish`] says when
    /// they are written. The caller may read and queue the next batch
    /// meanwhile: batches are written in the order they were started.
    pub fn start(&mut self, records: &[Record]) -> PendingWrite {
        let mut buf = std::mem::take(&mut self.buf);
        buf.clear();
        self.encode(records, &mut buf);
        let len = buf.len();
        self.start_raw(buf, len, Vec::new())
    }

    /// [`StdoutOutput::start`] for lines already encoded as raw bytes: the
    /// first `len` bytes of `buf` (the rest is scratch space, kept with the
    /// buffer for reuse; see [`StdoutOutput::take_buffer`]), where the
    /// stretches `ranges` says are a file's bytes may be spliced from it.
    pub fn start_raw(&mut self, buf: Vec<u8>, len: usize, ranges: Vec<FileRange>) -> PendingWrite {
        let (done, written) = oneshot::channel();
        let job = Job {
            buf,
            len,
            ranges,
            done,
        };
        let sent = match &self.writer {
            Some(writer) => writer.send(job),
            None => match spawn_writer(self.pipe_bytes) {
                Ok(writer) => {
                    let sent = writer.send(job);
                    self.writer = Some(writer);
                    sent
                }
                Err(e) => {
                    let _ = job.done.send((job.buf, job.len, Err(e)));
                    Ok(())
                }
            },
        };
        if let Err(mpsc::SendError(job)) = sent {
            let stopped = io::Error::other("the stdout writer thread stopped");
            let _ = job.done.send((job.buf, job.len, Err(stopped)));
        }
        PendingWrite { written }
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

/// Starts the writer thread. After a failed write it writes nothing more
/// (each later batch fails with the same kind of error), so output never
/// skips a batch and goes on with the next.
fn spawn_writer(pipe_bytes: u64) -> io::Result<mpsc::Sender<Job>> {
    let (jobs, queue) = mpsc::channel::<Job>();
    std::thread::Builder::new()
        .name("stdout".into())
        .spawn(move || {
            grow_pipe(pipe_bytes);
            let mut failed: Option<io::ErrorKind> = None;
            let mut splice = true;
            for job in queue {
                let result = match failed {
                    Some(kind) => Err(io::Error::new(kind, "an earlier write to stdout failed")),
                    None => write_stdout(&job.buf[..job.len], &job.ranges, &mut splice),
                };
                if let Err(e) = &result {
                    failed = Some(e.kind());
                }
                let _ = job.done.send((job.buf, job.len, result));
            }
        })?;
    Ok(jobs)
}

/// A batch being written to stdout.
#[derive(Debug)]
pub struct PendingWrite {
    written: oneshot::Receiver<Written>,
}

impl PendingWrite {
    /// Waits until the batch is written and flushed; returns its bytes.
    /// Cancel-safe in the sense that matters: dropping it leaves the write
    /// running, and the batch is simply not committed.
    pub async fn finish(self, output: &mut StdoutOutput) -> Result<u64, OutputError> {
        let (buf, len, result) = self
            .written
            .await
            .expect("the stdout writer answers every job it takes");
        let written = len as u64;
        // Keep the allocation for the next batch, but not a huge one.
        if buf.capacity() <= 4 * 1024 * 1024 {
            output.buf = buf;
        }
        result.map(|()| written).map_err(OutputError::Stdout)
    }
}

/// Grows stdout to `bytes` if it is a pipe: with the default 64 KiB, a
/// fast reader and we wake each other every 64 KiB (2M lines into a fast
/// reader: 139 ms with 64 KiB, 82 ms with 1 MiB). Not a pipe, or over the
/// kernel's limits: stdout stays as it is, which only costs speed.
fn grow_pipe(bytes: u64) {
    if bytes == 0 {
        return;
    }
    let size = usize::try_from(bytes).unwrap_or(usize::MAX);
    match rustix::pipe::fcntl_setpipe_size(io::stdout().as_fd(), size) {
        Ok(now) => log::debug!("stdout pipe: {now} bytes"),
        Err(e) => log::debug!("stdout pipe size left as it is: {e}"),
    }
}

/// Writes `bytes`, splicing the stretches `ranges` covers from their files
/// (those of at least [`splice::MIN_LEN`]) while `splice` holds (it is
/// cleared for good when stdout cannot take a splice, e.g. when it is a
/// file or a terminal, not a pipe).
fn write_stdout(bytes: &[u8], ranges: &[FileRange], splice: &mut bool) -> io::Result<()> {
    let mut out = io::stdout().lock();
    let mut at = 0;
    for range in ranges.iter().filter(|r| r.len >= splice::MIN_LEN) {
        if !*splice {
            break;
        }
        out.write_all(&bytes[at..range.at])?;
        out.flush()?;
        let mut moved = 0;
        if let Err(e) = splice::splice_range(range, io::stdout().as_fd(), &mut moved) {
            if !splice::unsupported(&e) {
                return Err(e);
            }
            log::info!("stdout takes no splice ({e}): lines are written, not spliced");
            *splice = false;
        }
        at = range.at + moved;
    }
    out.write_all(&bytes[at..])?;
    out.flush()
}
