//! A service on the kit: `/hello`, `/healthz`, `/readyz`, `/metrics`, a log
//! line per request, and Kubernetes' stop sequence on SIGTERM or Ctrl-C.
//! `cargo run -p time-server --example hello -- 127.0.0.1:8080`
use std::time::Duration;

use hyper::{Response, StatusCode};
use time_server::kit::{self, Admin, AdminEndpoint, Body, Endpoints, Linger, Program, Route};

const PROGRAM: Program = Program {
    name: "hello",
    prefix: "hello",
    version: env!("CARGO_PKG_VERSION"),
};

#[derive(Debug, Clone, Copy)]
enum Endpoint {
    Hello,
    Admin(AdminEndpoint),
}

struct Hello(Admin);

impl Endpoints for Hello {
    type Endpoint = Endpoint;

    fn route(&self, path: &str) -> Option<Route<Endpoint>> {
        match path {
            "/hello" => Some(Route::new("/hello", Endpoint::Hello)),
            _ => Admin::route(path).map(|route| route.map(Endpoint::Admin)),
        }
    }

    fn get(&self, endpoint: Endpoint, _query: Option<&str>) -> Response<Body> {
        match endpoint {
            Endpoint::Hello => kit::response(StatusCode::OK, kit::TEXT, "hello\n"),
            Endpoint::Admin(admin) => self.0.get(admin),
        }
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info")).init();
    let addr = std::env::args().nth(1).unwrap_or("127.0.0.1:8080".into());
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let (stop, registry) = (kit::Stop::new(), prometheus::Registry::new());
    stop.on_signals()?;
    let admin = Admin::new(PROGRAM, registry.clone(), stop.health().clone())?;
    let server = kit::Server::new(PROGRAM, Hello(admin), &registry, Default::default())?;
    log::info!("listening on {}", listener.local_addr()?);
    stop.ready();
    Ok(stop
        .serve(server, listener, Linger::For(Duration::from_secs(1)))
        .await?)
}
