//! The time service's endpoints: the chapter's `/time` and `/nanotime`,
//! answered with exactly the bytes the Go service writes, plus the admin
//! endpoints on the same port (the kubelet probes the service's port).

use hyper::{Response, StatusCode};
use time_core::tz::TimeZone;
use time_core::{GoTime, SystemClock};

use crate::kit::{self, Admin, AdminEndpoint, Body, Endpoints, Route, JSON};

/// The endpoints of the time service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Endpoint {
    /// `/time`: `{"time":"<Go time.Now().String()>"}`.
    Time,
    /// `/nanotime`: `{"nanoTime":"<UnixNano>"}`.
    NanoTime,
    /// `/healthz`, `/readyz`, `/metrics`.
    Admin(AdminEndpoint),
}

/// The time service's route table, and what its endpoints read: the clock
/// (monotonic readings count from its start, as Go's from process start),
/// the zone and the admin state.
#[derive(Debug, Clone)]
pub(crate) struct TimeEndpoints {
    clock: SystemClock,
    zone: TimeZone,
    admin: Admin,
}

impl TimeEndpoints {
    /// The endpoints; `clock` should be started at process start-up.
    pub(crate) fn new(clock: SystemClock, zone: TimeZone, admin: Admin) -> Self {
        TimeEndpoints { clock, zone, admin }
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

impl Endpoints for TimeEndpoints {
    type Endpoint = Endpoint;

    fn route(&self, path: &str) -> Option<Route<Endpoint>> {
        match path {
            "/time" => Some(Route::new("/time", Endpoint::Time)),
            "/nanotime" => Some(Route::new("/nanotime", Endpoint::NanoTime)),
            _ => Admin::route(path).map(|route| route.map(Endpoint::Admin)),
        }
    }

    fn get(&self, endpoint: Endpoint) -> Response<Body> {
        let body = match endpoint {
            Endpoint::Time => self.time(),
            Endpoint::NanoTime => self.nano_time(),
            Endpoint::Admin(admin) => return self.admin.get(admin),
        };
        match body {
            Ok(body) => kit::response(StatusCode::OK, JSON, body),
            Err(e) => {
                // Only a clock before 1970 or past 2262 (UnixNano) gets here.
                log::error!("reading the clock failed: {e}");
                kit::error_response(StatusCode::INTERNAL_SERVER_ERROR, "clock unavailable")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kit::Health;
    use crate::run::PROGRAM;
    use http_body_util::BodyExt;
    use time_core::FixedZone;

    fn service(zone: TimeZone) -> TimeEndpoints {
        let admin = Admin::new(PROGRAM, prometheus::Registry::new(), Health::new());
        TimeEndpoints::new(SystemClock::start(), zone, admin.unwrap())
    }

    async fn body(endpoint: Endpoint, s: &TimeEndpoints) -> String {
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
