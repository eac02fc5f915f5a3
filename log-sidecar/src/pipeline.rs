//! The sidecar's one loop: read a bounded batch → deliver it to every output
//! → only then commit its receipt and (throttled, on a blocking thread so
//! that an fsync never holds up forwarding) store the checkpoint. The
//! stdout write of one batch overlaps the reading of the next, which is
//! queued behind it (two batches of at most half of `--max-buffer-bytes`
//! each); while an output is slow or down, nothing more is read, so memory
//! stays bounded and the backlog waits in the files, not in RAM.
//!
//! Shutdown: readiness goes off at the signal (the kit's [`Stop`]); the loop
//! keeps following until the files were quiet for `--shutdown-linger` (the
//! server beside us is stopping too and may write its last lines), then
//! emits every complete and partial line left, stores the final checkpoint
//! and returns, all within `--drain-timeout`; past it, it stops with an
//! error and the undelivered lines stay un-checkpointed for the next start.

use std::collections::VecDeque;
use std::future::Future;
use std::path::PathBuf;
use std::pin::pin;
use std::time::Duration;

use time_server::kit::{Shutdown, Stop};
use tokio::time::{sleep, sleep_until, timeout_at, Instant};

use crate::batch::{Lines, Receipt};
use crate::checkpoint::Checkpoint;
use crate::checkpoint_writer::{CheckpointWriter, UNREADY_AFTER};
use crate::http_sink::SinkError;
use crate::metrics::Metrics;
use crate::outputs::Outputs;
use crate::stdout::{OutputError, PendingWrite};
use crate::tailer::{BatchLimits, Tailer};
use crate::watch::Watcher;

/// How often the checkpoint is stored at most while lines flow: after a
/// crash, at most this much delivered output repeats, plus what went out
/// while the last store was running and the batches in flight. Lines that
/// were in the files at start-up are checkpointed at once instead, as soon
/// as they are delivered: the run before may have sent them already, and
/// in a crash loop faster than this interval they would otherwise go out
/// once per run.
pub const CHECKPOINT_EVERY: Duration = Duration::from_millis(200);

/// While busy, patterns are re-scanned at least this often (rotations).
const BUSY_SCAN_EVERY: Duration = Duration::from_millis(100);

/// Lines at most in a batch read while nothing is being written (at start,
/// or after catching up): stdout gets its first lines after reading a few
/// KiB of a backlog instead of a whole batch, and the next, full batch is
/// read while they are written.
const FIRST_BATCH_LINES: usize = 256;

/// After a read that found little (under [`COALESCE_BELOW`]), the next one
/// waits until this long after it, so that it takes what several writes put
/// there. A server that logs in many small writes (time-server's writer
/// flushes whenever its runtime goes idle) otherwise costs a wake-up, a
/// read and a stdout write per write of its own, for us and for the
/// container runtime reading our stdout: 6.5 s of CPU per million lines at
/// 20,000 lines/s in the pod. A line waits this long at most, far inside
/// the 50 ms latency target; the first line after a quiet spell, a backlog
/// and the shutdown drain do not wait at all. The inotify thread spaces its
/// wake-ups by as much ([`Watcher::new`]).
pub const COALESCE: Duration = Duration::from_millis(5);

/// A read that found at least this much is not followed by a
/// [`COALESCE`] wait: lines are coming fast, and waiting would only add
/// latency (each wake-up already takes many lines at once).
const COALESCE_BELOW: u64 = 64 * 1024;

/// How the loop behaves; see the flags of the same names.
#[derive(Debug, Clone)]
pub struct PipelineConfig {
    /// Where the checkpoint is stored.
    pub checkpoint_path: PathBuf,
    /// How much one batch may hold ([`Outputs::batch_limits`]).
    pub batch: BatchLimits,
    /// Fallback re-scan period.
    pub poll_interval: Duration,
    /// Quiet time that ends following at shutdown.
    pub shutdown_linger: Duration,
    /// Total time allowed from the signal to the exit.
    pub drain_timeout: Duration,
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
    /// Every line was delivered, but the final checkpoint could not be
    /// stored before the drain timeout (the reason was logged).
    #[error(
        "every line was delivered, but the checkpoint could not be stored before the drain timeout; \
         the next start sends again what was delivered since the last stored checkpoint"
    )]
    CheckpointNotStored,
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
    tailer: Tailer,
    outputs: Outputs,
    metrics: Metrics,
    stop: Stop,
) -> Result<Summary, PipelineError> {
    let watcher = Watcher::new(&Checkpoint::files(&config.checkpoint_path), COALESCE);
    let checkpoints = CheckpointWriter::new(config.checkpoint_path.clone(), metrics.clone());
    let now = Instant::now();
    let mut pipeline = Pipeline {
        drain: Drain {
            timeout: config.drain_timeout,
            linger: config.shutdown_linger,
            phase: Phase::Following,
        },
        config,
        tailer,
        outputs,
        metrics,
        watcher,
        checkpoints,
        shutdown: stop.shutdown().clone(),
        stop: stop.clone(),
        unready: false,
        in_flight: VecDeque::new(),
        summary: Summary::default(),
        dirty: false,
        urgent: false,
        rescan: false,
        last_scan: now,
        last_data: now,
        last_store: now,
        hold_until: None,
    };
    pipeline.scan();
    stop.ready();
    match pipeline.follow().await {
        Ok(summary) => Ok(summary),
        Err(e) => {
            // What was delivered before the failure is not sent again (a
            // store that fails now was reported; the failure itself is the
            // error to return).
            pipeline
                .checkpoints
                .store_now(pipeline.tailer.checkpoint())
                .await;
            Err(e)
        }
    }
}

/// A batch handed to stdout, and what its delivery will cover.
#[derive(Debug)]
struct InFlight {
    write: PendingWrite,
    receipt: Receipt,
}

struct Pipeline {
    config: PipelineConfig,
    tailer: Tailer,
    outputs: Outputs,
    metrics: Metrics,
    watcher: Watcher,
    checkpoints: CheckpointWriter,
    shutdown: Shutdown,
    /// Readiness, turned off while checkpoints have been failing for long.
    stop: Stop,
    /// Readiness is off because of failing checkpoints.
    unready: bool,
    drain: Drain,
    /// Oldest first; two at most once the loop waits.
    in_flight: VecDeque<InFlight>,
    summary: Summary,
    /// Offsets moved since the last store.
    dirty: bool,
    /// Lines delivered since the last store may have been delivered by the
    /// run before too: store without waiting for the interval.
    urgent: bool,
    /// The fallback poll asks for a scan.
    rescan: bool,
    last_scan: Instant,
    last_data: Instant,
    last_store: Instant,
    /// No read before this, unless stopping began: the last read found
    /// little ([`COALESCE`]).
    hold_until: Option<Instant>,
}

impl Pipeline {
    async fn follow(&mut self) -> Result<Summary, PipelineError> {
        loop {
            self.coalesce().await;
            self.watch_the_clock();
            if self.rescan
                || self.last_scan.elapsed() >= BUSY_SCAN_EVERY
                || self.watcher.take_names_changed()
            {
                self.scan();
            }
            let more = self.read_and_send().await?;
            let waited = self.settle(more).await?;
            self.store_if_due().await?;
            // After a wait, look again before sleeping: lines written
            // meanwhile are read at once (also without inotify).
            if more || waited {
                continue;
            }
            if self.drain.phase.is_finishing() {
                self.store_final().await?;
                return Ok(self.summary);
            }
            self.wait_for_work().await?;
        }
    }

    /// Waits out the [`COALESCE`] window after a read that found little;
    /// at once when stopping begins, and not at all once it has.
    async fn coalesce(&mut self) {
        let Some(until) = self.hold_until.take() else {
            return;
        };
        if self.drain.phase.is_following() && until > Instant::now() {
            tokio::select! {
                _ = sleep_until(until) => {}
                _ = self.shutdown.wait() => {}
            }
        }
    }

    /// Moves through the stop sequence: stopping began (linger), the files
    /// went quiet or the deadline nears (finish).
    fn watch_the_clock(&mut self) {
        let now = Instant::now();
        if self.drain.phase.is_following() && self.shutdown.is_triggered() {
            self.drain.begin(now);
            self.last_data = now;
        }
        if let Phase::Lingering { deadline } = self.drain.phase {
            let quiet = now.duration_since(self.last_data) >= self.drain.linger;
            if quiet || now + self.drain.reserve() >= deadline {
                self.drain.phase = Phase::Finishing { deadline };
                self.rescan = true;
            }
        }
    }

    fn scan(&mut self) {
        self.tailer.scan();
        self.watcher.watch(&self.tailer.watch_dirs());
        self.last_scan = Instant::now();
        self.rescan = false;
    }

    /// Reads the next batch and hands it to every output: stdout's write
    /// runs beside us, the sink's delivery is awaited. Returns whether a
    /// budget stopped reading (more is waiting).
    async fn read_and_send(&mut self) -> Result<bool, PipelineError> {
        // Read the next batch while the previous one is being written and
        // queue it right behind, so stdout goes from batch to batch without
        // waiting for us.
        let mut limits = self.config.batch;
        if self.in_flight.is_empty() {
            limits.lines = limits.lines.min(FIRST_BATCH_LINES);
        }
        let lines = self.outputs.lines();
        let finishing = self.drain.phase.is_finishing();
        let batch = self.tailer.read_batch(lines, limits, finishing);
        if batch.receipt.lines == 0 {
            self.tailer.commit(batch.receipt);
            return Ok(batch.more);
        }
        self.last_data = Instant::now();
        let little = !batch.more && batch.receipt.bytes < COALESCE_BELOW;
        self.hold_until = little.then(|| self.last_data + COALESCE);
        let Pipeline {
            outputs,
            drain,
            shutdown,
            ..
        } = self;
        let write = match batch.lines {
            Lines::Raw(raw) => outputs.stdout.start_raw(raw),
            Lines::Records(records) => {
                let write = outputs.stdout.start(&records);
                if let Some(sink) = &mut outputs.sink {
                    let delivery = sink.deliver(&records, shutdown);
                    drain
                        .bound(shutdown, batch.receipt.lines, async { Ok(delivery.await?) })
                        .await?;
                }
                write
            }
        };
        self.in_flight.push_back(InFlight {
            write,
            receipt: batch.receipt,
        });
        self.metrics
            .set_buffered(self.in_flight.iter().map(|b| b.receipt.bytes).sum());
        Ok(batch.more)
    }

    /// Waits for the older batch's stdout write (two batches in memory at
    /// most), or for every batch once caught up (`more` false), and commits
    /// what was delivered. Returns whether it waited.
    async fn settle(&mut self, more: bool) -> Result<bool, PipelineError> {
        let mut waited = false;
        while self.in_flight.len() > 1 || (!more && !self.in_flight.is_empty()) {
            let InFlight { write, receipt } =
                self.in_flight.pop_front().expect("in_flight is not empty");
            let stdout = &mut self.outputs.stdout;
            self.drain
                .bound(&self.shutdown, receipt.lines, async {
                    Ok(write.finish(stdout).await?)
                })
                .await?;
            self.metrics
                .forwarded("stdout", receipt.lines, receipt.bytes);
            if self.outputs.sink.is_some() {
                self.metrics.forwarded("http", receipt.lines, receipt.bytes);
            }
            self.summary.lines += receipt.lines as u64;
            self.summary.bytes += receipt.bytes;
            self.urgent |= self.tailer.replaying();
            self.tailer.commit(receipt);
            self.dirty = true;
            waited = true;
        }
        Ok(waited)
    }

    /// Stores the checkpoint when offsets moved: at most every
    /// [`CHECKPOINT_EVERY`] beside the loop while lines flow (one store
    /// still running, a slow disk, or a failed store's backoff defers the
    /// next instead of queueing it), and at once while finishing.
    async fn store_if_due(&mut self) -> Result<(), PipelineError> {
        let finishing = self.drain.phase.is_finishing();
        let due = finishing || self.urgent || self.last_store.elapsed() >= CHECKPOINT_EVERY;
        if self.dirty && due {
            let checkpoint = self.tailer.checkpoint();
            if self.checkpoints.start(checkpoint).await {
                self.dirty = false;
                self.urgent = false;
                self.last_store = Instant::now();
            }
        }
        self.after_store();
        Ok(())
    }

    /// What the checkpoint writer's state means for the loop: a failed
    /// store leaves the offsets unstored, and stores failing for long
    /// turn readiness off until one works.
    fn after_store(&mut self) {
        let failing_for = self.checkpoints.failing_for();
        if failing_for.is_some() {
            self.dirty = true;
        }
        let persisting = failing_for.is_some_and(|f| f >= UNREADY_AFTER);
        if persisting && !self.unready {
            log::error!(
                "checkpoints have failed for over {UNREADY_AFTER:?}: readiness off until one is stored"
            );
            self.stop.health().set_not_ready();
            self.unready = true;
        } else if failing_for.is_none() && self.unready {
            log::info!("checkpoints are stored again: ready");
            self.stop.ready();
            self.unready = false;
        }
    }

    /// The last store, once every line is out: retried (with the writer's
    /// backoff) until it works or the drain deadline is too near.
    async fn store_final(&mut self) -> Result<(), PipelineError> {
        loop {
            let stored = if self.dirty {
                self.checkpoints.store_now(self.tailer.checkpoint()).await
            } else {
                self.checkpoints.finish().await
            };
            self.after_store();
            if stored {
                self.dirty = false;
                return Ok(());
            }
            let retry = self.checkpoints.next_try().unwrap_or_else(Instant::now);
            match self.drain.phase {
                Phase::Finishing { deadline } if retry < deadline => sleep_until(retry).await,
                _ => return Err(PipelineError::CheckpointNotStored),
            }
        }
    }

    /// Sleeps until something may have changed: a file (inotify), the
    /// fallback poll, the stop signal, the end of the linger, a checkpoint
    /// due or stored.
    async fn wait_for_work(&mut self) -> Result<(), PipelineError> {
        let now = Instant::now();
        let linger_end = match self.drain.phase {
            Phase::Lingering { deadline } => {
                Some((self.last_data + self.drain.linger).min(deadline - self.drain.reserve()))
            }
            _ => None,
        };
        let store_due = (self.dirty && !self.checkpoints.is_running()).then(|| {
            let due = if self.urgent {
                now
            } else {
                self.last_store + CHECKPOINT_EVERY
            };
            self.checkpoints
                .next_try()
                .map_or(due, |retry| due.max(retry))
        });
        let following = self.drain.phase.is_following();
        let flush_due = self.tailer.next_flush_in().map(|wait| now + wait);
        tokio::select! {
            _ = self.watcher.changed() => {}
            _ = sleep(self.config.poll_interval) => self.rescan = true,
            _ = self.shutdown.wait(), if following => {}
            _ = sleep_until(linger_end.unwrap_or(now)), if linger_end.is_some() => {}
            _ = sleep_until(store_due.unwrap_or(now)), if store_due.is_some() => {}
            _ = sleep_until(flush_due.unwrap_or(now)), if flush_due.is_some() => {}
            _ = self.checkpoints.finish(), if self.checkpoints.is_running() => self.after_store(),
        }
        Ok(())
    }
}

/// Where the loop is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Following the files; stopping has not begun.
    Following,
    /// Stopping began: following on until the files were quiet for the
    /// linger, all before `deadline`.
    Lingering { deadline: Instant },
    /// Emitting every line left, partial ones too, and the final
    /// checkpoint, before `deadline`.
    Finishing { deadline: Instant },
}

impl Phase {
    fn is_following(&self) -> bool {
        *self == Phase::Following
    }

    fn is_finishing(&self) -> bool {
        matches!(self, Phase::Finishing { .. })
    }
}

/// The stop sequence's clock: the phase, and its deadline once stopping
/// began (`--drain-timeout` after it).
#[derive(Debug)]
struct Drain {
    timeout: Duration,
    /// `--shutdown-linger`.
    linger: Duration,
    phase: Phase,
}

impl Drain {
    /// Lingering ends this long before the deadline at the latest, so that
    /// finishing has time too.
    fn reserve(&self) -> Duration {
        self.timeout / 4
    }

    /// Stopping began at `now`: linger, within the drain timeout.
    fn begin(&mut self, now: Instant) -> Instant {
        let deadline = now + self.timeout;
        self.phase = Phase::Lingering { deadline };
        log::info!(
            "shutting down: following until quiet for {:?}, then draining",
            self.linger
        );
        deadline
    }

    /// Runs an output's delivery of `lines` lines; once stopping has begun
    /// (also when it begins during the delivery) it is bounded by the drain
    /// deadline.
    async fn bound<T>(
        &mut self,
        shutdown: &Shutdown,
        lines: usize,
        work: impl Future<Output = Result<T, PipelineError>>,
    ) -> Result<T, PipelineError> {
        let mut work = pin!(work);
        let deadline = match self.phase {
            Phase::Lingering { deadline } | Phase::Finishing { deadline } => deadline,
            Phase::Following => {
                tokio::select! {
                    r = &mut work => return r,
                    _ = shutdown.wait() => {}
                }
                self.begin(Instant::now())
            }
        };
        match timeout_at(deadline, work).await {
            Ok(r) => r,
            Err(_) => Err(PipelineError::DrainTimeout {
                timeout: self.timeout,
                lines,
            }),
        }
    }
}
