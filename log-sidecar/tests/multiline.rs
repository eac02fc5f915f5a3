//! Multi-line records through the real binary: time-server's continuation
//! lines (four spaces) become one record in JSON stdout and in the sink,
//! while raw stdout keeps the file's bytes; a start pattern for other
//! programs; the flush timeout; and a held record that is neither lost nor
//! checkpointed across a crash.

mod support;

use std::time::{Duration, Instant};

use support::receiver::{Receiver, ReservedPort};
use support::sidecar::{Sidecar, Stdout};
use support::{append, checkpointed_bytes, wait_until, LogDir};

const LIMIT: Duration = Duration::from_secs(15);

/// Three records as time-server writes them: the second has three
/// continuation lines (one of them CRLF-ended), the third has none.
const TIME_SERVER_LOG: &[u8] = b"[2026-11-26T18:35:54.950883Z INFO  time_server] listening\n\
[2026-11-26T18:35:55.000001Z ERROR time_server::kit] accept failed:\n    too many open files\r\n    (os error 24)\n    retrying\n\
[2026-11-26T18:35:55.100000Z INFO  time_server::request_log] GET /time 200 78us #1\n";

/// The same records, each as one line of text.
fn time_server_records() -> Vec<String> {
    vec![
        "[2026-11-26T18:35:54.950883Z INFO  time_server] listening".into(),
        "[2026-11-26T18:35:55.000001Z ERROR time_server::kit] accept failed:\n    too many open files\n    (os error 24)\n    retrying".into(),
        "[2026-11-26T18:35:55.100000Z INFO  time_server::request_log] GET /time 200 78us #1".into(),
    ]
}

fn start(dir: &LogDir, extra: &[&str], stdout: Stdout) -> Sidecar {
    let pattern = dir.pattern();
    let checkpoint = dir.checkpoint().display().to_string();
    let mut args = vec![
        "--path",
        &pattern,
        "--checkpoint-file",
        &checkpoint,
        "--poll-interval",
        "100ms",
        "--shutdown-linger",
        "100ms",
    ];
    args.extend_from_slice(extra);
    Sidecar::start_with(&args, &[], stdout)
}

/// The `line` of every JSON object on stdout.
fn json_lines(sidecar: &Sidecar) -> Vec<String> {
    String::from_utf8(sidecar.output())
        .expect("JSON is UTF-8")
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("a JSON line");
            v["line"].as_str().expect("line").to_owned()
        })
        .collect()
}

fn stop(sidecar: &mut Sidecar) {
    let status = sidecar.terminate(LIMIT);
    assert!(status.success(), "exit {status}: {}", sidecar.stderr());
}

#[test]
fn continuation_lines_are_one_json_record() {
    let dir = LogDir::new();
    let mut sidecar = start(&dir, &["--format", "json"], Stdout::Captured);
    append(&dir.current(), TIME_SERVER_LOG);
    wait_until("three records", LIMIT, || sidecar.output_lines() >= 3);
    stop(&mut sidecar);
    assert_eq!(json_lines(&sidecar), time_server_records());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sink_gets_records_while_raw_stdout_keeps_the_files_bytes() {
    let dir = LogDir::new();
    let receiver = ReservedPort::new().listen(Receiver::accepting_everything());
    let url = receiver.url();
    let mut sidecar = start(&dir, &["--http-sink", &url], Stdout::Captured);
    append(&dir.current(), TIME_SERVER_LOG);
    let deadline = Instant::now() + LIMIT;
    while receiver.lines().len() < 3 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    stop(&mut sidecar);
    assert_eq!(receiver.lines(), time_server_records());
    // Raw stdout: the lines as the file has them (CRs stripped, as for
    // every line), one record's continuations included.
    let raw: Vec<u8> = TIME_SERVER_LOG
        .iter()
        .copied()
        .filter(|&b| b != b'\r')
        .collect();
    assert_eq!(
        String::from_utf8_lossy(&sidecar.output()),
        String::from_utf8_lossy(&raw)
    );
}

#[test]
fn a_start_pattern_groups_other_programs_lines() {
    let dir = LogDir::new();
    let mut sidecar = start(
        &dir,
        &[
            "--format",
            "json",
            "--multiline-start",
            r"^\d{4}-\d\d-\d\d ",
        ],
        Stdout::Captured,
    );
    append(
        &dir.current(),
        b"2026-12-01 04:00:00 ERROR boom\njava.lang.IllegalStateException: x\n\tat A.b(A.java:1)\n2026-12-01 04:00:01 INFO fine\n",
    );
    wait_until("two records", LIMIT, || sidecar.output_lines() >= 2);
    stop(&mut sidecar);
    assert_eq!(
        json_lines(&sidecar),
        [
            "2026-12-01 04:00:00 ERROR boom\njava.lang.IllegalStateException: x\n\tat A.b(A.java:1)",
            "2026-12-01 04:00:01 INFO fine"
        ]
    );
}

/// A record waits for its continuations up to the flush timeout: one
/// written within it joins, one written after it is a record of its own.
#[test]
fn the_last_record_waits_for_the_flush_timeout() {
    let dir = LogDir::new();
    let mut sidecar = start(
        &dir,
        &["--format", "json", "--multiline-timeout", "1500ms"],
        Stdout::Captured,
    );
    let written = Instant::now();
    append(&dir.current(), b"first\n");
    std::thread::sleep(Duration::from_millis(300));
    append(&dir.current(), b"    joined in time\n");
    wait_until("the first record", LIMIT, || sidecar.output_lines() >= 1);
    let waited = written.elapsed();
    assert!(
        waited >= Duration::from_millis(1500),
        "flushed after {waited:?}, before the timeout"
    );
    append(&dir.current(), b"    too late\n");
    wait_until("the late line", LIMIT, || sidecar.output_lines() >= 2);
    stop(&mut sidecar);
    assert_eq!(
        json_lines(&sidecar),
        ["first\n    joined in time", "    too late"]
    );
}

/// A held record is not checkpointed: killed while holding it, the
/// sidecar reads it again whole after the restart, and the line that
/// ends it arrives then.
#[test]
fn a_held_record_survives_a_crash_whole() {
    let dir = LogDir::new();
    let long_wait = ["--format", "json", "--multiline-timeout", "1h"];
    let mut sidecar = start(&dir, &long_wait, Stdout::Captured);
    append(&dir.current(), b"one\n    one more\ntwo\n    two more\n");
    wait_until("the first record", LIMIT, || sidecar.output_lines() >= 1);
    wait_until("its checkpoint", LIMIT, || {
        checkpointed_bytes(&dir.checkpoint()) > 0
    });
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(json_lines(&sidecar), ["one\n    one more"]);
    assert_eq!(
        checkpointed_bytes(&dir.checkpoint()),
        "one\n    one more\n".len() as u64,
        "the held record is not checkpointed"
    );
    sidecar.kill9();

    let mut restarted = start(&dir, &long_wait, Stdout::Captured);
    append(&dir.current(), b"    two last\nthree\n");
    wait_until("the held record", LIMIT, || restarted.output_lines() >= 1);
    stop(&mut restarted);
    assert_eq!(
        json_lines(&restarted),
        ["two\n    two more\n    two last", "three"],
        "stopping flushes the held record"
    );
}
