//! What the tailer tells the outside world about its work, as a small trait
//! so that the tailer's core knows nothing of Prometheus (the metrics module
//! adapts these calls; tests can count them directly).

use std::path::Path;

/// Receives the tailer's events. Every method has an empty default.
pub trait TailEvents: Send + Sync {
    /// `lines` records of `bytes` bytes in total were read from `path`.
    fn lines_read(&self, _path: &Path, _lines: usize, _bytes: u64) {}
    /// A followed file was found under a new name (rename rotation).
    fn rotated(&self, _from: &Path, _to: &Path) {}
    /// A file was found shorter than its offset or with other first bytes:
    /// it is read again from its start.
    fn truncated(&self, _path: &Path) {}
    /// A file was recognised as a copy of a followed one (copytruncate).
    fn copy_detected(&self, _copy: &Path, _original: &Path) {}
    /// A line longer than `--max-line-bytes` was cut (once per cut).
    fn long_line(&self, _path: &Path) {}
    /// A file started being followed.
    fn file_opened(&self, _path: &Path) {}
    /// A file was let go: gone from the pattern and read to its end.
    fn file_closed(&self, _path: &Path) {}
    /// Bytes of `path` not yet delivered (size minus delivered offset).
    fn file_lag(&self, _path: &Path, _bytes: u64) {}
    /// After a scan: how many matched paths could not be followed
    /// (unreadable, out of descriptors, a symlink leading outside).
    fn unfollowable(&self, _paths: usize) {}
}

/// Ignores every event.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoEvents;

impl TailEvents for NoEvents {}
