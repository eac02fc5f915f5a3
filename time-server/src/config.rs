//! The time server's configuration: every flag with its environment
//! variable (the Deployment sets variables, a person at a shell passes
//! flags), parsed once into [`Config`], from which `main` builds the
//! runtime objects.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;

use crate::kit::{
    parse_bytes, parse_duration, LogFileOptions, LogOptions, ServeOptions, MAX_LOG_FILES,
    MIN_HEADER_BYTES,
};

/// The chapter's time service: /time and /nanotime, with /healthz, /readyz
/// and /metrics, per-request logs on stdout and optionally in a rotated
/// file, and graceful shutdown on SIGTERM/SIGINT.
#[derive(Debug, Clone, Parser, PartialEq, Eq)]
#[command(name = "time-server", version)]
pub struct Config {
    /// Address and port to listen on (HTTP/1.1 and h2c on the same port).
    #[arg(
        long,
        env = "LISTEN_ADDR",
        default_value = "0.0.0.0:8080",
        value_name = "ADDR"
    )]
    pub listen: SocketAddr,

    /// Also append every log line to this file (for the log sidecar).
    #[arg(long, env = "LOG_FILE", value_name = "PATH")]
    pub log_file: Option<PathBuf>,

    /// Rotate the log file before it grows past this size (e.g. 10MiB).
    #[arg(long, env = "LOG_MAX_BYTES", default_value = "10MiB", value_parser = parse_log_bytes, value_name = "SIZE")]
    pub log_max_bytes: u64,

    /// How many rotated log files (<file>.1 … <file>.N) to keep, at most
    /// 100.
    #[arg(long, env = "LOG_MAX_FILES", default_value_t = 3, value_parser = clap::value_parser!(u32).range(0..=i64::from(MAX_LOG_FILES)), value_name = "N")]
    pub log_max_files: u32,

    /// After SIGTERM, keep serving this long with readiness failing, so the
    /// endpoint leaves the Service before the listener closes.
    #[arg(long, env = "SHUTDOWN_DELAY", default_value = "5s", value_parser = parse_duration, value_name = "DURATION")]
    pub shutdown_delay: Duration,

    /// Then wait at most this long for in-flight requests to finish.
    #[arg(long, env = "DRAIN_TIMEOUT", default_value = "10s", value_parser = parse_duration, value_name = "DURATION")]
    pub drain_timeout: Duration,

    /// A request head must arrive within this time (slowloris protection).
    #[arg(long, env = "HEADER_READ_TIMEOUT", default_value = "10s", value_parser = parse_positive_duration, value_name = "DURATION")]
    pub header_read_timeout: Duration,

    /// Close keep-alive connections idle for this long.
    #[arg(long, env = "IDLE_TIMEOUT", default_value = "60s", value_parser = parse_positive_duration, value_name = "DURATION")]
    pub idle_timeout: Duration,

    /// Largest accepted request head (at least 8KiB); larger gets 431.
    #[arg(long, env = "MAX_HEADER_BYTES", default_value = "16KiB", value_parser = parse_header_bytes, value_name = "SIZE")]
    pub max_header_bytes: u64,

    /// Open connections at most; at the cap idle ones are closed and new
    /// ones wait in the listen backlog.
    #[arg(long, env = "MAX_CONNECTIONS", default_value_t = 2048, value_parser = clap::value_parser!(u32).range(1..=1_000_000), value_name = "N")]
    pub max_connections: u32,

    /// Tokio worker threads; default: the CPUs this process may run on. 1
    /// runs everything on one thread, fastest when pinned to one core.
    #[arg(long, env = "WORKER_THREADS", value_parser = clap::value_parser!(u16).range(1..=1024), value_name = "N")]
    pub worker_threads: Option<u16>,
}

fn parse_positive_duration(s: &str) -> Result<Duration, String> {
    match parse_duration(s)? {
        d if d.is_zero() => Err("must be more than 0s".to_string()),
        d => Ok(d),
    }
}

fn parse_log_bytes(s: &str) -> Result<u64, String> {
    match parse_bytes(s)? {
        0 => Err("must be more than 0 bytes".to_string()),
        n => Ok(n),
    }
}

fn parse_header_bytes(s: &str) -> Result<u64, String> {
    match parse_bytes(s)? {
        n if n < MIN_HEADER_BYTES as u64 => {
            Err(format!("must be at least {}KiB", MIN_HEADER_BYTES / 1024))
        }
        n if n > 1 << 20 => Err("must be at most 1MiB".to_string()),
        n => Ok(n),
    }
}

impl Config {
    /// The server's limits and timeouts.
    pub fn serve_options(&self) -> ServeOptions {
        ServeOptions {
            header_read_timeout: self.header_read_timeout,
            idle_timeout: self.idle_timeout,
            max_header_bytes: self.max_header_bytes as usize,
            drain_timeout: self.drain_timeout,
            max_connections: self.max_connections as usize,
            ..ServeOptions::default()
        }
    }

    /// Where log lines go: stdout, and the file if one is given.
    pub fn log_options(&self) -> LogOptions {
        LogOptions {
            file: self.log_file.as_ref().map(|path| LogFileOptions {
                path: path.clone(),
                max_bytes: self.log_max_bytes,
                max_files: self.log_max_files,
            }),
            ..LogOptions::default()
        }
    }

    /// Worker threads to run: the flag, else the CPUs available (which
    /// follows `taskset` and cgroup CPU limits).
    pub fn workers(&self) -> usize {
        self.worker_threads
            .map(usize::from)
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Config, clap::Error> {
        Config::try_parse_from(std::iter::once("time-server").chain(args.iter().copied()))
    }

    #[test]
    fn defaults_are_the_chapters() {
        // Parsed without the environment's variables leaking in: none of
        // them is set in the test process.
        let c = parse(&[]).unwrap();
        assert_eq!(c.listen, "0.0.0.0:8080".parse().unwrap());
        assert_eq!(c.log_file, None);
        assert_eq!(c.log_max_bytes, 10 << 20);
        assert_eq!(c.log_max_files, 3);
        assert_eq!(c.shutdown_delay, Duration::from_secs(5));
        assert_eq!(c.drain_timeout, Duration::from_secs(10));
        assert_eq!(c.header_read_timeout, Duration::from_secs(10));
        assert_eq!(c.idle_timeout, Duration::from_secs(60));
        assert_eq!(c.max_header_bytes, 16 << 10);
    }

    #[test]
    fn values_are_parsed_and_checked() {
        let c = parse(&[
            "--listen",
            "127.0.0.1:0",
            "--shutdown-delay",
            "250ms",
            "--log-max-bytes",
            "64KiB",
            "--log-max-files",
            "100",
        ])
        .unwrap();
        assert_eq!(c.log_max_files, 100);
        assert_eq!(c.shutdown_delay, Duration::from_millis(250));
        assert_eq!(c.log_max_bytes, 65536);
        for bad in [
            &["--listen", "nowhere"][..],
            &["--shutdown-delay", "5"],
            &["--max-header-bytes", "1KiB"],
            &["--idle-timeout", "0s"],
            &["--log-max-bytes", "0"],
            &["--worker-threads", "0"],
            &["--max-connections", "0"],
            &["--log-max-files", "101"],
            &["--log-max-files", "4294967295"],
            &["--no-such-flag"],
        ] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
    }
}
