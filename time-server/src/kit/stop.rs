//! The stop sequence Kubernetes needs from a server, in one place for every
//! program on the kit: on SIGTERM readiness fails at once (the endpoint
//! starts leaving the Service), the server keeps serving for a while
//! (kube-proxy and ingresses take seconds to stop sending), then stops
//! accepting and lets in-flight requests finish within the drain timeout.
//!
//! [`Stop`] is the one handle a program passes down: it holds readiness
//! and the shutdown signal, begins the sequence on SIGTERM or SIGINT, and
//! serves a [`Server`] through it.

use std::io;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;

use super::signal::Signals;
use super::{Endpoints, Health, Server, Shutdown};

/// How long a server keeps serving after stopping began, readiness already
/// failing, before it closes its listener.
#[derive(Debug, Clone)]
pub enum Linger {
    /// This long: the time for the endpoint to leave the Service.
    For(Duration),
    /// Until this fires: a program whose own work drains first keeps its
    /// probes and metrics answering until it is done.
    Until(Shutdown),
}

/// Readiness plus the shutdown signal: the one handle to stop a program.
/// Clones share it.
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// use time_server::kit::Stop;
/// let stop = Stop::new();
/// stop.ready();
/// assert!(stop.health().is_ready());
/// stop.begin(); // what SIGTERM does
/// assert!(!stop.health().is_ready());
/// stop.shutdown().wait().await; // fired: everything passed it stops
/// # });
/// ```
#[derive(Debug, Clone, Default)]
pub struct Stop {
    health: Health,
    shutdown: Shutdown,
}

impl Stop {
    /// Live, not ready, not stopping.
    pub fn new() -> Self {
        Stop::default()
    }

    /// Readiness, for the admin endpoints.
    pub fn health(&self) -> &Health {
        &self.health
    }

    /// Fires when stopping begins; pass it to whatever must stop.
    pub fn shutdown(&self) -> &Shutdown {
        &self.shutdown
    }

    /// Start-up is complete: readiness turns on, unless stopping already
    /// began (a SIGTERM during start-up must not be undone).
    pub fn ready(&self) {
        self.health.set_ready();
        // Checked after setting: `begin` fires first and clears readiness
        // last, so whichever order the two run in, a stopping program ends
        // up not ready.
        if self.shutdown.is_triggered() {
            self.health.set_not_ready();
        }
    }

    /// Begins stopping: readiness fails at once and the shutdown signal
    /// fires. Calling it again changes nothing.
    pub fn begin(&self) {
        self.shutdown.trigger();
        self.health.set_not_ready();
    }

    /// Installs SIGTERM and SIGINT handlers now (call it inside the runtime,
    /// before reporting ready), and begins stopping at the first of them.
    pub fn on_signals(&self) -> io::Result<()> {
        let mut signals = Signals::listen()?;
        let stop = self.clone();
        tokio::spawn(async move {
            let name = signals.recv().await;
            log::info!("received {name}: shutting down");
            stop.begin();
        });
        Ok(())
    }

    /// Serves `server` on `listener` until stopping begins, then through
    /// the stop sequence: readiness fails at once (also when something other
    /// than [`Stop::begin`] fired the shutdown signal), serving goes on
    /// through `linger`, then the listener closes and in-flight requests get
    /// at most the server's drain timeout. Readiness is the caller's to turn
    /// on ([`Stop::ready`]), once its own start-up is complete.
    pub async fn serve<E: Endpoints>(
        self,
        server: Server<E>,
        listener: TcpListener,
        linger: Linger,
    ) -> io::Result<()> {
        let drain_timeout = server.drain_timeout();
        let stop_accepting = Shutdown::new();
        let mut serving = tokio::spawn(Arc::new(server).serve(listener, stop_accepting.clone()));
        tokio::select! {
            _ = self.shutdown.wait() => {}
            ended = &mut serving => return flatten(ended),
        }
        self.health.set_not_ready();
        match &linger {
            Linger::For(delay) => log::info!(
                "shutdown: readiness now fails; serving {delay:?} more, then draining for at most {drain_timeout:?}"
            ),
            Linger::Until(_) => log::info!(
                "shutdown: readiness now fails; serving until the program's work is done, then draining for at most {drain_timeout:?}"
            ),
        }
        let lingering = async {
            match linger {
                Linger::For(delay) => tokio::time::sleep(delay).await,
                Linger::Until(done) => done.wait().await,
            }
        };
        tokio::select! {
            _ = lingering => {}
            ended = &mut serving => return flatten(ended),
        }
        log::info!("shutdown: no longer accepting connections; draining");
        stop_accepting.trigger();
        let result = flatten(serving.await);
        log::info!("shutdown: done");
        result
    }
}

fn flatten(joined: Result<io::Result<()>, tokio::task::JoinError>) -> io::Result<()> {
    joined.map_err(io::Error::other)?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ready_after_begin_stays_not_ready() {
        let stop = Stop::new();
        stop.begin();
        stop.ready();
        assert!(!stop.health().is_ready());
        assert!(stop.shutdown().is_triggered());
    }
}
