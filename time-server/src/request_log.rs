//! One log line per answered request, like the Go service's per-call lines,
//! with a per-server sequence number so a reader of the log (the sidecar's
//! tests, a person) can tell that no line was lost or repeated:
//! `GET /time 200 87us #42`. Only the path is logged, never the query
//! string, which may carry secrets.

use std::sync::Mutex;
use std::time::Duration;

use hyper::Method;

/// Numbers and emits request lines.
#[derive(Debug, Default)]
pub struct RequestLog {
    // A mutex rather than an atomic: the number is taken and the line handed
    // to the logger under one lock, so lines reach the log in number order
    // even when several worker threads answer at once.
    seq: Mutex<u64>,
}

impl RequestLog {
    /// A log whose first line is `#1`.
    pub fn new() -> Self {
        RequestLog::default()
    }

    /// Logs one request at info level (target `time_server::request_log`).
    pub fn record(&self, method: &Method, path: &str, status: u16, elapsed: Duration) {
        let mut seq = self
            .seq
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        *seq += 1;
        log::info!(
            "{} {} {} {}us #{}",
            method,
            path,
            status,
            elapsed.as_micros(),
            *seq
        );
    }
}
