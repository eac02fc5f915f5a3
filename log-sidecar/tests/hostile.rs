//! The sidecar against a hostile log directory, as an adversary (or a
//! careless neighbour on the shared volume) makes it: file names that are
//! not UTF-8, a FIFO swapped in for the log file, links out of the
//! directory, unreadable files. Each test runs the real binary and checks
//! that it keeps forwarding, keeps answering its probes and stops on
//! SIGTERM (issue 11).

mod support;

use std::ffi::OsStr;
use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use support::sidecar::{http_get_within, Sidecar};
use support::*;

/// A name that is not UTF-8, in `dir`.
fn non_utf8(dir: &Path, bytes: &[u8]) -> std::path::PathBuf {
    dir.join(OsStr::from_bytes(bytes))
}

/// Defect 1: a file whose name is not UTF-8 made the sidecar panic (exit
/// 101, inside the glob crate), whether it matched the pattern or not,
/// at start-up or mid-run. Now it is followed when it matches (its name
/// read as UTF-8 with replacement characters) and ignored when not.
#[test]
fn file_names_that_are_not_utf8_are_matched_not_fatal() {
    let dir = LogDir::new();
    let logs = dir.path("logs");
    fs::create_dir(&logs).unwrap();
    fs::write(non_utf8(&logs, b"\xff"), b"not a log\n").unwrap();
    append(&logs.join("app.log"), &lines(0, 10));
    let pattern = format!("{}/*.log", logs.display());
    let mut sidecar = Sidecar::start(&["--path", &pattern, "--shutdown-linger", "200ms"]);
    wait_until("the first lines", Duration::from_secs(20), || {
        Tally::of(&sidecar.output(), 10).lost().is_empty() || !sidecar.is_running()
    });
    assert!(sidecar.is_running(), "exited: {}", sidecar.stderr());

    // Mid-run: one that does not match, one that does.
    fs::write(non_utf8(&logs, b"other-\xfe"), b"not a log either\n").unwrap();
    fs::write(non_utf8(&logs, b"odd-\xfe.log"), lines(10, 20)).unwrap();
    append(&logs.join("app.log"), &lines(20, 30));
    wait_until("every line", Duration::from_secs(20), || {
        Tally::of(&sidecar.output(), 30).lost().is_empty() || !sidecar.is_running()
    });
    assert!(sidecar.is_running(), "exited: {}", sidecar.stderr());
    assert_eq!(sidecar.admin_get("/healthz").0, 200);
    let status = sidecar.terminate(Duration::from_secs(10));
    assert!(status.success(), "{status:?}: {}", sidecar.stderr());
    let tally = Tally::of(&sidecar.output(), 30);
    assert!(tally.foreign.is_empty(), "{:?}", tally.foreign);
    assert_eq!((tally.lost().len(), tally.duplicates()), (0, 0));
}

/// Defect 2: a FIFO moved onto the followed path (in a loop, swapped with
/// regular files) hung the sidecar for good in open(2): /healthz stopped
/// answering and SIGTERM was ignored. Nothing that is not a regular file
/// is opened for reading now, and opening never blocks.
#[test]
fn a_fifo_swapped_onto_the_log_never_blocks_the_sidecar() {
    let dir = LogDir::new();
    append(&dir.current(), &lines(0, 10));
    let mut sidecar = Sidecar::start(&[
        "--path",
        &dir.pattern(),
        "--shutdown-linger",
        "200ms",
        "--drain-timeout",
        "5s",
        "--poll-interval",
        "50ms",
    ]);
    let admin = sidecar.admin_addr();
    wait_until("the first lines", Duration::from_secs(20), || {
        Tally::of(&sidecar.output(), 10).lost().is_empty()
    });

    let stop = Arc::new(AtomicBool::new(false));
    let swapper = {
        let (stop, current) = (Arc::clone(&stop), dir.current());
        let (fifo, regular) = (dir.path("swap.fifo"), dir.path("swap.regular"));
        std::thread::spawn(move || {
            let mut swaps = 0u32;
            // As fast as it can: the sidecar hung when the swap landed
            // between its look at the path and its open.
            let swap = || -> std::io::Result<()> {
                rustix::fs::mknodat(
                    rustix::fs::CWD,
                    &fifo,
                    rustix::fs::FileType::Fifo,
                    rustix::fs::Mode::from_raw_mode(0o644),
                    0,
                )?;
                fs::rename(&fifo, &current)?;
                fs::write(&regular, b"")?;
                fs::rename(&regular, &current)
            };
            while !stop.load(Ordering::Acquire) && swap().is_ok() {
                swaps += 1;
            }
            swaps
        })
    };
    // The probes keep answering while the path flips for five seconds.
    let until = Instant::now() + Duration::from_secs(5);
    while Instant::now() < until {
        let answer = http_get_within(admin, "/healthz", Duration::from_secs(2));
        if answer.as_ref().map(|(status, _)| *status) != Some(200) {
            stop.store(true, Ordering::Release);
            panic!(
                "/healthz did not answer within 2 s ({answer:?}); stderr:\n{}",
                sidecar.stderr()
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    stop.store(true, Ordering::Release);
    let swaps = swapper.join().unwrap();
    assert!(swaps > 100, "only {swaps} swaps");

    // Left as a FIFO: the sidecar still stops on SIGTERM, within its
    // drain timeout, and what it had read is out.
    sidecar.signal("TERM");
    let started = Instant::now();
    let status = sidecar.wait(Duration::from_secs(15));
    assert!(
        started.elapsed() < Duration::from_secs(6),
        "stopping took {:?}",
        started.elapsed()
    );
    assert!(status.success(), "{status:?}: {}", sidecar.stderr());
    assert!(Tally::of(&sidecar.output(), 10).lost().is_empty());
}

/// A symlink on the volume that leads out of the watched directory (to
/// `/etc/shadow`, say) was followed and the file forwarded. It is refused
/// now, with one warning, whether it was there at start-up or swapped in
/// for a rotated file mid-run; links that stay inside are followed, and
/// `--follow-symlinks-outside` follows the others too.
#[test]
fn symlinks_leading_out_of_the_directory_are_refused_unless_allowed() {
    let root = LogDir::new();
    let logs = root.path("logs");
    fs::create_dir(&logs).unwrap();
    let secret = root.path("secret.txt");
    fs::write(&secret, b"SECRET outside the log directory\n").unwrap();
    let inside = logs.join("inside.txt");
    fs::write(&inside, lines(10, 20)).unwrap();
    append(&logs.join("app.log"), &lines(0, 10));
    std::os::unix::fs::symlink(&secret, logs.join("app.log.1")).unwrap();
    std::os::unix::fs::symlink(&inside, logs.join("app.log.2")).unwrap();
    let pattern = format!("{}/app.log*", logs.display());
    let args = ["--path", &pattern, "--shutdown-linger", "200ms"];
    let args = [&args[..], &["--poll-interval", "50ms"]].concat();

    let mut sidecar = Sidecar::start(&args);
    wait_until(
        "lines from the file and the inner link",
        Duration::from_secs(20),
        || Tally::of(&sidecar.output(), 20).lost().is_empty(),
    );
    // Mid-run, a rotated name becomes a link out.
    std::os::unix::fs::symlink(&secret, logs.join("app.log.3")).unwrap();
    wait_until("both links refused", Duration::from_secs(20), || {
        sidecar.metric("log_sidecar_unfollowable_files") == 2.0
    });
    std::thread::sleep(Duration::from_millis(500)); // ten more scans
    assert!(sidecar.terminate(Duration::from_secs(10)).success());
    let out = String::from_utf8_lossy(&sidecar.output()).into_owned();
    assert!(!out.contains("SECRET"), "forwarded a file outside: {out}");
    let tally = Tally::of(out.as_bytes(), 20);
    assert_eq!((tally.lost().len(), tally.duplicates()), (0, 0));
    let warnings = sidecar.stderr().matches("leads outside").count();
    assert_eq!(warnings, 2, "one warning per link:\n{}", sidecar.stderr());

    let mut allowed = Sidecar::start(&[&args[..], &["--follow-symlinks-outside"]].concat());
    wait_until("the file outside too", Duration::from_secs(20), || {
        String::from_utf8_lossy(&allowed.output()).contains("SECRET")
    });
    assert!(allowed.terminate(Duration::from_secs(10)).success());
}

/// A path the sidecar cannot follow was warned about on every scan (up
/// to 400 lines a second with many files): now once, and once more only
/// when the reason changes or it is resolved.
#[test]
fn an_unfollowable_path_is_reported_once() {
    let dir = LogDir::new();
    append(&dir.current(), &lines(0, 10));
    // A symlink loop: stat fails with ELOOP, for root as for anyone.
    std::os::unix::fs::symlink("app.log.9", dir.path("app.log.9")).unwrap();
    let mut sidecar = Sidecar::start(&[
        "--path",
        &dir.pattern(),
        "--shutdown-linger",
        "200ms",
        "--poll-interval",
        "20ms",
    ]);
    wait_until("the lines", Duration::from_secs(20), || {
        Tally::of(&sidecar.output(), 10).lost().is_empty()
    });
    std::thread::sleep(Duration::from_secs(1)); // fifty scans
    assert_eq!(sidecar.metric("log_sidecar_unfollowable_files"), 1.0);
    fs::remove_file(dir.path("app.log.9")).unwrap();
    wait_until("the loop gone", Duration::from_secs(20), || {
        sidecar.metric("log_sidecar_unfollowable_files") == 0.0
    });
    assert!(sidecar.terminate(Duration::from_secs(10)).success());
    let stderr = sidecar.stderr();
    assert_eq!(
        stderr.matches("cannot follow").count(),
        1,
        "one warning:\n{stderr}"
    );
    assert_eq!(stderr.matches("no longer refused").count(), 1, "{stderr}");
}

/// The sidecar following `root`'s `app.log*`, its checkpoint at `ck`.
fn checkpointing_to(root: &LogDir, ck: &Path, args: &[&str]) -> Sidecar {
    let pattern = root.pattern();
    let common = [
        "--path",
        &pattern,
        "--checkpoint-file",
        ck.to_str().unwrap(),
    ];
    Sidecar::start(&[&common[..], args].concat())
}

/// Defect 3: a checkpoint store that failed (a full volume, a path made
/// unwritable) exited the sidecar, and every restart sent the same lines
/// again. Now forwarding goes on, the store is retried with backoff,
/// counted, said on stderr (not once per attempt), readiness goes off
/// while it persists, and all comes back when the volume does.
#[test]
fn failing_checkpoint_stores_are_retried_while_lines_flow() {
    let root = LogDir::new();
    append(&root.current(), &lines(0, 100));
    let ck_dir = root.path("ck");
    fs::create_dir(&ck_dir).unwrap();
    let ck = ck_dir.join("cp.json");
    let mut sidecar = checkpointing_to(&root, &ck, &["--shutdown-linger", "200ms"]);
    wait_until(
        "the first lines checkpointed",
        Duration::from_secs(20),
        || checkpointed_bytes(&ck) == 100 * LINE_LEN,
    );
    // The checkpoint's directory turns into a file: every store fails
    // (ENOTDIR), as it would on a full or read-only volume.
    fs::rename(&ck_dir, root.path("ck.away")).unwrap();
    fs::write(&ck_dir, b"").unwrap();
    append(&root.current(), &lines(100, 200));
    wait_until("lines while stores fail", Duration::from_secs(20), || {
        Tally::of(&sidecar.output(), 200).lost().is_empty() || !sidecar.is_running()
    });
    assert!(sidecar.is_running(), "exited: {}", sidecar.stderr());
    wait_until("failed stores counted", Duration::from_secs(20), || {
        sidecar.metric("log_sidecar_checkpoint_errors_total") >= 2.0
    });
    wait_until("readiness off", Duration::from_secs(30), || {
        sidecar.admin_get("/readyz").0 == 503
    });
    assert_eq!(sidecar.admin_get("/healthz").0, 200);
    append(&root.current(), &lines(200, 300));
    wait_until("more lines", Duration::from_secs(20), || {
        Tally::of(&sidecar.output(), 300).lost().is_empty()
    });

    // The volume recovers.
    fs::remove_file(&ck_dir).unwrap();
    fs::rename(root.path("ck.away"), &ck_dir).unwrap();
    wait_until("every line checkpointed", Duration::from_secs(30), || {
        checkpointed_bytes(&ck) == 300 * LINE_LEN
    });
    wait_until("ready again", Duration::from_secs(10), || {
        sidecar.admin_get("/readyz").0 == 200
    });
    assert!(sidecar.terminate(Duration::from_secs(10)).success());
    let tally = Tally::of(&sidecar.output(), 300);
    assert_eq!((tally.lost().len(), tally.duplicates()), (0, 0));
    let stderr = sidecar.stderr();
    let errors = stderr.matches(" ERROR ").count();
    assert!(
        (1..=3).contains(&errors),
        "said when it began and when readiness went off, not per attempt:\n{stderr}"
    );
    assert!(stderr.contains("checkpoint stored again"), "{stderr}");
}

/// When the last checkpoint cannot be stored either, the exit says so
/// (exit 1, within the drain timeout): the lines were delivered, and the
/// next start will send again what followed the last stored checkpoint.
#[test]
fn a_final_checkpoint_that_cannot_be_stored_exits_1_in_time() {
    let root = LogDir::new();
    append(&root.current(), &lines(0, 10));
    let ck_dir = root.path("ck");
    fs::write(&ck_dir, b"").unwrap(); // a file where the directory should be
    let ck = ck_dir.join("cp.json");
    let mut sidecar = checkpointing_to(
        &root,
        &ck,
        &["--shutdown-linger", "100ms", "--drain-timeout", "2s"],
    );
    wait_until("the lines", Duration::from_secs(20), || {
        Tally::of(&sidecar.output(), 10).lost().is_empty() || !sidecar.is_running()
    });
    assert!(sidecar.is_running(), "exited: {}", sidecar.stderr());
    sidecar.signal("TERM");
    let signalled = Instant::now();
    let status = sidecar.wait(Duration::from_secs(10));
    assert!(
        signalled.elapsed() < Duration::from_secs(3),
        "{:?}",
        signalled.elapsed()
    );
    assert_eq!(status.code(), Some(1), "{}", sidecar.stderr());
    assert!(
        sidecar
            .stderr()
            .contains("the checkpoint could not be stored"),
        "{}",
        sidecar.stderr()
    );
}

/// A corrupt or unreadable checkpoint exited 1, and so crash-looped; a
/// FIFO in its place hung the start. Now it is moved aside, said loudly,
/// and the start is a first run (repeats are better than a crash loop).
/// One written by a newer build is refused: exit 2 and why.
#[test]
fn an_unusable_checkpoint_is_set_aside_and_a_newer_one_refused() {
    type Plant = fn(&Path);
    let cases: [(&str, Plant, &str); 3] = [
        (
            "garbage",
            |p| fs::write(p, b"{not json").unwrap(),
            "is not valid",
        ),
        (
            "version as a string",
            |p| fs::write(p, br#"{"version":"1","files":[]}"#).unwrap(),
            r#"the version field is not a number: "1""#,
        ),
        (
            "a FIFO",
            |p| {
                rustix::fs::mknodat(
                    rustix::fs::CWD,
                    p,
                    rustix::fs::FileType::Fifo,
                    rustix::fs::Mode::from_raw_mode(0o644),
                    0,
                )
                .unwrap()
            },
            "not a regular file",
        ),
    ];
    for (what, plant, said) in cases {
        let dir = LogDir::new();
        append(&dir.current(), &lines(0, 10));
        plant(&dir.checkpoint());
        let mut sidecar = Sidecar::start(&["--path", &dir.pattern(), "--shutdown-linger", "100ms"]);
        wait_until(what, Duration::from_secs(20), || {
            Tally::of(&sidecar.output(), 10).lost().is_empty() || !sidecar.is_running()
        });
        assert!(sidecar.is_running(), "{what}: exited: {}", sidecar.stderr());
        assert!(sidecar.terminate(Duration::from_secs(10)).success());
        let stderr = sidecar.stderr();
        assert!(
            stderr.contains(said) && stderr.contains("moved aside"),
            "{what}: {stderr}"
        );
        assert_eq!(
            checkpointed_bytes(&dir.checkpoint()),
            10 * LINE_LEN,
            "{what}"
        );
        let aside = fs::read_dir(dir.dir.path())
            .unwrap()
            .filter(|e| {
                let name = e.as_ref().unwrap().file_name();
                name.to_string_lossy().contains(".unusable-")
            })
            .count();
        assert_eq!(aside, 1, "{what}: the old checkpoint kept aside");
    }

    let dir = LogDir::new();
    fs::write(dir.checkpoint(), br#"{"version":2,"files":[]}"#).unwrap();
    let out = std::process::Command::new(support::sidecar::binary())
        .args(["--path", &dir.pattern(), "--admin-listen", "127.0.0.1:0"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("format version 2, newer"), "{stderr}");
}

/// A client holding an admin request half-sent (a slowloris) during
/// shutdown kept the sidecar alive for the admin server's own 5 s drain,
/// past `--drain-timeout 2s`. The admin port now drains by the same
/// deadline as the lines, and the exit is still clean.
#[test]
fn a_slowloris_on_the_admin_port_does_not_stretch_shutdown_past_the_drain_timeout() {
    use std::io::Write;
    let dir = LogDir::new();
    append(&dir.current(), &lines(0, 10));
    let pattern = dir.pattern();
    let mut sidecar = Sidecar::start(&[
        "--path",
        &pattern,
        "--shutdown-linger",
        "100ms",
        "--drain-timeout",
        "2s",
    ]);
    wait_until("the lines", Duration::from_secs(20), || {
        Tally::of(&sidecar.output(), 10).lost().is_empty() || !sidecar.is_running()
    });
    let mut slow = std::net::TcpStream::connect(sidecar.admin_addr()).unwrap();
    slow.write_all(b"GET /metrics HTTP/1.1\r\nHost: test\r\n")
        .unwrap();
    sidecar.signal("TERM");
    let signalled = Instant::now();
    let status = sidecar.wait(Duration::from_secs(10));
    let took = signalled.elapsed();
    assert!(status.success(), "{status:?}: {}", sidecar.stderr());
    assert!(
        took < Duration::from_millis(2900),
        "exit {took:?} after SIGTERM with --drain-timeout 2s: {}",
        sidecar.stderr()
    );
    assert_eq!(Tally::of(&sidecar.output(), 10).lost().len(), 0);
}
