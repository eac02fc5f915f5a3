//! Waiting for the process to be told to stop. Kubernetes stops a container
//! with SIGTERM (then SIGKILL after `terminationGracePeriodSeconds`); a
//! person at a terminal presses Ctrl-C, which is SIGINT. Both mean the same
//! thing here: begin a graceful shutdown.

use std::io;

use tokio::signal::unix::{signal, Signal, SignalKind};

/// Resolves when SIGTERM or SIGINT arrives and returns its name
/// ("SIGTERM" or "SIGINT") for the log line.
///
/// The handlers are installed when the future is first polled; use
/// [`listen`] when they must be in place at a known moment (before the
/// process reports itself ready).
pub async fn terminate() -> &'static str {
    // Registering fails only outside a tokio runtime or when the OS refuses a
    // handler for these two ordinary signals: both are program bugs.
    listen()
        .expect("install SIGTERM and SIGINT handlers")
        .recv()
        .await
}

/// Installs the SIGTERM and SIGINT handlers now (inside a tokio runtime);
/// from here on these signals no longer kill the process but are reported
/// by [`Terminate::recv`].
pub fn listen() -> io::Result<Terminate> {
    Ok(Terminate {
        term: signal(SignalKind::terminate())?,
        int: signal(SignalKind::interrupt())?,
    })
}

/// Installed SIGTERM and SIGINT handlers.
#[derive(Debug)]
pub struct Terminate {
    term: Signal,
    int: Signal,
}

impl Terminate {
    /// Waits for the next SIGTERM or SIGINT and returns its name.
    pub async fn recv(&mut self) -> &'static str {
        tokio::select! {
            _ = self.term.recv() => "SIGTERM",
            _ = self.int.recv() => "SIGINT",
        }
    }
}
