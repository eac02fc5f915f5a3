//! The sidecar as a user runs it: the real binary following real files
//! while a writer appends numbered lines, so every lost or repeated line is
//! counted exactly (issue 4, proof items 1, 2, 3, 5 and 6).

mod support;

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::os::unix::fs::MetadataExt;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use support::sidecar::{binary, Sidecar, Stdout};
use support::*;

const QUICK_LINGER: &str = "200ms";

fn follow(dir: &LogDir) -> Vec<String> {
    vec![
        "--path".into(),
        dir.pattern(),
        "--shutdown-linger".into(),
        QUICK_LINGER.into(),
    ]
}

fn start(args: &[String]) -> Sidecar {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    Sidecar::start(&args)
}

fn assert_exact(output: &[u8], total: u64) -> Tally {
    let tally = Tally::of(output, total);
    assert!(
        tally.foreign.is_empty(),
        "unexpected lines: {:?}",
        &tally.foreign[..tally.foreign.len().min(5)]
    );
    let lost = tally.lost();
    assert!(
        lost.is_empty(),
        "{} lines lost, first {:?}",
        lost.len(),
        &lost[..lost.len().min(10)]
    );
    tally
}

/// Waits (60 s at most) until lines `0..total` were all on stdout; on
/// timeout, says which are missing, what the files and the checkpoint
/// hold, the sidecar's metrics and what it logged.
fn wait_for_every_line(sidecar: &Sidecar, dir: &LogDir, total: u64) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let tally = Tally::of(&sidecar.output(), total);
        if tally.lost().is_empty() {
            return;
        }
        if Instant::now() > deadline {
            let mut files: Vec<String> = fs::read_dir(dir.dir.path())
                .unwrap()
                .map(|e| {
                    let e = e.unwrap();
                    let len = e.metadata().map_or(0, |m| m.len());
                    format!("{} ({len} bytes)", e.file_name().to_string_lossy())
                })
                .collect();
            files.sort();
            let metrics: String = sidecar
                .admin_get("/metrics")
                .1
                .lines()
                .filter(|l| l.starts_with("log_sidecar_"))
                .map(|l| format!("{l}\n"))
                .collect();
            panic!(
                "after 60 s, lines missing (from, to): {:?}\nfiles: {files:?}\ncheckpoint: {}\nmetrics:\n{metrics}stderr:\n{}",
                tally.lost_ranges(),
                fs::read_to_string(dir.checkpoint()).unwrap_or_default(),
                sidecar.stderr()
            );
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn assert_in_order(output: &[u8]) {
    let numbers: Vec<u64> = output
        .split(|&b| b == b'\n')
        .filter_map(parse_number)
        .collect();
    if let Some(w) = numbers.windows(2).find(|w| w[1] != w[0] + 1) {
        panic!("out of order: {} then {}", w[0], w[1]);
    }
}

/// Item 1: a million lines from one file, half written before the sidecar
/// starts and half while it runs; every line exactly once, in order.
#[test]
fn a_million_lines_from_one_file_arrive_exactly_once_in_order() {
    const TOTAL: u64 = 1_000_000;
    let dir = LogDir::new();
    append(&dir.current(), &lines(0, TOTAL / 2));
    let mut sidecar = start(&follow(&dir));
    let path = dir.current();
    let writer = std::thread::spawn(move || {
        for from in (TOTAL / 2..TOTAL).step_by(10_000) {
            append(&path, &lines(from, from + 10_000));
        }
    });
    writer.join().unwrap();
    wait_until(
        "a million lines on stdout",
        Duration::from_secs(120),
        || sidecar.output_len() as u64 >= TOTAL * LINE_LEN,
    );
    assert!(
        sidecar.terminate(Duration::from_secs(10)).success(),
        "{}",
        sidecar.stderr()
    );
    let out = sidecar.output();
    let tally = assert_exact(&out, TOTAL);
    assert_eq!(tally.duplicates(), 0);
    assert_in_order(&out);
    assert_eq!(checkpointed_bytes(&dir.checkpoint()), TOTAL * LINE_LEN);
}

/// Item 2a: 100 rename rotations (keeping 5 old files, deleting the oldest)
/// under continuous writing, with a write landing in the renamed file after
/// each rename as a server's in-flight write would: nothing lost or repeated.
#[test]
fn rename_rotations_lose_and_repeat_nothing() {
    const ROTATIONS: u64 = 100;
    const PER_FILE: u64 = 1000;
    const KEEP: u64 = 5;
    let dir = LogDir::new();
    let mut sidecar = start(&follow(&dir));
    sidecar.admin_addr();
    let mut n = 0;
    let mut file = OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.current())
        .unwrap();
    for _ in 0..ROTATIONS {
        for _ in 0..PER_FILE / 100 {
            file.write_all(&lines(n, n + 100)).unwrap();
            n += 100;
            std::thread::sleep(Duration::from_millis(1));
        }
        let old_ino = fs::metadata(dir.current()).unwrap().ino();
        let _ = fs::remove_file(dir.path(&format!("app.log.{KEEP}")));
        for k in (1..KEEP).rev() {
            let _ = fs::rename(
                dir.path(&format!("app.log.{k}")),
                dir.path(&format!("app.log.{}", k + 1)),
            );
        }
        fs::rename(dir.current(), dir.path("app.log.1")).unwrap();
        // The server's last write before it reopens lands in the renamed file.
        file.write_all(&line(n)).unwrap();
        n += 1;
        file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(dir.current())
            .unwrap();
        file.write_all(&line(n)).unwrap();
        n += 1;
        let new_ino = fs::metadata(dir.current()).unwrap().ino();
        assert_ne!(old_ino, new_ino, "the rotation created a new file");
        assert_eq!(
            fs::metadata(dir.path("app.log.1")).unwrap().ino(),
            old_ino,
            "and renamed the old one"
        );
    }
    let total = n;
    wait_for_every_line(&sidecar, &dir, total);
    let rotations = sidecar.metric("log_sidecar_rotations_total");
    assert!(rotations >= ROTATIONS as f64, "rotations seen: {rotations}");
    assert!(
        sidecar.terminate(Duration::from_secs(10)).success(),
        "{}",
        sidecar.stderr()
    );
    let tally = assert_exact(&sidecar.output(), total);
    assert_eq!(
        tally.duplicates(),
        0,
        "rename rotation never repeats a line"
    );
}

/// Item 2b: 100 copytruncate rotations (logrotate's `copytruncate`: copy to
/// app.log.N, then truncate app.log) under continuous writing. The bound we
/// guarantee when the copy is visible under the pattern: nothing lost, and a
/// line repeats at most once (only lines read from the original between the
/// copy and the truncation can be read again from the copy).
#[test]
fn copytruncate_rotations_lose_nothing_and_repeat_at_most_once() {
    const ROTATIONS: u64 = 100;
    const PER_FILE: u64 = 1000;
    let dir = LogDir::new();
    let mut sidecar = start(&follow(&dir));
    sidecar.admin_addr();
    let mut n = 0;
    let file = OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.current())
        .unwrap();
    let mut file = file;
    for r in 1..=ROTATIONS {
        for _ in 0..PER_FILE / 100 {
            file.write_all(&lines(n, n + 100)).unwrap();
            n += 100;
            std::thread::sleep(Duration::from_millis(1));
        }
        let copy = dir.path(&format!("app.log.{r}"));
        fs::copy(dir.current(), &copy).unwrap();
        file.set_len(0).unwrap();
        assert_eq!(fs::metadata(dir.current()).unwrap().len(), 0, "truncated");
        assert_eq!(
            fs::metadata(&copy).unwrap().len(),
            PER_FILE * LINE_LEN,
            "copied"
        );
    }
    file.write_all(&line(n)).unwrap();
    let total = n + 1;
    wait_for_every_line(&sidecar, &dir, total);
    let truncations = sidecar.metric("log_sidecar_truncations_total");
    let copies = sidecar.metric("log_sidecar_copies_total");
    assert!(
        sidecar.terminate(Duration::from_secs(10)).success(),
        "{}",
        sidecar.stderr()
    );
    let tally = assert_exact(&sidecar.output(), total);
    assert!(
        tally.max_count() <= 2,
        "a line appeared {} times",
        tally.max_count()
    );
    assert!(
        truncations >= 1.0 && copies >= 1.0,
        "truncations {truncations}, copies {copies}"
    );
    eprintln!(
        "copytruncate x{ROTATIONS}: {total} lines, 0 lost, {} duplicates; truncations seen {truncations}, copies recognised {copies}",
        tally.duplicates()
    );
}

/// Appends numbered lines to `app.log`, `per_write` of them every 2 ms,
/// until [`SteadyWriter::stop`].
struct SteadyWriter {
    stop: Arc<AtomicBool>,
    written: Arc<AtomicU64>,
    thread: std::thread::JoinHandle<()>,
}

impl SteadyWriter {
    fn start(dir: &LogDir, per_write: u64) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let written = Arc::new(AtomicU64::new(0));
        let thread = {
            let (stop, written, path) = (Arc::clone(&stop), Arc::clone(&written), dir.current());
            std::thread::spawn(move || {
                let mut file = OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(path)
                    .unwrap();
                let mut n = 0;
                while !stop.load(Ordering::Acquire) {
                    file.write_all(&lines(n, n + per_write)).unwrap();
                    n += per_write;
                    written.store(n, Ordering::Release);
                    std::thread::sleep(Duration::from_millis(2));
                }
            })
        };
        Self {
            stop,
            written,
            thread,
        }
    }

    /// Stops writing; returns how many lines were written.
    fn stop(self) -> u64 {
        self.stop.store(true, Ordering::Release);
        self.thread.join().unwrap();
        self.written.load(Ordering::Acquire)
    }
}

/// A last, undisturbed run: it forwards what is left up to line `total`
/// and stops cleanly; returns what it printed.
fn run_to_the_end(dir: &LogDir, total: u64) -> Vec<u8> {
    let mut last = start(&follow(dir));
    wait_until("the rest of the lines", Duration::from_secs(30), || {
        max_number(&last.output()).is_some_and(|m| m + 1 >= total)
    });
    assert!(
        last.terminate(Duration::from_secs(10)).success(),
        "{}",
        last.stderr()
    );
    last.output()
}

/// Item 3: ten SIGKILLs mid-stream, each followed by a restart. Nothing is
/// lost, and what repeats is exactly what the killed run had delivered
/// after its last checkpoint (each line at most once, since every run is
/// killed only after it checkpointed what the previous run repeated).
#[test]
fn ten_sigkills_lose_nothing_and_repeat_only_what_followed_the_checkpoint() {
    let dir = LogDir::new();
    let writer = SteadyWriter::start(&dir, 50);
    let mut outputs = Vec::new();
    let mut expected_repeats = 0;
    let mut covered = 0; // lines every earlier run delivered
    for kill in 0..10 {
        let mut sidecar = start(&follow(&dir));
        wait_until(
            "this run to deliver and checkpoint past the previous one",
            Duration::from_secs(30),
            || {
                let max = max_number(&sidecar.output());
                checkpointed_bytes(&dir.checkpoint()) / LINE_LEN > covered
                    && max.is_some_and(|m| m + 1 > covered)
            },
        );
        sidecar.kill9();
        let out = sidecar.output();
        let delivered = max_number(&out).expect("lines") + 1;
        let checkpointed = checkpointed_bytes(&dir.checkpoint()) / LINE_LEN;
        assert!(
            checkpointed <= delivered,
            "run {kill}: checkpoint ahead of delivery"
        );
        expected_repeats += delivered - checkpointed;
        covered = delivered;
        outputs.extend_from_slice(&out);
    }
    let total = writer.stop();
    outputs.extend_from_slice(&run_to_the_end(&dir, total));
    let tally = assert_exact(&outputs, total);
    assert!(
        tally.max_count() <= 2,
        "a line appeared {} times",
        tally.max_count()
    );
    assert_eq!(
        tally.duplicates(),
        expected_repeats,
        "repeats = lines delivered after each killed run's checkpoint"
    );
    eprintln!("10 SIGKILLs: {total} lines, 0 lost, {expected_repeats} repeated");
}

/// Defect 7 (issue 11): a crash loop faster than the checkpoint interval
/// (SIGKILL 70 ms after each run's first line, a restart at once) repeated
/// without bound: no run lived to its first store, 200 ms in, so each one
/// sent everything from the start again (one line 10 times in 9 kills).
/// The lines a run finds at start-up are now checkpointed as soon as they
/// are delivered: nothing is lost, and no line repeats more than twice.
#[test]
fn a_crash_loop_faster_than_the_checkpoint_interval_repeats_a_line_at_most_twice() {
    const KILLS: usize = 10;
    const KILL_AFTER: Duration = Duration::from_millis(70);
    let dir = LogDir::new();
    // About 5,000 lines a second, as in the run.
    let writer = SteadyWriter::start(&dir, 10);
    let mut outputs = Vec::new();
    for _ in 0..KILLS {
        let mut sidecar = start(&follow(&dir));
        wait_until("this run's first line", Duration::from_secs(30), || {
            sidecar.output_len() > 0
        });
        std::thread::sleep(KILL_AFTER);
        sidecar.kill9();
        outputs.extend_from_slice(&sidecar.output());
    }
    let total = writer.stop();
    outputs.extend_from_slice(&run_to_the_end(&dir, total));
    let tally = assert_exact(&outputs, total);
    let times = |k: u32| tally.counts.iter().filter(|&&c| c == k).count();
    eprintln!(
        "crash loop, {KILLS} SIGKILLs {KILL_AFTER:?} after each run's first line: {total} lines, 0 lost, \
         {} repeats; lines seen once {}, twice {}, three times {}, more {}",
        tally.duplicates(),
        times(1),
        times(2),
        times(3),
        tally.counts.iter().filter(|&&c| c > 3).count()
    );
    assert!(
        tally.max_count() <= 3,
        "a line appeared {} times (repeated more than twice)",
        tally.max_count()
    );
}

/// Item 5: SIGTERM while the writer is still writing its last lines (and
/// leaves the very last one without a newline): readiness goes off at
/// once, every line is forwarded, the exit is clean.
#[test]
fn sigterm_while_writing_forwards_every_last_line() {
    let dir = LogDir::new();
    append(&dir.current(), &lines(0, 1000));
    let mut sidecar = Sidecar::start(&[
        "--path",
        &dir.pattern(),
        "--shutdown-linger",
        "1s",
        "--drain-timeout",
        "10s",
    ]);
    wait_until("the first lines", Duration::from_secs(10), || {
        sidecar.output_len() as u64 >= 1000 * LINE_LEN
    });
    assert_eq!(sidecar.admin_get("/readyz").0, 200);
    let path = dir.current();
    let writer = std::thread::spawn(move || {
        for k in 0..20 {
            append(&path, &lines(1000 + k * 10, 1010 + k * 10));
            std::thread::sleep(Duration::from_millis(100));
        }
        let mut last = line(1200);
        last.pop();
        append(&path, &last);
    });
    wait_until(
        "the writer to be under way",
        Duration::from_secs(10),
        || fs::metadata(dir.current()).unwrap().len() >= 1030 * LINE_LEN,
    );
    let signalled = Instant::now();
    sidecar.signal("TERM");
    wait_until("readiness off", Duration::from_secs(5), || {
        sidecar.admin_get("/readyz").0 == 503
    });
    assert_eq!(
        sidecar.admin_get("/healthz").0,
        200,
        "liveness stays up while draining"
    );
    writer.join().unwrap();
    let status = sidecar.wait(Duration::from_secs(15));
    assert!(status.success(), "exit {status:?}: {}", sidecar.stderr());
    assert!(
        signalled.elapsed() < Duration::from_secs(10),
        "within the drain timeout"
    );
    let tally = assert_exact(&sidecar.output(), 1201);
    assert_eq!(tally.duplicates(), 0);
    assert_eq!(checkpointed_bytes(&dir.checkpoint()), 1201 * LINE_LEN - 1);
}

/// The drain timeout is a promise too: a sink that never answers makes the
/// sidecar exit 1 at the deadline, saying so, without checkpointing the
/// lines it could not deliver.
#[test]
fn undeliverable_lines_at_shutdown_exit_1_and_stay_uncheckpointed() {
    let dir = LogDir::new();
    append(&dir.current(), &lines(0, 10));
    let closed_port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let sink = format!("http://{closed_port}/ingest");
    let mut sidecar = Sidecar::start(&[
        "--path",
        &dir.pattern(),
        "--http-sink",
        &sink,
        "--shutdown-linger",
        "100ms",
        "--drain-timeout",
        "1s",
        // Every line a record: the last is not held for continuation
        // lines (which, with the sink down, would keep it off stdout too).
        "--multiline",
        "off",
    ]);
    sidecar.admin_addr();
    wait_until("the lines on stdout", Duration::from_secs(10), || {
        sidecar.output_len() as u64 >= 10 * LINE_LEN
    });
    let status = sidecar.terminate(Duration::from_secs(10));
    assert_eq!(status.code(), Some(1), "{}", sidecar.stderr());
    assert!(
        sidecar.stderr().contains("drain timeout"),
        "{}",
        sidecar.stderr()
    );
    assert_eq!(checkpointed_bytes(&dir.checkpoint()), 0);
}

/// Item 6: a directory and files that appear after the start, a line longer
/// than --max-line-bytes, invalid UTF-8, CRLF, and a last line without a
/// newline; JSON output with the pod's Downward-API metadata.
#[test]
fn late_files_long_lines_invalid_utf8_and_no_trailing_newline() {
    let root = LogDir::new();
    let logs = root.path("logs");
    let pattern = format!("{}/*.log", logs.display());
    let checkpoint = root.path("cp.json");
    let mut sidecar = Sidecar::start_with(
        &[
            "--path",
            &pattern,
            "--checkpoint-file",
            checkpoint.to_str().unwrap(),
            "--format",
            "json",
            "--max-line-bytes",
            "1KiB",
            "--max-buffer-bytes",
            "64KiB",
            "--poll-interval",
            "100ms",
            "--shutdown-linger",
            QUICK_LINGER,
        ],
        &[
            ("POD_NAME", "time-service-abc"),
            ("POD_NAMESPACE", "default"),
            ("NODE_NAME", ""),
        ],
        Stdout::Captured,
    );
    wait_until("ready without any file", Duration::from_secs(10), || {
        sidecar.admin_get("/readyz").0 == 200
    });
    fs::create_dir(&logs).unwrap();
    let a = logs.join("a.log");
    let mut content = b"first\r\n".to_vec();
    content.extend(std::iter::repeat_n(b'x', 3000));
    content.extend_from_slice(b"\nbad \xff\xfe end\nno newline at end");
    fs::write(&a, &content).unwrap();
    wait_until("a.log's complete lines", Duration::from_secs(10), || {
        sidecar.output_len() > 0 && sidecar.output_lines() >= 5
    });
    fs::write(logs.join("b.log"), b"late file\n").unwrap();
    wait_until("b.log", Duration::from_secs(10), || {
        sidecar.output_lines() >= 6
    });
    assert_eq!(sidecar.metric("log_sidecar_long_lines_total"), 2.0);
    assert!(
        sidecar.terminate(Duration::from_secs(10)).success(),
        "{}",
        sidecar.stderr()
    );

    let out = sidecar.output();
    let records: Vec<serde_json::Value> = out
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_slice(l).expect("JSON line"))
        .collect();
    let from = |file: &std::path::Path| -> Vec<(String, bool)> {
        records
            .iter()
            .filter(|r| r["file"] == file.to_str().unwrap())
            .map(|r| {
                (
                    r["line"].as_str().unwrap().to_owned(),
                    r["truncated"].as_bool().unwrap_or(false),
                )
            })
            .collect()
    };
    let x = |n: usize| "x".repeat(n);
    assert_eq!(
        from(&a),
        [
            ("first".to_owned(), false),
            (x(1024), true),
            (x(1024), true),
            (x(952), false),
            ("bad \u{fffd}\u{fffd} end".to_owned(), false),
            ("no newline at end".to_owned(), false),
        ]
    );
    assert_eq!(from(&logs.join("b.log")), [("late file".to_owned(), false)]);
    assert_eq!(records.len(), 7);
    for r in &records {
        assert_eq!(r["pod"], "time-service-abc");
        assert_eq!(r["namespace"], "default");
        assert!(r.get("node").is_none(), "empty NODE_NAME is left out");
    }
}

/// Bad flags: exit 2 and one line saying why; --help: exit 0.
#[test]
fn bad_flags_exit_2_with_one_line_and_help_exits_0() {
    let run = |args: &[&str]| {
        test_env::output_within(
            std::process::Command::new(binary()).args(args),
            Duration::from_secs(10),
        )
    };
    for args in [
        &[][..],
        &["--path", "/x", "--drain-timeout", "10"],
        &["--path", "/x", "--max-line-bytes", "big"],
        &["--path", "/x", "--http-sink", "ftp://collector/ingest"],
        &["--path", "/x", "--multiline-start", "("],
        &["--path", "/x", "--max-buffer-bytes", "1KiB"],
        &["--path", "/x", "--bogus"],
        &["--path", "/var/log/[.log"],
    ] {
        let out = run(args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert_eq!(stderr.trim_end().lines().count(), 1, "{args:?}: {stderr}");
    }
    let help = run(&["--help"]);
    assert_eq!(help.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&help.stdout).contains("--shutdown-linger"));
}

/// Nobody reading stdout any more (EPIPE) is an error, not a reason to
/// drop lines: exit 1, saying so, with the lines left un-checkpointed.
#[test]
fn closed_stdout_exits_1_without_checkpointing() {
    let dir = LogDir::new();
    let mut child = std::process::Command::new(binary())
        .args(["--path", &dir.pattern(), "--admin-listen", "127.0.0.1:0"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take()); // the reader goes away
    append(&dir.current(), &lines(0, 100));
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("log-sidecar kept running with a closed stdout");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("cannot write to stdout"), "{stderr}");
    assert_eq!(checkpointed_bytes(&dir.checkpoint()), 0);
}

/// Raw lines that need no change reach a stdout pipe by splice(2), the
/// others are written; stdout that is a file (no splice) gets every byte
/// written. Either way the output is the lines, exactly and in order, with
/// CRs stripped from the few CRLF lines mixed into a backlog of batches.
#[test]
fn stdout_as_a_pipe_or_a_file_gets_the_same_exact_lines() {
    const TOTAL: u64 = 300_000;
    let dir = LogDir::new();
    let mut input = Vec::new();
    for n in 0..TOTAL {
        let mut l = line(n);
        if n % 5_000 == 0 {
            l.insert(l.len() - 1, b'\r');
        }
        input.extend_from_slice(&l);
    }
    append(&dir.current(), &input);
    let expected = lines(0, TOTAL);

    let mut piped = start(&follow(&dir));
    wait_until(
        "every line through the pipe",
        Duration::from_secs(60),
        || piped.output_len() >= expected.len(),
    );
    assert!(
        piped.terminate(Duration::from_secs(10)).success(),
        "{}",
        piped.stderr()
    );
    assert!(
        piped.output() == expected,
        "pipe output differs from the lines"
    );

    let second = LogDir::new();
    append(&second.current(), &input);
    let out_path = second.path("stdout.txt");
    let out_file = fs::File::create(&out_path).unwrap();
    let mut to_file = std::process::Command::new(binary())
        .args(["--path", &second.pattern(), "--admin-listen", "127.0.0.1:0"])
        .args(["--shutdown-linger", QUICK_LINGER])
        .stdout(out_file)
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    wait_until("every line into the file", Duration::from_secs(60), || {
        fs::metadata(&out_path).map(|m| m.len()).unwrap_or(0) >= expected.len() as u64
    });
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &to_file.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(s) = to_file.try_wait().unwrap() {
            break s;
        }
        assert!(Instant::now() < deadline, "log-sidecar did not stop");
        std::thread::sleep(Duration::from_millis(10));
    };
    assert!(status.success());
    assert!(
        fs::read(&out_path).unwrap() == expected,
        "file output differs from the lines"
    );
}

/// stdout, when it is a pipe, is grown to --stdout-pipe-bytes (1 MiB by
/// default) by the time the first lines go out; 0 leaves it as it was.
#[test]
fn the_stdout_pipe_is_grown_as_configured() {
    for (flag, want) in [
        (None, 1 << 20),
        (Some("256KiB"), 256 << 10),
        (Some("0"), 64 << 10),
    ] {
        let dir = LogDir::new();
        append(&dir.current(), &lines(0, 10));
        let mut cmd = std::process::Command::new(binary());
        cmd.args(["--path", &dir.pattern(), "--admin-listen", "127.0.0.1:0"])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null());
        if let Some(value) = flag {
            cmd.args(["--stdout-pipe-bytes", value]);
        }
        let mut child = cmd.spawn().unwrap();
        let mut out = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut first = vec![0; 10 * LINE_LEN as usize];
            let read = std::io::Read::read_exact(&mut out, &mut first);
            let _ = tx.send((read, first, out));
        });
        let Ok((read, first, out)) = rx.recv_timeout(Duration::from_secs(30)) else {
            child.kill().unwrap();
            panic!("no lines on stdout within 30 s");
        };
        read.expect("the first lines");
        assert_eq!(first, lines(0, 10));
        let size = rustix::pipe::fcntl_getpipe_size(&out).unwrap();
        assert_eq!(size, want, "--stdout-pipe-bytes {flag:?}");
        child.kill().unwrap();
        child.wait().unwrap();
    }
}
