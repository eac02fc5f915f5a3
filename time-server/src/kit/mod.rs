//! The serving kit: what a small HTTP service on raw hyper + tokio needs to
//! run well in Kubernetes, for any program (the time service and the log
//! sidecar are its users; `examples/hello.rs` is the smallest).
//!
//! A program supplies its route table and endpoints ([`Endpoints`]) and
//! its names ([`Program`]); the kit adds the accept loop (one task per
//! connection, HTTP/1.1 and h2c), header-read and idle deadlines, the body
//! limit, 404/405/HEAD, HTTP metrics with bounded labels, a numbered log
//! line per request, `/healthz` `/readyz` `/metrics` ([`Admin`]), the stop
//! sequence on SIGTERM ([`Stop`]), flag parsing that exits 2 on a bad value
//! ([`parse_flags`]), and a batched, bounded log writer for stdout and a
//! rotated file ([`LogSink`]). Everything takes an already-bound listener,
//! so tests bind `127.0.0.1:0`.
//!
//! # Layout
//! - `program`: the names the kit gives things ([`Program`]).
//! - `router`: what a server supplies ([`Endpoints`], [`Route`]).
//! - `server`: accept loop, request pipeline, draining ([`Server`]).
//! - `conn_deadlines`: header read and idle deadlines per connection.
//! - `respond`: response helpers and the JSON error answers.
//! - `http_metrics`: the HTTP metrics.
//! - `request_log`: one numbered log line per request.
//! - `admin`: `/healthz`, `/readyz`, `/metrics`.
//! - `health`: liveness versus readiness.
//! - `shutdown`: the one shutdown signal.
//! - `signal`: waiting for SIGTERM or SIGINT.
//! - `stop`: the stop sequence.
//! - `flags`: command-line errors, duration and size values.
//! - `log_sink`: the batched, bounded log writer (stdout and file).
//! - `log_file`: the log file, its rotation and recovery from errors.

mod admin;
mod conn_deadlines;
mod flags;
mod health;
mod http_metrics;
mod log_file;
mod log_sink;
mod program;
mod request_log;
mod respond;
mod router;
mod server;
mod shutdown;
mod signal;
mod stop;

pub use admin::{Admin, AdminEndpoint};
pub use flags::{parse_bytes, parse_duration, parse_flags, usage_error};
pub use health::Health;
pub use log_file::{LogFileOptions, MAX_LOG_FILES};
pub use log_sink::{IdleHook, LogOptions, LogSink, LogWriter};
pub use program::Program;
pub use respond::{error_response, response, Body, JSON, TEXT};
pub use router::{Endpoints, Route, OTHER_ROUTE};
pub use server::{ServeOptions, Server, MIN_HEADER_BYTES};
pub use shutdown::Shutdown;
pub use stop::{Linger, Stop};
