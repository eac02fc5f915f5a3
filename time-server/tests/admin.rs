//! The serving kit as the log sidecar uses it: `serve_admin` on a listener
//! bound to port 0, probed by a real HTTP/1.1 client.

mod common;

use std::time::Duration;

use common::{eventually, get, sample, Conn};
use prometheus::Registry;
use time_server::{serve_admin, Health, Shutdown};
use tokio::net::TcpListener;

struct Admin {
    addr: std::net::SocketAddr,
    health: Health,
    shutdown: Shutdown,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

async fn start_admin() -> Admin {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let health = Health::new();
    let shutdown = Shutdown::new();
    let task = tokio::spawn(serve_admin(
        listener,
        Registry::new(),
        health.clone(),
        shutdown.clone(),
    ));
    Admin {
        addr,
        health,
        shutdown,
        task,
    }
}

#[tokio::test]
async fn probes_follow_the_health_state() {
    let admin = start_admin().await;

    let live = get(admin.addr, "/healthz").await;
    assert_eq!((live.status, live.body.as_str()), (200, "ok\n"));
    assert_eq!(live.header("content-type"), "text/plain; charset=utf-8");
    let ready = get(admin.addr, "/readyz").await;
    assert_eq!(
        (ready.status, ready.body.as_str()),
        (503, "not ready\n"),
        "not ready before start-up completes"
    );

    admin.health.set_ready();
    let ready = get(admin.addr, "/readyz").await;
    assert_eq!((ready.status, ready.body.as_str()), (200, "ready\n"));

    admin.health.set_not_ready();
    assert_eq!(get(admin.addr, "/readyz").await.status, 503);
    assert_eq!(
        get(admin.addr, "/healthz").await.status,
        200,
        "liveness stays up"
    );
}

#[tokio::test]
async fn metrics_count_the_requests_made_and_errors_are_json() {
    let admin = start_admin().await;
    let mut conn = Conn::open(admin.addr).await;
    for _ in 0..3 {
        assert_eq!(conn.request("GET", "/healthz").await.status, 200);
    }
    let missing = conn.request("GET", "/nope").await;
    assert_eq!(missing.status, 404);
    assert_eq!(missing.header("content-type"), "application/json");
    assert_eq!(
        missing.body,
        "{\"error\":\"not found\",\"path\":\"/nope\"}\n"
    );
    let wrong = conn.request("DELETE", "/metrics").await;
    assert_eq!(wrong.status, 405);
    assert_eq!(wrong.header("allow"), "GET, HEAD");
    let head = conn.request("HEAD", "/healthz").await;
    assert_eq!(
        (
            head.status,
            head.header("content-length"),
            head.body.as_str()
        ),
        (200, "3", "")
    );

    let metrics = conn.request("GET", "/metrics").await;
    assert_eq!(metrics.status, 200);
    assert_eq!(metrics.header("content-type"), "text/plain; version=0.0.4");
    let text = &metrics.body;
    let count = |series: &str| {
        sample(text, series).unwrap_or_else(|| panic!("{series} missing in:\n{text}"))
    };
    assert_eq!(
        count(r#"http_requests_total{method="GET",route="/healthz",status="200"}"#),
        3.0
    );
    assert_eq!(
        count(r#"http_requests_total{method="GET",route="other",status="404"}"#),
        1.0
    );
    assert_eq!(
        count(r#"http_requests_total{method="DELETE",route="/metrics",status="405"}"#),
        1.0
    );
    assert_eq!(
        count(r#"http_requests_total{method="HEAD",route="/healthz",status="200"}"#),
        1.0
    );
    assert_eq!(
        count("http_requests_in_flight"),
        1.0,
        "the /metrics request itself"
    );
    assert!(text.contains("process_resident_memory_bytes "), "{text}");
}

#[tokio::test]
async fn shutdown_stops_accepting_and_returns() {
    let admin = start_admin().await;
    let mut idle = Conn::open(admin.addr).await;
    assert_eq!(idle.request("GET", "/healthz").await.status, 200);

    admin.shutdown.trigger();
    let result = tokio::time::timeout(Duration::from_secs(10), admin.task)
        .await
        .expect("serve_admin returns soon after shutdown")
        .expect("task did not panic");
    result.expect("serve_admin ends without error");
    assert!(
        idle.closed_within(Duration::from_secs(5)).await,
        "idle keep-alive connection closed"
    );
    eventually("the listener is closed", || async {
        tokio::net::TcpStream::connect(admin.addr).await.is_err()
    })
    .await;
}
