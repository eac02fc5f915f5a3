//! The pod without Kubernetes (scripts/run-local-pod.sh's situation): the
//! two real binaries as plain processes sharing a log directory, the way
//! the pod's containers share their emptyDir. A user sends requests, reads
//! the sidecar's output, and stops both with SIGTERM: every request line the
//! server logged shows up in the sidecar's stdout exactly once, in order,
//! including the lines of requests answered during the shutdown delay.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use e2e::process::Running;
use e2e::request_lines::{self, RequestLine};
use e2e::{go_shape, http, tools, wait, workspace};

struct LocalPod {
    server: Running,
    sidecar: Running,
    http: String,
    admin: String,
}

fn start(bins: &Path, logs: &Path, out: &Path) -> LocalPod {
    let http_port = http::free_port();
    let admin_port = http::free_port();
    let mut server = Command::new(bins.join("time-server"));
    server
        .arg("--listen")
        .arg(format!("127.0.0.1:{http_port}"))
        .arg("--log-file")
        .arg(logs.join("time-service.log"))
        .args(["--shutdown-delay", "1s", "--drain-timeout", "5s"]);
    let mut sidecar = Command::new(bins.join("log-sidecar"));
    sidecar
        .arg("--path")
        .arg(logs.join("time-service.log*"))
        .arg("--checkpoint-file")
        .arg(logs.join(".sidecar-checkpoint.json"))
        .arg("--admin-listen")
        .arg(format!("127.0.0.1:{admin_port}"))
        // Longer than the server's shutdown delay: it outlives the last line.
        .args(["--shutdown-linger", "2s", "--drain-timeout", "10s"]);
    let pod = LocalPod {
        server: Running::spawn("time-server", server, out),
        sidecar: Running::spawn("log-sidecar", sidecar, out),
        http: format!("http://127.0.0.1:{http_port}"),
        admin: format!("http://127.0.0.1:{admin_port}"),
    };
    for url in [
        format!("{}/readyz", pod.http),
        format!("{}/readyz", pod.admin),
    ] {
        wait::until(
            &url,
            Duration::from_secs(20),
            Duration::from_millis(50),
            || http::get(&url).and_then(|a| if a.status == 200 { Ok(()) } else { Err(a.body) }),
        );
    }
    pod
}

fn forwarded(pod: &LocalPod) -> Vec<RequestLine> {
    request_lines::parse_all(&pod.sidecar.stdout())
}

#[test]
fn every_request_line_reaches_the_sidecar_once_in_order_and_sigterm_loses_none() {
    let test = "every_request_line_reaches_the_sidecar_once_in_order_and_sigterm_loses_none";
    let Some(bins) = workspace::bin_dir() else {
        tools::missing(
            test,
            "time-server and log-sidecar are not built (cargo build --release)",
        );
        return;
    };
    let logs = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    let mut pod = start(&bins, logs.path(), out.path());

    // A user's session: the chapter's two endpoints, answered as Go would.
    const N: usize = 40;
    for i in 0..N {
        if i % 2 == 0 {
            let body = http::get_ok(&format!("{}/time", pod.http)).body;
            go_shape::check_time(&body).unwrap();
        } else {
            let body = http::get_ok(&format!("{}/nanotime", pod.http)).body;
            go_shape::check_nanotime(&body, 60).unwrap();
        }
    }

    // The sidecar catches up with the server's log, line for line.
    wait::until(
        "the sidecar to forward every line",
        Duration::from_secs(20),
        Duration::from_millis(50),
        || {
            let logged = request_lines::logged_in_dir(logs.path());
            let sent = forwarded(&pod);
            if sent.len() >= logged.len() {
                Ok(())
            } else {
                Err(format!(
                    "{} of {} lines forwarded",
                    sent.len(),
                    logged.len()
                ))
            }
        },
    );
    let logged = request_lines::logged_in_dir(logs.path());
    request_lines::assert_forwarded_exactly_once(&logged, &forwarded(&pod));
    let ours = logged
        .iter()
        .filter(|l| l.path == "/time" || l.path == "/nanotime")
        .count();
    assert_eq!(ours, N, "one line per request we sent");

    // Stop both as the kubelet does. The server keeps serving through its
    // shutdown delay (readiness already failing): those requests are logged
    // and must be forwarded too.
    pod.server.signal("TERM");
    pod.sidecar.signal("TERM");
    let during = wait::until(
        "/readyz to fail after SIGTERM",
        Duration::from_secs(5),
        Duration::from_millis(20),
        || {
            let answer = http::get(&format!("{}/readyz", pod.http))?;
            if answer.status == 503 {
                Ok(answer)
            } else {
                Err(format!("readyz still {}", answer.status))
            }
        },
    );
    assert_eq!(during.status, 503);
    let late = http::get_ok(&format!("{}/time", pod.http));
    go_shape::check_time(&late.body).unwrap();

    let server_exit = pod.server.wait_exit(Duration::from_secs(15));
    let sidecar_exit = pod.sidecar.wait_exit(Duration::from_secs(20));
    assert!(
        server_exit.success(),
        "time-server exited with {server_exit}:\n{}",
        pod.server.stderr()
    );
    assert!(
        sidecar_exit.success(),
        "log-sidecar exited with {sidecar_exit}:\n{}",
        pod.sidecar.stderr()
    );

    let logged = request_lines::logged_in_dir(logs.path());
    assert!(
        logged
            .iter()
            .any(|l| l.path == "/readyz" && l.status == 503),
        "the request answered during the shutdown delay was logged"
    );
    assert_eq!(
        logged.last().unwrap().path,
        "/time",
        "the last line is the late /time"
    );
    request_lines::assert_forwarded_exactly_once(&logged, &forwarded(&pod));
    // kubectl logs of the server container shows the same lines.
    request_lines::assert_forwarded_exactly_once(
        &logged,
        &request_lines::parse_all(&pod.server.stdout()),
    );
}
