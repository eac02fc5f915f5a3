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
