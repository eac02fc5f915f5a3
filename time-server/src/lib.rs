//! The chapter's time service on raw hyper, and the small serving kit it is
//! built from, which the log sidecar embeds for its own admin endpoints.
//!
//! The kit takes an already-bound listener, so tests bind `127.0.0.1:0`;
//! everything that must stop is told by one [`shutdown::Shutdown`] passed
//! down from `main`.
//!
//! # Layout
//! The kit:
//! - [`shutdown`]: the one shutdown signal.
//! - [`signal`]: waiting for SIGTERM or SIGINT.
//! - [`health`]: liveness versus readiness.
//! - [`router`]: what a server supplies: route table and endpoints.
//! - [`server`]: accept loop, request pipeline, graceful shutdown.
//! - [`conn_deadlines`](crate::server) (private): header read and idle deadlines per connection.
//! - [`respond`]: response helpers and the JSON error answers.
//! - [`metrics`]: HTTP and process metrics into an explicit registry.
//! - [`request_log`]: one numbered log line per request.
//! - [`admin`]: `/healthz`, `/readyz`, `/metrics`, and [`admin::serve_admin`].
//! - [`config_values`]: duration and size parsers for flags.
//! - [`log_sink`]: the batched, bounded log writer (stdout and file).
//! - [`log_file`]: the log file, its rotation and recovery from errors.
//! - [`log_format`]: the line layout, and the logger feeding the sink.
//!
//! The time service itself:
//! - [`config`]: flags and environment, parsed once.
//! - [`zone`]: the process's zone, as Go picks `time.Local`.
//! - [`service`]: `/time`, `/nanotime` (and the admin endpoints on the same port).
//! - [`run`]: serve, readiness, and the shutdown sequence.
#![warn(missing_docs)]

pub mod admin;
pub mod config;
pub mod config_values;
mod conn_deadlines;
pub mod health;
pub mod log_file;
pub mod log_format;
pub mod log_sink;
pub mod metrics;
pub mod request_log;
pub mod respond;
pub mod router;
pub mod run;
pub mod server;
pub mod service;
pub mod shutdown;
pub mod signal;
pub mod zone;

pub use admin::serve_admin;
pub use health::Health;
pub use shutdown::Shutdown;
