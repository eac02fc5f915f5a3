//! What the sidecar's integration tests share: numbered lines of a fixed
//! width (so offsets map to lines) and an exact tally of loss, duplication
//! and order; a temporary log directory; bounded polling; one reader of
//! Prometheus text; the real binary as a child process ([`sidecar`]); a
//! real HTTP log receiver ([`receiver`]) that decodes OTLP with the
//! official package ([`otlp`]) and speaks TLS with a CA the test made
//! ([`tls`]).

#![allow(dead_code)] // each test file uses a different subset

pub mod otlp;
pub mod receiver;
pub mod sidecar;
/// What CI means and which binary to test, shared by source with every
/// crate's tests.
#[path = "../../../tests/src/test_env.rs"]
pub mod test_env;
pub mod tls;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant, UNIX_EPOCH};

use log_sidecar::record::Record;

/// Bytes of every numbered line, newline included: offsets map to lines.
pub const LINE_LEN: u64 = 32;

/// Numbered line `n` without its newline, `len` bytes long (at least 11):
/// `n=00000042 ......`.
pub fn numbered(n: u64, len: usize) -> String {
    let mut s = format!("n={n:08} ");
    let padding = len.saturating_sub(s.len());
    s.extend(std::iter::repeat_n('.', padding));
    s
}

/// The numbered line `n` with its newline, [`LINE_LEN`] bytes.
pub fn line(n: u64) -> Vec<u8> {
    let mut l = numbered(n, LINE_LEN as usize - 1).into_bytes();
    l.push(b'\n');
    l
}

/// Lines `from..to`, concatenated.
pub fn lines(from: u64, to: u64) -> Vec<u8> {
    (from..to).flat_map(line).collect()
}

/// The number of a numbered line (`n=00000042 ...`).
pub fn parse_number(l: &[u8]) -> Option<u64> {
    let digits = l.strip_prefix(b"n=")?.get(..8)?;
    std::str::from_utf8(digits).ok()?.parse().ok()
}

/// The highest numbered line in `output`.
pub fn max_number(output: &[u8]) -> Option<u64> {
    output.split(|&b| b == b'\n').filter_map(parse_number).max()
}

/// How often each numbered line `0..total` was seen, and in which order.
#[derive(Debug)]
pub struct Tally {
    /// `counts[n]` for lines `0..counts.len()`.
    pub counts: Vec<u32>,
    /// Lines that are not numbered lines of this test.
    pub foreign: Vec<String>,
    /// Lines whose first arrival came after a higher number's first arrival.
    pub out_of_order: usize,
}

impl Tally {
    /// Counts numbered lines `0..total` in newline-separated `output`.
    pub fn of(output: &[u8], total: u64) -> Self {
        Self::of_lines(output.split(|&b| b == b'\n'), total)
    }

    /// Counts numbered lines `0..total` among `lines` (empty ones skipped).
    pub fn of_lines<'a>(lines: impl IntoIterator<Item = &'a [u8]>, total: u64) -> Self {
        let mut counts = vec![0u32; total as usize];
        let mut foreign = Vec::new();
        let mut out_of_order = 0;
        let mut highest_first: Option<u64> = None;
        for l in lines.into_iter().filter(|l| !l.is_empty()) {
            match parse_number(l) {
                Some(n) if n < total => {
                    counts[n as usize] += 1;
                    if counts[n as usize] == 1 {
                        if highest_first.is_some_and(|h| n < h) {
                            out_of_order += 1;
                        }
                        highest_first = highest_first.max(Some(n));
                    }
                }
                _ => foreign.push(String::from_utf8_lossy(l).into_owned()),
            }
        }
        Self {
            counts,
            foreign,
            out_of_order,
        }
    }

    /// Lines never seen.
    pub fn lost(&self) -> Vec<u64> {
        (0..self.counts.len() as u64)
            .filter(|&n| self.counts[n as usize] == 0)
            .collect()
    }

    /// Lines never seen, as inclusive (first, last) stretches.
    pub fn lost_ranges(&self) -> Vec<(u64, u64)> {
        let mut ranges: Vec<(u64, u64)> = Vec::new();
        for n in self.lost() {
            match ranges.last_mut() {
                Some(last) if last.1 + 1 == n => last.1 = n,
                _ => ranges.push((n, n)),
            }
        }
        ranges
    }

    /// Extra copies in total.
    pub fn duplicates(&self) -> u64 {
        self.counts
            .iter()
            .map(|&c| u64::from(c.saturating_sub(1)))
            .sum()
    }

    /// The most copies of any line.
    pub fn max_count(&self) -> u32 {
        self.counts.iter().copied().max().unwrap_or(0)
    }

    /// Numbered lines seen at least once.
    pub fn seen(&self) -> u64 {
        self.counts.iter().filter(|&&c| c > 0).count() as u64
    }
}

/// The value of one series in Prometheus text: `name` alone sums every
/// series of the metric; `name{label="value"}` picks that one.
pub fn metric(text: &str, series: &str) -> f64 {
    let whole_metric = !series.contains('{');
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| {
            let (name, value) = l.rsplit_once(' ')?;
            let matches = if whole_metric {
                name == series || name.strip_prefix(series)?.starts_with('{')
            } else {
                name == series
            };
            matches.then(|| value.parse::<f64>().ok())?
        })
        .sum()
}

/// One series of a registry's metrics, as `/metrics` would show it:
/// `registry_metric(&registry, "log_sidecar_sink_requests_total{result=\"success\"}")`.
/// Panics when the series is not there at all.
pub fn registry_metric(registry: &prometheus::Registry, series: &str) -> f64 {
    let mut text = String::new();
    prometheus::TextEncoder::new()
        .encode_utf8(&registry.gather(), &mut text)
        .expect("metrics encode as text");
    assert!(
        text.lines().any(|l| l.starts_with(series)),
        "no series {series:?} in:\n{text}"
    );
    metric(&text, series)
}

/// Numbered records `0..n`, each `len` bytes long, from the pod's log
/// file, all read at the same instant (so that every encoding of them has
/// the same length).
pub fn records(n: u64, len: usize) -> Vec<Record> {
    let path: Arc<Path> = Arc::from(Path::new("/var/log/time-service/time-service.log"));
    let read_at = UNIX_EPOCH + Duration::from_nanos(1_795_718_155_123_456_789);
    (0..n)
        .map(|i| Record {
            observed: read_at,
            ..Record::new(path.clone(), numbered(i, len).into_bytes(), false)
        })
        .collect()
}

/// Appends to a file, creating it.
pub fn append(path: &Path, bytes: &[u8]) {
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap_or_else(|e| panic!("open {}: {e}", path.display()));
    f.write_all(bytes).expect("append");
}

/// Polls `cond` every 10 ms until it holds or `limit` passes.
pub fn wait_until(what: &str, limit: Duration, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !cond() {
        assert!(
            Instant::now() < deadline,
            "timed out after {limit:?} waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// A temporary log directory with the pod's names.
pub struct LogDir {
    /// Kept alive for the test's duration.
    pub dir: tempfile::TempDir,
}

impl LogDir {
    /// A fresh directory.
    pub fn new() -> Self {
        Self {
            dir: tempfile::tempdir().expect("tempdir"),
        }
    }

    /// `<dir>/<name>`.
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// The pod's pattern: `<dir>/app.log*`.
    pub fn pattern(&self) -> String {
        format!("{}/app.log*", self.dir.path().display())
    }

    /// `<dir>/app.log`.
    pub fn current(&self) -> PathBuf {
        self.path("app.log")
    }

    /// The checkpoint file.
    pub fn checkpoint(&self) -> PathBuf {
        self.path(".log-sidecar-checkpoint.json")
    }
}

/// Sum of the offsets in the checkpoint file (0 when absent).
pub fn checkpointed_bytes(path: &Path) -> u64 {
    let Ok(text) = std::fs::read(path) else {
        return 0;
    };
    let v: serde_json::Value = serde_json::from_slice(&text).expect("checkpoint JSON");
    v["files"]
        .as_array()
        .expect("files")
        .iter()
        .map(|f| f["offset"].as_u64().expect("offset"))
        .sum()
}
