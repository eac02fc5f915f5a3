//! The shutdown sequence as Kubernetes drives it, in process: readiness
//! fails at once, the server keeps serving for the shutdown delay, then
//! stops accepting, lets in-flight requests finish (a client still
//! uploading its request body) and returns; a request that never finishes
//! is cut at the drain timeout.

mod common;

use std::time::{Duration, Instant};

use common::{eventually, get, start_server, Conn};
use time_server::kit::ServeOptions;

#[tokio::test]
async fn readiness_flips_serving_continues_and_in_flight_requests_complete() {
    let delay = Duration::from_millis(800);
    let server = start_server(ServeOptions::default(), delay).await;
    let mut kept_alive = Conn::open(server.addr).await;
    assert_eq!(kept_alive.request("GET", "/time").await.status, 200);

    // A request whose body is still being uploaded: in flight.
    let mut uploading = Conn::open(server.addr).await;
    uploading
        .send(b"GET /time HTTP/1.1\r\nHost: test\r\nContent-Length: 10\r\n\r\n01234")
        .await
        .unwrap();

    let began = Instant::now();
    server.stop.begin();
    // Readiness fails at once, on a new connection...
    assert_eq!(get(server.addr, "/readyz").await.status, 503);
    assert!(!server.stop.health().is_ready());
    // ...while serving continues, on kept-alive and new connections alike.
    assert_eq!(kept_alive.request("GET", "/nanotime").await.status, 200);
    assert_eq!(get(server.addr, "/time").await.status, 200);
    assert_eq!(
        get(server.addr, "/healthz").await.status,
        200,
        "liveness stays up"
    );
    assert!(
        began.elapsed() < delay,
        "the checks above ran inside the delay"
    );

    // After the delay the listener closes.
    eventually("listener closed after the shutdown delay", || async {
        tokio::net::TcpStream::connect(server.addr).await.is_err()
    })
    .await;
    assert!(began.elapsed() >= delay, "closed before the delay ended");
    // The idle kept-alive connection is closed by the drain...
    assert!(kept_alive.closed_within(Duration::from_secs(5)).await);
    // ...but the server waits for the upload.
    assert!(
        !server.task.is_finished(),
        "returned with a request in flight"
    );

    uploading.send(b"56789").await.unwrap();
    let reply = uploading
        .read_reply(false)
        .await
        .expect("the in-flight request is answered");
    assert_eq!(reply.status, 200);
    assert!(reply.body.starts_with("{\"time\":\""), "{}", reply.body);

    let result = tokio::time::timeout(Duration::from_secs(5), server.task)
        .await
        .expect("run returns once the last request is done")
        .unwrap();
    result.expect("clean shutdown");
}

#[tokio::test]
async fn a_request_that_never_finishes_is_cut_at_the_drain_timeout() {
    let options = ServeOptions {
        drain_timeout: Duration::from_millis(300),
        ..ServeOptions::default()
    };
    let server = start_server(options, Duration::ZERO).await;
    let mut stuck = Conn::open(server.addr).await;
    stuck
        .send(b"GET /time HTTP/1.1\r\nHost: test\r\nContent-Length: 10\r\n\r\n0")
        .await
        .unwrap();
    // Let the server see the head before shutting down.
    eventually("request in flight", || async {
        common::sample(
            &get(server.addr, "/metrics").await.body,
            "http_requests_in_flight",
        ) == Some(2.0)
    })
    .await;
    let began = Instant::now();
    server.stop.begin();
    let result = tokio::time::timeout(Duration::from_secs(5), server.task)
        .await
        .expect("run returns at the drain timeout")
        .unwrap();
    result.unwrap();
    let took = began.elapsed();
    assert!(
        took >= Duration::from_millis(300),
        "returned before the drain timeout: {took:?}"
    );
    assert!(
        stuck.closed_within(Duration::from_secs(2)).await,
        "stuck connection dropped"
    );
}
