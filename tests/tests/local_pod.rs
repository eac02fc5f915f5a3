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

/// The built binaries, or None after reporting them missing (a failure in CI).
fn built_binaries(test: &str) -> Option<std::path::PathBuf> {
    let bins = workspace::bin_dir();
    if bins.is_none() {
        tools::missing(
            test,
            "time-server and log-sidecar are not built (cargo build --release)",
        );
    }
    bins
}

fn forwarded(pod: &LocalPod) -> Vec<RequestLine> {
    request_lines::parse_all(&pod.sidecar.stdout())
}

#[test]
fn every_request_line_reaches_the_sidecar_once_in_order_and_sigterm_loses_none() {
    let test = "every_request_line_reaches_the_sidecar_once_in_order_and_sigterm_loses_none";
    let Some(bins) = built_binaries(test) else {
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

    // The server's writer thread logs every request (it batches lines, so
    // it may still be behind the last answer on a loaded machine), and the
    // sidecar catches up with the log, line for line.
    let ours = |logged: &[RequestLine]| {
        logged
            .iter()
            .filter(|l| l.path == "/time" || l.path == "/nanotime")
            .count()
    };
    wait::until(
        "the server to log and the sidecar to forward every line",
        Duration::from_secs(20),
        Duration::from_millis(50),
        || {
            let logged = request_lines::logged_in_dir(logs.path());
            let sent = forwarded(&pod);
            if ours(&logged) >= N && sent.len() >= logged.len() {
                Ok(())
            } else {
                Err(format!(
                    "{} of {N} requests logged, {} of {} lines forwarded",
                    ours(&logged),
                    sent.len(),
                    logged.len()
                ))
            }
        },
    );
    let logged = request_lines::logged_in_dir(logs.path());
    request_lines::assert_forwarded_exactly_once(&logged, &forwarded(&pod));
    assert_eq!(ours(&logged), N, "one line per request we sent");

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

/// README's quick start as a user runs it: `scripts/run-local-pod.sh`, a
/// request, then Ctrl-C, which the terminal sends to the whole foreground
/// process group. Both programs stop gracefully, the sidecar forwards the
/// server's shutdown lines and reports them drained: nothing dies of a
/// closed stdout on the way.
#[test]
fn the_quick_start_script_stops_cleanly_on_ctrl_c() {
    use std::os::unix::process::CommandExt;

    let test = "the_quick_start_script_stops_cleanly_on_ctrl_c";
    let Some(bins) = built_binaries(test) else {
        return;
    };
    let logs = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    let listen = format!("127.0.0.1:{}", http::free_port());
    let admin = format!("127.0.0.1:{}", http::free_port());
    let mut script = Command::new("bash");
    script
        .arg(workspace::root().join("scripts/run-local-pod.sh"))
        .env("BIN_DIR", &bins)
        .env("LISTEN", &listen)
        .env("ADMIN", &admin)
        .env("LOG_DIR", logs.path())
        // Its own process group, as a shell gives a foreground job.
        .process_group(0);
    let mut pod = Running::spawn("run-local-pod", script, out.path());
    // The group (the script's PID) is killed if an assertion fails below.
    let mut group = GroupGuard(Some(pod.pid()));

    let ready = format!("http://{admin}/readyz");
    wait::until(
        &ready,
        Duration::from_secs(20),
        Duration::from_millis(50),
        || http::get(&ready).and_then(|a| if a.status == 200 { Ok(()) } else { Err(a.body) }),
    );
    let body = http::get_ok(&format!("http://{listen}/time")).body;
    go_shape::check_time(&body).unwrap();
    wait::until(
        "the request line through the sidecar",
        Duration::from_secs(10),
        Duration::from_millis(50),
        || {
            let printed = pod.stdout();
            let through = printed
                .lines()
                .any(|l| l.starts_with("[sidecar]") && l.contains("GET /time 200"));
            if through {
                Ok(())
            } else {
                Err(printed)
            }
        },
    );

    e2e::process::send_signal_to_group(pod.pid(), "INT");
    // The server's 5 s shutdown delay, then the sidecar's 7 s linger.
    let status = pod.wait_exit(Duration::from_secs(30));
    // The script waited for both programs: its group is gone.
    group.0 = None;
    let (stdout, stderr) = (pod.stdout(), pod.stderr());
    assert!(
        status.success(),
        "run-local-pod exited with {status}:\n{stderr}"
    );
    assert!(!stderr.contains("cannot write to stdout"), "{stderr}");
    assert!(
        stderr.contains("drained:"),
        "the sidecar drained:\n{stderr}"
    );
    let shutdown_done = |prefix: &str| {
        stdout
            .lines()
            .any(|l| l.starts_with(prefix) && l.contains("shutdown: done"))
    };
    assert!(shutdown_done("[time-server]"), "{stdout}");
    assert!(
        shutdown_done("[sidecar]"),
        "the server's last line was forwarded:\n{stdout}"
    );
}

/// Kills a process group on drop unless disarmed, so that a failed test
/// leaves nothing behind.
struct GroupGuard(Option<u32>);

impl Drop for GroupGuard {
    fn drop(&mut self) {
        if let Some(pgid) = self.0 {
            let _ = Command::new("kill")
                .args(["-KILL", "--", &format!("-{pgid}")])
                .status();
        }
    }
}
