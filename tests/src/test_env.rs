//! What the environment tells every crate's tests, said once: whether this
//! is a CI run (where a missing tool fails instead of skipping), and which
//! built binaries to run.
//!
//! One file, shared by source: the `e2e` crate declares it as a module, and
//! the test helpers of `time-core`, `time-server` and `log-sidecar` include
//! this same file with `#[path]`. It needs nothing but `std`, so no crate
//! gains a dependency: a dev-dependency on `e2e` would pull its HTTP stack
//! into the pure library's tests, and a crate of its own would be one more
//! workspace member for three functions. scripts/common.sh applies the same
//! CI rule to the shell.

use std::io::Read;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

/// Whether `CI` (its value, if set) means a CI run: `true` or `1` do;
/// unset, empty, `false` and `0` do not. Anything else panics: a run that
/// cannot tell would have to guess between a skip and a failure.
pub fn ci_from(value: Option<&str>) -> bool {
    match value {
        Some("true" | "1") => true,
        None | Some("" | "false" | "0") => false,
        Some(other) => panic!("CI={other:?}: expected true or 1 (CI), false, 0 or unset (not CI)"),
    }
}

/// Whether this is a CI run, by [`ci_from`] of the `CI` variable.
pub fn in_ci() -> bool {
    ci_from(std::env::var("CI").ok().as_deref())
}

/// Reports a missing prerequisite of `test`: a failure under CI (the test
/// command installs every tool, so a missing one is a broken install), a
/// loud skip elsewhere.
pub fn missing(test: &str, why: &str) {
    if in_ci() {
        panic!("{test}: {why}; under CI this is a failure, not a skip");
    }
    eprintln!("\n!!! SKIPPED {test}: {why} (with CI=true or CI=1 this fails) !!!\n");
}

/// `TIME_SERVICE_BIN_DIR`, when set: the directory of the binaries to test
/// (scripts/test.sh points it at the binaries the image ships).
pub fn shipped_bin_dir() -> Option<PathBuf> {
    std::env::var_os("TIME_SERVICE_BIN_DIR").map(PathBuf::from)
}

/// The binary `name` to run: from [`shipped_bin_dir`] when set (a missing
/// file there panics rather than silently testing another build), else
/// `cargo_built`, the `CARGO_BIN_EXE_<name>` of the crate's own test build.
pub fn binary(name: &str, cargo_built: &str) -> PathBuf {
    match shipped_bin_dir() {
        Some(dir) => {
            let path = dir.join(name);
            assert!(
                path.is_file(),
                "TIME_SERVICE_BIN_DIR={} has no {name}",
                dir.display()
            );
            path
        }
        None => PathBuf::from(cargo_built),
    }
}

/// `command.output()`, bounded: a program expected to end by itself (a bad
/// flag, `--help`) that does not end within `limit` is killed and the test
/// fails saying so, instead of hanging the whole run.
#[allow(dead_code)] // time-core's tests run no program of ours
pub fn output_within(command: &mut Command, limit: Duration) -> Output {
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("start {command:?}: {e}"));
    let stdout = read_all(child.stdout.take().expect("piped stdout"));
    let stderr = read_all(child.stderr.take().expect("piped stderr"));
    let deadline = Instant::now() + limit;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for the program") {
            break status;
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            let stderr = stderr.join().expect("stderr reader");
            panic!(
                "{command:?} still running after {limit:?}, killed; its stderr: {}",
                String::from_utf8_lossy(&stderr)
            );
        }
        thread::sleep(Duration::from_millis(10));
    };
    Output {
        status,
        stdout: stdout.join().expect("stdout reader"),
        stderr: stderr.join().expect("stderr reader"),
    }
}

/// Reads a pipe to its end on a thread of its own, so a chatty program
/// never blocks on a full pipe while [`output_within`] waits for it.
#[allow(dead_code)]
fn read_all(mut pipe: impl Read + Send + 'static) -> JoinHandle<Vec<u8>> {
    thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = pipe.read_to_end(&mut bytes);
        bytes
    })
}
