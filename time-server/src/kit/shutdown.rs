//! The one shutdown signal of a process, created in `main` and passed down
//! to every part that must stop, so nothing polls a global flag and tests
//! can stop a server they started without sending a real signal.

use std::sync::Arc;

use tokio::sync::watch;

/// A one-way latch: once triggered it stays triggered. Clones share it.
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let shutdown = time_server::kit::Shutdown::new();
/// let waiter = shutdown.clone();
/// let task = tokio::spawn(async move { waiter.wait().await; "stopped" });
/// shutdown.trigger();
/// assert_eq!(task.await.unwrap(), "stopped");
/// assert!(shutdown.is_triggered());
/// # });
/// ```
#[derive(Clone, Debug)]
pub struct Shutdown {
    // The sender is kept (never dropped while a clone lives), so receivers
    // made by `subscribe` can never see a closed channel.
    tx: Arc<watch::Sender<bool>>,
}

impl Shutdown {
    /// A signal that has not fired yet.
    pub fn new() -> Self {
        let (tx, _rx) = watch::channel(false);
        Shutdown { tx: Arc::new(tx) }
    }

    /// Fires the signal; calling it again changes nothing.
    pub fn trigger(&self) {
        self.tx
            .send_if_modified(|fired| !std::mem::replace(fired, true));
    }

    /// Whether [`Shutdown::trigger`] was called.
    pub fn is_triggered(&self) -> bool {
        *self.tx.borrow()
    }

    /// Resolves once the signal has fired (at once if it already has).
    /// Cancel-safe: dropping the future loses nothing, a new call sees the
    /// current state.
    pub async fn wait(&self) {
        let mut rx = self.tx.subscribe();
        // The sender lives in `self`, so the channel cannot close under us.
        let _ = rx.wait_for(|fired| *fired).await;
    }
}

impl Default for Shutdown {
    fn default() -> Self {
        Shutdown::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn wait_resolves_after_trigger_and_immediately_when_already_triggered() {
        let shutdown = Shutdown::new();
        assert!(!shutdown.is_triggered());
        let pending = tokio::time::timeout(Duration::from_millis(20), shutdown.wait()).await;
        assert!(pending.is_err(), "wait must not resolve before trigger");

        let waiter = shutdown.clone();
        let task = tokio::spawn(async move { waiter.wait().await });
        shutdown.trigger();
        shutdown.trigger(); // idempotent
        tokio::time::timeout(Duration::from_secs(5), task)
            .await
            .expect("waiter woke")
            .expect("task ran");
        assert!(shutdown.is_triggered());
        tokio::time::timeout(Duration::from_secs(5), shutdown.wait())
            .await
            .expect("already triggered resolves at once");
    }

    #[tokio::test]
    async fn dropped_wait_future_does_not_lose_the_signal() {
        let shutdown = Shutdown::new();
        {
            let fut = shutdown.wait();
            let _ = tokio::time::timeout(Duration::from_millis(5), fut).await;
        }
        shutdown.trigger();
        tokio::time::timeout(Duration::from_secs(5), shutdown.wait())
            .await
            .expect("a new wait sees the trigger");
    }
}
