//! A small serving kit for HTTP services in Kubernetes on raw hyper and
//! tokio ([`kit`]), and its first user: the book chapter's time service.
//!
//! The kit gives a program its accept loop, deadlines, metrics, request
//! log, health and readiness, and the stop sequence; the program brings
//! its route table. A whole service (`examples/hello.rs`, which a test
//! starts, queries and stops with SIGTERM):
//!
//! ```no_run
#![doc = include_str!("../examples/hello.rs")]
//! ```
//!
//! The log sidecar embeds the kit for its admin port.
//!
//! # Layout
//! - [`kit`]: the serving kit, for any program.
//!
//! The time service on it:
//! - `config`: flags and environment, parsed once ([`Config`]).
//! - `zone`: the process's zone, as Go picks `time.Local` ([`process_zone`]).
//! - `service`: `/time`, `/nanotime` and the admin endpoints on one port.
//! - `log_line`: the layout of its log lines, and the logger writing them
//!   into the kit's log sink ([`init_logger`]).
//! - `run`: serve, readiness, the stop sequence ([`run()`]).
#![warn(missing_docs, unreachable_pub)]

pub mod kit;

mod config;
mod log_line;
mod run;
mod service;
mod time_query;
mod zone;

pub use config::Config;
pub use log_line::init_logger;
pub use run::{run, Service, PROGRAM};
pub use zone::process_zone;
