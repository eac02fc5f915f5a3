//! External tools the tests drive. On a developer's machine a missing tool
//! skips the test that needs it, loudly; under CI (`CI=true` or `CI=1`) it
//! fails it, because scripts/install-test-deps.sh is supposed to have
//! installed it and a silent skip would turn a broken install into a green
//! run.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub use crate::test_env::{in_ci, missing};
use crate::workspace;

/// Finds `name` on `PATH`.
pub fn which(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| is_executable(candidate))
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata()
        .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// Every tool in `names`, or `None` (test skipped) when one is missing
/// outside CI. Under CI a missing tool panics: the test fails.
pub fn require(test: &str, names: &[&str]) -> Option<Vec<PathBuf>> {
    require_each(test, names, |name| {
        which(name).ok_or_else(|| format!("tool '{name}' is not installed"))
    })
}

/// Every tool in `names` from the project's virtual environment
/// ([`workspace::venv_bin`]), never another copy on `PATH`: these are
/// pinned by scripts/install-test-deps.sh so that every machine renders and
/// validates the manifests with the same versions. Missing: as [`require`].
pub fn require_pinned(test: &str, names: &[&str]) -> Option<Vec<PathBuf>> {
    let bin = workspace::venv_bin();
    require_each(test, names, |name| {
        let path = bin.join(name);
        if is_executable(&path) {
            Ok(path)
        } else {
            Err(format!("{} is not installed", path.display()))
        }
    })
}

fn require_each(
    test: &str,
    names: &[&str],
    find: impl Fn(&str) -> Result<PathBuf, String>,
) -> Option<Vec<PathBuf>> {
    let mut found = Vec::new();
    for name in names {
        match find(name) {
            Ok(path) => found.push(path),
            Err(why) => {
                missing(
                    test,
                    &format!("{why} (scripts/install-test-deps.sh installs it)"),
                );
                return None;
            }
        }
    }
    Some(found)
}

/// Whether this process runs as root (podman's rootful mode needs it).
pub fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// Runs `cmd` to completion and returns its output; panics with the command
/// line, exit status and both streams when it fails.
pub fn run_ok(cmd: &mut Command) -> Output {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot start {cmd:?}: {e}"));
    if !out.status.success() {
        panic!(
            "{cmd:?} failed with {}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    out
}

/// Standard output of a successful `cmd`, as text.
pub fn stdout_of(cmd: &mut Command) -> String {
    String::from_utf8(run_ok(cmd).stdout).expect("tool output is UTF-8")
}

#[cfg(test)]
mod tests {
    use crate::test_env::ci_from;

    #[test]
    fn ci_is_true_or_1_and_nothing_else_is_guessed() {
        assert!(ci_from(Some("true")));
        assert!(ci_from(Some("1")));
        for not_ci in [None, Some(""), Some("false"), Some("0")] {
            assert!(!ci_from(not_ci), "{not_ci:?}");
        }
        for unclear in ["yes", "TRUE", "2", " true"] {
            let caught = std::panic::catch_unwind(|| ci_from(Some(unclear)));
            assert!(
                caught.is_err(),
                "CI={unclear:?} must be refused, not guessed"
            );
        }
    }
}
