//! The sidecar's one loop: read a bounded batch → deliver it to every output
//! → only then commit the offsets and (throttled) store the checkpoint. While
//! an output is slow or down, nothing more is read, so memory stays bounded
//! by one batch and the backlog waits in the files, not in RAM.
//!
//! Shutdown: readiness goes off at the signal (in `main`); the loop keeps
//! following until the files were quiet for `--shutdown-linger` (the server
//! beside us is stopping too and may write its last lines), then emits every
//! complete and partial line left, stores the final checkpoint and returns,
//! all within `--drain-timeout`; past it, it stops with an error and the
//! undelivered lines stay un-checkpointed for the next start.

use std::path::PathBuf;
use std::pin::pin;
use std::time::Duration;

use time_server::health::Health;
use time_server::shutdown::Shutdown;
use tokio::time::{sleep, sleep_until, timeout_at, Instant};

use crate::checkpoint::CheckpointError;
use crate::http_sink::{HttpSink, SinkError};
use crate::metrics::Metrics;
use crate::output::{OutputError, StdoutOutput};
use crate::record::{PodMetadata, Record};
use crate::tailer::Tailer;
use crate::watch::Watcher;

/// How often the checkpoint is stored at most while lines flow: after a
/// crash, at most this much delivered output (plus one batch) repeats.
pub const CHECKPOINT_EVERY: Duration = Duration::from_millis(200);

/// While busy, patterns are re-scanned at least this often (rotations).
const BUSY_SCAN_EVERY: Duration = Duration::from_millis(100);

/// Lines per batch at least (a bigger `--sink-batch-lines` raises it).
const MIN_BATCH_LINES: usize = 4096;

/// How the loop behaves; see the flags of the same names.
#[derive(Debug, Clone)]
pub struct PipelineConfig {
    /// Where the checkpoint is stored.
    pub checkpoint_path: PathBuf,
    /// Bytes read ahead of delivery at most.
    pub max_buffer_bytes: u64,
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
    /// Lines per batch for a sink batch of `sink_batch_lines`.
    pub fn batch_lines_for(sink_batch_lines: usize) -> usize {
        sink_batch_lines.max(MIN_BATCH_LINES)
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
/// Sets `health` ready once the first scan is done.
pub async fn run(
    config: PipelineConfig,
    mut tailer: Tailer,
    mut outputs: Outputs,
    metrics: Metrics,
    health: Health,
    shutdown: Shutdown,
) -> Result<Summary, PipelineError> {
    let mut watcher = Watcher::new();
    let mut summary = Summary::default();
    let mut dirty = false;
    let mut last_store = Instant::now();
    let mut last_scan = Instant::now();
    let mut last_data = Instant::now();
    let mut drain_deadline: Option<Instant> = None;
    let mut finishing = false;
    let reserve = config.drain_timeout / 4;

    tailer.scan();
    watcher.watch(&tailer.watch_dirs());
    health.set_ready();
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

        let batch = tailer.read_batch(config.max_buffer_bytes, config.batch_lines, finishing);
        let more = batch.more;
        if !batch.is_empty() {
            if !batch.records.is_empty() {
                last_data = Instant::now();
                metrics.set_buffered(batch.bytes);
                let delivered = deliver(
                    &mut outputs,
                    &batch.records,
                    &shutdown,
                    &mut drain_deadline,
                    config.drain_timeout,
                )
                .await;
                metrics.set_buffered(0);
                if let Err(e) = delivered {
                    store(&tailer, &config, &metrics)?;
                    return Err(e);
                }
                metrics.forwarded("stdout", batch.records.len(), batch.bytes);
                if outputs.sink.is_some() {
                    metrics.forwarded("http", batch.records.len(), batch.bytes);
                }
                summary.lines += batch.records.len() as u64;
                summary.bytes += batch.bytes;
            }
            tailer.commit(batch);
            dirty = true;
        }
        if dirty && (finishing || last_store.elapsed() >= CHECKPOINT_EVERY) {
            store(&tailer, &config, &metrics)?;
            dirty = false;
            last_store = Instant::now();
        }
        if more {
            continue;
        }
        if finishing {
            if dirty {
                store(&tailer, &config, &metrics)?;
            }
            return Ok(summary);
        }

        let linger_end =
            drain_deadline.map(|d| (last_data + config.shutdown_linger).min(d - reserve));
        let store_due = dirty.then(|| last_store + CHECKPOINT_EVERY);
        tokio::select! {
            _ = watcher.changed() => {}
            _ = sleep(config.poll_interval) => { rescan = true; }
            _ = shutdown.wait(), if drain_deadline.is_none() => {}
            _ = sleep_until(linger_end.unwrap_or(now)), if linger_end.is_some() => {}
            _ = sleep_until(store_due.unwrap_or(now)), if store_due.is_some() => {}
        }
    }
}

fn store(
    tailer: &Tailer,
    config: &PipelineConfig,
    metrics: &Metrics,
) -> Result<(), CheckpointError> {
    tailer.checkpoint().store(&config.checkpoint_path)?;
    metrics.checkpointed();
    Ok(())
}

/// Delivers to every output at once; bounded by the drain deadline once
/// shutdown has begun (also when it begins during the delivery).
async fn deliver(
    outputs: &mut Outputs,
    records: &[Record],
    shutdown: &Shutdown,
    drain_deadline: &mut Option<Instant>,
    drain_timeout: Duration,
) -> Result<(), PipelineError> {
    let Outputs { stdout, sink, meta } = outputs;
    let work = async {
        let (to_stdout, to_sink) = tokio::join!(stdout.deliver(records), async {
            match sink {
                Some(sink) => sink.deliver(records, meta, shutdown).await,
                None => Ok(()),
            }
        });
        to_stdout?;
        to_sink?;
        Ok::<(), PipelineError>(())
    };
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
            lines: records.len(),
        }),
    }
}
