//! Shared helpers of the sidecar's integration tests: the real binary run as
//! a child process (stdout and stderr captured, killed on drop), a writer of
//! numbered fixed-width lines, and an exact tally of loss and duplication.

#![allow(dead_code)] // each test file uses a different subset

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Bytes of every numbered line, newline included: offsets map to lines.
pub const LINE_LEN: u64 = 32;

/// The numbered line `n`: `n=00000042 ..................\n`, LINE_LEN bytes.
pub fn line(n: u64) -> Vec<u8> {
    let mut s = format!("n={n:08} ").into_bytes();
    s.resize(LINE_LEN as usize - 1, b'.');
    s.push(b'\n');
    s
}

/// Lines `from..to`, concatenated.
pub fn lines(from: u64, to: u64) -> Vec<u8> {
    (from..to).flat_map(line).collect()
}

/// Appends to a file, creating it.
pub fn append(path: &Path, bytes: &[u8]) {
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap_or_else(|e| panic!("open {}: {e}", path.display()));
    f.write_all(bytes).expect("append");
}

/// Polls `cond` every 10 ms until it holds or `limit` passes.
pub fn wait_until(what: &str, limit: Duration, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !cond() {
        assert!(
            Instant::now() < deadline,
            "timed out after {limit:?} waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// How often each numbered line was seen.
#[derive(Debug)]
pub struct Tally {
    /// `counts[n]` for lines `0..counts.len()`.
    pub counts: Vec<u32>,
    /// Output lines that are not numbered lines of this test.
    pub foreign: Vec<String>,
}

impl Tally {
    /// Counts numbered lines `0..total` in `output`.
    pub fn of(output: &[u8], total: u64) -> Self {
        let mut counts = vec![0u32; total as usize];
        let mut foreign = Vec::new();
        for l in output.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
            match parse_number(l) {
                Some(n) if n < total => counts[n as usize] += 1,
                _ => foreign.push(String::from_utf8_lossy(l).into_owned()),
            }
        }
        Self { counts, foreign }
    }

    /// Lines never seen.
    pub fn lost(&self) -> Vec<u64> {
        (0..self.counts.len() as u64)
            .filter(|&n| self.counts[n as usize] == 0)
            .collect()
    }

    /// Extra copies in total.
    pub fn duplicates(&self) -> u64 {
        self.counts
            .iter()
            .map(|&c| u64::from(c.saturating_sub(1)))
            .sum()
    }

    /// The highest numbered line in `output`.
    pub fn max_number(output: &[u8]) -> Option<u64> {
        output.split(|&b| b == b'\n').filter_map(parse_number).max()
    }

    /// The most copies of any line.
    pub fn max_count(&self) -> u32 {
        self.counts.iter().copied().max().unwrap_or(0)
    }

    /// Numbered lines seen at least once.
    pub fn seen(&self) -> u64 {
        self.counts.iter().filter(|&&c| c > 0).count() as u64
    }
}

/// The number of a numbered line (`n=00000042 ...`).
pub fn parse_number(l: &[u8]) -> Option<u64> {
    let digits = l.strip_prefix(b"n=")?.get(..8)?;
    std::str::from_utf8(digits).ok()?.parse().ok()
}

/// A running log-sidecar.
pub struct Sidecar {
    child: Child,
    stdout: Arc<Mutex<Vec<u8>>>,
    stderr: Arc<Mutex<String>>,
    readers: Vec<JoinHandle<()>>,
    status: Option<ExitStatus>,
}

/// The release or debug binary cargo built for these tests.
pub fn binary() -> &'static str {
    env!("CARGO_BIN_EXE_log-sidecar")
}

impl Sidecar {
    /// Starts the sidecar with `args` plus an admin port chosen by the OS.
    pub fn start(args: &[&str]) -> Self {
        Self::start_with_env(args, &[])
    }

    /// [`Sidecar::start`] with extra environment variables.
    pub fn start_with_env(args: &[&str], env: &[(&str, &str)]) -> Self {
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
        let stdout = Arc::new(Mutex::new(Vec::new()));
        let stderr = Arc::new(Mutex::new(String::new()));
        let mut out_pipe = child.stdout.take().expect("piped stdout");
        let err_pipe = child.stderr.take().expect("piped stderr");
        let out = Arc::clone(&stdout);
        let err = Arc::clone(&stderr);
        let readers = vec![
            std::thread::spawn(move || {
                let mut buf = vec![0u8; 64 * 1024];
                loop {
                    match out_pipe.read(&mut buf) {
                        Ok(0) | Err(_) => return,
                        Ok(n) => out.lock().unwrap().extend_from_slice(&buf[..n]),
                    }
                }
            }),
            std::thread::spawn(move || {
                for l in BufReader::new(err_pipe).lines() {
                    let Ok(l) = l else { return };
                    let mut e = err.lock().unwrap();
                    e.push_str(&l);
                    e.push('\n');
                }
            }),
        ];
        Self {
            child,
            stdout,
            stderr,
            readers,
            status: None,
        }
    }

    /// The process id, for signals.
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

    /// The value of an unlabelled metric, or the sum over its labels.
    pub fn metric(&self, name: &str) -> f64 {
        let (status, body) = self.admin_get("/metrics");
        assert_eq!(status, 200);
        body.lines()
            .filter(|l| {
                l.strip_prefix(name)
                    .is_some_and(|rest| rest.starts_with(' ') || rest.starts_with('{'))
            })
            .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
            .sum()
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
    let mut s = TcpStream::connect(addr).expect("connect to the admin endpoint");
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut raw = String::new();
    s.read_to_string(&mut raw).expect("read the answer");
    let status = raw
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP answer: {raw:?}"));
    let body = raw.split_once("\r\n\r\n").map_or("", |(_, b)| b).to_owned();
    (status, body)
}

/// A temporary log directory with the pod's names.
pub struct LogDir {
    /// Kept alive for the test's duration.
    pub dir: tempfile::TempDir,
}

impl LogDir {
    /// A fresh directory.
    pub fn new() -> Self {
        Self {
            dir: tempfile::tempdir().expect("tempdir"),
        }
    }

    /// `<dir>/<name>`.
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// The pod's pattern: `<dir>/app.log*`.
    pub fn pattern(&self) -> String {
        format!("{}/app.log*", self.dir.path().display())
    }

    /// `<dir>/app.log`.
    pub fn current(&self) -> PathBuf {
        self.path("app.log")
    }

    /// The checkpoint file.
    pub fn checkpoint(&self) -> PathBuf {
        self.path(".log-sidecar-checkpoint.json")
    }
}

/// Sum of the offsets in the checkpoint file (0 when absent).
pub fn checkpointed_bytes(path: &Path) -> u64 {
    let Ok(text) = std::fs::read(path) else {
        return 0;
    };
    let v: serde_json::Value = serde_json::from_slice(&text).expect("checkpoint JSON");
    v["files"]
        .as_array()
        .expect("files")
        .iter()
        .map(|f| f["offset"].as_u64().expect("offset"))
        .sum()
}
