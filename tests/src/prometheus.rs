//! A real Prometheus server (Debian's package) for one test: listening on
//! 127.0.0.1 at a free port, scraping the given targets every second, its
//! TSDB in a temp dir, stopped by its PID when dropped.

use std::process::Command;
use std::time::Duration;

use serde_json::Value;

use crate::http;
use crate::process::Running;
use crate::wait;

/// A running Prometheus.
#[derive(Debug)]
pub struct Prometheus {
    process: Running,
    port: u16,
    _dir: tempfile::TempDir,
}

impl Prometheus {
    /// Starts Prometheus scraping each `(job, "127.0.0.1:port")` target's
    /// `/metrics`, and waits until it is ready to answer queries.
    pub fn start(binary: &std::path::Path, targets: &[(&str, String)]) -> Prometheus {
        let dir = tempfile::Builder::new()
            .prefix("prometheus.")
            .tempdir()
            .expect("temp dir");
        let mut config = String::from(
            "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n  evaluation_interval: 1s\nscrape_configs:\n",
        );
        for (job, addr) in targets {
            assert!(
                addr.starts_with("127.0.0.1:"),
                "scrape only 127.0.0.1 targets, not {addr}"
            );
            config.push_str(&format!(
                "  - job_name: {job}\n    metrics_path: /metrics\n    static_configs:\n      - targets: ['{addr}']\n"
            ));
        }
        let config_file = dir.path().join("prometheus.yml");
        std::fs::write(&config_file, config).expect("temp dir is writable");
        let port = http::free_port();
        let mut cmd = Command::new(binary);
        cmd.arg(format!("--config.file={}", config_file.display()))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.path().join("data").display()
            ))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .arg("--log.level=warn");
        let process = Running::spawn("prometheus", cmd, dir.path());
        let mut prometheus = Prometheus {
            process,
            port,
            _dir: dir,
        };
        let url = prometheus.url("/-/ready");
        wait::until(
            "Prometheus to be ready",
            Duration::from_secs(30),
            Duration::from_millis(100),
            || {
                if let Some(status) = prometheus.process.try_exit() {
                    panic!(
                        "prometheus exited with {status}:\n{}",
                        prometheus.process.stderr()
                    );
                }
                match http::get(&url) {
                    Ok(a) if a.status == 200 => Ok(()),
                    Ok(a) => Err(format!("{} {}", a.status, a.body)),
                    Err(e) => Err(e),
                }
            },
        );
        prometheus
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// An instant query: each series' labels and value.
    pub fn query(&self, promql: &str) -> Result<Vec<(Value, f64)>, String> {
        let answer =
            http::get(&self.url(&format!("/api/v1/query?query={}", percent_encode(promql))))?;
        let json: Value =
            serde_json::from_str(&answer.body).map_err(|e| format!("{e}: {}", answer.body))?;
        if json["status"] != "success" {
            return Err(format!("query {promql} failed: {}", answer.body));
        }
        let series = json["data"]["result"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        series
            .into_iter()
            .map(|s| {
                let value = s["value"][1]
                    .as_str()
                    .and_then(|v| v.parse::<f64>().ok())
                    .ok_or_else(|| format!("no value in {s}"))?;
                Ok((s["metric"].clone(), value))
            })
            .collect()
    }

    /// Stops Prometheus with SIGTERM and waits for it to exit.
    pub fn stop(mut self) {
        self.process.signal("TERM");
        self.process.wait_exit(Duration::from_secs(20));
    }
}

/// Percent-encodes a query-string value (RFC 3986 unreserved kept).
fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn percent_encoding_keeps_promql_intact() {
        assert_eq!(
            super::percent_encode(r#"up{job="a b"}"#),
            "up%7Bjob%3D%22a%20b%22%7D"
        );
    }
}
