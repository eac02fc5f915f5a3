//! The operational endpoints every binary of the pod serves: `/healthz`
//! (liveness), `/readyz` (readiness) and `/metrics` (Prometheus text
//! format). [`Admin`] is a route table of its own so that a server can add
//! these to its routes (time-server) or serve them alone ([`serve_admin`],
//! the log sidecar).

use std::io;
use std::sync::Arc;

use hyper::header::{HeaderValue, CONTENT_TYPE};
use hyper::{Response, StatusCode};
use prometheus::{Encoder, Registry, TextEncoder};
use tokio::net::TcpListener;

use crate::health::Health;
use crate::metrics::register_process_metrics;
use crate::respond::{self, Body, TEXT};
use crate::router::{Endpoints, Route};
use crate::server::{ServeOptions, Server};
use crate::shutdown::Shutdown;

/// The three admin endpoints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdminEndpoint {
    /// `/healthz`: 200 while the process can answer.
    Healthz,
    /// `/readyz`: 200 when ready, 503 before start-up completes and during shutdown.
    Readyz,
    /// `/metrics`: the registry in Prometheus text format.
    Metrics,
}

/// The admin endpoints' state: what `/metrics` exports and what `/readyz` reports.
#[derive(Debug, Clone)]
pub struct Admin {
    registry: Registry,
    health: Health,
}

impl Admin {
    /// Admin endpoints over `registry` and `health`.
    pub fn new(registry: Registry, health: Health) -> Self {
        Admin { registry, health }
    }

    /// The admin route of `path`, if it is one.
    pub fn route(path: &str) -> Option<Route<AdminEndpoint>> {
        let (label, endpoint) = match path {
            "/healthz" => ("/healthz", AdminEndpoint::Healthz),
            "/readyz" => ("/readyz", AdminEndpoint::Readyz),
            "/metrics" => ("/metrics", AdminEndpoint::Metrics),
            _ => return None,
        };
        Some(Route { label, endpoint })
    }

    /// The GET answer of an admin endpoint.
    pub fn get(&self, endpoint: AdminEndpoint) -> Response<Body> {
        match endpoint {
            AdminEndpoint::Healthz => respond::with_body(StatusCode::OK, TEXT, "ok\n"),
            AdminEndpoint::Readyz if self.health.is_ready() => {
                respond::with_body(StatusCode::OK, TEXT, "ready\n")
            }
            AdminEndpoint::Readyz => {
                respond::with_body(StatusCode::SERVICE_UNAVAILABLE, TEXT, "not ready\n")
            }
            AdminEndpoint::Metrics => self.metrics(),
        }
    }

    fn metrics(&self) -> Response<Body> {
        let encoder = TextEncoder::new();
        let mut body = Vec::with_capacity(8 * 1024);
        if let Err(e) = encoder.encode(&self.registry.gather(), &mut body) {
            log::error!("encoding metrics failed: {e}");
            return respond::request_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "metrics encoding failed",
            );
        }
        let mut response = respond::with_body(StatusCode::OK, TEXT, body);
        if let Ok(value) = HeaderValue::from_str(encoder.format_type()) {
            response.headers_mut().insert(CONTENT_TYPE, value);
        }
        response
    }
}

impl Endpoints for Admin {
    type Endpoint = AdminEndpoint;

    fn route(&self, path: &str) -> Option<Route<AdminEndpoint>> {
        Admin::route(path)
    }

    fn get(&self, endpoint: AdminEndpoint) -> Response<Body> {
        Admin::get(self, endpoint)
    }
}

/// Serves `/healthz`, `/readyz` and `/metrics` on an already-bound
/// listener until `shutdown` fires, then stops accepting and drains
/// in-flight requests (at most [`ServeOptions::default`]'s drain timeout,
/// 5 s).
///
/// Registers the HTTP metrics (`http_requests_total`, ...) and the process
/// collector (`process_*`, tolerated if already registered) into
/// `registry`; the caller registers its own metrics into the same registry.
/// Each request is logged at info level (see [`crate::request_log`]).
pub async fn serve_admin(
    listener: TcpListener,
    registry: prometheus::Registry,
    health: Health,
    shutdown: Shutdown,
) -> std::io::Result<()> {
    register_process_metrics(&registry).map_err(io::Error::other)?;
    let admin = Admin::new(registry.clone(), health);
    let server =
        Server::new(admin, &registry, ServeOptions::default()).map_err(io::Error::other)?;
    Arc::new(server).serve(listener, shutdown).await
}
