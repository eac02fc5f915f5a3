//! The real log-sidecar binary with its HTTP sink (issue 4, proof item 4):
//! down while the log file grows by 50 MB, reading must pause instead of
//! buffering (RSS stays under a bound far below the file's size), and once
//! the sink is back every numbered line arrives, none twice; lines the sink
//! refuses come out on stderr as dead letters, counted on /metrics; lines
//! written one at a time go out several to a request.

mod support;

use std::fs::OpenOptions;
use std::io::{BufWriter, Write as _};
use std::time::{Duration, Instant};

use std::path::Path;

use log_sidecar::pipeline::COALESCE;
use support::numbered;
use support::receiver::{Receiver, Reply, ReservedPort};
use support::sidecar::{Sidecar, Stdout};

/// 109 bytes per line: 500,000 lines are 54.5 MB.
const LINES: u64 = 500_000;
const LINE_BYTES: usize = 108;
/// What the sidecar may hold with `--max-buffer-bytes 1MiB` and
/// `--sink-batch-bytes 256KiB`: one read batch of records (≤ 1 MiB of lines
/// plus per-line overhead), one encoded request body (≤ 256 KiB), the
/// runtime, client and binary (about 4 MiB). The file is 13 times larger.
const RSS_BOUND_KIB: u64 = 16 * 1024;

/// The sidecar following `log`, forwarding to `url`, admin on 127.0.0.1:0.
fn start_sidecar(dir: &Path, log: &Path, url: &str, extra: &[&str]) -> Sidecar {
    let mut args: Vec<String> = vec![
        "--path".into(),
        log.display().to_string(),
        "--checkpoint-file".into(),
        dir.join("checkpoint.json").display().to_string(),
        "--http-sink".into(),
        url.into(),
        "--sink-timeout".into(),
        "5s".into(),
        "--shutdown-linger".into(),
        "200ms".into(),
        "--drain-timeout".into(),
        "30s".into(),
    ];
    args.extend(extra.iter().map(|s| s.to_string()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    // stdout is not what these tests watch.
    Sidecar::start_with(&args, &[], Stdout::Discarded)
}

/// Waits until `want` distinct lines numbered below `total` arrived, or
/// fails saying how many did and what the sidecar said.
async fn expect_lines(
    receiver: &Receiver,
    sidecar: &Sidecar,
    total: u64,
    want: u64,
    within: Duration,
) -> support::Tally {
    let arrived = receiver.wait_for_distinct(total, want, within).await;
    let tally = receiver.tally(total);
    assert!(
        arrived,
        "{} of {want} lines arrived in {within:?}; sidecar stderr:\n{}",
        tally.seen(),
        sidecar.stderr()
    );
    tally
}

/// SIGTERM, and a clean exit within the drain timeout.
fn stop_within_drain_timeout(sidecar: &mut Sidecar) {
    let status = sidecar.terminate(Duration::from_secs(30));
    assert!(
        status.success(),
        "exit {status}; stderr:\n{}",
        sidecar.stderr()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sink_down_while_50_mb_are_written_memory_stays_bounded_and_nothing_is_lost() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let log = dir.path().join("time-service.log");
    std::fs::File::create(&log).expect("create the log file");
    let port = ReservedPort::new();
    let mut sidecar = start_sidecar(
        dir.path(),
        &log,
        &format!("http://{}/ingest", port.addr),
        &["--max-buffer-bytes", "1MiB", "--sink-batch-bytes", "256KiB"],
    );
    sidecar.admin_addr();

    // The sink is down (connections refused) while the file grows by 54 MB.
    let writer = tokio::task::spawn_blocking({
        let log = log.clone();
        move || {
            let file = OpenOptions::new()
                .append(true)
                .open(&log)
                .expect("open the log file for appending");
            let mut out = BufWriter::with_capacity(1 << 20, file);
            for i in 0..LINES {
                writeln!(out, "{}", numbered(i, LINE_BYTES)).expect("write a line");
            }
            out.flush().expect("flush the log file");
        }
    });
    let mut peak_rss_kib = 0;
    while !writer.is_finished() {
        peak_rss_kib = peak_rss_kib.max(sidecar.memory_kib("VmRSS"));
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    writer.await.expect("the writer does not panic");
    let size = std::fs::metadata(&log).expect("the log file").len();
    assert!(size > 50_000_000, "the file has {size} bytes");
    // Stay down a little longer: a paused sidecar must not creep.
    let quiet_until = Instant::now() + Duration::from_secs(3);
    while Instant::now() < quiet_until {
        peak_rss_kib = peak_rss_kib.max(sidecar.memory_kib("VmRSS"));
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let peak_while_down_kib = sidecar.memory_kib("VmHWM");
    eprintln!(
        "sink down, {size} bytes written: VmRSS sampled peak {peak_rss_kib} KiB, VmHWM {peak_while_down_kib} KiB"
    );
    assert!(sidecar.is_running(), "sidecar exited: {}", sidecar.stderr());
    assert!(
        peak_while_down_kib < RSS_BOUND_KIB,
        "peak RSS {peak_while_down_kib} KiB while the sink was down (bound {RSS_BOUND_KIB} KiB)"
    );

    // The sink comes up: every line must arrive.
    let receiver = port.listen(Receiver::accepting_everything());
    let up = Instant::now();
    let tally = expect_lines(&receiver, &sidecar, LINES, LINES, Duration::from_secs(120)).await;
    eprintln!("caught up {LINES} lines in {:?}", up.elapsed());
    assert_eq!(tally.lost().len(), 0, "lines lost");
    // Refused connections reached no receiver, and nothing restarted: no repeats.
    assert_eq!(tally.duplicates(), 0);
    assert_eq!(tally.out_of_order, 0);
    assert!(
        tally.foreign.is_empty(),
        "foreign lines: {:?}",
        &tally.foreign[..3.min(tally.foreign.len())]
    );
    let peak_kib = sidecar.memory_kib("VmHWM");
    eprintln!("peak RSS over the whole run: {peak_kib} KiB");
    assert!(
        peak_kib < RSS_BOUND_KIB,
        "peak RSS {peak_kib} KiB while catching up (bound {RSS_BOUND_KIB} KiB)"
    );

    stop_within_drain_timeout(&mut sidecar);
    assert_eq!(receiver.tally(LINES).duplicates(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lines_the_sink_refuses_become_dead_letters_on_stderr_and_the_rest_arrive() {
    const TOTAL: u64 = 2_000;
    let poisoned: [u64; 3] = [100, 1_234, 1_999];
    let dir = tempfile::tempdir().expect("a temporary directory");
    let log = dir.path().join("time-service.log");
    let mut text = String::new();
    for i in 0..TOTAL {
        if poisoned.contains(&i) {
            text.push_str(&format!("n={i:08} poison\n"));
        } else {
            text.push_str(&numbered(i, 30));
            text.push('\n');
        }
    }
    std::fs::write(&log, text).expect("write the log file");
    // Like a collector that rejects a whole batch for one record it cannot parse.
    let receiver = Receiver::start(Box::new(|_, lines| {
        if lines.iter().any(|l| l.ends_with("poison")) {
            Reply::status(422)
        } else {
            Reply::OK
        }
    }))
    .await;
    let mut sidecar = start_sidecar(
        dir.path(),
        &log,
        &receiver.url(),
        &["--sink-batch-lines", "100"],
    );
    sidecar.admin_addr();

    let want = TOTAL - poisoned.len() as u64;
    let tally = expect_lines(&receiver, &sidecar, TOTAL, want, Duration::from_secs(30)).await;
    assert_eq!(
        tally.lost(),
        poisoned,
        "exactly the refused lines are missing"
    );
    assert_eq!(tally.duplicates(), 0);

    // Each refused line is on stderr, whole, once; and counted.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let stderr = sidecar.stderr();
        let letters: Vec<&str> = stderr
            .lines()
            .filter(|l| l.contains("dead letter"))
            .collect();
        if letters.len() == poisoned.len() {
            for (letter, i) in letters.iter().zip(poisoned) {
                assert!(letter.contains("422"), "{letter}");
                // The line as the sink would have got it, JSON to the end.
                let json = letter.split_once(": {").map(|(_, j)| format!("{{{j}"));
                let value: serde_json::Value =
                    serde_json::from_str(json.as_deref().unwrap_or("")).expect(letter);
                assert_eq!(value["line"], format!("n={i:08} poison"), "{letter}");
                assert_eq!(value["file"], log.display().to_string(), "{letter}");
            }
            break;
        }
        assert!(
            Instant::now() < deadline,
            "dead letters on stderr:\n{stderr}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(sidecar.metric("log_sidecar_sink_dead_letters_total"), 3.0);
    assert_eq!(sidecar.metric("log_sidecar_sink_up"), 1.0);

    stop_within_drain_timeout(&mut sidecar);
}

/// Issue 11, defect 5, as an operator sees it: a sink that refuses the
/// credentials is an error on stderr at once (and then once a minute, not
/// once per retry), no line is dead-lettered, and once the sink takes
/// them every line arrives.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sink_refusing_credentials_is_said_once_and_loses_no_line() {
    const TOTAL: u64 = 500;
    const REFUSALS: usize = 6;
    let dir = tempfile::tempdir().expect("a temporary directory");
    let log = dir.path().join("time-service.log");
    let text: String = (0..TOTAL).map(|i| numbered(i, 30) + "\n").collect();
    std::fs::write(&log, text).expect("write the log file");
    let receiver = Receiver::start(Box::new(|n, _| match n {
        0..REFUSALS => Reply::status(401),
        _ => Reply::OK,
    }))
    .await;
    let mut sidecar = start_sidecar(dir.path(), &log, &receiver.url(), &[]);
    sidecar.admin_addr();

    // Six refusals cost at most 0.1 + 0.2 + ... + 3.2 s of backoff.
    let tally = expect_lines(&receiver, &sidecar, TOTAL, TOTAL, Duration::from_secs(30)).await;
    assert_eq!(tally.duplicates(), 0);

    let stderr = sidecar.stderr();
    let complaints: Vec<&str> = stderr
        .lines()
        .filter(|l| l.contains("401 Unauthorized"))
        .collect();
    assert_eq!(complaints.len(), 1, "stderr:\n{stderr}");
    assert!(complaints[0].contains("ERROR"), "{}", complaints[0]);
    assert!(
        complaints[0].contains("not dead-lettered"),
        "{}",
        complaints[0]
    );
    assert!(!stderr.contains("dead letter:"), "stderr:\n{stderr}");
    assert!(stderr.contains("accepted again"), "stderr:\n{stderr}");
    assert_eq!(
        sidecar.metric("log_sidecar_sink_requests_total{result=\"config_error\"}"),
        REFUSALS as f64
    );
    assert_eq!(sidecar.metric("log_sidecar_sink_dead_letters_total"), 0.0);
    assert_eq!(sidecar.metric("log_sidecar_sink_up"), 1.0);

    stop_within_drain_timeout(&mut sidecar);
}

/// A server that logs in many small writes (time-server's writer flushes
/// whenever its runtime goes idle) costs one wake-up, read and request per
/// write unless reads are coalesced: after a read that found little, the
/// next waits [`COALESCE`], so each request carries the lines of several
/// writes. Reads that found little are at least that far apart, which
/// bounds the requests by the time the writing took, however loaded the
/// machine; what is left when it ends goes out in a read or two.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lines_written_one_at_a_time_go_out_several_to_a_request() {
    const TOTAL: u64 = 400;
    let dir = tempfile::tempdir().expect("a temporary directory");
    let log = dir.path().join("time-service.log");
    std::fs::File::create(&log).expect("create the log file");
    let receiver = Receiver::start(Receiver::accepting_everything()).await;
    let mut sidecar = start_sidecar(dir.path(), &log, &receiver.url(), &[]);
    sidecar.admin_addr();

    let writer = tokio::task::spawn_blocking({
        let log = log.clone();
        move || {
            let mut file = OpenOptions::new()
                .append(true)
                .open(&log)
                .expect("open the log file for appending");
            let started = Instant::now();
            for i in 0..TOTAL {
                let line = numbered(i, 60) + "\n";
                file.write_all(line.as_bytes()).expect("write a line");
                std::thread::sleep(Duration::from_millis(1));
            }
            started.elapsed()
        }
    });
    let took = writer.await.expect("the writer does not panic");
    let tally = expect_lines(&receiver, &sidecar, TOTAL, TOTAL, Duration::from_secs(30)).await;
    assert_eq!(tally.duplicates(), 0);

    // One request per window of the writing, the first, and the rest in a
    // few more (a read that met a batch's line limit is not followed by a
    // wait).
    let requests = receiver.requests().len();
    let bound = (took.as_secs_f64() / COALESCE.as_secs_f64()) as usize + 5;
    eprintln!("{TOTAL} lines written one at a time over {took:?}: {requests} requests");
    assert!(
        requests <= bound,
        "{requests} requests for {TOTAL} lines written over {took:?}: \
         more than one per {COALESCE:?} ({bound})"
    );

    stop_within_drain_timeout(&mut sidecar);
}
