//! The benchmarks' baseline is the chapter's Go service, kept in the
//! repository (`scripts/go-time-service/`) so that a clone can rerun them.
//! This test builds it with the script the benchmarks use, serves it beside
//! our time-server, and checks that the two answer and log alike: the same
//! Go-shaped `/time` and `/nanotime` bodies in the same zone, and one log
//! line per answered request, in order, on stderr/stdout and in the log
//! file the pod's sidecar follows. A baseline that drifted from ours (a
//! different body, a missing log line) would make every ratio meaningless.

use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use e2e::process::Running;
use e2e::{go_shape, http, request_lines, tools, wait, workspace};

/// Requests of each kind sent to each server.
const N: usize = 5;

/// `go` on PATH or where Debian's golang-go puts it (the build script looks
/// in both places).
fn go_is_installed() -> bool {
    tools::which("go").is_some() || Path::new("/usr/lib/go/bin/go").is_file()
}

/// Builds the baseline with `scripts/go-time-service/build.sh`, as the benchmarks do.
fn build_go_service(out: &Path) -> PathBuf {
    let exe = out.join("go-time-service");
    tools::run_ok(
        Command::new(workspace::root().join("scripts/go-time-service/build.sh"))
            .arg(&exe)
            .env(
                "GOCACHE",
                Path::new(env!("CARGO_TARGET_TMPDIR")).join("go-time-service-cache"),
            ),
    );
    exe
}

/// Waits until something listens on `port`, without sending a request
/// (every request would add a log line).
fn wait_listening(port: u16) {
    wait::until(
        &format!("a server listening on 127.0.0.1:{port}"),
        Duration::from_secs(20),
        Duration::from_millis(20),
        || {
            TcpStream::connect(("127.0.0.1", port))
                .map(drop)
                .map_err(|e| e.to_string())
        },
    );
}

/// Sends `N` pairs of `/time` and `/nanotime`, checks every body's Go
/// shape, and returns the zone `/time` reported.
fn session(base: &str) -> String {
    let mut zones = Vec::new();
    for _ in 0..N {
        let time = http::get_ok(&format!("{base}/time"));
        zones.push(go_shape::check_time(&time.body).unwrap_or_else(|e| panic!("{base}: {e}")));
        let nano = http::get_ok(&format!("{base}/nanotime"));
        go_shape::check_nanotime(&nano.body, 60).unwrap_or_else(|e| panic!("{base}: {e}"));
    }
    zones.dedup();
    assert_eq!(zones.len(), 1, "{base}: the zone changed: {zones:?}");
    zones.remove(0)
}

/// The messages of Go's `log` lines (`2006/01/02 15:04:05 <message>`),
/// after checking each line's timestamp.
fn go_log_messages(text: &str) -> Vec<String> {
    text.lines()
        .map(|line| {
            let (stamp, message) = line
                .split_at_checked(20)
                .unwrap_or_else(|| panic!("short Go log line {line:?}"));
            let shape_ok = stamp.bytes().enumerate().all(|(i, b)| match i {
                4 | 7 => b == b'/',
                10 | 19 => b == b' ',
                13 | 16 => b == b':',
                _ => b.is_ascii_digit(),
            });
            assert!(shape_ok, "not a Go log line: {line:?}");
            message.to_string()
        })
        .collect()
}

#[test]
fn the_go_baseline_answers_and_logs_in_the_shape_of_ours() {
    let test = "the_go_baseline_answers_and_logs_in_the_shape_of_ours";
    if !go_is_installed() {
        tools::missing(
            test,
            "Debian's golang-go is not installed (scripts/install-test-deps.sh installs it)",
        );
        return;
    }
    let Some(bins) = workspace::bin_dir() else {
        tools::missing(test, "time-server is not built (cargo build --release)");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (go_logs, our_logs) = (dir.path().join("go-logs"), dir.path().join("our-logs"));
    std::fs::create_dir_all(&go_logs).unwrap();
    std::fs::create_dir_all(&our_logs).unwrap();
    let go_exe = build_go_service(dir.path());

    let (go_port, our_port) = (http::free_port(), http::free_port());
    let mut go = Command::new(&go_exe);
    go.env("LISTEN_ADDR", format!("127.0.0.1:{go_port}"))
        .env("LOG_FILE", go_logs.join("time-service.log"))
        .env("TZ", "UTC");
    let go = Running::spawn("go-time-service", go, dir.path());
    let mut ours = Command::new(bins.join("time-server"));
    ours.arg("--listen")
        .arg(format!("127.0.0.1:{our_port}"))
        .arg("--log-file")
        .arg(our_logs.join("time-service.log"))
        .env("TZ", "UTC");
    let ours = Running::spawn("time-server", ours, dir.path());
    wait_listening(go_port);
    wait_listening(our_port);

    // The same bodies, in the same zone.
    let go_zone = session(&format!("http://127.0.0.1:{go_port}"));
    let our_zone = session(&format!("http://127.0.0.1:{our_port}"));
    assert_eq!(go_zone, "+0000 UTC");
    assert_eq!(our_zone, go_zone);

    // One line per request, in order: the chapter's start line and
    // messages on Go's stderr, the same bytes in its LOG_FILE.
    let mut want = vec!["Начало работы сервиса time-service".to_string()];
    for _ in 0..N {
        want.push("Вызов функции serveTime()".into());
        want.push("Вызов функции serveNanoTime()".into());
    }
    let go_file = || std::fs::read_to_string(go_logs.join("time-service.log")).unwrap_or_default();
    wait::until(
        "Go's log file to hold every line",
        Duration::from_secs(10),
        Duration::from_millis(20),
        || match go_log_messages(&go_file()) {
            got if got == want => Ok(()),
            got => Err(format!("{got:?}")),
        },
    );
    assert_eq!(
        go.stderr(),
        go_file(),
        "Go's stderr and its LOG_FILE differ"
    );

    // Ours: a numbered request line per request, the same paths in the same order.
    let want_paths: Vec<&str> = (0..N).flat_map(|_| ["/time", "/nanotime"]).collect();
    wait::until(
        "our log file to hold every request line",
        Duration::from_secs(10),
        Duration::from_millis(20),
        || {
            let logged = request_lines::logged_in_dir(&our_logs);
            let paths: Vec<&str> = logged.iter().map(|l| l.path.as_str()).collect();
            if paths == want_paths {
                Ok(())
            } else {
                Err(format!("{paths:?}"))
            }
        },
    );
    let stdout_lines: Vec<String> = request_lines::parse_all(&ours.stdout())
        .into_iter()
        .map(|l| l.path)
        .collect();
    assert_eq!(stdout_lines, want_paths, "our stdout's request lines");
}
