//! The kit's smallest service, `examples/hello.rs`, as its user runs it: a
//! real process on 127.0.0.1, asked for its own route, its probes and its
//! metrics, then stopped with SIGTERM through the stop sequence.

mod common;

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use common::{eventually, get, sample, Process};

/// The example's binary. `cargo test` builds examples beside the test
/// binaries (`target/<profile>/examples`); a run of this test alone
/// (`--test example`) does not, nor does `--all-targets` (it builds them
/// as tests), so it builds the example first, with the profile that built
/// this test (scripts/test.sh uses `release-tests`).
fn hello() -> PathBuf {
    let test_binary = std::env::current_exe().expect("the test binary's path");
    let profile_dir = test_binary
        .parent()
        .and_then(|deps| deps.parent())
        .expect("test binaries live in target/<profile>/deps");
    let example = profile_dir.join("examples/hello");
    if !example.exists() {
        // Each profile builds into the directory of its name, but `dev` into `debug`.
        let profile = match profile_dir.file_name().and_then(|name| name.to_str()) {
            Some("debug") | None => "dev",
            Some(name) => name,
        };
        let status = Command::new(env!("CARGO"))
            .args(["build", "-p", "time-server", "--example", "hello"])
            .args(["--profile", profile])
            .status()
            .expect("run cargo");
        assert!(status.success(), "building the example failed");
    }
    example
}

#[tokio::test]
async fn hello_serves_its_route_probes_and_metrics_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let mut command = Command::new(hello());
    command.arg("127.0.0.1:0");
    let mut hello = Process::spawn(command, dir.path());

    let reply = get(hello.addr, "/hello").await;
    assert_eq!((reply.status, reply.body.as_str()), (200, "hello\n"));
    assert_eq!(get(hello.addr, "/healthz").await.status, 200);
    assert_eq!(get(hello.addr, "/readyz").await.status, 200);
    assert_eq!(get(hello.addr, "/nope").await.status, 404);
    let metrics = get(hello.addr, "/metrics").await.body;
    let count = |series: &str| sample(&metrics, series);
    assert_eq!(
        count(r#"http_requests_total{method="GET",route="/hello",status="200"}"#),
        Some(1.0),
        "{metrics}"
    );
    assert_eq!(
        count(&format!(
            "hello_build_info{{version=\"{}\"}}",
            env!("CARGO_PKG_VERSION")
        )),
        Some(1.0),
        "{metrics}"
    );

    hello.signal("TERM");
    // The one-second linger: readiness fails as soon as the signal is
    // handled, serving goes on.
    eventually("readiness off after SIGTERM", || async {
        get(hello.addr, "/readyz").await.status == 503
    })
    .await;
    assert_eq!(get(hello.addr, "/hello").await.status, 200);
    let status = hello.wait_exit(Duration::from_secs(10)).await;
    assert_eq!(status.code(), Some(0), "{}", hello.stderr_text());

    let log = hello.stderr_text();
    for line in [
        "hello::request_log] GET /hello 200 ",
        "received SIGTERM: shutting down",
        "shutdown: readiness now fails; serving 1s more",
        "shutdown: done",
    ] {
        assert!(log.contains(line), "{line:?} missing from:\n{log}");
    }
}
