//! Waiting for the process to be told to stop. Kubernetes stops a container
//! with SIGTERM (then SIGKILL after `terminationGracePeriodSeconds`); a
//! person at a terminal presses Ctrl-C, which is SIGINT. Both mean the same
//! thing here: begin the stop sequence ([`super::Stop::on_signals`]).

use std::io;

use tokio::signal::unix::{signal, Signal, SignalKind};

/// Installed SIGTERM and SIGINT handlers: from their creation on, these
/// signals no longer kill the process but are reported by [`Signals::recv`].
#[derive(Debug)]
pub(crate) struct Signals {
    term: Signal,
    int: Signal,
}

impl Signals {
    /// Installs the handlers now (inside a tokio runtime), so that they are
    /// in place at a known moment: before the process reports itself ready.
    pub(crate) fn listen() -> io::Result<Self> {
        Ok(Signals {
            term: signal(SignalKind::terminate())?,
            int: signal(SignalKind::interrupt())?,
        })
    }

    /// Waits for the next SIGTERM or SIGINT and returns its name.
    pub(crate) async fn recv(&mut self) -> &'static str {
        tokio::select! {
            _ = self.term.recv() => "SIGTERM",
            _ = self.int.recv() => "SIGINT",
        }
    }
}
