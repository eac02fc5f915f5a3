//! The operational endpoints every program on the kit serves: `/healthz`
//! (liveness), `/readyz` (readiness) and `/metrics` (Prometheus text
//! format). [`Admin`] is a route table of its own so that a server can add
//! these to its routes (time-server, through [`Route::map`]) or serve them
//! alone (the log sidecar's admin port).

use hyper::header::{HeaderValue, CONTENT_TYPE};
use hyper::{Response, StatusCode};
use prometheus::{Encoder, Registry, TextEncoder};

use super::respond::{self, Body, TEXT};
use super::router::{Endpoints, Route};
use super::{Health, Program};

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
    /// Admin endpoints over `registry` and `health`. Registers `program`'s
    /// process metrics and build info ([`Program::register_metrics`]) into
    /// `registry`, which `/metrics` exports with whatever else is
    /// registered there.
    pub fn new(program: Program, registry: Registry, health: Health) -> prometheus::Result<Self> {
        program.register_metrics(&registry)?;
        Ok(Admin { registry, health })
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
            AdminEndpoint::Healthz => respond::response(StatusCode::OK, TEXT, "ok\n"),
            AdminEndpoint::Readyz if self.health.is_ready() => {
                respond::response(StatusCode::OK, TEXT, "ready\n")
            }
            AdminEndpoint::Readyz => {
                respond::response(StatusCode::SERVICE_UNAVAILABLE, TEXT, "not ready\n")
            }
            AdminEndpoint::Metrics => self.metrics(),
        }
    }

    fn metrics(&self) -> Response<Body> {
        let encoder = TextEncoder::new();
        let mut body = Vec::with_capacity(8 * 1024);
        if let Err(e) = encoder.encode(&self.registry.gather(), &mut body) {
            log::error!("encoding metrics failed: {e}");
            return respond::error_response(
                StatusCode::INTERNAL_SERVER_ERROR,
                "metrics encoding failed",
            );
        }
        let mut response = respond::response(StatusCode::OK, TEXT, body);
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

    fn get(&self, endpoint: AdminEndpoint, _query: Option<&str>) -> Response<Body> {
        Admin::get(self, endpoint)
    }
}
