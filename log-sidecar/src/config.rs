//! Every flag and environment variable of the sidecar, parsed once into a
//! plain [`Config`] (each flag has an env-var twin, because in Kubernetes
//! the manifest sets env more naturally than args). Invalid values are
//! usage errors (exit 2), found here rather than minutes later.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Parser, ValueEnum};
use time_server::kit::{parse_bytes, parse_duration};

use crate::discovery::{literal_dir, Patterns};
use crate::http_sink::{Compression, Encoding, HeaderFile, HttpSinkConfig, SinkError, Trust};
use crate::multiline::Multiline;
use crate::otlp::Origin;
use crate::record::PodMetadata;

/// The checkpoint's default file name, beside the first followed path.
pub const DEFAULT_CHECKPOINT_NAME: &str = ".log-sidecar-checkpoint.json";

/// How lines are written to stdout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// The line's bytes and a newline, as in the file.
    Raw,
    /// One JSON object per line with the file and pod metadata.
    Json,
}

/// How the structured outputs (JSON stdout, the sinks) make records of
/// lines; raw stdout's bytes are the same either way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum MultilineMode {
    /// A line starting with four spaces continues the record before it
    /// (time-server's and env_logger's continuation lines).
    Indent,
    /// A line matching --multiline-start begins a record; every other
    /// line continues the one before it.
    Start,
    /// Every line is a record.
    Off,
}

/// The sidecar's configuration.
#[derive(Debug, Clone, Parser)]
#[command(
    name = "log-sidecar",
    version,
    about = "Follows log files (across rotation, restarts and shutdown) and forwards every line to stdout and optionally an HTTP sink"
)]
pub struct Config {
    /// File or glob pattern to follow (repeatable or comma-separated); files
    /// that appear later are picked up, a missing directory is waited for.
    #[arg(
        long = "path",
        env = "LOG_PATH",
        required = true,
        value_delimiter = ',',
        num_args = 1
    )]
    pub paths: Vec<String>,

    /// Also follow symlinks (and symlinked directories) that lead out of
    /// the directories the patterns name. Off by default: whoever can write
    /// to the log volume could otherwise have any file the sidecar can read
    /// forwarded.
    #[arg(long, env = "FOLLOW_SYMLINKS_OUTSIDE")]
    pub follow_symlinks_outside: bool,

    /// Where per-file offsets are kept [default: .log-sidecar-checkpoint.json
    /// in the directory of the first --path].
    #[arg(long, env = "CHECKPOINT_FILE")]
    pub checkpoint_file: Option<PathBuf>,

    /// Output format on stdout.
    #[arg(long, env = "OUTPUT_FORMAT", value_enum, default_value = "raw")]
    pub format: Format,

    /// Also POST every line as NDJSON to this http:// or https:// URL.
    #[arg(long, env = "HTTP_SINK", conflicts_with = "otlp_endpoint")]
    pub http_sink: Option<String>,

    /// Also send every line as OpenTelemetry log records, OTLP/HTTP
    /// protobuf, to this URL (e.g. http://collector:4318/v1/logs).
    #[arg(long, env = "OTEL_EXPORTER_OTLP_LOGS_ENDPOINT")]
    pub otlp_endpoint: Option<String>,

    /// Sink request bodies: none or gzip (Content-Encoding: gzip).
    #[arg(long, env = "SINK_COMPRESSION", value_enum, default_value = "none")]
    pub sink_compression: Compression,

    /// PEM file of the CAs an https sink's certificate must chain to
    /// [default: Mozilla's roots, bundled].
    #[arg(long, env = "SINK_CA_FILE")]
    pub sink_ca_file: Option<PathBuf>,

    /// Send `Authorization: Bearer <this file's content>` to the sink (a
    /// token mounted from a Secret; read again as it changes).
    #[arg(long, env = "SINK_BEARER_TOKEN_FILE")]
    pub sink_bearer_token_file: Option<PathBuf>,

    /// NAME=PATH: send header NAME with this file's content to the sink
    /// (repeatable or comma-separated; read again as it changes).
    #[arg(
        long = "sink-header-file",
        env = "SINK_HEADER_FILES",
        value_delimiter = ',',
        num_args = 1
    )]
    pub sink_header_files: Vec<String>,

    /// `service.name` of the OTLP records [default: unknown_service].
    #[arg(long, env = "OTEL_SERVICE_NAME")]
    pub service_name: Option<String>,

    /// `k8s.container.name` of the OTLP records: the container whose
    /// files these are.
    #[arg(long, env = "CONTAINER_NAME")]
    pub container_name: Option<String>,

    /// At most this many lines per sink request.
    #[arg(long, env = "SINK_BATCH_LINES", default_value = "1000")]
    pub sink_batch_lines: usize,

    /// At most this many bytes per sink request (e.g. 1MiB).
    #[arg(long, env = "SINK_BATCH_BYTES", default_value = "1MiB", value_parser = parse_bytes)]
    pub sink_batch_bytes: u64,

    /// A sink request without an answer after this long is retried.
    #[arg(long, env = "SINK_TIMEOUT", default_value = "10s", value_parser = parse_duration)]
    pub sink_timeout: Duration,

    /// Multi-line records for JSON and the sinks: indent (a line starting
    /// with four spaces continues the one before), start (a line matching
    /// --multiline-start begins a record), or off [default: indent, start
    /// when --multiline-start is set].
    #[arg(long, env = "MULTILINE")]
    pub multiline: Option<MultilineMode>,

    /// Regular expression a record's first line matches (e.g.
    /// '^\d{4}-\d\d-\d\d'); other lines continue the record before.
    #[arg(long, env = "MULTILINE_START")]
    pub multiline_start: Option<String>,

    /// A file's last record waits this long for more continuation lines
    /// once the file stopped growing.
    #[arg(long, env = "MULTILINE_TIMEOUT", default_value = "1s", value_parser = parse_duration)]
    pub multiline_timeout: Duration,

    /// Longer lines are cut into pieces of this size (marked truncated in JSON).
    #[arg(long, env = "MAX_LINE_BYTES", default_value = "256KiB", value_parser = parse_bytes)]
    pub max_line_bytes: u64,

    /// Bytes read ahead of delivery at most, in two batches (memory bound while an output is slow or down).
    #[arg(long, env = "MAX_BUFFER_BYTES", default_value = "8MiB", value_parser = parse_bytes)]
    pub max_buffer_bytes: u64,

    /// When stdout is a pipe, grow it to this size (0: leave it as it is).
    /// Fewer wake-ups of both sides when lines flow fast; spliced lines
    /// hold page-cache pages in it, not copies. Capped by the kernel's
    /// /proc/sys/fs/pipe-max-size (1 MiB unless raised).
    #[arg(long, env = "STDOUT_PIPE_BYTES", default_value = "1MiB", value_parser = parse_bytes)]
    pub stdout_pipe_bytes: u64,

    /// Address of /healthz, /readyz and /metrics.
    #[arg(long, env = "ADMIN_LISTEN", default_value = "0.0.0.0:9090")]
    pub admin_listen: SocketAddr,

    /// At shutdown, keep following until the files were quiet this long.
    #[arg(long, env = "SHUTDOWN_LINGER", default_value = "2s", value_parser = parse_duration)]
    pub shutdown_linger: Duration,

    /// At shutdown, give up (exit 1, lines stay un-checkpointed) after this long.
    #[arg(long, env = "DRAIN_TIMEOUT", default_value = "10s", value_parser = parse_duration)]
    pub drain_timeout: Duration,

    /// Fallback re-scan period, for missed inotify events and filesystems without inotify.
    #[arg(long, env = "POLL_INTERVAL", default_value = "500ms", value_parser = parse_duration)]
    pub poll_interval: Duration,

    /// Pod name (Downward API), added to JSON lines.
    #[arg(long, env = "POD_NAME", hide = true)]
    pub pod_name: Option<String>,

    /// Pod namespace (Downward API), added to JSON lines.
    #[arg(long, env = "POD_NAMESPACE", hide = true)]
    pub pod_namespace: Option<String>,

    /// Node name (Downward API), added to JSON lines.
    #[arg(long, env = "NODE_NAME", hide = true)]
    pub node_name: Option<String>,
}

impl Config {
    /// Checks what single flags cannot: how values relate to each other.
    pub fn validate(&self) -> Result<(), String> {
        if self.paths.iter().any(|p| p.trim().is_empty()) {
            return Err("--path: empty pattern".into());
        }
        for pattern in &self.paths {
            Patterns::check(pattern).map_err(|e| format!("--path: {e}"))?;
        }
        if self.max_line_bytes == 0 {
            return Err("--max-line-bytes must be at least 1".into());
        }
        if self.max_buffer_bytes < 2 * (self.max_line_bytes + 2) {
            return Err(format!(
                "--max-buffer-bytes ({}) must be over twice --max-line-bytes ({}): two batches of longest lines must fit",
                self.max_buffer_bytes, self.max_line_bytes
            ));
        }
        if self.poll_interval.is_zero() {
            return Err("--poll-interval must be more than 0s".into());
        }
        self.sink_config().map_err(|e| e.to_string())?;
        self.multiline()?;
        Ok(())
    }

    /// How continuation lines are joined into records, or why the flags
    /// disagree.
    pub fn multiline(&self) -> Result<Option<Multiline>, String> {
        let timeout = self.multiline_timeout;
        if timeout.is_zero() {
            return Err("--multiline-timeout must be more than 0s".into());
        }
        let mode = self.multiline.unwrap_or(match self.multiline_start {
            Some(_) => MultilineMode::Start,
            None => MultilineMode::Indent,
        });
        match (mode, &self.multiline_start) {
            (MultilineMode::Start, Some(pattern)) => Multiline::start_pattern(pattern, timeout)
                .map(Some)
                .map_err(|e| format!("--multiline-start: {e}")),
            (MultilineMode::Start, None) => Err("--multiline start needs --multiline-start".into()),
            (_, Some(_)) => Err("--multiline-start is for --multiline start".into()),
            (MultilineMode::Indent, None) => Ok(Some(Multiline::indent(timeout))),
            (MultilineMode::Off, None) => Ok(None),
        }
    }

    /// The checkpoint file: as given, or in the directory of the first
    /// path (before its first wildcard).
    pub fn checkpoint_path(&self) -> PathBuf {
        match &self.checkpoint_file {
            Some(path) => path.clone(),
            None => literal_dir(&self.paths[0]).join(DEFAULT_CHECKPOINT_NAME),
        }
    }

    /// The Downward-API metadata added to JSON lines.
    pub fn pod_metadata(&self) -> PodMetadata {
        let set = |v: &Option<String>| v.clone().filter(|s| !s.is_empty());
        PodMetadata {
            pod_name: set(&self.pod_name),
            pod_namespace: set(&self.pod_namespace),
            node_name: set(&self.node_name),
        }
    }

    /// Who the lines are from, for OTLP's resource attributes.
    pub fn origin(&self) -> Origin {
        let set = |v: &Option<String>| v.clone().filter(|s| !s.is_empty());
        let meta = self.pod_metadata();
        Origin {
            service_name: set(&self.service_name),
            pod_name: meta.pod_name,
            namespace: meta.pod_namespace,
            node_name: meta.node_name,
            container_name: set(&self.container_name),
        }
    }

    /// The HTTP sink's settings when one is configured (its CA and header
    /// files read), or why they are unusable.
    pub fn sink_config(&self) -> Result<Option<HttpSinkConfig>, SinkError> {
        let (url, encoding) = match (&self.http_sink, &self.otlp_endpoint) {
            (Some(url), _) => (url, Encoding::Ndjson(self.pod_metadata())),
            (None, Some(url)) => (url, Encoding::Otlp(self.origin())),
            (None, None) => {
                if self.sink_ca_file.is_some()
                    || self.sink_bearer_token_file.is_some()
                    || !self.sink_header_files.is_empty()
                {
                    return Err(SinkError::InvalidConfig(
                        "--sink-ca-file, --sink-bearer-token-file and --sink-header-file \
                         need --http-sink or --otlp-endpoint"
                            .into(),
                    ));
                }
                return Ok(None);
            }
        };
        let mut headers = Vec::new();
        if let Some(path) = &self.sink_bearer_token_file {
            headers.push(HeaderFile::bearer_token(path)?);
        }
        for spec in &self.sink_header_files {
            headers.push(HeaderFile::parse(spec)?);
        }
        let trust = match &self.sink_ca_file {
            Some(path) => Trust::ca_file(path)?,
            None => Trust::WebRoots,
        };
        HttpSinkConfig::new(url, encoding)?
            .with_batches(
                self.sink_batch_lines,
                usize::try_from(self.sink_batch_bytes).unwrap_or(usize::MAX),
            )?
            .with_timeout(self.sink_timeout)?
            .with_compression(self.sink_compression)
            .with_trust(trust)
            .map(|config| Some(config.with_headers(headers)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Config, String> {
        let c = Config::try_parse_from(std::iter::once("log-sidecar").chain(args.iter().copied()))
            .map_err(|e| e.to_string())?;
        c.validate()?;
        Ok(c)
    }

    #[test]
    fn defaults_match_the_documentation() {
        let c = parse(&["--path", "/var/log/time-service/time-service.log*"]).unwrap();
        assert_eq!(c.format, Format::Raw);
        assert_eq!(c.max_line_bytes, 256 * 1024);
        assert_eq!(c.max_buffer_bytes, 8 * 1024 * 1024);
        assert_eq!(c.shutdown_linger, Duration::from_secs(2));
        assert_eq!(c.drain_timeout, Duration::from_secs(10));
        assert_eq!(c.admin_listen.to_string(), "0.0.0.0:9090");
        assert_eq!(c.stdout_pipe_bytes, 1024 * 1024);
        assert_eq!(
            c.checkpoint_path(),
            std::path::Path::new("/var/log/time-service/.log-sidecar-checkpoint.json")
        );
        assert!(c.sink_config().unwrap().is_none());
    }

    #[test]
    fn paths_repeat_or_split_on_commas() {
        let c = parse(&["--path", "/a.log,/b/*.log", "--path", "/c.log"]).unwrap();
        assert_eq!(c.paths, ["/a.log", "/b/*.log", "/c.log"]);
    }

    #[test]
    fn bad_values_are_usage_errors() {
        assert!(parse(&[]).is_err(), "--path is required");
        assert!(parse(&["--path", "/a", "--max-line-bytes", "lots"]).is_err());
        assert!(parse(&["--path", "/a", "--drain-timeout", "10"]).is_err());
        assert!(parse(&["--path", "/a", "--http-sink", "ftp://x/"]).is_err());
        let both = ["--http-sink", "http://x/", "--otlp-endpoint", "http://y/"];
        assert!(parse(&[&["--path", "/a"][..], &both].concat()).is_err());
        assert!(parse(&["--path", "/a", "--sink-ca-file", "/etc/ca.pem"]).is_err());
        assert!(parse(&[
            "--path",
            "/a",
            "--sink-bearer-token-file",
            "/nonexistent",
            "--otlp-endpoint",
            "http://y/"
        ])
        .is_err());
        assert!(parse(&["--path", "/a", "--sink-compression", "brotli"]).is_err());
        assert!(parse(&["--path", "/a", "--format", "xml"]).is_err());
        assert!(parse(&["--path", "/a", "--multiline-start", "("]).is_err());
        assert!(parse(&["--path", "/a", "--multiline", "start"]).is_err());
        let off_with_pattern = ["--multiline", "off", "--multiline-start", "^x"];
        assert!(parse(&[&["--path", "/a"][..], &off_with_pattern].concat()).is_err());
        assert!(parse(&["--path", "/a", "--multiline-timeout", "0s"]).is_err());
        assert!(parse(&["--path", "/a", "--multiline-start", "^\\d"]).is_ok());
        assert!(parse(&["--path", "/var/log/[.log"]).is_err());
        assert!(parse(&["--path", "/a", "--stdout-pipe-bytes", "-1"]).is_err());
        let sink = ["--path", "/a", "--http-sink", "http://x/"];
        assert!(parse(&[&sink[..], &["--sink-batch-lines", "0"]].concat()).is_err());
        assert!(parse(&[&sink[..], &["--sink-timeout", "0s"]].concat()).is_err());
        assert!(parse(&sink).is_ok());
        assert!(parse(&[
            "--path",
            "/a",
            "--otlp-endpoint",
            "https://y:4318/v1/logs",
            "--sink-compression",
            "gzip"
        ])
        .is_ok());
        let e = parse(&["--path", "/a", "--max-buffer-bytes", "1KiB"]).unwrap_err();
        assert!(e.contains("--max-buffer-bytes"), "{e}");
    }
}
