//! The time service's endpoints: the chapter's `/time` and `/nanotime`,
//! answered with exactly the bytes the Go service writes, plus the admin
//! endpoints on the same port (the kubelet probes the service's port).

use hyper::{Response, StatusCode};
use time_core::tz::TimeZone;
use time_core::{GoTime, SystemClock};

use crate::admin::{Admin, AdminEndpoint};
use crate::respond::{self, Body, JSON};
use crate::router::{Endpoints, Route};

/// The endpoints of the time service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    /// `/time`: `{"time":"<Go time.Now().String()>"}`.
    Time,
    /// `/nanotime`: `{"nanoTime":"<UnixNano>"}`.
    NanoTime,
    /// `/healthz`, `/readyz`, `/metrics`.
    Admin(AdminEndpoint),
}

/// What the endpoints read: the clock (monotonic readings count from its
/// start, as Go's from process start), the zone and the admin state.
#[derive(Debug, Clone)]
pub struct TimeService {
    clock: SystemClock,
    zone: TimeZone,
    admin: Admin,
}

impl TimeService {
    /// The service; `clock` should be started at process start-up.
    pub fn new(clock: SystemClock, zone: TimeZone, admin: Admin) -> Self {
        TimeService { clock, zone, admin }
    }

    fn now(&self) -> Result<GoTime, time_core::Error> {
        let instant = self.clock.now_timestamp()?;
        let monotonic = self.clock.monotonic_nanos();
        Ok(GoTime::new(instant, self.zone.zone_at(instant)).with_monotonic(monotonic))
    }

    fn time(&self) -> Result<Vec<u8>, time_core::Error> {
        let now = self.now()?;
        // Written straight into an exactly sized body: no intermediate
        // String, no serializer, and hyper's `Bytes` takes it as it is.
        let mut body = Vec::new();
        time_core::write_time_json(&mut body, &now);
        Ok(body)
    }

    fn nano_time(&self) -> Result<Vec<u8>, time_core::Error> {
        let nanos = self.clock.now_timestamp()?.unix_nano()?;
        let mut body = Vec::new();
        time_core::write_nano_time_json(&mut body, nanos);
        Ok(body)
    }
}

impl Endpoints for TimeService {
    type Endpoint = Endpoint;

    fn route(&self, path: &str) -> Option<Route<Endpoint>> {
        match path {
            "/time" => Some(Route {
                label: "/time",
                endpoint: Endpoint::Time,
            }),
            "/nanotime" => Some(Route {
                label: "/nanotime",
                endpoint: Endpoint::NanoTime,
            }),
            _ => Admin::route(path).map(|r| Route {
                label: r.label,
                endpoint: Endpoint::Admin(r.endpoint),
            }),
        }
    }

    fn get(&self, endpoint: Endpoint) -> Response<Body> {
        let body = match endpoint {
            Endpoint::Time => self.time(),
            Endpoint::NanoTime => self.nano_time(),
            Endpoint::Admin(admin) => return self.admin.get(admin),
        };
        match body {
            Ok(body) => respond::with_body(StatusCode::OK, JSON, body),
            Err(e) => {
                // Only a clock before 1970 or past 2262 (UnixNano) gets here.
                log::error!("reading the clock failed: {e}");
                respond::request_error(StatusCode::INTERNAL_SERVER_ERROR, "clock unavailable")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::health::Health;
    use http_body_util::BodyExt;
    use time_core::FixedZone;

    fn service(zone: TimeZone) -> TimeService {
        TimeService::new(
            SystemClock::start(),
            zone,
            Admin::new(prometheus::Registry::new(), Health::new()),
        )
    }

    async fn body(endpoint: Endpoint, s: &TimeService) -> String {
        let r = s.get(endpoint);
        assert_eq!(r.headers()["content-type"], "application/json");
        String::from_utf8(r.into_body().collect().await.unwrap().to_bytes().to_vec()).unwrap()
    }

    #[tokio::test]
    async fn time_is_in_the_configured_zone_with_a_monotonic_suffix() {
        let zone = TimeZone::fixed(FixedZone::new("MSK", 3 * 3600).unwrap());
        let b = body(Endpoint::Time, &service(zone)).await;
        assert!(b.starts_with("{\"time\":\"20"), "{b}");
        assert!(b.contains(" +0300 MSK m=+0.0"), "{b}");
        assert!(b.ends_with("\"}\n"), "{b}");
    }

    #[tokio::test]
    async fn nanotime_is_unix_nanos_now() {
        let before = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let b = body(Endpoint::NanoTime, &service(TimeZone::utc())).await;
        let digits = b
            .strip_prefix("{\"nanoTime\":\"")
            .and_then(|r| r.strip_suffix("\"}\n"))
            .unwrap_or_else(|| panic!("shape: {b}"));
        let n: u128 = digits.parse().unwrap();
        assert!(
            n >= before && n < before + 10_000_000_000,
            "{n} vs {before}"
        );
    }

    #[test]
    fn routes_use_table_labels() {
        let s = service(TimeZone::utc());
        assert_eq!(s.route("/time").unwrap().label, "/time");
        assert_eq!(
            s.route("/metrics").unwrap().endpoint,
            Endpoint::Admin(AdminEndpoint::Metrics)
        );
        assert!(s.route("/time/").is_none());
        assert!(s.route("/").is_none());
    }
}
