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

use std::path::PathBuf;

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
