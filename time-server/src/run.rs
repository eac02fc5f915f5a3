//! The time server's life from bound listener to exit: serve, report ready,
//! and on the shutdown signal go through the steps Kubernetes needs
//! (readiness 503 at once, keep serving for the shutdown delay while the
//! endpoint leaves the Service, stop accepting, drain in-flight requests
//! within the drain timeout).

use std::io;
use std::sync::Arc;
use std::time::Duration;

use prometheus::Registry;
use time_core::tz::TimeZone;
use time_core::SystemClock;
use tokio::net::TcpListener;

use crate::admin::Admin;
use crate::health::Health;
use crate::metrics::{register_build_info, register_process_metrics};
use crate::server::{ServeOptions, Server};
use crate::service::TimeService;
use crate::shutdown::Shutdown;

/// This build's version, as `--version` and `time_server_build_info` show it.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// What [`run`] serves with.
#[derive(Debug, Clone)]
pub struct Setup {
    /// Started at process start-up: `m=` counts from it.
    pub clock: SystemClock,
    /// The zone `/time` answers in.
    pub zone: TimeZone,
    /// Where all metrics go; `/metrics` exports it.
    pub registry: Registry,
    /// Readiness, set by `run`.
    pub health: Health,
    /// Limits, timeouts and the drain timeout.
    pub serve: ServeOptions,
    /// How long to keep serving after shutdown begins.
    pub shutdown_delay: Duration,
}

impl Setup {
    /// A setup with a clock started now, UTC, fresh registry and health, and
    /// the given options.
    pub fn new(serve: ServeOptions, shutdown_delay: Duration) -> Self {
        Setup {
            clock: SystemClock::start(),
            zone: TimeZone::utc(),
            registry: Registry::new(),
            health: Health::new(),
            serve,
            shutdown_delay,
        }
    }
}

/// Serves the time service on `listener` until `shutdown` fires, then shuts
/// down gracefully and returns.
pub async fn run(listener: TcpListener, setup: Setup, shutdown: Shutdown) -> io::Result<()> {
    let addr = listener.local_addr()?;
    let Setup {
        clock,
        zone,
        registry,
        health,
        serve,
        shutdown_delay,
    } = setup;
    let drain_timeout = serve.drain_timeout;
    let zone_name = zone.name().to_string();
    register_process_metrics(&registry).map_err(io::Error::other)?;
    register_build_info(&registry, "time_server_build_info", VERSION).map_err(io::Error::other)?;
    let admin = Admin::new(registry.clone(), health.clone());
    let server = Server::new(TimeService::new(clock, zone, admin), &registry, serve)
        .map_err(io::Error::other)?;

    let stop_accepting = Shutdown::new();
    let mut serving = tokio::spawn(Arc::new(server).serve(listener, stop_accepting.clone()));
    health.set_ready();
    log::info!(
        "time-server {VERSION} listening on {addr} (zone {})",
        zone_name
    );

    tokio::select! {
        _ = shutdown.wait() => {}
        ended = &mut serving => return flatten(ended),
    }
    health.set_not_ready();
    log::info!(
        "shutdown: readiness now fails; serving {shutdown_delay:?} more, then draining for at most {drain_timeout:?}"
    );
    tokio::select! {
        _ = tokio::time::sleep(shutdown_delay) => {}
        ended = &mut serving => return flatten(ended),
    }
    log::info!("shutdown: no longer accepting connections; draining");
    stop_accepting.trigger();
    let result = flatten(serving.await);
    log::info!("shutdown: done");
    result
}

fn flatten(joined: Result<io::Result<()>, tokio::task::JoinError>) -> io::Result<()> {
    joined.map_err(io::Error::other)?
}
