//! Liveness versus readiness, as the kubelet probes them. Liveness
//! (`/healthz`) says the process can serve at all: if it fails, the
//! container is restarted. Readiness (`/readyz`) says "send me traffic": it
//! is false until start-up is complete and false again from the moment
//! shutdown begins, so the endpoint leaves the Service while the process is
//! still answering the requests already routed to it.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// Shared readiness state; clones see the same flag.
#[derive(Clone, Debug)]
pub struct Health {
    ready: Arc<AtomicBool>,
}

impl Health {
    /// Live but not ready: start-up is not complete.
    pub fn new() -> Self {
        Health {
            ready: Arc::new(AtomicBool::new(false)),
        }
    }

    /// Start-up is complete: accept traffic.
    pub fn set_ready(&self) {
        self.ready.store(true, Ordering::SeqCst);
    }

    /// Stop receiving new traffic (e.g. shutdown began); liveness stays up.
    pub fn set_not_ready(&self) {
        self.ready.store(false, Ordering::SeqCst);
    }

    /// Whether `/readyz` answers 200.
    pub fn is_ready(&self) -> bool {
        self.ready.load(Ordering::SeqCst)
    }
}

impl Default for Health {
    fn default() -> Self {
        Health::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn starts_not_ready_and_flips_both_ways_for_every_clone() {
        let health = Health::new();
        let seen_by_server = health.clone();
        assert!(!seen_by_server.is_ready());
        health.set_ready();
        assert!(seen_by_server.is_ready());
        health.set_not_ready();
        assert!(!seen_by_server.is_ready());
    }
}
