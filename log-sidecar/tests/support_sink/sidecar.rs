//! The real log-sidecar binary as a child process the test owns: started
//! with the test's flags, its memory read from /proc, stopped with a real
//! SIGTERM, and killed by `Drop` if the test fails half-way, so nothing is
//! left running.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

pub struct Sidecar {
    child: Child,
    stderr_path: PathBuf,
}

impl Sidecar {
    /// Starts the binary with `args`; stdout is discarded (the sink is what
    /// these tests watch), stderr goes to `dir/sidecar.stderr` for diagnostics.
    pub fn start(dir: &Path, args: &[String]) -> Sidecar {
        let stderr_path = dir.join("sidecar.stderr");
        let stderr = File::create(&stderr_path).expect("create the stderr file");
        let child = Command::new(env!("CARGO_BIN_EXE_log-sidecar"))
            .args(args)
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(stderr)
            .spawn()
            .expect("start log-sidecar");
        Sidecar { child, stderr_path }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// A `/proc/PID/status` field in KiB, e.g. `VmRSS` (now) or `VmHWM` (peak).
    pub fn memory_kib(&self, field: &str) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid()))
            .expect("the sidecar is running");
        status
            .lines()
            .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
            .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or_else(|| panic!("no {field} in /proc/{}/status", self.pid()))
    }

    /// Polls stderr until the sidecar logs its admin address (it is told to
    /// bind 127.0.0.1:0), or `within` passed.
    pub fn admin_addr(&mut self, within: Duration) -> std::net::SocketAddr {
        let deadline = Instant::now() + within;
        loop {
            let stderr = self.stderr();
            if let Some(addr) = stderr
                .lines()
                .find_map(|line| line.split("admin listening on ").nth(1))
                .and_then(|addr| addr.trim().parse().ok())
            {
                return addr;
            }
            assert!(self.is_running(), "sidecar exited: {stderr}");
            assert!(
                Instant::now() < deadline,
                "no admin address logged: {stderr}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn stderr(&self) -> String {
        std::fs::read_to_string(&self.stderr_path).unwrap_or_default()
    }

    /// Still running (not exited)?
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Sends SIGTERM, as the kubelet does.
    pub fn terminate(&self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.pid().to_string()])
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -TERM {} failed", self.pid());
    }

    /// Polls for the exit until `within` passed.
    pub fn wait_exit(&mut self, within: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + within;
        loop {
            if let Some(status) = self.child.try_wait().expect("wait for log-sidecar") {
                return Some(status);
            }
            if Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Sidecar {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// GET `path` from the sidecar's admin endpoint: the body of a 200 answer.
pub fn admin_get(addr: std::net::SocketAddr, path: &str) -> String {
    use std::io::{Read as _, Write as _};
    let mut stream = std::net::TcpStream::connect(addr).expect("connect to the admin endpoint");
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .expect("set a read timeout");
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .expect("send the request");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).expect("read the answer");
    let (head, body) = answer.split_once("\r\n\r\n").expect("an HTTP answer");
    assert!(head.starts_with("HTTP/1.1 200"), "GET {path}: {head}");
    body.to_owned()
}
