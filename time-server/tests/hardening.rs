//! What a hostile or careless client cannot do: hold a connection with a
//! slowly trickled request head (slowloris), keep an idle connection
//! forever, or send oversized heads and bodies.
//!
//! The deadlines are waited for on paused time: the server runs in the
//! test's runtime, so its timers and the client's sleeps advance together
//! when both are idle, exactly, however loaded the machine is.

mod common;

use std::time::Duration;

use tokio::time::Instant;

use common::{eventually, get, quick_options, sample, start_server, Conn};

#[tokio::test(start_paused = true)]
async fn a_slowloris_client_is_cut_while_normal_requests_succeed() {
    // Header read timeout 500 ms.
    let server = start_server(quick_options(), Duration::ZERO).await;
    let mut slow = Conn::open(server.addr).await;
    let head = b"GET /time HTTP/1.1\r\nHost: test\r\nX-Padding: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n\r\n";
    let started = Instant::now();
    let mut cut_after = None;
    let mut normal_ok = 0;
    // One byte every 50 ms: the whole head would take over 4 s.
    for byte in head.iter() {
        if slow.send(&[*byte]).await.is_err() {
            cut_after = Some(started.elapsed());
            break;
        }
        // Meanwhile other clients are served at once.
        if normal_ok < 5 {
            let reply = get(server.addr, "/time").await;
            assert_eq!(reply.status, 200);
            normal_ok += 1;
        }
        if slow.closed_within(Duration::from_millis(50)).await {
            cut_after = Some(started.elapsed());
            break;
        }
    }
    let cut_after = cut_after.expect("the slow connection was never cut");
    // Paused time: the cut comes at the deadline, within one 50 ms step.
    assert!(
        cut_after >= Duration::from_millis(500) && cut_after < Duration::from_millis(600),
        "cut after {cut_after:?}, header read timeout is 500ms"
    );
    assert_eq!(normal_ok, 5);
    assert_eq!(
        get(server.addr, "/healthz").await.status,
        200,
        "server still serving"
    );
}

#[tokio::test(start_paused = true)]
async fn a_connection_that_never_sends_is_cut_at_the_header_timeout() {
    let server = start_server(quick_options(), Duration::ZERO).await;
    let mut silent = Conn::open(server.addr).await;
    let started = Instant::now();
    assert!(
        silent.closed_within(Duration::from_secs(5)).await,
        "silent connection kept open"
    );
    let after = started.elapsed();
    assert!(
        after >= Duration::from_millis(500) && after < Duration::from_millis(510),
        "closed after {after:?}, header read timeout is 500ms"
    );
}

#[tokio::test(start_paused = true)]
async fn idle_keep_alive_connections_are_closed_and_busy_ones_kept() {
    // Idle timeout 700 ms, header read timeout 500 ms.
    let server = start_server(quick_options(), Duration::ZERO).await;
    let mut busy = Conn::open(server.addr).await;
    let mut idle = Conn::open(server.addr).await;
    assert_eq!(idle.request("GET", "/time").await.status, 200);
    let idle_since = Instant::now();
    // The busy connection sends a request every 200 ms for 1.5 s: longer
    // than both timeouts in total, shorter than either between requests.
    while idle_since.elapsed() < Duration::from_millis(1500) {
        assert_eq!(busy.request("GET", "/nanotime").await.status, 200);
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // The idle one was closed (by now; it was idle for 1.5 s > 700 ms).
    assert!(
        idle.closed_within(Duration::from_secs(2)).await,
        "idle connection still open"
    );
    assert_eq!(
        busy.request("GET", "/time").await.status,
        200,
        "busy connection kept"
    );
}

#[tokio::test]
async fn oversized_heads_and_bodies_are_refused() {
    let server = start_server(common::quick_options(), Duration::ZERO).await;
    // Default limit 16 KiB of head.
    let mut conn = Conn::open(server.addr).await;
    let big = format!(
        "GET /time HTTP/1.1\r\nHost: test\r\nX-Big: {}\r\n\r\n",
        "a".repeat(32 * 1024)
    );
    conn.send(big.as_bytes()).await.unwrap();
    let reply = conn
        .read_reply(false)
        .await
        .expect("an answer to the big head");
    assert_eq!(reply.status, 431);

    // Neither reached the pipeline, so neither is in http_requests_total;
    // both are counted as refused by the parser (garbage is 400).
    let mut conn = Conn::open(server.addr).await;
    conn.send(b"\x16\x03\x01 not HTTP\r\n\r\n").await.unwrap();
    assert_eq!(conn.read_reply(false).await.expect("a 400").status, 400);
    // Counted when hyper hands back the connection's error, just after
    // its answer went out.
    eventually("both refusals counted", || async {
        let metrics = get(server.addr, "/metrics").await.body;
        [
            r#"http_requests_rejected_total{reason="head_too_large"}"#,
            r#"http_requests_rejected_total{reason="malformed"}"#,
        ]
        .iter()
        .all(|series| sample(&metrics, series) == Some(1.0))
    })
    .await;

    // A head just under the limit is fine.
    let mut conn = Conn::open(server.addr).await;
    let fits = format!(
        "GET /time HTTP/1.1\r\nHost: test\r\nX-Big: {}\r\n\r\n",
        "a".repeat(12 * 1024)
    );
    conn.send(fits.as_bytes()).await.unwrap();
    assert_eq!(conn.read_reply(false).await.unwrap().status, 200);

    // Bodies over 64 KiB: 413.
    let mut conn = Conn::open(server.addr).await;
    let body = vec![b'x'; 100 * 1024];
    let head = format!(
        "POST /time HTTP/1.1\r\nHost: test\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    conn.send(head.as_bytes()).await.unwrap();
    let _ = conn.send(&body).await; // the server may stop reading early
    let reply = conn
        .read_reply(false)
        .await
        .expect("an answer to the big body");
    assert_eq!(reply.status, 413);
    assert_eq!(reply.body, "{\"error\":\"request body too large\"}\n");

    // A small body is read and the connection reused.
    let mut conn = Conn::open(server.addr).await;
    conn.send(b"GET /time HTTP/1.1\r\nHost: test\r\nContent-Length: 5\r\n\r\nhello")
        .await
        .unwrap();
    assert_eq!(conn.read_reply(false).await.unwrap().status, 200);
    assert_eq!(conn.request("GET", "/nanotime").await.status, 200);
}

#[tokio::test(start_paused = true)]
async fn an_h2_connection_is_kept_between_requests_until_the_idle_timeout() {
    use http_body_util::{BodyExt, Empty};
    use hyper_util::rt::{TokioExecutor, TokioIo};
    let options = time_server::kit::ServeOptions {
        header_read_timeout: Duration::from_millis(300),
        idle_timeout: Duration::from_millis(1500),
        ..time_server::kit::ServeOptions::default()
    };
    let server = start_server(options, Duration::ZERO).await;
    let stream = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    let (mut send, conn) =
        hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(stream))
            .await
            .unwrap();
    let conn = tokio::spawn(conn);
    let request = || {
        hyper::Request::get(format!("http://{}/nanotime", server.addr))
            .body(Empty::<bytes::Bytes>::new())
            .unwrap()
    };
    let first = send.send_request(request()).await.unwrap();
    assert_eq!(first.status(), 200);
    first.into_body().collect().await.unwrap();
    // Longer than the header read timeout, shorter than the idle timeout:
    // frames the client sent after the response must not count as a slow head.
    tokio::time::sleep(Duration::from_millis(800)).await;
    let second = send
        .send_request(request())
        .await
        .expect("connection still open");
    assert_eq!(second.status(), 200);
    second.into_body().collect().await.unwrap();
    // Idle past the idle timeout: the server closes it (GOAWAY), the client
    // connection task ends.
    tokio::time::timeout(Duration::from_secs(5), conn)
        .await
        .expect("idle h2 connection closed by the server")
        .unwrap()
        .ok();
}
