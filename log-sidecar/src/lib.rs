//! log-sidecar: the pod's second container. It follows the shared log volume
//! and forwards every line to stdout (so `kubectl logs` shows it) and
//! optionally to an HTTP sink, across rotation, restarts, sink outages and
//! shutdown, without losing a line: offsets are checkpointed only after
//! delivery.
//!
//! # Layout
//! - [`config`]: flags and environment parsed once into [`config::Config`].
//! - [`tailer`]: finds, identifies and reads the files, in bounded batches.
//! - [`fingerprint`]: (device, inode) + head checksum identity of a file.
//! - [`lines`]: bytes to records (partial lines, CRLF, long lines).
//! - [`checkpoint`]: the versioned, atomically replaced offsets file.
//! - [`events`]: what the tailer reports, without depending on Prometheus.
//! - [`metrics`]: those events and the outputs' counts as Prometheus metrics.
//! - [`watch`]: inotify wake-ups, with a polling fallback.
//! - [`output`]: the stdout output (raw or JSON lines, blocking = backpressure).
//! - [`http_sink`]: the optional HTTP sink (NDJSON batches, retries).
//! - [`pipeline`]: read → deliver to every output → commit → checkpoint, and
//!   the shutdown sequence.
//! - [`record`]: the line type every output shares.
//! - [`splice`]: raw lines that are a file's bytes go to the stdout pipe
//!   without a second copy.
pub mod checkpoint;
pub mod config;
pub mod events;
pub mod fingerprint;
pub mod http_sink;
pub mod lines;
pub mod metrics;
pub mod output;
pub mod pipeline;
pub mod record;
pub mod splice;
pub mod tailer;
pub mod watch;
