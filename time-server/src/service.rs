//! The time service's endpoints: the chapter's `/time` and `/nanotime`,
//! answered with exactly the bytes the Go service writes, plus the admin
//! endpoints on the same port (the kubelet probes the service's port).
//!
//! `/time?tz=Asia/Tokyo` answers `time.Now().In(loc).String()` (the
//! monotonic suffix kept, as Go's `In` keeps it) with `loc` from
//! `time.LoadLocation`; `/time?layout=...` answers `t.Format(layout)`;
//! both combine. Loaded zones are cached, up to [`ZONE_CACHE`] of them.

use std::collections::HashMap;
use std::sync::Mutex;

use hyper::{Response, StatusCode};
use time_core::tz::{TimeZone, ZoneSources};
use time_core::{GoTime, SystemClock, TimeResponse};

use crate::time_query::TimeQuery;

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
#[derive(Debug)]
pub(crate) struct TimeEndpoints {
    clock: SystemClock,
    zone: TimeZone,
    zones: ZoneSources,
    loaded: Mutex<HashMap<String, TimeZone>>,
    admin: Admin,
}

/// How many zones `?tz=` keeps loaded; past that, one is dropped for each
/// new one (a client cycling through names cannot grow the process).
pub(crate) const ZONE_CACHE: usize = 64;

/// Why `/time` cannot answer.
enum TimeError {
    /// 400: the query names no zone, or a layout or name too long.
    BadRequest(String),
    /// 500: the clock.
    Clock(time_core::Error),
}

impl TimeEndpoints {
    /// The endpoints; `clock` should be started at process start-up;
    /// `zone` is the process's zone (`?tz=Local` too); `ZONEINFO` is read
    /// now, once, as Go reads it.
    pub(crate) fn new(clock: SystemClock, zone: TimeZone, admin: Admin) -> Self {
        let zoneinfo = std::env::var("ZONEINFO").ok();
        let zones = ZoneSources::new(zoneinfo.as_deref(), zone.clone());
        TimeEndpoints {
            clock,
            zone,
            zones,
            loaded: Mutex::new(HashMap::new()),
            admin,
        }
    }

    fn now_in(&self, zone: &TimeZone) -> Result<GoTime, time_core::Error> {
        let instant = self.clock.now_timestamp()?;
        let monotonic = self.clock.monotonic_nanos();
        Ok(GoTime::new(instant, zone.zone_at(instant)).with_monotonic(monotonic))
    }

    /// `time.LoadLocation(name)`, from the cache when it was loaded before.
    fn zone(&self, name: &str) -> Result<TimeZone, time_core::Error> {
        let mut loaded = self.loaded.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(zone) = loaded.get(name) {
            return Ok(zone.clone());
        }
        let zone = self.zones.load(name, |path| std::fs::read(path))?;
        if loaded.len() >= ZONE_CACHE {
            let evicted = loaded.keys().next().cloned();
            if let Some(evicted) = evicted {
                loaded.remove(&evicted);
            }
        }
        loaded.insert(name.to_string(), zone.clone());
        Ok(zone)
    }

    fn time(&self, query: Option<&str>) -> Result<Vec<u8>, TimeError> {
        let query = TimeQuery::parse(query).map_err(|e| TimeError::BadRequest(e.to_string()))?;
        // The process's zone is borrowed, not cloned: two reference counts
        // up and down on every plain /time.
        let named;
        let zone = match &query.tz {
            None => &self.zone,
            Some(name) => {
                named = self
                    .zone(name)
                    .map_err(|e| TimeError::BadRequest(e.to_string()))?;
                &named
            }
        };
        let now = self.now_in(zone).map_err(TimeError::Clock)?;
        if let Some(layout) = &query.layout {
            // Format's output may hold anything the layout holds: the
            // encoder escapes it as Go's does.
            return Ok(TimeResponse::time(now.format(layout)).to_go_json());
        }
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

    fn get(&self, endpoint: Endpoint, query: Option<&str>) -> Response<Body> {
        let body = match endpoint {
            Endpoint::Time => self.time(query),
            // /nanotime ignores any query, as the Go service does.
            Endpoint::NanoTime => self.nano_time().map_err(TimeError::Clock),
            Endpoint::Admin(admin) => return self.admin.get(admin),
        };
        match body {
            Ok(body) => kit::response(StatusCode::OK, JSON, body),
            Err(TimeError::BadRequest(why)) => kit::error_response(StatusCode::BAD_REQUEST, &why),
            Err(TimeError::Clock(e)) => {
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
        query(endpoint, s, None).await.1
    }

    async fn query(endpoint: Endpoint, s: &TimeEndpoints, q: Option<&str>) -> (u16, String) {
        let r = s.get(endpoint, q);
        assert_eq!(r.headers()["content-type"], "application/json");
        let status = r.status().as_u16();
        let bytes = r.into_body().collect().await.unwrap().to_bytes().to_vec();
        (status, String::from_utf8(bytes).unwrap())
    }

    #[tokio::test]
    async fn tz_and_layout_answer_as_go_s_in_and_format() {
        let s = service(TimeZone::utc());
        let (status, b) = query(Endpoint::Time, &s, Some("tz=Asia/Tokyo")).await;
        assert_eq!(status, 200);
        assert!(b.contains(" +0900 JST m=+0.0"), "{b}");
        let (_, b) = query(
            Endpoint::Time,
            &s,
            Some("tz=Asia%2FKolkata&layout=15:04+MST+-07:00"),
        )
        .await;
        assert!(
            b.starts_with("{\"time\":\"") && b.ends_with(" IST +05:30\"}\n"),
            "{b}"
        );
        // Format's output goes through Go's JSON escaping.
        let (_, b) = query(Endpoint::Time, &s, Some("layout=%3C2006%3E%22")).await;
        assert!(
            b.starts_with("{\"time\":\"\\u003c20") && b.ends_with("\\u003e\\\"\"}\n"),
            "{b}"
        );
        // "" is UTC and Local the process's zone, as LoadLocation has them.
        let (_, b) = query(
            Endpoint::Time,
            &service(TimeZone::fixed(FixedZone::new("MSK", 3 * 3600).unwrap())),
            Some("tz=&layout=MST"),
        )
        .await;
        assert_eq!(b, "{\"time\":\"UTC\"}\n");
        assert!(s.loaded.lock().unwrap().contains_key("Asia/Tokyo"));
    }

    #[tokio::test]
    async fn bad_queries_get_400_naming_the_problem() {
        let s = service(TimeZone::utc());
        for (q, why) in [
            ("tz=Nowhere/Atlantis", "unknown time zone Nowhere/Atlantis"),
            ("tz=../etc/passwd", "invalid location name"),
            ("tz=%zz", "malformed query"),
            (&*format!("layout={}", "2".repeat(257)), "at most 256"),
        ] {
            let (status, b) = query(Endpoint::Time, &s, Some(q)).await;
            assert_eq!(status, 400, "{q}: {b}");
            assert!(b.contains(why), "{q}: {b}");
        }
        // /nanotime ignores the query.
        let (status, b) = query(Endpoint::NanoTime, &s, Some("tz=Nowhere/Atlantis")).await;
        assert_eq!(status, 200, "{b}");
    }

    #[cfg(feature = "tzdata")]
    #[test]
    fn the_zone_cache_is_bounded() {
        let s = service(TimeZone::utc());
        let names: Vec<&str> = time_core::tz::embedded::names()
            .take(ZONE_CACHE + 20)
            .collect();
        for name in &names {
            s.zone(name).unwrap();
        }
        assert_eq!(s.loaded.lock().unwrap().len(), ZONE_CACHE);
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
