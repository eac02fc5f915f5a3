//! Storing checkpoints beside the loop, one at a time, on a blocking
//! thread: a store syncs the file and its directory, which takes
//! milliseconds, and far more on a busy disk (50 ms stalls were seen
//! here), and forwarding must not wait for it. A crash then repeats at most
//! what was delivered since the last store that completed.
//!
//! A store that fails (a full volume, a directory gone or made read-only)
//! never stops forwarding: only a crash would make it cost anything (more
//! lines sent again at the next start). It is retried with backoff, said
//! on stderr when it starts, changes, once a minute while it lasts and
//! when it ends, counted, and once it has lasted
//! [`UNREADY_AFTER`] the caller turns readiness off until a store works.

use std::path::PathBuf;
use std::time::Duration;

use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::checkpoint::{Checkpoint, CheckpointError};
use crate::metrics::Metrics;

/// The first retry of a failed store waits this long, doubling up to
/// [`RETRY_CAP`].
const RETRY_BASE: Duration = Duration::from_millis(200);
const RETRY_CAP: Duration = Duration::from_secs(10);

/// A failure that lasts is said again this often.
const REPEAT_EVERY: Duration = Duration::from_secs(60);

/// Stores failing for this long turn readiness off: a persisting fault
/// of the volume the pod's logs live on is for a person to look at.
pub(crate) const UNREADY_AFTER: Duration = Duration::from_secs(10);

/// Stores failing since, and what was last said about it.
#[derive(Debug)]
struct Failing {
    since: Instant,
    attempts: u32,
    retry_at: Instant,
    said: String,
    said_at: Instant,
}

/// Writes checkpoints to one path, in the background.
#[derive(Debug)]
pub(crate) struct CheckpointWriter {
    path: PathBuf,
    metrics: Metrics,
    running: Option<JoinHandle<Result<(), CheckpointError>>>,
    failing: Option<Failing>,
}

impl CheckpointWriter {
    pub(crate) fn new(path: PathBuf, metrics: Metrics) -> Self {
        Self {
            path,
            metrics,
            running: None,
            failing: None,
        }
    }

    /// A store is running.
    pub(crate) fn is_running(&self) -> bool {
        self.running.is_some()
    }

    /// When the next store may start: now, or after the backoff of a
    /// failed one.
    pub(crate) fn next_try(&self) -> Option<Instant> {
        self.failing.as_ref().map(|f| f.retry_at)
    }

    /// How long stores have been failing, if they are.
    pub(crate) fn failing_for(&self) -> Option<Duration> {
        self.failing.as_ref().map(|f| f.since.elapsed())
    }

    /// Starts storing `checkpoint` beside the loop; false (store it later)
    /// while the previous store is still running or a failed one's backoff
    /// has not passed. A finished previous store is reaped first.
    pub(crate) async fn start(&mut self, checkpoint: Checkpoint) -> bool {
        if self.running.as_ref().is_some_and(|h| h.is_finished()) {
            self.finish().await;
        }
        if self.running.is_some() || self.next_try().is_some_and(|at| Instant::now() < at) {
            return false;
        }
        let path = self.path.clone();
        self.running = Some(tokio::task::spawn_blocking(move || checkpoint.store(&path)));
        true
    }

    /// Waits for the running store, if any, and returns whether it (or,
    /// with none running, the last one) succeeded. Cancel-safe: dropped
    /// while waiting, the store stays running and is waited for next time.
    pub(crate) async fn finish(&mut self) -> bool {
        let Some(handle) = &mut self.running else {
            return self.failing.is_none();
        };
        let result = handle.await;
        self.running = None;
        match result.expect("storing a checkpoint does not panic") {
            Ok(()) => {
                self.metrics.checkpointed();
                if let Some(failing) = self.failing.take() {
                    log::info!(
                        "checkpoint stored again, after {} failed attempts over {}s",
                        failing.attempts,
                        failing.since.elapsed().as_secs()
                    );
                }
                true
            }
            Err(e) => {
                self.failed(&e);
                false
            }
        }
    }

    /// Waits for the running store, then stores `checkpoint` and waits;
    /// returns whether it was stored.
    pub(crate) async fn store_now(&mut self, checkpoint: Checkpoint) -> bool {
        self.finish().await;
        if let Some(failing) = &mut self.failing {
            failing.retry_at = Instant::now();
        }
        self.start(checkpoint).await;
        self.finish().await
    }

    fn failed(&mut self, e: &CheckpointError) {
        self.metrics.checkpoint_failed();
        let now = Instant::now();
        let why = e.to_string();
        let failing = self.failing.get_or_insert_with(|| Failing {
            since: now,
            attempts: 0,
            retry_at: now,
            said: String::new(),
            said_at: now,
        });
        failing.attempts += 1;
        let exponent = (failing.attempts - 1).min(16);
        failing.retry_at = now + RETRY_BASE.saturating_mul(1 << exponent).min(RETRY_CAP);
        if failing.said != why {
            log::error!(
                "{why}; forwarding goes on and the store is retried with backoff \
                 (until it works, a crash would send again every line since the last stored checkpoint)"
            );
        } else if now.duration_since(failing.said_at) >= REPEAT_EVERY {
            log::error!(
                "{why} (still failing: {} attempts in {}s)",
                failing.attempts,
                now.duration_since(failing.since).as_secs()
            );
        } else {
            return;
        }
        failing.said = why;
        failing.said_at = now;
    }
}
