//! The sidecar's one loop: read a bounded batch → deliver it to every output
//! → only then commit the offsets and (throttled, on a blocking thread so
//! that an fsync never holds up forwarding) store the checkpoint. The
//! stdout write of one batch overlaps the reading of the next, which is
//! queued behind it (two batches of at most half of `--max-buffer-bytes`
//! each); while an output is slow or down, nothing more is read, so memory
//! stays bounded and the backlog waits in the files, not in RAM.
//!
//! Shutdown: readiness goes off at the signal (in `main`); the loop keeps
//! following until the files were quiet for `--shutdown-linger` (the server
//! beside us is stopping too and may write its last lines), then emits every
//! complete and partial line left, stores the final checkpoint and returns,
//! all within `--drain-timeout`; past it, it stops with an error and the
//! undelivered lines stay un-checkpointed for the next start.

use std::collections::VecDeque;
use std::path::PathBuf;
use std::pin::pin;
use std::time::Duration;

use time_server::kit::{Shutdown, Stop};
use tokio::task::JoinHandle;
use tokio::time::{sleep, sleep_until, timeout_at, Instant};

use crate::checkpoint::{Checkpoint, CheckpointError};
use crate::http_sink::{HttpSink, SinkError};
use crate::metrics::Metrics;
use crate::output::{OutputError, PendingWrite, StdoutOutput};
use crate::record::PodMetadata;
use crate::tailer::{Batch, Tailer};
use crate::watch::Watcher;

/// How often the checkpoint is stored at most while lines flow: after a
/// crash, at most this much delivered output repeats, plus what went out
/// while the last store was running and the batches in flight.
pub const CHECKPOINT_EVERY: Duration = Duration::from_millis(200);

/// While busy, patterns are re-scanned at least this often (rotations).
const BUSY_SCAN_EVERY: Duration = Duration::from_millis(100);

/// Lines per batch at least (a bigger `--sink-batch-lines` raises it).
const MIN_BATCH_LINES: usize = 4096;

/// Lines at most in a batch read while nothing is being written (at start,
/// or after catching up): stdout gets its first lines after reading a few
/// KiB of a backlog instead of a whole batch, and the next, full batch is
/// read while they are written.
const FIRST_BATCH_LINES: usize = 256;

/// Bytes per batch of raw stdout lines without a sink, which are bounded
/// in bytes only (a longer `--max-line-bytes` raises it): whatever the
/// line length, a batch is big enough that hand-overs do not count and
/// small enough to be still in the CPU cache when it is written (and two of
/// them keep the RSS low).
const RAW_BATCH_BYTES: u64 = 512 * 1024;

/// How the loop behaves; see the flags of the same names.
#[derive(Debug, Clone)]
pub struct PipelineConfig {
    /// Where the checkpoint is stored.
    pub checkpoint_path: PathBuf,
    /// Bytes per batch at most (two batches are read ahead of delivery
    /// at most, see [`PipelineConfig::batch_limits`]).
    pub batch_bytes: u64,
    /// Lines per batch at most.
    pub batch_lines: usize,
    /// Fallback re-scan period.
    pub poll_interval: Duration,
    /// Quiet time that ends following at shutdown.
    pub shutdown_linger: Duration,
    /// Total time allowed from the signal to the exit.
    pub drain_timeout: Duration,
}

impl PipelineConfig {
    /// (bytes, lines) per batch: half of `--max-buffer-bytes` and at least
    /// `--sink-batch-lines` lines; or, for raw stdout lines without a sink
    /// (`raw_lines`), [`RAW_BATCH_BYTES`] or one longest line, whichever is
    /// more, within that half, and no line bound.
    pub fn batch_limits(
        max_buffer_bytes: u64,
        max_line_bytes: u64,
        sink_batch_lines: usize,
        raw_lines: bool,
    ) -> (u64, usize) {
        let half = max_buffer_bytes / 2;
        if raw_lines {
            (
                half.min(RAW_BATCH_BYTES.max(max_line_bytes.saturating_add(2))),
                usize::MAX,
            )
        } else {
            (half, sink_batch_lines.max(MIN_BATCH_LINES))
        }
    }
}

/// Why the pipeline stopped before delivering everything.
#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    /// stdout refused the lines.
    #[error(transparent)]
    Stdout(#[from] OutputError),
    /// The HTTP sink failed in a way retrying cannot fix.
    #[error("HTTP sink: {0}")]
    Sink(#[from] SinkError),
    /// The drain timeout passed with lines not delivered.
    #[error(
        "drain timeout ({timeout:?}) passed with {lines} lines not delivered to every output; \
         they stay un-checkpointed and will be sent by the next start"
    )]
    DrainTimeout {
        /// `--drain-timeout`.
        timeout: Duration,
        /// Lines of the batch in flight.
        lines: usize,
    },
    /// The checkpoint could not be written.
    #[error(transparent)]
    Checkpoint(#[from] CheckpointError),
}

/// Every output a batch must reach before it counts as delivered.
#[derive(Debug)]
pub struct Outputs {
    /// stdout, always on.
    pub stdout: StdoutOutput,
    /// The optional HTTP sink.
    pub sink: Option<HttpSink>,
    /// Pod metadata for the sink's JSON lines.
    pub meta: PodMetadata,
}

/// Counts for the final log line.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Summary {
    /// Lines delivered by this run.
    pub lines: u64,
    /// File bytes those lines covered.
    pub bytes: u64,
}

/// Runs until shutdown has been drained (Ok) or delivery failed (Err).
/// Reports ready once the first scan is done; stops when `stop` begins.
pub async fn run(
    config: PipelineConfig,
    mut tailer: Tailer,
    mut outputs: Outputs,
    metrics: Metrics,
    stop: Stop,
) -> Result<Summary, PipelineError> {
    let shutdown = stop.shutdown().clone();
    let mut watcher = Watcher::new(&Checkpoint::files(&config.checkpoint_path));
    let mut summary = Summary::default();
    let mut storer = Storer::new(config.checkpoint_path.clone(), metrics.clone());
    let mut dirty = false;
    let mut last_store = Instant::now();
    let mut last_scan = Instant::now();
    let mut last_data = Instant::now();
    let mut drain_deadline: Option<Instant> = None;
    let mut finishing = false;
    let mut in_flight: VecDeque<(PendingWrite, Batch)> = VecDeque::new();
    let reserve = config.drain_timeout / 4;

    tailer.scan();
    watcher.watch(&tailer.watch_dirs());
    stop.ready();
    let mut rescan = false;
    loop {
        let now = Instant::now();
        if drain_deadline.is_none() && shutdown.is_triggered() {
            drain_deadline = Some(now + config.drain_timeout);
            last_data = now;
            log::info!(
                "shutting down: following until quiet for {:?}, then draining",
                config.shutdown_linger
            );
        }
        if let Some(deadline) = drain_deadline {
            if !finishing
                && (now.duration_since(last_data) >= config.shutdown_linger
                    || now + reserve >= deadline)
            {
                finishing = true;
                rescan = true;
            }
        }
        if rescan
            || now.duration_since(last_scan) >= BUSY_SCAN_EVERY
            || watcher.take_names_changed()
        {
            tailer.scan();
            watcher.watch(&tailer.watch_dirs());
            last_scan = now;
            rescan = false;
        }

        // Read the next batch while the previous one is being written and
        // queue it right behind, so stdout goes from batch to batch without
        // waiting for us; then wait for the older batch only (two batches
        // in memory at most). Once caught up, wait for every batch.
        let line_budget = if in_flight.is_empty() {
            config.batch_lines.min(FIRST_BATCH_LINES)
        } else {
            config.batch_lines
        };
        let mut batch = tailer.read_batch(config.batch_bytes, line_budget, finishing);
        let more = batch.more;
        if batch.lines > 0 {
            last_data = Instant::now();
            let pending = if batch.records.is_empty() {
                let (buf, len, ranges) = std::mem::take(&mut batch.raw).into_parts();
                outputs.stdout.start_raw(buf, len, ranges)
            } else {
                outputs.stdout.start(&batch.records)
            };
            if let Some(sink) = &mut outputs.sink {
                let delivered = bounded(
                    async {
                        Ok(sink
                            .deliver(&batch.records, &outputs.meta, &shutdown)
                            .await?)
                    },
                    &shutdown,
                    &mut drain_deadline,
                    config.drain_timeout,
                    batch.lines,
                )
                .await;
                if let Err(e) = delivered {
                    storer.store_now(tailer.checkpoint()).await?;
                    return Err(e);
                }
            }
            in_flight.push_back((pending, batch));
        } else {
            tailer.commit(batch);
        }
        metrics.set_buffered(in_flight.iter().map(|(_, b)| b.bytes).sum());
        let mut waited = false;
        while in_flight.len() > 1 || (!more && !in_flight.is_empty()) {
            let (pending, previous) = in_flight.pop_front().expect("in_flight is not empty");
            let lines = previous.lines;
            let written = bounded(
                async { Ok(pending.finish(&mut outputs.stdout).await?) },
                &shutdown,
                &mut drain_deadline,
                config.drain_timeout,
                lines,
            )
            .await;
            if let Err(e) = written {
                storer.store_now(tailer.checkpoint()).await?;
                return Err(e);
            }
            metrics.forwarded("stdout", lines, previous.bytes);
            if outputs.sink.is_some() {
                metrics.forwarded("http", lines, previous.bytes);
            }
            summary.lines += lines as u64;
            summary.bytes += previous.bytes;
            if previous.records.is_empty() {
                tailer.recycle(outputs.stdout.take_buffer());
            }
            tailer.commit(previous);
            dirty = true;
            waited = true;
        }
        if dirty && (finishing || last_store.elapsed() >= CHECKPOINT_EVERY) {
            // While lines flow, a store runs beside the loop; one still
            // running (a slow disk) defers the next instead of queueing it.
            let stored = if finishing {
                storer.store_now(tailer.checkpoint()).await?;
                true
            } else {
                storer.start(tailer.checkpoint()).await?
            };
            if stored {
                dirty = false;
                last_store = Instant::now();
            }
        }
        // After a wait, look again before sleeping: lines written
        // meanwhile are read at once (also without inotify).
        if more || waited {
            continue;
        }
        if finishing {
            if dirty {
                storer.store_now(tailer.checkpoint()).await?;
            }
            storer.finish().await?;
            return Ok(summary);
        }

        let linger_end =
            drain_deadline.map(|d| (last_data + config.shutdown_linger).min(d - reserve));
        let store_due = (dirty && !storer.is_running()).then(|| last_store + CHECKPOINT_EVERY);
        tokio::select! {
            _ = watcher.changed() => {}
            _ = sleep(config.poll_interval) => { rescan = true; }
            _ = shutdown.wait(), if drain_deadline.is_none() => {}
            _ = sleep_until(linger_end.unwrap_or(now)), if linger_end.is_some() => {}
            _ = sleep_until(store_due.unwrap_or(now)), if store_due.is_some() => {}
            stored = storer.finish(), if storer.is_running() => stored?,
        }
    }
}

/// Stores checkpoints on a blocking thread, one at a time: a store syncs
/// the file and its directory, which takes milliseconds, and far more on a
/// busy disk (50 ms stalls were seen here), and forwarding must not wait
/// for it. A crash then repeats at most what was delivered since the last
/// store that completed.
struct Storer {
    path: PathBuf,
    metrics: Metrics,
    running: Option<JoinHandle<Result<(), CheckpointError>>>,
}

impl Storer {
    fn new(path: PathBuf, metrics: Metrics) -> Self {
        Self {
            path,
            metrics,
            running: None,
        }
    }

    fn is_running(&self) -> bool {
        self.running.is_some()
    }

    /// Starts storing `checkpoint` beside the loop; false (store it later)
    /// while the previous store is still running. Reports the previous
    /// store's failure.
    async fn start(&mut self, checkpoint: Checkpoint) -> Result<bool, CheckpointError> {
        if self.running.as_ref().is_some_and(|h| h.is_finished()) {
            self.finish().await?;
        }
        if self.running.is_some() {
            return Ok(false);
        }
        let path = self.path.clone();
        self.running = Some(tokio::task::spawn_blocking(move || checkpoint.store(&path)));
        Ok(true)
    }

    /// Waits for the running store, if any. Cancel-safe: dropped while
    /// waiting, the store stays running and is waited for next time.
    async fn finish(&mut self) -> Result<(), CheckpointError> {
        if let Some(handle) = &mut self.running {
            let result = handle.await;
            self.running = None;
            result.expect("storing a checkpoint does not panic")?;
            self.metrics.checkpointed();
        }
        Ok(())
    }

    /// Waits for the running store, then stores `checkpoint` and waits.
    async fn store_now(&mut self, checkpoint: Checkpoint) -> Result<(), CheckpointError> {
        self.finish().await?;
        self.start(checkpoint).await?;
        self.finish().await
    }
}

/// Runs an output's delivery; once shutdown has begun (also when it begins
/// during the delivery) it is bounded by the drain deadline.
async fn bounded<T>(
    work: impl std::future::Future<Output = Result<T, PipelineError>>,
    shutdown: &Shutdown,
    drain_deadline: &mut Option<Instant>,
    drain_timeout: Duration,
    lines: usize,
) -> Result<T, PipelineError> {
    let mut work = pin!(work);
    let deadline = match *drain_deadline {
        Some(d) => d,
        None => {
            tokio::select! {
                r = &mut work => return r,
                _ = shutdown.wait() => {}
            }
            let d = Instant::now() + drain_timeout;
            *drain_deadline = Some(d);
            d
        }
    };
    match timeout_at(deadline, work).await {
        Ok(r) => r,
        Err(_) => Err(PipelineError::DrainTimeout {
            timeout: drain_timeout,
            lines,
        }),
    }
}
