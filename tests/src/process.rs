//! Child processes owned by a test: killed and reaped when the guard is
//! dropped, so a failing assertion leaves nothing running; stopped on
//! purpose with a real SIGTERM sent by `kill`, as the kubelet would.

use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// A running child with its stdout and stderr going to files, so that a
/// test can read what it printed at any time without pipe back-pressure.
#[derive(Debug)]
pub struct Running {
    name: String,
    child: Option<Child>,
    stdout: std::path::PathBuf,
    stderr: std::path::PathBuf,
}

impl Running {
    /// Starts `cmd` with its output captured in `<dir>/<name>.stdout|stderr`.
    pub fn spawn(name: &str, mut cmd: Command, dir: &Path) -> Running {
        let stdout = dir.join(format!("{name}.stdout"));
        let stderr = dir.join(format!("{name}.stderr"));
        let out = std::fs::File::create(&stdout).expect("the test's temp dir is writable");
        let err = std::fs::File::create(&stderr).expect("the test's temp dir is writable");
        let child = cmd
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {name} ({cmd:?}): {e}"));
        Running {
            name: name.to_string(),
            child: Some(child),
            stdout,
            stderr,
        }
    }

    /// The child's PID.
    pub fn pid(&self) -> u32 {
        self.child
            .as_ref()
            .map(|c| c.id())
            .expect("pid asked after exit was reaped")
    }

    /// Everything the child has written to stdout so far.
    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(&std::fs::read(&self.stdout).unwrap_or_default()).into_owned()
    }

    /// Everything the child has written to stderr so far.
    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&std::fs::read(&self.stderr).unwrap_or_default()).into_owned()
    }

    /// `Some(status)` once the child has exited.
    pub fn try_exit(&mut self) -> Option<ExitStatus> {
        self.child.as_mut()?.try_wait().ok().flatten()
    }

    /// Sends `signal` (e.g. "TERM") with `kill`, to this child's PID only.
    pub fn signal(&self, signal: &str) {
        send_signal(self.pid(), signal);
    }

    /// Waits up to `timeout` for the child to exit; panics (and the drop
    /// kills it) if it does not.
    pub fn wait_exit(&mut self, timeout: Duration) -> ExitStatus {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.try_exit() {
                return status;
            }
            if Instant::now() >= deadline {
                panic!(
                    "{} did not exit within {timeout:?}\n--- stderr ---\n{}",
                    self.name,
                    self.stderr()
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            if child.try_wait().ok().flatten().is_none() {
                let _ = child.kill();
                let _ = child.wait();
            }
        }
    }
}

/// Sends `signal` to `pid` with the `kill` program.
pub fn send_signal(pid: u32, signal: &str) {
    kill(signal, &pid.to_string());
}

/// Sends `signal` to every process of the group `pgid` (what a terminal
/// does on Ctrl-C), with the `kill` program.
pub fn send_signal_to_group(pgid: u32, signal: &str) {
    kill(signal, &format!("-{pgid}"));
}

fn kill(signal: &str, target: &str) {
    let status = Command::new("kill")
        .args([&format!("-{signal}"), "--", target])
        .status()
        .expect("`kill` is part of every Linux base system");
    assert!(
        status.success(),
        "kill -{signal} -- {target} failed: {status}"
    );
}
