//! log-sidecar: the pod's second container (filled by issue 4).
pub mod record;
