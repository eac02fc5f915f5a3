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
use crate::lines::RawLines;
use crate::record::{PodMetadata, Record};
use crate::splice::{self, FileRange};

/// Why stdout did not take a batch. (The OS error is in the message, not
/// a `source`, so that it is printed once.)
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    /// Writing failed, typically EPIPE because nobody reads stdout any more.
    #[error("cannot write to stdout ({0}); undelivered lines stay un-checkpointed")]
    Stdout(io::Error),
}

/// Writes batches to stdout, and owns the buffers they travel in: a batch's
/// buffer goes to the writer thread and comes back to the spare slot here,
/// from which the next batch is filled.
#[derive(Debug)]
pub struct Stdout {
    format: Format,
    meta: PodMetadata,
    /// The buffer of the last batch written, for the next one.
    spare: Vec<u8>,
    /// Size to grow a stdout pipe to when the writer starts (0: as it is).
    pipe_bytes: u64,
    /// The writer thread's queue, started with the first batch.
    writer: Option<mpsc::Sender<Job>>,
}

/// One batch for the writer thread.
#[derive(Debug)]
struct Job {
    lines: RawLines,
    done: oneshot::Sender<Written>,
}

/// A job's buffer back, and how its write went.
#[derive(Debug)]
struct Written {
    buffer: Vec<u8>,
    bytes: u64,
    result: io::Result<()>,
}

impl Stdout {
    /// An output in `format`; `meta` goes into JSON lines.
    pub fn new(format: Format, meta: PodMetadata) -> Self {
        Self {
            format,
            meta,
            spare: Vec::new(),
            pipe_bytes: 0,
            writer: None,
        }
    }

    /// Grows stdout, when it is a pipe, to `bytes` (see `--stdout-pipe-bytes`).
    pub fn with_pipe_bytes(mut self, bytes: u64) -> Self {
        self.pipe_bytes = bytes;
        self
    }

    /// How records are written.
    pub fn format(&self) -> Format {
        self.format
    }

    /// An empty batch of raw lines in stdout's spare buffer, to read the
    /// next lines into; the buffer comes back when they are written.
    pub fn lend_raw(&mut self) -> RawLines {
        RawLines::reuse(std::mem::take(&mut self.spare))
    }

    /// Encodes the records as the format says and queues them for the
    /// writer thread; see [`Stdout::start_raw`].
    pub fn start(&mut self, records: &[Record]) -> PendingWrite {
        let mut buf = std::mem::take(&mut self.spare);
        buf.clear();
        for r in records {
            match self.format {
                Format::Raw => r.write_raw(&mut buf),
                Format::Json => r.write_json(&self.meta, &mut buf),
            }
        }
        self.start_raw(RawLines::encoded(buf))
    }

    /// Queues lines already encoded for stdout (the writer thread may block
    /// on a full pipe; the stretches that are a file's bytes may be spliced
    /// from it); [`PendingWrite::finish`] says when they are written. The
    /// caller may read and queue the next batch meanwhile: batches are
    /// written in the order they were started.
    pub fn start_raw(&mut self, lines: RawLines) -> PendingWrite {
        let (done, written) = oneshot::channel();
        let job = Job { lines, done };
        let refused = match &self.writer {
            Some(writer) => writer.send(job).err().map(|mpsc::SendError(job)| {
                (job, io::Error::other("the stdout writer thread stopped"))
            }),
            None => match spawn_writer(self.pipe_bytes) {
                Ok(writer) => {
                    let sent = writer.send(job);
                    self.writer = Some(writer);
                    sent.err().map(|mpsc::SendError(job)| {
                        (job, io::Error::other("the stdout writer thread stopped"))
                    })
                }
                Err(e) => Some((job, e)),
            },
        };
        if let Some((job, error)) = refused {
            let _ = job.done.send(Written {
                bytes: job.lines.as_bytes().len() as u64,
                buffer: job.lines.into_buffer(),
                result: Err(error),
            });
        }
        PendingWrite { written }
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
            for Job { lines, done } in queue {
                let result = match failed {
                    Some(kind) => Err(io::Error::new(kind, "an earlier write to stdout failed")),
                    None => write_stdout(lines.as_bytes(), lines.ranges(), &mut splice),
                };
                if let Err(e) = &result {
                    failed = Some(e.kind());
                }
                let _ = done.send(Written {
                    bytes: lines.as_bytes().len() as u64,
                    buffer: lines.into_buffer(),
                    result,
                });
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
    /// Waits until the batch is written and flushed; returns its bytes and
    /// gives its buffer back to `stdout`. Cancel-safe in the sense that
    /// matters: dropping it leaves the write running, and the batch is
    /// simply not committed.
    pub async fn finish(self, stdout: &mut Stdout) -> Result<u64, OutputError> {
        let written = self
            .written
            .await
            .expect("the stdout writer answers every job it takes");
        // Keep the allocation for the next batch, but not a huge one.
        if written.buffer.capacity() <= 4 * 1024 * 1024 {
            stdout.spare = written.buffer;
        }
        written
            .result
            .map(|()| written.bytes)
            .map_err(OutputError::Stdout)
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
