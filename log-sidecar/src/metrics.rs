//! The sidecar's Prometheus metrics: the tailer's events and the outputs'
//! deliveries, registered into the registry the admin endpoint serves. The
//! per-file lag gauge only ever has the files currently followed as labels,
//! so its cardinality stays bounded however many rotations happen.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use prometheus::core::{Collector, Desc};
use prometheus::proto::MetricFamily;
use prometheus::{Gauge, IntCounter, IntCounterVec, IntGauge, IntGaugeVec, Opts, Registry};

use crate::events::TailEvents;

/// Every metric of the sidecar except the sink's own.
#[derive(Debug, Clone)]
pub struct Metrics {
    lines_read: IntCounter,
    bytes_read: IntCounter,
    lines_forwarded: IntCounterVec,
    bytes_forwarded: IntCounterVec,
    rotations: IntCounter,
    truncations: IntCounter,
    copies: IntCounter,
    long_lines: IntCounter,
    checkpoint_errors: IntCounter,
    buffered_bytes: IntGauge,
    unfollowable: IntGauge,
    file_lag: IntGaugeVec,
    last_checkpoint: Arc<Mutex<Option<Instant>>>,
}

/// `log_sidecar_checkpoint_age_seconds`, computed when scraped.
struct CheckpointAge {
    gauge: Gauge,
    last: Arc<Mutex<Option<Instant>>>,
}

impl Collector for CheckpointAge {
    fn desc(&self) -> Vec<&Desc> {
        self.gauge.desc()
    }

    fn collect(&self) -> Vec<MetricFamily> {
        let last = *self
            .last
            .lock()
            .expect("the checkpoint time lock is never poisoned");
        self.gauge
            .set(last.map_or(-1.0, |t| t.elapsed().as_secs_f64()));
        self.gauge.collect()
    }
}

impl Metrics {
    /// Creates and registers the metrics.
    pub fn new(registry: &Registry) -> prometheus::Result<Self> {
        let counter = |name: &str, help: &str| -> prometheus::Result<IntCounter> {
            let c = IntCounter::new(name, help)?;
            registry.register(Box::new(c.clone()))?;
            Ok(c)
        };
        let per_output = |name: &str, help: &str| -> prometheus::Result<IntCounterVec> {
            let c = IntCounterVec::new(Opts::new(name, help), &["output"])?;
            registry.register(Box::new(c.clone()))?;
            Ok(c)
        };
        let buffered_bytes = IntGauge::new(
            "log_sidecar_buffered_bytes",
            "Bytes read and held in memory, waiting for delivery.",
        )?;
        registry.register(Box::new(buffered_bytes.clone()))?;
        let unfollowable = IntGauge::new(
            "log_sidecar_unfollowable_files",
            "Paths the patterns match that cannot be followed (unreadable, out of descriptors, a symlink leading outside).",
        )?;
        registry.register(Box::new(unfollowable.clone()))?;
        let file_lag = IntGaugeVec::new(
            Opts::new(
                "log_sidecar_file_lag_bytes",
                "Bytes of a followed file not yet delivered (size minus checkpointed offset).",
            ),
            &["file"],
        )?;
        registry.register(Box::new(file_lag.clone()))?;
        let last_checkpoint = Arc::new(Mutex::new(None));
        registry.register(Box::new(CheckpointAge {
            gauge: Gauge::new(
                "log_sidecar_checkpoint_age_seconds",
                "Seconds since the checkpoint was last written (-1: not yet).",
            )?,
            last: Arc::clone(&last_checkpoint),
        }))?;
        Ok(Self {
            lines_read: counter("log_sidecar_lines_read_total", "Lines read from files.")?,
            bytes_read: counter("log_sidecar_bytes_read_total", "Bytes read from files.")?,
            lines_forwarded: per_output(
                "log_sidecar_lines_forwarded_total",
                "Lines an output accepted.",
            )?,
            bytes_forwarded: per_output(
                "log_sidecar_bytes_forwarded_total",
                "Bytes of lines an output accepted (file bytes, before encoding).",
            )?,
            rotations: counter(
                "log_sidecar_rotations_total",
                "Followed files found under a new name (rename rotation).",
            )?,
            truncations: counter(
                "log_sidecar_truncations_total",
                "Files found truncated or rewritten, read again from their start.",
            )?,
            copies: counter(
                "log_sidecar_copies_total",
                "New files recognised as copies of followed ones (copytruncate) and resumed.",
            )?,
            long_lines: counter(
                "log_sidecar_long_lines_total",
                "Cuts of lines longer than --max-line-bytes.",
            )?,
            checkpoint_errors: counter(
                "log_sidecar_checkpoint_errors_total",
                "Checkpoint stores that failed (each is retried with backoff; forwarding goes on).",
            )?,
            buffered_bytes,
            unfollowable,
            file_lag,
            last_checkpoint,
        })
    }

    /// An output accepted `lines` lines covering `bytes` file bytes.
    pub fn forwarded(&self, output: &str, lines: usize, bytes: u64) {
        self.lines_forwarded
            .with_label_values(&[output])
            .inc_by(lines as u64);
        self.bytes_forwarded
            .with_label_values(&[output])
            .inc_by(bytes);
    }

    /// Bytes currently held for delivery.
    pub fn set_buffered(&self, bytes: u64) {
        self.buffered_bytes
            .set(i64::try_from(bytes).unwrap_or(i64::MAX));
    }

    /// The checkpoint was just written.
    pub fn checkpointed(&self) {
        *self
            .last_checkpoint
            .lock()
            .expect("the checkpoint time lock is never poisoned") = Some(Instant::now());
    }

    /// A checkpoint store failed.
    pub fn checkpoint_failed(&self) {
        self.checkpoint_errors.inc();
    }
}

impl TailEvents for Metrics {
    fn lines_read(&self, _path: &Path, lines: usize, bytes: u64) {
        self.lines_read.inc_by(lines as u64);
        self.bytes_read.inc_by(bytes);
    }

    fn rotated(&self, from: &Path, to: &Path) {
        log::info!("rotation: {} is now {}", from.display(), to.display());
        self.rotations.inc();
        let _ = self
            .file_lag
            .remove_label_values(&[&from.to_string_lossy()]);
    }

    fn truncated(&self, path: &Path) {
        log::info!(
            "{} was truncated or rewritten: reading it from its start",
            path.display()
        );
        self.truncations.inc();
    }

    fn copy_detected(&self, copy: &Path, original: &Path) {
        log::info!(
            "{} is a copy of {}: resuming where that one was",
            copy.display(),
            original.display()
        );
        self.copies.inc();
    }

    fn long_line(&self, _path: &Path) {
        self.long_lines.inc();
    }

    fn file_opened(&self, path: &Path) {
        log::info!("following {}", path.display());
    }

    fn file_closed(&self, path: &Path) {
        log::info!("let go of {} (gone and read to its end)", path.display());
        let _ = self
            .file_lag
            .remove_label_values(&[&path.to_string_lossy()]);
    }

    fn unfollowable(&self, paths: usize) {
        self.unfollowable
            .set(i64::try_from(paths).unwrap_or(i64::MAX));
    }

    fn file_lag(&self, path: &Path, bytes: u64) {
        self.file_lag
            .with_label_values(&[&path.to_string_lossy()])
            .set(i64::try_from(bytes).unwrap_or(i64::MAX));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use prometheus::Encoder;

    #[test]
    fn lag_labels_follow_the_files_currently_tracked() {
        let registry = Registry::new();
        let m = Metrics::new(&registry).unwrap();
        m.file_lag(Path::new("/l/a.log"), 10);
        m.rotated(Path::new("/l/a.log"), Path::new("/l/a.log.1"));
        m.file_lag(Path::new("/l/a.log.1"), 5);
        m.file_closed(Path::new("/l/a.log.1"));
        m.forwarded("stdout", 3, 30);
        let mut out = Vec::new();
        prometheus::TextEncoder::new()
            .encode(&registry.gather(), &mut out)
            .unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(!text.contains("file=\""), "{text}");
        assert!(text.contains("log_sidecar_lines_forwarded_total{output=\"stdout\"} 3"));
        assert!(text.contains("log_sidecar_rotations_total 1"));
        assert!(text.contains("log_sidecar_checkpoint_age_seconds -1"));
    }
}
