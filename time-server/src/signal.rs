//! Waiting for the process to be told to stop. Kubernetes stops a container
//! with SIGTERM (then SIGKILL after `terminationGracePeriodSeconds`); a
//! person at a terminal presses Ctrl-C, which is SIGINT. Both mean the same
//! thing here: begin a graceful shutdown.

use tokio::signal::unix::{signal, SignalKind};

/// Resolves when SIGTERM or SIGINT arrives and returns its name
/// ("SIGTERM" or "SIGINT") for the log line.
///
/// Must run inside a tokio runtime with signal support.
pub async fn terminate() -> &'static str {
    // Registering fails only without a tokio runtime or when the OS refuses a
    // signal handler for these two ordinary signals: both are program bugs.
    let mut term = signal(SignalKind::terminate()).expect("install a SIGTERM handler");
    let mut int = signal(SignalKind::interrupt()).expect("install a SIGINT handler");
    tokio::select! {
        _ = term.recv() => "SIGTERM",
        _ = int.recv() => "SIGINT",
    }
}
