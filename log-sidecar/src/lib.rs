//! log-sidecar: the pod's second container. It follows the shared log volume
//! and forwards every line to stdout (so `kubectl logs` shows it) and
//! optionally to an HTTP sink, across rotation, restarts, sink outages and
//! shutdown, without losing a line: offsets are checkpointed only after
//! delivery.
//!
//! A line's path, in one direction: [`discovery`] lists the paths the
//! patterns name → the [`tailer`] tells what each is and has each followed
//! file (`follow`) read its lines into a [`batch`] → the [`pipeline`]
//! hands the batch to the [`outputs`] ([`stdout`], [`http_sink`]) → once
//! every output took it, the batch's receipt goes back to the tailer, whose
//! offsets move, and the checkpoint writer stores them.
//!
//! # Layout
//! - [`config`]: flags and environment parsed once into [`config::Config`].
//! - [`discovery`]: the paths the patterns match, and the directories to watch.
//! - [`tailer`]: the followed files: renames, copies, resuming, batches.
//! - `follow`: one followed file: truncation, reading its lines.
//! - [`fingerprint`]: (device, inode) + head checksum identity of a file.
//! - [`lines`]: bytes to lines (partial lines, CRLF, long lines).
//! - [`line_header`]: a line's own leading time and level.
//! - [`multiline`]: continuation lines joined into one record.
//! - [`batch`]: the lines of one read (records or raw bytes) and their receipt.
//! - [`checkpoint`]: the versioned, atomically replaced offsets file.
//! - `checkpoint_writer`: storing it beside the loop.
//! - [`events`]: what the tailer reports, without depending on Prometheus.
//! - [`metrics`]: those events and the outputs' counts as Prometheus metrics.
//! - [`watch`]: inotify wake-ups, with a polling fallback.
//! - [`outputs`]: every output a batch must reach, and the form it is read in.
//! - [`stdout`]: the stdout output (raw or JSON lines, blocking = backpressure).
//! - [`http_sink`]: the optional HTTP sink (NDJSON or OTLP batches, retries).
//! - [`otlp`]: records as OpenTelemetry log records (OTLP/HTTP protobuf).
//! - [`pipeline`]: read → deliver → commit → checkpoint, and the shutdown
//!   sequence.
//! - [`record`]: the line type every output shares.
//! - [`splice`]: raw lines that are a file's bytes go to the stdout pipe
//!   without a second copy.
pub mod batch;
pub mod checkpoint;
mod checkpoint_writer;
pub mod config;
pub mod discovery;
pub mod events;
pub mod fingerprint;
mod follow;
pub mod http_sink;
pub mod line_header;
pub mod lines;
pub mod metrics;
pub mod multiline;
pub mod otlp;
pub mod outputs;
pub mod pipeline;
pub mod record;
pub mod splice;
pub mod stdout;
pub mod tailer;
pub mod watch;
