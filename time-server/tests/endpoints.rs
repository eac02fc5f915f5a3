//! A client's session with the time service: every endpoint, status code
//! and header, the exact body shapes, metrics after known traffic, the
//! label bound, h2c with a real HTTP/2 client, and promtool's verdict.

mod common;

use std::collections::BTreeSet;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use common::test_env::missing;
use common::{get, sample, start_server, Conn};
use http_body_util::{BodyExt, Empty};
use hyper_util::rt::{TokioExecutor, TokioIo};
use time_server::kit::ServeOptions;

/// Go's `Time.String()`, "2006-01-02 15:04:05.999999999 -0700 MST
/// m=+0.000000001", split into its wall time with the fraction padded to
/// nine digits (so that wall times compare as text), the zone name, and the
/// monotonic reading in nanoseconds.
fn parse_go_string(s: &str) -> (String, String, i128) {
    let parts: Vec<&str> = s.split(' ').collect();
    assert_eq!(parts.len(), 5, "five fields in {s:?}");
    let (clock, frac) = parts[1].split_once('.').unwrap_or((parts[1], ""));
    assert!(!frac.ends_with('0'), "Go trims trailing zeros: {s:?}");
    assert!(frac.len() <= 9);
    assert_eq!(parts[2], "+0000", "{s:?}");
    let mono = parts[4].strip_prefix("m=+").expect("m=+ suffix");
    let (m_secs, m_frac) = mono.split_once('.').expect("m= has 9 decimals");
    assert_eq!(m_frac.len(), 9, "{s:?}");
    let mono_nanos =
        m_secs.parse::<i128>().unwrap() * 1_000_000_000 + m_frac.parse::<i128>().unwrap();
    (
        format!("{} {clock}.{frac:0<9}", parts[0]),
        parts[3].to_string(),
        mono_nanos,
    )
}

/// The wall time of `nanos` since the epoch in UTC, as [`parse_go_string`]
/// returns it, from time-core's Go formatter (checked against Go itself).
fn wall_time(nanos: i128) -> String {
    let instant = time_core::Timestamp::from_unix_nano(nanos as i64);
    let text = time_core::GoTime::new(instant, time_core::FixedZone::UTC).to_string();
    parse_go_string(&format!("{text} m=+0.000000000")).0
}

fn now_nanos() -> i128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos() as i128
}

#[tokio::test]
async fn time_and_nanotime_bodies_are_gos() {
    let server = start_server(ServeOptions::default(), Duration::ZERO).await;
    let mut conn = Conn::open(server.addr).await;

    let before = now_nanos();
    let first = conn.request("GET", "/time").await;
    let second = conn.request("GET", "/time").await;
    let after = now_nanos();
    for reply in [&first, &second] {
        assert_eq!(reply.status, 200);
        assert_eq!(reply.header("content-type"), "application/json");
        assert_eq!(reply.header("content-length"), reply.body.len().to_string());
    }
    let time_of = |body: &str| {
        let inner = body
            .strip_prefix("{\"time\":\"")
            .and_then(|r| r.strip_suffix("\"}\n"))
            .unwrap_or_else(|| panic!("not Go's /time body: {body:?}"));
        parse_go_string(inner)
    };
    let (t1, zone, m1) = time_of(&first.body);
    let (t2, _, m2) = time_of(&second.body);
    assert_eq!(
        zone, "UTC",
        "no TZ in the test process's view of run(): UTC"
    );
    let (before_wall, after_wall) = (wall_time(before), wall_time(after));
    assert!(
        before_wall <= t1 && t1 <= t2 && t2 <= after_wall,
        "{before_wall} {t1} {t2} {after_wall}"
    );
    assert!(0 < m1 && m1 < m2, "monotonic readings increase: {m1} {m2}");
    assert!(
        m2 - m1 <= after - before,
        "monotonic advances with wall time: {m1} {m2} within {before}..{after}"
    );

    let nano = conn.request("GET", "/nanotime").await;
    assert_eq!(nano.status, 200);
    assert_eq!(nano.header("content-type"), "application/json");
    let digits = nano
        .body
        .strip_prefix("{\"nanoTime\":\"")
        .and_then(|r| r.strip_suffix("\"}\n"))
        .unwrap_or_else(|| panic!("not Go's /nanotime body: {:?}", nano.body));
    let n: i128 = digits.parse().unwrap();
    assert!(after <= n && n <= now_nanos(), "{n}");
}

#[tokio::test]
async fn head_404_405_and_probes() {
    let server = start_server(ServeOptions::default(), Duration::ZERO).await;
    let mut conn = Conn::open(server.addr).await;

    let get_time = conn.request("GET", "/time").await;
    let head = conn.request("HEAD", "/time").await;
    assert_eq!(head.status, 200);
    assert_eq!(head.body, "", "HEAD has no body");
    assert_eq!(head.header("content-type"), "application/json");
    // The /time body's length varies a little (Go trims trailing zeros of
    // the fraction); /nanotime's is fixed, so that one is compared exactly.
    let head_len: usize = head.header("content-length").parse().unwrap();
    assert!(
        head_len.abs_diff(get_time.body.len()) <= 10,
        "{head_len} vs GET {}",
        get_time.body.len()
    );
    let get_nano = conn.request("GET", "/nanotime").await;
    let head = conn.request("HEAD", "/nanotime").await;
    assert_eq!((head.status, head.header("content-length")), (200, "35"));
    assert_eq!(get_nano.body.len(), 35, "same length as GET");

    let missing = conn.request("GET", "/time/extra").await;
    assert_eq!(missing.status, 404);
    assert_eq!(missing.header("content-type"), "application/json");
    assert_eq!(
        missing.body,
        "{\"error\":\"not found\",\"path\":\"/time/extra\"}\n"
    );
    assert_eq!(conn.request("HEAD", "/nope").await.status, 404);

    for method in ["POST", "PUT", "DELETE", "PATCH", "OPTIONS"] {
        let wrong = conn.request(method, "/nanotime").await;
        assert_eq!(wrong.status, 405, "{method}");
        assert_eq!(wrong.header("allow"), "GET, HEAD");
        assert_eq!(
            wrong.body,
            format!("{{\"error\":\"method not allowed\",\"path\":\"/nanotime\",\"method\":\"{method}\"}}\n")
        );
    }
    assert_eq!(conn.request("GET", "/healthz").await.body, "ok\n");
    assert_eq!(conn.request("GET", "/readyz").await.status, 200);
    server.stop.health().set_not_ready();
    assert_eq!(conn.request("GET", "/readyz").await.status, 503);
    assert_eq!(conn.request("GET", "/healthz").await.status, 200);
    // A query string does not change the route.
    assert_eq!(conn.request("GET", "/time?x=1").await.status, 200);
}

#[tokio::test]
async fn metrics_after_known_traffic() {
    let server = start_server(ServeOptions::default(), Duration::ZERO).await;
    let mut conn = Conn::open(server.addr).await;
    for _ in 0..5 {
        conn.request("GET", "/time").await;
    }
    for _ in 0..3 {
        conn.request("GET", "/nanotime").await;
    }
    for _ in 0..2 {
        conn.request("HEAD", "/time").await;
    }
    conn.request("POST", "/time").await;
    for path in ["/a", "/b/c", "/timex", "/metrics/"] {
        conn.request("GET", path).await;
    }
    let metrics = conn.request("GET", "/metrics").await;
    assert_eq!(metrics.status, 200);
    assert_eq!(metrics.header("content-type"), "text/plain; version=0.0.4");
    let text = metrics.body;
    let value =
        |series: &str| sample(&text, series).unwrap_or_else(|| panic!("no {series} in\n{text}"));
    assert_eq!(
        value(r#"http_requests_total{method="GET",route="/time",status="200"}"#),
        5.0
    );
    assert_eq!(
        value(r#"http_requests_total{method="GET",route="/nanotime",status="200"}"#),
        3.0
    );
    assert_eq!(
        value(r#"http_requests_total{method="HEAD",route="/time",status="200"}"#),
        2.0
    );
    assert_eq!(
        value(r#"http_requests_total{method="POST",route="/time",status="405"}"#),
        1.0
    );
    // The readiness polls of start_server are /readyz; unknown paths: other.
    assert_eq!(
        value(r#"http_requests_total{method="GET",route="other",status="404"}"#),
        4.0
    );
    assert_eq!(
        value(r#"http_request_duration_seconds_count{route="/time"}"#),
        8.0
    );
    assert_eq!(
        value(r#"http_request_duration_seconds_count{route="/nanotime"}"#),
        3.0
    );
    assert_eq!(
        value(r#"http_request_duration_seconds_bucket{route="/nanotime",le="+Inf"}"#),
        3.0
    );
    assert_eq!(
        value("http_requests_in_flight"),
        1.0,
        "this /metrics request"
    );
    assert_eq!(value(r#"time_server_build_info{version="0.1.0"}"#), 1.0);
    assert!(value("process_resident_memory_bytes") > 0.0);
    assert!(value("process_open_fds") > 0.0);
}

#[tokio::test]
async fn labels_stay_bounded_whatever_the_paths_and_methods() {
    let server = start_server(ServeOptions::default(), Duration::ZERO).await;
    let mut conn = Conn::open(server.addr).await;
    // A small xorshift: 1000 different random paths and 50 odd methods.
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut paths = BTreeSet::new();
    while paths.len() < 1000 {
        paths.insert(format!("/{:x}/{:x}", next(), next() % 1000));
    }
    for path in &paths {
        assert_eq!(conn.request("GET", path).await.status, 404);
    }
    for i in 0..50 {
        let method = format!("X{}", (b'A' + (next() % 26) as u8) as char).repeat(1 + i % 3);
        assert_eq!(conn.request(&method, "/time").await.status, 405);
    }
    let text = conn.request("GET", "/metrics").await.body;
    let series: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("http_requests_total{"))
        .collect();
    let routes: BTreeSet<&str> = series
        .iter()
        .map(|l| {
            l.split("route=\"")
                .nth(1)
                .unwrap()
                .split('"')
                .next()
                .unwrap()
        })
        .collect();
    assert_eq!(
        routes,
        BTreeSet::from(["/readyz", "/time", "other"]),
        "{series:#?}"
    );
    assert_eq!(
        sample(
            &text,
            r#"http_requests_total{method="GET",route="other",status="404"}"#
        ),
        Some(1000.0)
    );
    assert_eq!(
        sample(
            &text,
            r#"http_requests_total{method="other",route="/time",status="405"}"#
        ),
        Some(50.0)
    );
    assert!(series.len() <= 4, "{series:#?}");
    let durations = text
        .lines()
        .filter(|l| l.starts_with("http_request_duration_seconds_count{"))
        .count();
    assert_eq!(durations, 3, "one histogram per route label");
}

#[tokio::test]
async fn h2c_prior_knowledge_with_a_real_http2_client() {
    let server = start_server(ServeOptions::default(), Duration::ZERO).await;
    let stream = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    let (mut send, conn) =
        hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(stream))
            .await
            .expect("h2 handshake");
    tokio::spawn(conn);
    // Several concurrent streams on one connection.
    let mut replies = Vec::new();
    for path in ["/time", "/nanotime", "/nope", "/healthz"] {
        let request = hyper::Request::get(format!("http://{}{path}", server.addr))
            .body(Empty::<bytes::Bytes>::new())
            .unwrap();
        replies.push((path, send.send_request(request)));
    }
    for (path, reply) in replies {
        let response = reply.await.expect("h2 response");
        assert_eq!(response.version(), hyper::Version::HTTP_2);
        let status = response.status().as_u16();
        let content_type = response.headers()["content-type"]
            .to_str()
            .unwrap()
            .to_string();
        let body = response.into_body().collect().await.unwrap().to_bytes();
        let body = String::from_utf8(body.to_vec()).unwrap();
        match path {
            "/time" => {
                assert_eq!((status, content_type.as_str()), (200, "application/json"));
                assert!(
                    body.starts_with("{\"time\":\"") && body.contains(" m=+"),
                    "{body}"
                );
            }
            "/nanotime" => assert!(
                status == 200 && body.starts_with("{\"nanoTime\":\""),
                "{body}"
            ),
            "/nope" => assert_eq!(
                (status, body.as_str()),
                (404, "{\"error\":\"not found\",\"path\":\"/nope\"}\n")
            ),
            _ => assert_eq!((status, body.as_str()), (200, "ok\n")),
        }
    }
    let text = get(server.addr, "/metrics").await.body;
    assert_eq!(
        sample(
            &text,
            r#"http_requests_total{method="GET",route="/time",status="200"}"#
        ),
        Some(1.0)
    );
}

#[tokio::test]
async fn promtool_accepts_the_metrics_output() {
    let test = "promtool_accepts_the_metrics_output";
    let server = start_server(ServeOptions::default(), Duration::ZERO).await;
    for path in ["/time", "/nanotime", "/nope", "/healthz"] {
        get(server.addr, path).await;
    }
    let text = get(server.addr, "/metrics").await.body;
    let promtool = std::process::Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn();
    let mut child = match promtool {
        Ok(child) => child,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            missing(
                test,
                "promtool is not installed (Debian's prometheus; scripts/install-test-deps.sh installs it)",
            );
            return;
        }
        Err(e) => panic!("cannot run promtool: {e}"),
    };
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success(),
        "promtool check metrics failed:\n{report}\n--- metrics:\n{text}"
    );
    assert_eq!(report.trim(), "", "promtool lint findings");
}

#[tokio::test]
async fn time_in_a_zone_and_a_layout_and_what_the_query_may_not_do() {
    let server = start_server(ServeOptions::default(), Duration::ZERO).await;
    let mut conn = Conn::open(server.addr).await;
    let tokyo = conn.request("GET", "/time?tz=Asia/Tokyo").await;
    assert_eq!(tokyo.status, 200, "{}", tokyo.body);
    let text = tokyo
        .body
        .strip_prefix("{\"time\":\"")
        .and_then(|b| b.strip_suffix("\"}\n"))
        .unwrap_or_else(|| panic!("shape: {}", tokyo.body));
    let fields: Vec<&str> = text.split(' ').collect();
    assert_eq!(&fields[2..4], ["+0900", "JST"], "{text}");
    assert!(
        fields[4].starts_with("m=+"),
        "the monotonic suffix is kept: {text}"
    );

    let kitchen = conn
        .request("GET", "/time?layout=3:04PM+MST&tz=America%2FNew_York")
        .await;
    assert_eq!(kitchen.status, 200, "{}", kitchen.body);
    assert!(
        kitchen.body.ends_with("M EST\"}\n") || kitchen.body.ends_with("M EDT\"}\n"),
        "{}",
        kitchen.body
    );
    // /nanotime ignores what /time would refuse.
    assert_eq!(
        conn.request("GET", "/nanotime?tz=Nowhere").await.status,
        200
    );

    // Refusals are 400 with a JSON error naming the problem, and the
    // query never reaches a label: 200 random zone names leave one series.
    for k in 0..200 {
        let bad = conn.request("GET", &format!("/time?tz=Nowhere/Z{k}")).await;
        assert_eq!(bad.status, 400);
        assert_eq!(bad.header("content-type"), "application/json");
        assert!(
            bad.body
                .contains(&format!("unknown time zone Nowhere/Z{k}")),
            "{}",
            bad.body
        );
    }
    let long = conn
        .request("GET", &format!("/time?layout={}", "2".repeat(257)))
        .await;
    assert_eq!(long.status, 400);
    assert!(long.body.contains("at most 256"), "{}", long.body);
    let text = conn.request("GET", "/metrics").await.body;
    assert_eq!(
        sample(
            &text,
            r#"http_requests_total{method="GET",route="/time",status="400"}"#
        ),
        Some(201.0)
    );
    let time_series = text
        .lines()
        .filter(|l| l.starts_with("http_requests_total{") && l.contains("route=\"/time\""))
        .count();
    assert_eq!(time_series, 2, "200 and 400 only:\n{text}");
}
