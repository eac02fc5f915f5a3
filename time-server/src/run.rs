//! The time server's life from bound listener to exit: serve on the kit,
//! report ready, and on the stop signal go through the kit's stop sequence
//! (readiness 503 at once, keep serving for the shutdown delay while the
//! endpoint leaves the Service, stop accepting, drain in-flight requests
//! within the drain timeout).

use std::io;
use std::time::Duration;

use prometheus::Registry;
use time_core::tz::TimeZone;
use time_core::SystemClock;
use tokio::net::TcpListener;

use crate::kit::{Admin, Linger, Program, ServeOptions, Server, Stop};
use crate::service::TimeEndpoints;

/// The time service's names: its metrics are `time_server_*`, its request
/// lines are logged as `time_server::request_log`.
pub const PROGRAM: Program = Program {
    name: "time-server",
    prefix: "time_server",
    version: env!("CARGO_PKG_VERSION"),
};

/// The time service: what [`run`] serves with.
#[derive(Debug, Clone)]
pub struct Service {
    /// Started at process start-up: `m=` counts from it.
    pub clock: SystemClock,
    /// The zone `/time` answers in.
    pub zone: TimeZone,
    /// Where all metrics go; `/metrics` exports it.
    pub registry: Registry,
    /// Limits, timeouts and the drain timeout.
    pub serve: ServeOptions,
    /// How long to keep serving after stopping begins.
    pub shutdown_delay: Duration,
}

impl Service {
    /// A service with a clock started now, UTC, a fresh registry, and the
    /// given options.
    pub fn new(serve: ServeOptions, shutdown_delay: Duration) -> Self {
        Service {
            clock: SystemClock::start(),
            zone: TimeZone::utc(),
            registry: Registry::new(),
            serve,
            shutdown_delay,
        }
    }
}

/// Serves the time service on `listener` until `stop` begins, then through
/// the stop sequence, and returns when it is done.
pub async fn run(listener: TcpListener, service: Service, stop: Stop) -> io::Result<()> {
    let addr = listener.local_addr()?;
    let Service {
        clock,
        zone,
        registry,
        serve,
        shutdown_delay,
    } = service;
    let zone_name = zone.name().to_string();
    let admin =
        Admin::new(PROGRAM, registry.clone(), stop.health().clone()).map_err(io::Error::other)?;
    let endpoints = TimeEndpoints::new(clock, zone, admin);
    let server = Server::new(PROGRAM, endpoints, &registry, serve).map_err(io::Error::other)?;
    let serving = tokio::spawn(
        stop.clone()
            .serve(server, listener, Linger::For(shutdown_delay)),
    );
    stop.ready();
    log::info!(
        "{} {} listening on {addr} (zone {zone_name})",
        PROGRAM.name,
        PROGRAM.version
    );
    serving.await.map_err(io::Error::other)?
}
