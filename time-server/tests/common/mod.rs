//! Shared helpers of the integration tests: a tiny HTTP/1.1 client on a raw
//! TCP stream (so tests control every byte and the connection's lifetime),
//! and bounded polling.
#![allow(dead_code)] // each test file uses a different subset

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// How long any single wait in a test may take before it fails.
pub const DEADLINE: Duration = Duration::from_secs(10);

/// A parsed HTTP/1.1 response.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    /// Lower-cased names; the last value wins.
    pub headers: BTreeMap<String, String>,
    pub body: String,
}

impl Reply {
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .map(String::as_str)
            .unwrap_or_else(|| panic!("no {name} header in {self:#?}"))
    }
}

/// One kept-alive HTTP/1.1 connection.
#[derive(Debug)]
pub struct Conn {
    stream: TcpStream,
    buf: Vec<u8>,
}

impl Conn {
    pub async fn open(addr: SocketAddr) -> Conn {
        let stream = tokio::time::timeout(DEADLINE, TcpStream::connect(addr))
            .await
            .expect("connect in time")
            .expect("connect");
        Conn {
            stream,
            buf: Vec::new(),
        }
    }

    /// Sends raw bytes.
    pub async fn send(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.stream.write_all(bytes).await
    }

    /// Sends `METHOD path` with Host and no body, and reads the response.
    pub async fn request(&mut self, method: &str, path: &str) -> Reply {
        let req = format!("{method} {path} HTTP/1.1\r\nHost: test\r\n\r\n");
        self.send(req.as_bytes()).await.expect("send request");
        self.read_reply(method == "HEAD").await.expect("a response")
    }

    /// Reads one response; `None` if the server closed the connection first.
    pub async fn read_reply(&mut self, head_request: bool) -> Option<Reply> {
        tokio::time::timeout(DEADLINE, self.read_reply_inner(head_request))
            .await
            .expect("response in time")
    }

    async fn read_reply_inner(&mut self, head_request: bool) -> Option<Reply> {
        let head_end = loop {
            if let Some(i) = find(&self.buf, b"\r\n\r\n") {
                break i;
            }
            if !self.fill().await {
                return None;
            }
        };
        let head = String::from_utf8(self.buf[..head_end].to_vec()).expect("ascii head");
        let mut lines = head.split("\r\n");
        let status_line = lines.next().expect("status line");
        let status = status_line
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("bad status line {status_line:?}"));
        let headers: BTreeMap<String, String> = lines
            .map(|l| {
                let (k, v) = l.split_once(':').expect("header line");
                (k.trim().to_ascii_lowercase(), v.trim().to_string())
            })
            .collect();
        self.buf.drain(..head_end + 4);
        let len: usize = if head_request {
            0
        } else {
            headers
                .get("content-length")
                .map(|v| v.parse().expect("numeric content-length"))
                .unwrap_or(0)
        };
        while self.buf.len() < len {
            assert!(self.fill().await, "connection closed inside a body");
        }
        let body = String::from_utf8(self.buf.drain(..len).collect()).expect("utf-8 body");
        Some(Reply {
            status,
            headers,
            body,
        })
    }

    async fn fill(&mut self) -> bool {
        let mut chunk = [0u8; 8192];
        match self.stream.read(&mut chunk).await {
            Ok(0) | Err(_) => false,
            Ok(n) => {
                self.buf.extend_from_slice(&chunk[..n]);
                true
            }
        }
    }

    /// Whether the server closed the connection (EOF or reset) within `within`.
    pub async fn closed_within(&mut self, within: Duration) -> bool {
        let mut chunk = [0u8; 1024];
        matches!(
            tokio::time::timeout(within, self.stream.read(&mut chunk)).await,
            Ok(Ok(0)) | Ok(Err(_))
        )
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// One request on a fresh connection.
pub async fn get(addr: SocketAddr, path: &str) -> Reply {
    Conn::open(addr).await.request("GET", path).await
}

/// Polls `check` until it returns true, failing the test after `DEADLINE`.
pub async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + DEADLINE;
    while !check().await {
        assert!(Instant::now() < deadline, "timed out waiting for: {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// The value of an unlabelled or exactly-labelled sample in Prometheus text.
pub fn sample(metrics: &str, series: &str) -> Option<f64> {
    metrics.lines().find_map(|line| {
        let rest = line.strip_prefix(series)?;
        let value = rest.strip_prefix(' ')?;
        value.trim().parse().ok()
    })
}

// ---------------------------------------------------------------------------
// The time server, in process: bound to 127.0.0.1:0, stopped through its
// Shutdown.

use time_server::kit::{ServeOptions, Stop};
use time_server::{run, Service};

pub struct TestServer {
    pub addr: SocketAddr,
    /// What SIGTERM would do: `stop.begin()`.
    pub stop: Stop,
    pub task: tokio::task::JoinHandle<std::io::Result<()>>,
}

/// Starts `run` with `options` and a shutdown delay, and waits until it
/// reports ready.
pub async fn start_server(options: ServeOptions, shutdown_delay: Duration) -> TestServer {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let stop = Stop::new();
    let service = Service::new(options, shutdown_delay);
    let task = tokio::spawn(run(listener, service, stop.clone()));
    eventually("server ready", || async {
        get(addr, "/readyz").await.status == 200
    })
    .await;
    TestServer { addr, stop, task }
}

/// Options with short timeouts for tests that wait for them.
pub fn quick_options() -> ServeOptions {
    ServeOptions {
        header_read_timeout: Duration::from_millis(500),
        idle_timeout: Duration::from_millis(700),
        drain_timeout: Duration::from_secs(5),
        ..ServeOptions::default()
    }
}

// ---------------------------------------------------------------------------
// The time-server binary as a child process, killed when dropped.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

pub struct Process {
    pub child: Child,
    pub addr: SocketAddr,
    pub stdout: PathBuf,
    pub stderr: PathBuf,
}

impl Process {
    /// Starts the binary with `args` (plus `--listen 127.0.0.1:0`), stdout
    /// and stderr to files in `dir`, and waits for its start-up line.
    pub fn start(dir: &Path, args: &[&str]) -> Process {
        let binary = test_env::binary("time-server", env!("CARGO_BIN_EXE_time-server"));
        let mut command = Command::new(binary);
        command.args(["--listen", "127.0.0.1:0"]).args(args);
        Process::spawn(command, dir)
    }

    /// Starts `command` with stdout and stderr to files in `dir`, and waits
    /// for its start-up line (`listening on <addr>`) in either.
    pub fn spawn(mut command: Command, dir: &Path) -> Process {
        let stdout = dir.join("stdout.log");
        let stderr = dir.join("stderr.log");
        let child = command
            .env("RUST_LOG", "info")
            .env_remove("TZ")
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(&stdout).unwrap())
            .stderr(std::fs::File::create(&stderr).unwrap())
            .spawn()
            .expect("start the program");
        let mut process = Process {
            child,
            addr: "127.0.0.1:1".parse().unwrap(),
            stdout,
            stderr,
        };
        let deadline = Instant::now() + DEADLINE;
        process.addr = loop {
            let out = process.stdout_text() + &process.stderr_text();
            if let Some(addr) = out.lines().find_map(|l| {
                let rest = l.split(" listening on ").nth(1)?;
                rest.split(' ').next()?.parse().ok()
            }) {
                break addr;
            }
            if let Ok(Some(status)) = process.child.try_wait() {
                panic!(
                    "the program exited with {status} before listening: {}",
                    std::fs::read_to_string(&process.stderr).unwrap_or_default()
                );
            }
            assert!(Instant::now() < deadline, "no start-up line in {out:?}");
            std::thread::sleep(Duration::from_millis(10));
        };
        process
    }

    pub fn pid(&self) -> String {
        self.child.id().to_string()
    }

    /// Sends a signal with kill(1), e.g. "TERM".
    pub fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .args([&format!("-{name}"), &self.pid()])
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -{name} failed");
    }

    /// Waits for the process to exit, failing after `within`.
    pub async fn wait_exit(&mut self, within: Duration) -> std::process::ExitStatus {
        let deadline = Instant::now() + within;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "process did not exit within {within:?}"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    pub fn stdout_text(&self) -> String {
        std::fs::read_to_string(&self.stdout).unwrap_or_default()
    }

    pub fn stderr_text(&self) -> String {
        std::fs::read_to_string(&self.stderr).unwrap_or_default()
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// The request sequence numbers (`#N`) of the request lines in `text`.
pub fn request_numbers(text: &str) -> Vec<u64> {
    text.lines()
        .filter(|l| l.contains("time_server::request_log]"))
        .map(|l| {
            l.rsplit_once(" #")
                .and_then(|(_, n)| n.parse().ok())
                .unwrap_or_else(|| panic!("request line without a number: {l:?}"))
        })
        .collect()
}

/// What CI means (a missing tool fails, never skips) and which binary to
/// test, shared by source with every crate's tests.
#[path = "../../../tests/src/test_env.rs"]
pub mod test_env;
