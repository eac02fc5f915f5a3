//! What a server built on the kit supplies: a route table that maps a path
//! to an endpoint and its metrics label, and the GET answer of each
//! endpoint. The kit does the rest (405 with `Allow`, 404, HEAD, metrics,
//! request log), so each binary writes only its `match` on paths.

use hyper::Response;

use super::Body;

/// A known path: its metrics label (a `'static` string from the route table,
/// never the raw path) and the endpoint that answers it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Route<E> {
    /// The `route` label of the HTTP metrics.
    pub label: &'static str,
    /// Which endpoint answers.
    pub endpoint: E,
}

impl<E> Route<E> {
    /// The route labelled `label` (in the HTTP metrics), answered by
    /// `endpoint`.
    pub const fn new(label: &'static str, endpoint: E) -> Self {
        Route { label, endpoint }
    }

    /// The same route answered by another endpoint type: how a server
    /// embeds another route table (the admin endpoints) in its own.
    pub fn map<F>(self, f: impl FnOnce(E) -> F) -> Route<F> {
        Route {
            label: self.label,
            endpoint: f(self.endpoint),
        }
    }
}

/// The label of every path the route table does not know.
pub const OTHER_ROUTE: &str = "other";

/// A server's routes and endpoints. Every route answers GET (and HEAD, which
/// the kit derives from GET); any other method gets 405.
pub trait Endpoints: Send + Sync + 'static {
    /// Names an endpoint, e.g. an enum.
    type Endpoint: Copy + Send + Sync + 'static;

    /// The route of `path`, or `None` for 404.
    fn route(&self, path: &str) -> Option<Route<Self::Endpoint>>;

    /// The GET response of `endpoint`; `query` is the request's query
    /// string (after `?`), as sent. The route, and so the metric label,
    /// never depends on it.
    fn get(&self, endpoint: Self::Endpoint, query: Option<&str>) -> Response<Body>;
}
