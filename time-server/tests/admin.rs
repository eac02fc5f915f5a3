//! The serving kit as the log sidecar uses it: the admin endpoints alone,
//! served through the stop sequence until the program's work is done, on a
//! listener bound to port 0, probed by a real HTTP/1.1 client.

mod common;

use std::time::Duration;

use common::{eventually, get, sample, Conn};
use prometheus::Registry;
use time_server::kit::{Admin, Linger, Program, ServeOptions, Server, Shutdown, Stop};
use tokio::net::TcpListener;

const PROGRAM: Program = Program {
    name: "admin-test",
    prefix: "admin_test",
    version: "1.0.0",
};

struct AdminPort {
    addr: std::net::SocketAddr,
    stop: Stop,
    /// The program's own work is done: the admin port may close.
    done: Shutdown,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

async fn start_admin() -> AdminPort {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, done, registry) = (Stop::new(), Shutdown::new(), Registry::new());
    let admin = Admin::new(PROGRAM, registry.clone(), stop.health().clone()).unwrap();
    let server = Server::new(PROGRAM, admin, &registry, ServeOptions::default()).unwrap();
    let task = tokio::spawn(
        stop.clone()
            .serve(server, listener, Linger::Until(done.clone())),
    );
    AdminPort {
        addr,
        stop,
        done,
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

    admin.stop.ready();
    let ready = get(admin.addr, "/readyz").await;
    assert_eq!((ready.status, ready.body.as_str()), (200, "ready\n"));

    admin.stop.begin();
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
    assert_eq!(count(r#"admin_test_build_info{version="1.0.0"}"#), 1.0);
}

#[tokio::test]
async fn the_port_answers_until_the_work_is_done_then_stops_accepting() {
    let admin = start_admin().await;
    admin.stop.ready();
    let mut idle = Conn::open(admin.addr).await;
    assert_eq!(idle.request("GET", "/healthz").await.status, 200);

    // Stopping began (SIGTERM): not ready, but still answering while the
    // program drains its own work.
    admin.stop.begin();
    let mut lingering = Conn::open(admin.addr).await;
    assert_eq!(lingering.request("GET", "/readyz").await.status, 503);
    assert_eq!(lingering.request("GET", "/healthz").await.status, 200);
    assert!(!admin.task.is_finished());

    admin.done.trigger();
    let result = tokio::time::timeout(Duration::from_secs(10), admin.task)
        .await
        .expect("serving returns soon after the work is done")
        .expect("task did not panic");
    result.expect("serving ends without error");
    assert!(
        idle.closed_within(Duration::from_secs(5)).await,
        "idle keep-alive connection closed"
    );
    eventually("the listener is closed", || async {
        tokio::net::TcpStream::connect(admin.addr).await.is_err()
    })
    .await;
}
