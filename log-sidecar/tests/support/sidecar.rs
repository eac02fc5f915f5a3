//! The real log-sidecar binary as a child process the test owns: started
//! with the test's flags and an admin port chosen by the OS, its stdout and
//! stderr captured as they come, its metrics and memory read while it runs,
//! stopped with real signals, and killed by `Drop` if the test fails
//! half-way, so nothing is left running.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::wait_until;

/// The binary under test: the shipped build scripts/test.sh names, else the
/// one cargo built for these tests.
pub fn binary() -> std::path::PathBuf {
    super::test_env::binary("log-sidecar", env!("CARGO_BIN_EXE_log-sidecar"))
}

/// What becomes of the sidecar's stdout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stdout {
    /// Kept in memory for [`Sidecar::output`].
    Captured,
    /// Read and dropped: the test watches another output.
    Discarded,
}

/// A running log-sidecar.
pub struct Sidecar {
    child: Child,
    stdout: Arc<Mutex<Vec<u8>>>,
    stderr: Arc<Mutex<String>>,
    readers: Vec<JoinHandle<()>>,
    status: Option<ExitStatus>,
}

impl Sidecar {
    /// Starts the sidecar with `args`, stdout captured.
    pub fn start(args: &[&str]) -> Self {
        Self::start_with(args, &[], Stdout::Captured)
    }

    /// Starts the sidecar with `args` plus `--admin-listen 127.0.0.1:0`,
    /// the environment variables `env` and `RUST_LOG=info`.
    pub fn start_with(args: &[&str], env: &[(&str, &str)], stdout: Stdout) -> Self {
        let mut cmd = Command::new(binary());
        cmd.args(["--admin-listen", "127.0.0.1:0"])
            .args(args)
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("start log-sidecar");
        let captured = Arc::new(Mutex::new(Vec::new()));
        let stderr = Arc::new(Mutex::new(String::new()));
        let mut out_pipe = child.stdout.take().expect("piped stdout");
        let err_pipe = child.stderr.take().expect("piped stderr");
        let out = Arc::clone(&captured);
        let err = Arc::clone(&stderr);
        let readers = vec![
            std::thread::spawn(move || {
                let mut buf = vec![0u8; 64 * 1024];
                loop {
                    match out_pipe.read(&mut buf) {
                        Ok(0) | Err(_) => return,
                        Ok(n) if stdout == Stdout::Captured => {
                            out.lock().unwrap().extend_from_slice(&buf[..n])
                        }
                        Ok(_) => {}
                    }
                }
            }),
            std::thread::spawn(move || {
                for l in BufReader::new(err_pipe).split(b'\n') {
                    let Ok(l) = l else { return };
                    let mut e = err.lock().unwrap();
                    e.push_str(&String::from_utf8_lossy(&l));
                    e.push('\n');
                }
            }),
        ];
        Self {
            child,
            stdout: captured,
            stderr,
            readers,
            status: None,
        }
    }

    /// The process id, for signals and /proc.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Everything written to stdout so far.
    pub fn output(&self) -> Vec<u8> {
        self.stdout.lock().unwrap().clone()
    }

    /// Bytes on stdout so far.
    pub fn output_len(&self) -> usize {
        self.stdout.lock().unwrap().len()
    }

    /// Lines on stdout so far.
    pub fn output_lines(&self) -> usize {
        self.stdout
            .lock()
            .unwrap()
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
    }

    /// Everything written to stderr so far.
    pub fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// Still running (not exited)?
    pub fn is_running(&mut self) -> bool {
        self.status.is_none() && matches!(self.child.try_wait(), Ok(None))
    }

    /// The admin address, from the "admin listening on" log line.
    pub fn admin_addr(&self) -> SocketAddr {
        let mut addr = None;
        wait_until(
            "the admin address in the log",
            Duration::from_secs(10),
            || {
                addr = self
                    .stderr()
                    .lines()
                    .find_map(|l| l.split("admin listening on ").nth(1).map(str::to_owned));
                addr.is_some()
            },
        );
        addr.unwrap().trim().parse().expect("a socket address")
    }

    /// GETs `path` from the admin endpoint: (status, body).
    pub fn admin_get(&self, path: &str) -> (u16, String) {
        http_get(self.admin_addr(), path)
    }

    /// A series of `/metrics`, as [`super::metric`] reads it.
    pub fn metric(&self, series: &str) -> f64 {
        let (status, body) = self.admin_get("/metrics");
        assert_eq!(status, 200);
        super::metric(&body, series)
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

    /// Sends a signal with the `kill` command.
    pub fn signal(&self, sig: &str) {
        let ok = Command::new("kill")
            .args([format!("-{sig}"), self.pid().to_string()])
            .status()
            .expect("run kill")
            .success();
        assert!(ok, "kill -{sig} {}", self.pid());
    }

    /// Waits for the process to exit (bounded) and for its output to be read.
    pub fn wait(&mut self, limit: Duration) -> ExitStatus {
        if let Some(s) = self.status {
            return s;
        }
        let deadline = Instant::now() + limit;
        let status = loop {
            if let Some(s) = self.child.try_wait().expect("try_wait") {
                break s;
            }
            if Instant::now() >= deadline {
                let _ = self.child.kill();
                panic!(
                    "log-sidecar did not exit within {limit:?}; stderr:\n{}",
                    self.stderr()
                );
            }
            std::thread::sleep(Duration::from_millis(10));
        };
        for r in self.readers.drain(..) {
            r.join().expect("reader thread");
        }
        self.status = Some(status);
        status
    }

    /// SIGTERM and wait: the graceful stop.
    pub fn terminate(&mut self, limit: Duration) -> ExitStatus {
        self.signal("TERM");
        self.wait(limit)
    }

    /// SIGKILL and wait: the crash.
    pub fn kill9(&mut self) {
        self.signal("KILL");
        self.wait(Duration::from_secs(10));
    }
}

impl Drop for Sidecar {
    fn drop(&mut self) {
        if self.status.is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// A one-request HTTP/1.1 GET to 127.0.0.1: (status, body).
pub fn http_get(addr: SocketAddr, path: &str) -> (u16, String) {
    http_get_within(addr, path, Duration::from_secs(10))
        .unwrap_or_else(|| panic!("GET {path} from {addr}: no answer within 10 s"))
}

/// A one-request HTTP/1.1 GET to 127.0.0.1, or `None` when no complete
/// answer came within `limit` (a hung server is what some tests look for).
pub fn http_get_within(addr: SocketAddr, path: &str, limit: Duration) -> Option<(u16, String)> {
    let mut s = TcpStream::connect_timeout(&addr, limit).ok()?;
    s.set_read_timeout(Some(limit)).ok()?;
    s.set_write_timeout(Some(limit)).ok()?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut raw = String::new();
    s.read_to_string(&mut raw).ok()?;
    let status = raw
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP answer: {raw:?}"));
    let body = raw.split_once("\r\n\r\n").map_or("", |(_, b)| b).to_owned();
    Some((status, body))
}
