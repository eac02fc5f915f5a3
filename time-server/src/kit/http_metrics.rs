//! The HTTP metrics every server built on the kit exports, registered into
//! an explicit registry (no global default registry, so two servers in one
//! test process never share counters). Every label value comes from a
//! closed set: the route table's labels, a fixed list of methods and the
//! status codes the kit produces, so no request can grow cardinality.

use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

use hyper::Method;
use prometheus::{
    Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, Opts, Registry,
};

/// Request latency buckets, in seconds: these endpoints answer in
/// microseconds, so the default buckets (5 ms and up) would put every
/// request in the first one.
const DURATION_BUCKETS: &[f64] = &[
    0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
    1.0, 2.5,
];

/// `http_requests_total`, `http_request_duration_seconds`,
/// `http_requests_in_flight`, `http_requests_rejected_total`.
#[derive(Clone, Debug)]
pub(crate) struct HttpMetrics {
    requests: IntCounterVec,
    /// Requests hyper answered itself, before any of ours ran.
    rejected: IntCounterVec,
    duration: HistogramVec,
    in_flight: IntGauge,
    resolved: Arc<RwLock<Vec<Resolved>>>,
}

/// The handles of one (method, route, status), looked up in prometheus'
/// vectors once: `with_label_values` hashes the label values and clones the
/// handle out of a locked map on every call, which showed in a request's
/// profile. The list is as bounded as the labels are, and short in practice
/// (the busy combinations come first, as they are seen first).
#[derive(Debug)]
struct Resolved {
    method: &'static str,
    route: &'static str,
    status: u16,
    requests: IntCounter,
    duration: Histogram,
}

impl HttpMetrics {
    /// Creates the metrics and registers them into `registry`.
    pub(crate) fn register(registry: &Registry) -> prometheus::Result<Self> {
        let requests = IntCounterVec::new(
            Opts::new(
                "http_requests_total",
                "HTTP requests answered, by method, route and status.",
            ),
            &["method", "route", "status"],
        )?;
        let duration = HistogramVec::new(
            HistogramOpts::new(
                "http_request_duration_seconds",
                "Time from a request's head being read to its response being ready, by route.",
            )
            .buckets(DURATION_BUCKETS.to_vec()),
            &["route"],
        )?;
        let in_flight = IntGauge::new(
            "http_requests_in_flight",
            "HTTP requests being handled right now.",
        )?;
        let rejected = IntCounterVec::new(
            Opts::new(
                "http_requests_rejected_total",
                "HTTP/1 requests refused by the parser before routing, and so \
                 not in http_requests_total: a malformed head (400) or one \
                 over the size limit (431).",
            ),
            &["reason"],
        )?;
        for reason in [Rejected::Malformed, Rejected::HeadTooLarge] {
            // Present at 0 from the start, so a rate() sees the first one.
            rejected.with_label_values(&[reason.label()]);
        }
        registry.register(Box::new(requests.clone()))?;
        registry.register(Box::new(rejected.clone()))?;
        registry.register(Box::new(duration.clone()))?;
        registry.register(Box::new(in_flight.clone()))?;
        Ok(HttpMetrics {
            requests,
            rejected,
            duration,
            in_flight,
            resolved: Arc::default(),
        })
    }

    /// Records one answered request. `route` is a label from the route
    /// table (or [`OTHER_ROUTE`](super::OTHER_ROUTE)), never a raw path.
    pub(crate) fn observe(
        &self,
        method: &Method,
        route: &'static str,
        status: u16,
        elapsed: Duration,
    ) {
        let method = method_label(method);
        let seconds = elapsed.as_secs_f64();
        let find = |list: &[Resolved]| {
            list.iter()
                .position(|r| r.status == status && r.method == method && r.route == route)
        };
        {
            let resolved = self.resolved.read().unwrap_or_else(PoisonError::into_inner);
            if let Some(i) = find(&resolved) {
                resolved[i].requests.inc();
                resolved[i].duration.observe(seconds);
                return;
            }
        }
        let mut resolved = self
            .resolved
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        let i = match find(&resolved) {
            Some(i) => i,
            None => {
                let code = itoa_status(status);
                let code = std::str::from_utf8(&code).unwrap_or("other");
                resolved.push(Resolved {
                    method,
                    route,
                    status,
                    requests: self.requests.with_label_values(&[method, route, code]),
                    duration: self.duration.with_label_values(&[route]),
                });
                resolved.len() - 1
            }
        };
        resolved[i].requests.inc();
        resolved[i].duration.observe(seconds);
    }

    /// Counts a request that hyper refused itself.
    pub(crate) fn rejected(&self, reason: Rejected) {
        self.rejected.with_label_values(&[reason.label()]).inc();
    }

    /// Counts a request as in flight until the returned guard is dropped
    /// (also when the client goes away and the request future is dropped).
    pub(crate) fn in_flight(&self) -> InFlight<'_> {
        self.in_flight.inc();
        InFlight(&self.in_flight)
    }
}

/// Why hyper refused a request before it reached the server's pipeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Rejected {
    /// Not HTTP (a bad request line, header or framing): 400.
    Malformed,
    /// A head over `max_header_bytes`: 431.
    HeadTooLarge,
}

impl Rejected {
    /// What the connection's error says hyper refused, if it refused a
    /// request (and answered it) rather than lost the connection.
    pub(crate) fn of(error: &(dyn std::error::Error + 'static)) -> Option<Self> {
        let error = error.downcast_ref::<hyper::Error>()?;
        if error.is_parse_too_large() {
            Some(Rejected::HeadTooLarge)
        } else if error.is_parse() {
            Some(Rejected::Malformed)
        } else {
            None
        }
    }

    fn label(self) -> &'static str {
        match self {
            Rejected::Malformed => "malformed",
            Rejected::HeadTooLarge => "head_too_large",
        }
    }
}

/// Decrements `http_requests_in_flight` when dropped. It borrows the gauge
/// rather than cloning its `Arc`: two atomic operations fewer per request.
#[derive(Debug)]
pub(crate) struct InFlight<'a>(&'a IntGauge);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.dec();
    }
}

/// The method label: the standard methods by name, anything else `other`,
/// because a client can send any token as a method.
pub(crate) fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::PATCH => "PATCH",
        Method::OPTIONS => "OPTIONS",
        Method::CONNECT => "CONNECT",
        Method::TRACE => "TRACE",
        _ => "other",
    }
}

/// A status code as three ASCII digits, without allocating.
fn itoa_status(status: u16) -> [u8; 3] {
    let s = status.min(999);
    [
        b'0' + (s / 100) as u8,
        b'0' + (s / 10 % 10) as u8,
        b'0' + (s % 10) as u8,
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use prometheus::Encoder;

    fn text(registry: &Registry) -> String {
        let mut out = Vec::new();
        prometheus::TextEncoder::new()
            .encode(&registry.gather(), &mut out)
            .unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn counts_by_bounded_labels() {
        let registry = Registry::new();
        let metrics = HttpMetrics::register(&registry).unwrap();
        let odd = Method::from_bytes(b"BREW").unwrap();
        metrics.observe(&Method::GET, "/time", 200, Duration::from_micros(80));
        metrics.observe(&odd, "other", 404, Duration::from_micros(10));
        // Seen before: counted through the resolved handles.
        metrics.observe(&Method::GET, "/time", 200, Duration::from_millis(3));
        metrics.observe(&Method::GET, "/time", 404, Duration::from_micros(70));
        {
            let _guard = metrics.in_flight();
            assert!(text(&registry).contains("http_requests_in_flight 1\n"));
        }
        let out = text(&registry);
        assert!(out.contains("http_requests_in_flight 0\n"), "{out}");
        assert!(
            out.contains(r#"http_requests_total{method="GET",route="/time",status="200"} 2"#),
            "{out}"
        );
        assert!(
            out.contains(r#"http_requests_total{method="GET",route="/time",status="404"} 1"#),
            "{out}"
        );
        assert!(
            out.contains(r#"http_requests_total{method="other",route="other",status="404"} 1"#),
            "{out}"
        );
        assert!(
            out.contains(r#"http_request_duration_seconds_bucket{route="/time",le="0.0001"} 2"#),
            "{out}"
        );
        assert!(
            out.contains(r#"http_request_duration_seconds_count{route="/time"} 3"#),
            "{out}"
        );
    }
}
