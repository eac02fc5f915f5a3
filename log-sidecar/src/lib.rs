//! log-sidecar (filled by issue 4).
