//! The real log-sidecar binary with its HTTP sink down while the log file
//! grows by 50 MB (issue 4, proof item 4, "memory bounded"): reading must
//! pause instead of buffering (RSS stays under a bound far below the file's
//! size), and once the sink is back every numbered line arrives, none twice.

mod support_sink;

use std::fs::OpenOptions;
use std::io::{BufWriter, Write as _};
use std::time::{Duration, Instant};

use support_sink::sidecar::Sidecar;
use support_sink::{numbered, Receiver, ReservedPort, Tally};

/// ~109 bytes per line: 500,000 lines are 54.5 MB.
const LINES: usize = 500_000;
const PADDING: usize = 100;
/// What the sidecar may hold with `--max-buffer-bytes 1MiB` and
/// `--sink-batch-bytes 256KiB`: one read batch of records (≤ 1 MiB of lines
/// plus per-line overhead), one encoded request body (≤ 256 KiB), the
/// runtime, client and binary (about 4 MiB). The file is 13 times larger.
const RSS_BOUND_KIB: u64 = 16 * 1024;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sink_down_while_50_mb_are_written_memory_stays_bounded_and_nothing_is_lost() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let log = dir.path().join("time-service.log");
    std::fs::File::create(&log).expect("create the log file");
    let port = ReservedPort::new();
    let arg = |s: &str| s.to_owned();
    let mut sidecar = Sidecar::start(
        dir.path(),
        &[
            arg("--path"),
            log.display().to_string(),
            arg("--checkpoint-file"),
            dir.path().join("checkpoint.json").display().to_string(),
            arg("--http-sink"),
            format!("http://{}/ingest", port.addr),
            arg("--max-buffer-bytes"),
            arg("1MiB"),
            arg("--sink-batch-bytes"),
            arg("256KiB"),
            arg("--sink-timeout"),
            arg("5s"),
            arg("--admin-listen"),
            arg("127.0.0.1:0"),
            arg("--shutdown-linger"),
            arg("200ms"),
            arg("--drain-timeout"),
            arg("30s"),
        ],
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    while !sidecar.stderr().contains("admin listening") {
        assert!(sidecar.is_running(), "sidecar exited: {}", sidecar.stderr());
        assert!(
            Instant::now() < deadline,
            "sidecar did not start: {}",
            sidecar.stderr()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

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
                writeln!(out, "{}", numbered(i, PADDING)).expect("write a line");
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
    let all_arrived = receiver
        .wait_for_distinct(LINES, Duration::from_secs(120))
        .await;
    let tally = Tally::of(&receiver.lines(), LINES);
    assert!(
        all_arrived,
        "{} of {LINES} lines arrived in 120 s; sidecar stderr:\n{}",
        tally.distinct(),
        sidecar.stderr()
    );
    eprintln!("caught up {LINES} lines in {:?}", up.elapsed());
    assert_eq!(tally.missing.len(), 0, "lines lost");
    // Refused connections reached no receiver, and nothing restarted: no repeats.
    assert_eq!(tally.duplicates, 0);
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

    sidecar.terminate();
    let status = sidecar
        .wait_exit(Duration::from_secs(30))
        .expect("the sidecar exits within its drain timeout after SIGTERM");
    assert!(
        status.success(),
        "exit {status}; stderr:\n{}",
        sidecar.stderr()
    );
    assert_eq!(Tally::of(&receiver.lines(), LINES).duplicates, 0);
}
