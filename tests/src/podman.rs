//! A private podman for one test, set up by `scripts/pod/podman-lab.sh`
//! (the same script a person uses by hand) with all its state in one temp
//! directory, and torn down (pods, containers, images, that directory) when
//! the `Lab` is dropped, pass or fail.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::{tools, workspace};

/// A podman whose storage, run state and network config live in `dir`.
#[derive(Debug)]
pub struct Lab {
    dir: PathBuf,
}

impl Lab {
    /// Sets up the lab (writes its config, checks `podman info` works).
    pub fn start() -> Lab {
        let dir = tempfile::Builder::new()
            .prefix("time-service-podman.")
            .tempdir()
            .expect("temp dir")
            .keep();
        let lab = Lab { dir };
        tools::run_ok(
            Command::new(workspace::root().join("scripts/pod/podman-lab.sh"))
                .arg("setup")
                .arg(&lab.dir),
        );
        lab
    }

    /// The lab's directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// A `podman` command bound to this lab.
    pub fn podman(&self) -> Command {
        let mut cmd = Command::new("podman");
        self.bind(&mut cmd);
        cmd
    }

    /// Points any command (a script that calls podman) at this lab.
    pub fn bind(&self, cmd: &mut Command) {
        cmd.env("CONTAINERS_STORAGE_CONF", self.dir.join("storage.conf"))
            .env("CONTAINERS_CONF", self.dir.join("containers.conf"));
    }

    /// Runs `podman args...`, which must succeed; returns its stdout.
    pub fn run(&self, args: &[&str]) -> String {
        tools::stdout_of(self.podman().args(args))
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        let status = Command::new(workspace::root().join("scripts/pod/podman-lab.sh"))
            .arg("teardown")
            .arg(&self.dir)
            .status();
        if !matches!(status, Ok(s) if s.success()) {
            eprintln!(
                "podman lab teardown of {} failed: {status:?}",
                self.dir.display()
            );
        }
    }
}
