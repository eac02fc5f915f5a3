//! Storing checkpoints beside the loop, one at a time, on a blocking
//! thread: a store syncs the file and its directory, which takes
//! milliseconds, and far more on a busy disk (50 ms stalls were seen
//! here), and forwarding must not wait for it. A crash then repeats at most
//! what was delivered since the last store that completed.

use std::path::PathBuf;

use tokio::task::JoinHandle;

use crate::checkpoint::{Checkpoint, CheckpointError};
use crate::metrics::Metrics;

/// Writes checkpoints to one path, in the background.
#[derive(Debug)]
pub(crate) struct CheckpointWriter {
    path: PathBuf,
    metrics: Metrics,
    running: Option<JoinHandle<Result<(), CheckpointError>>>,
}

impl CheckpointWriter {
    pub(crate) fn new(path: PathBuf, metrics: Metrics) -> Self {
        Self {
            path,
            metrics,
            running: None,
        }
    }

    /// A store is running.
    pub(crate) fn is_running(&self) -> bool {
        self.running.is_some()
    }

    /// Starts storing `checkpoint` beside the loop; false (store it later)
    /// while the previous store is still running. Reports the previous
    /// store's failure.
    pub(crate) async fn start(&mut self, checkpoint: Checkpoint) -> Result<bool, CheckpointError> {
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
    pub(crate) async fn finish(&mut self) -> Result<(), CheckpointError> {
        if let Some(handle) = &mut self.running {
            let result = handle.await;
            self.running = None;
            result.expect("storing a checkpoint does not panic")?;
            self.metrics.checkpointed();
        }
        Ok(())
    }

    /// Waits for the running store, then stores `checkpoint` and waits.
    pub(crate) async fn store_now(
        &mut self,
        checkpoint: Checkpoint,
    ) -> Result<(), CheckpointError> {
        self.finish().await?;
        self.start(checkpoint).await?;
        self.finish().await
    }
}
