//! Where things are: the repository root, and the binaries under test.

use std::path::PathBuf;

/// The workspace root (the directory holding `manifests/` and `Dockerfile`).
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the e2e crate lives one level below the workspace root")
        .to_path_buf()
}

/// The `bin/` of the project's virtual environment (`TIME_SERVICE_VENV`,
/// else `<root>/.venv`), where scripts/install-test-deps.sh puts the pinned
/// tools: kubectl, kubernetes-validate, checkov.
pub fn venv_bin() -> PathBuf {
    std::env::var_os("TIME_SERVICE_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join(".venv"))
        .join("bin")
}

/// The directory holding the built `time-server` and `log-sidecar`:
/// `TIME_SERVICE_BIN_DIR` (scripts/test.sh sets it), else the release or
/// debug directory of `CARGO_TARGET_DIR` or `<root>/target`. `None` when no
/// candidate holds both binaries.
pub fn bin_dir() -> Option<PathBuf> {
    let has_both =
        |dir: &PathBuf| dir.join("time-server").is_file() && dir.join("log-sidecar").is_file();
    if let Some(dir) = crate::test_env::shipped_bin_dir() {
        return has_both(&dir).then_some(dir);
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target"));
    ["release", "debug"]
        .iter()
        .map(|profile| target.join(profile))
        .find(has_both)
}
