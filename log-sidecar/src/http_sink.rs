//! The optional HTTP output (`--http-sink URL`): every line POSTed as NDJSON in
//! bounded batches, and delivery reported only once the sink said 2xx, so the
//! pipeline can hold its checkpoint until then. A sink that is down, failing or
//! slow is retried with backoff for as long as it takes (the pipeline stops
//! reading meanwhile: backpressure instead of loss), and so is one that is
//! misconfigured from here (401, 403, 404, a redirect: said loudly, since
//! only a person can fix it); a line the sink refuses on its own (400, 422,
//! or alone still too large for a 413) is isolated by splitting the request
//! and written to stderr as a dead letter, so one bad line neither blocks
//! the stream nor vanishes silently. The table is in `answer`.
//!
//! Duplicates: a batch is re-sent whole when its request failed after the sink
//! may already have taken it (a 5xx after partial processing, a timeout, a
//! connection broken mid-answer). So each such failure can repeat at most one
//! batch, i.e. at most `batch_lines` lines; lines are never lost.
//!
//! Memory: records are encoded one batch at a time, so beyond the caller's
//! records the sink holds one request body (`batch_bytes`, or one longer line).
//!
//! Layout: `batches` (NDJSON encoding and cutting into bodies), `answer`
//! (what each status means), `backoff` (retry delays with jitter and
//! `Retry-After`), `complaint` (a misconfiguration said once a minute),
//! `metrics` (the `log_sidecar_sink_*` series).

mod answer;
mod backoff;
mod batches;
mod complaint;
mod metrics;

use std::fmt;
use std::io::Write as _;
use std::ops::Range;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full, Limited};
use hyper::header::{HeaderValue, CONTENT_TYPE, LOCATION, RETRY_AFTER};
use hyper::{Request, StatusCode, Uri};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use time_server::kit::Shutdown;

use crate::record::{PodMetadata, Record};
use answer::{Answer, Verdict};
use backoff::Backoff;
use batches::{Batches, Encoded};
use complaint::{Complaint, Severity};
use metrics::{HttpSinkMetrics, RequestResult};

/// The NDJSON media type: one JSON object per line.
pub const CONTENT_TYPE_NDJSON: &str = "application/x-ndjson";

/// Answers are read to their end (so the connection can be reused) up to this
/// size; a longer answer is cut and its connection dropped.
const MAX_ANSWER_BYTES: usize = 64 * 1024;
/// Idle keep-alive connections are closed after this: many receivers and load
/// balancers drop idle connections after 60 s, and re-using one they already
/// closed costs a failed request.
const POOL_IDLE_TIMEOUT: Duration = Duration::from_secs(30);

/// What the HTTP sink needs to know, from the sidecar's flags: checked
/// once, when it is made ([`HttpSinkConfig::new`]).
#[derive(Debug, Clone)]
pub struct HttpSinkConfig {
    url: Uri,
    batch_lines: usize,
    batch_bytes: usize,
    request_timeout: Duration,
}

impl HttpSinkConfig {
    /// The sink's settings, or why they are unusable:
    /// - `url`: where to POST (`--http-sink`), an absolute
    ///   `http://host[:port][/path]` URL;
    /// - `batch_lines`: at most this many lines per request
    ///   (`--sink-batch-lines`, at least 1);
    /// - `batch_bytes`: at most this many body bytes per request
    ///   (`--sink-batch-bytes`, at least 1), except that a single longer
    ///   line is sent alone;
    /// - `request_timeout`: a request with no complete answer after this
    ///   long is abandoned and retried (`--sink-timeout`, more than 0s);
    ///   it also bounds connecting.
    pub fn new(
        url: &str,
        batch_lines: usize,
        batch_bytes: usize,
        request_timeout: Duration,
    ) -> Result<Self, SinkError> {
        if batch_lines == 0 || batch_bytes == 0 {
            return Err(SinkError::InvalidConfig(
                "--sink-batch-lines and --sink-batch-bytes must be at least 1".into(),
            ));
        }
        if request_timeout.is_zero() {
            return Err(SinkError::InvalidConfig(
                "--sink-timeout must be more than 0s".into(),
            ));
        }
        Ok(HttpSinkConfig {
            url: parse_url(url)?,
            batch_lines,
            batch_bytes,
            request_timeout,
        })
    }
}

/// Why the HTTP sink could not be built or could not deliver.
#[derive(Debug, thiserror::Error)]
pub enum SinkError {
    /// The sink URL is unusable; the message says why and what would work.
    #[error("invalid HTTP sink URL: {0}")]
    InvalidUrl(String),
    /// A batch limit or timeout of zero.
    #[error("invalid HTTP sink setting: {0}")]
    InvalidConfig(String),
    /// The sink's metrics could not be registered (e.g. a second sink in the
    /// same registry).
    #[error("cannot register the HTTP sink's metrics: {0}")]
    Metrics(#[from] prometheus::Error),
}

/// An absolute `http://host[:port][/path]` URL, or why not.
fn parse_url(text: &str) -> Result<Uri, SinkError> {
    let uri: Uri = text
        .parse()
        .map_err(|e| SinkError::InvalidUrl(format!("{text:?} is not a URL ({e})")))?;
    match uri.scheme_str() {
        Some(scheme) if scheme.eq_ignore_ascii_case("http") => {}
        Some(scheme) if scheme.eq_ignore_ascii_case("https") => {
            return Err(SinkError::InvalidUrl(format!(
                "{uri}: https is not supported; the sink speaks plain http:// \
                 (terminate TLS in a proxy or service mesh next to the sidecar)"
            )))
        }
        Some(scheme) => {
            return Err(SinkError::InvalidUrl(format!(
                "{uri}: scheme {scheme:?} is not supported, use http://host:port/path"
            )))
        }
        None => {
            return Err(SinkError::InvalidUrl(format!(
                "{uri}: needs a scheme and a host, e.g. http://collector:8080/ingest"
            )))
        }
    }
    if uri.host().is_none_or(str::is_empty) {
        return Err(SinkError::InvalidUrl(format!(
            "{uri}: needs a host, e.g. http://collector:8080/ingest"
        )));
    }
    Ok(uri)
}

/// The HTTP output: one keep-alive HTTP/1.1 client, its backoff state and metrics.
pub struct HttpSink {
    config: HttpSinkConfig,
    /// The URL as text, for the log.
    url: String,
    client: Client<HttpConnector, Full<Bytes>>,
    backoff: Backoff,
    metrics: HttpSinkMetrics,
    /// What the last request told us, to log only the transitions.
    reachable: bool,
    /// A misconfiguration or redirect in progress, said once a minute.
    complaint: Complaint,
    /// The smallest body the sink refused as too large (413): requests of
    /// more than one line are cut below it before they are sent.
    refused_bytes: Option<usize>,
}

impl fmt::Debug for HttpSink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpSink")
            .field("config", &self.config)
            .field("reachable", &self.reachable)
            .field("refused_bytes", &self.refused_bytes)
            .finish_non_exhaustive()
    }
}

/// How a range of lines ended, once the sink gave a final answer.
enum Final {
    /// 2xx.
    Delivered,
    /// Refused: the range is split, or dead-lettered when it is one line.
    Refused {
        status: StatusCode,
        excerpt: String,
        too_large: bool,
    },
}

impl HttpSink {
    /// Builds the client and registers the `log_sidecar_sink_*` metrics in
    /// `registry`. Needs no runtime and makes no connection yet.
    pub fn new(config: HttpSinkConfig, registry: &prometheus::Registry) -> Result<Self, SinkError> {
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        connector.set_connect_timeout(Some(config.request_timeout));
        let client = Client::builder(TokioExecutor::new())
            .pool_idle_timeout(POOL_IDLE_TIMEOUT)
            .pool_timer(TokioTimer::new())
            .pool_max_idle_per_host(1)
            .build(connector);
        Ok(HttpSink {
            url: config.url.to_string(),
            config,
            client,
            backoff: Backoff::new(backoff::BASE, backoff::CAP),
            metrics: HttpSinkMetrics::register(registry)?,
            reachable: true,
            complaint: Complaint::default(),
            refused_bytes: None,
        })
    }

    /// Sends every record to the sink and returns `Ok` once every line was
    /// acknowledged with a 2xx or, for a line the sink refused on its own
    /// (400, 413, 422, ...: README, "HTTP sink answers"), written to stderr
    /// as a dead letter.
    ///
    /// Never gives up by itself: connection errors, timeouts, 5xx, 408,
    /// 425 and 429 are retried with exponential backoff and jitter (100 ms
    /// doubling to 30 s, or the sink's `Retry-After` when longer), and so
    /// are the answers that say the sink is misconfigured from here (401,
    /// 403, 404, ..., and redirects, which are not followed), with an error
    /// in the log at once and then once a minute. Once `shutdown` is
    /// triggered the current wait ends at once and later waits are at most
    /// 1 s, so the remaining lines get every chance within the caller's
    /// drain timeout; the caller bounds the call with `tokio::time::timeout`.
    ///
    /// Cancel-safe: dropping the future loses nothing, since the caller still
    /// holds the records and has not advanced its checkpoint; calling again
    /// re-sends them all (batches already acknowledged are duplicated, as a
    /// restart after a crash would).
    pub async fn deliver(
        &mut self,
        records: &[Record],
        meta: &PodMetadata,
        shutdown: &Shutdown,
    ) -> Result<(), SinkError> {
        let batches = Batches::new(
            records,
            meta,
            self.config.batch_lines,
            self.config.batch_bytes,
        );
        for batch in batches {
            // Line ranges of this batch still to send; a refused range is
            // replaced by its two halves, first half on top, so lines still
            // go out in order.
            let mut pending: Vec<Range<usize>> = Vec::new();
            pending.push(0..batch.len());
            while let Some(range) = pending.pop() {
                if range.len() > 1
                    && self
                        .refused_bytes
                        .is_some_and(|refused| batch.body(range.clone()).len() >= refused)
                {
                    split(range, &mut pending);
                    continue;
                }
                match self
                    .send_until_answered(&batch, range.clone(), shutdown)
                    .await
                {
                    Final::Delivered => {}
                    Final::Refused {
                        status, excerpt, ..
                    } if range.len() == 1 => {
                        self.dead_letter(batch.line(range.start), status, &excerpt);
                    }
                    Final::Refused { too_large, .. } => {
                        if too_large {
                            self.refused_as_too_large(batch.body(range.clone()).len());
                        }
                        split(range, &mut pending);
                    }
                }
            }
        }
        Ok(())
    }

    /// Remembers that a body of `bytes` was too large for the sink.
    fn refused_as_too_large(&mut self, bytes: usize) {
        if self.refused_bytes.is_none() {
            log::warn!(
                "HTTP sink {}: a request of {bytes} bytes was refused as too large (413); \
                 requests are cut below that from now on (lower --sink-batch-bytes to match the sink)",
                self.url
            );
        }
        self.refused_bytes = Some(self.refused_bytes.map_or(bytes, |b| b.min(bytes)));
    }

    /// Sends lines `range` of a batch until the sink answers something
    /// final: delivered, or refused.
    async fn send_until_answered(
        &mut self,
        encoded: &Encoded,
        range: Range<usize>,
        shutdown: &Shutdown,
    ) -> Final {
        let body = encoded.body(range.clone());
        loop {
            let (result, verdict) = self.send_once(body.clone()).await;
            match verdict {
                Verdict::Delivered => {
                    self.backoff.reset();
                    self.complaint.cleared(&self.url);
                    self.metrics.lines_sent.inc_by(range.len() as u64);
                    self.metrics.bytes_sent.inc_by(body.len() as u64);
                    return Final::Delivered;
                }
                Verdict::TooLarge { status, excerpt } | Verdict::Refused { status, excerpt } => {
                    self.backoff.reset();
                    self.complaint.cleared(&self.url);
                    return Final::Refused {
                        status,
                        excerpt,
                        too_large: result == RequestResult::TooLarge,
                    };
                }
                Verdict::Retry {
                    reason,
                    retry_after,
                    loud,
                } => {
                    if loud {
                        let severity = if result == RequestResult::Redirect {
                            Severity::Warn
                        } else {
                            Severity::Error
                        };
                        self.complaint.failed(&self.url, severity, &reason);
                    }
                    let shutting_down = shutdown.is_triggered();
                    let delay = self.backoff.next_delay(retry_after, shutting_down);
                    log::debug!(
                        "HTTP sink {}: {reason}; retrying {} lines in {delay:?}",
                        self.url,
                        range.len()
                    );
                    self.metrics.retries.inc();
                    backoff::pause(delay, shutdown).await;
                }
            }
        }
    }

    /// One POST, classified, with metrics and up/down transitions logged.
    async fn send_once(&mut self, body: Bytes) -> (RequestResult, Verdict) {
        let request = Request::post(self.config.url.clone())
            .header(CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE_NDJSON))
            .body(Full::new(body))
            .expect("a validated URI and a static header make a valid request");
        let exchange = async {
            let response = self.client.request(request).await.map_err(describe)?;
            let (parts, body) = response.into_parts();
            // Read the answer to its end so the connection goes back to the
            // pool; a 2xx counts even if its body then breaks.
            let answer = Limited::new(body, MAX_ANSWER_BYTES)
                .collect()
                .await
                .map(|collected| collected.to_bytes())
                .unwrap_or_default();
            Ok::<_, String>((parts.status, parts.headers, answer))
        };
        let (result, verdict) =
            match tokio::time::timeout(self.config.request_timeout, exchange).await {
                Err(_) => (
                    RequestResult::Timeout,
                    Verdict::Retry {
                        reason: format!("no answer within {:?}", self.config.request_timeout),
                        retry_after: None,
                        loud: false,
                    },
                ),
                Ok(Err(error)) => (
                    RequestResult::ConnectionError,
                    Verdict::Retry {
                        reason: error,
                        retry_after: None,
                        loud: false,
                    },
                ),
                Ok(Ok((status, headers, answer))) => answer::classify(Answer {
                    status,
                    retry_after: headers
                        .get(RETRY_AFTER)
                        .and_then(|v| backoff::parse_retry_after(v.as_bytes())),
                    location: headers.get(LOCATION).and_then(|v| v.to_str().ok()),
                    excerpt: answer::excerpt(&answer),
                }),
            };
        self.metrics.request(result);
        // Working as a sink: it answered, and what it said is about the lines.
        let reachable = matches!(
            result,
            RequestResult::Success
                | RequestResult::Throttled
                | RequestResult::TooLarge
                | RequestResult::Rejected
        );
        self.metrics.up.set(i64::from(reachable));
        if reachable != self.reachable {
            match &verdict {
                // Misconfigurations have their own, louder message.
                Verdict::Retry {
                    reason,
                    loud: false,
                    ..
                } => log::warn!(
                    "HTTP sink {} unavailable ({reason}); holding lines and retrying with backoff",
                    self.url
                ),
                Verdict::Retry { loud: true, .. } => {}
                _ => log::info!("HTTP sink {} reachable again", self.url),
            }
            self.reachable = reachable;
        }
        (result, verdict)
    }

    fn dead_letter(&self, line: &[u8], status: StatusCode, excerpt: &str) {
        self.metrics.dead_letters.inc();
        let mut message = format!(
            "log-sidecar: dead letter: the HTTP sink refused this line with {status} ({excerpt:?}): "
        )
        .into_bytes();
        message.extend_from_slice(line);
        // Stderr is the last place this line can go; if even that fails there
        // is nowhere left to report it, and the counter above still shows it.
        let _ = std::io::stderr().lock().write_all(&message);
    }
}

/// Replaces `range` on the stack by its two halves, first half on top.
fn split(range: Range<usize>, pending: &mut Vec<Range<usize>>) {
    let middle = range.start + range.len() / 2;
    pending.push(middle..range.end);
    pending.push(range.start..middle);
}

/// An error and its causes on one line: the client's own message is only
/// "client error (Connect)"; the cause says "Connection refused".
fn describe(error: impl std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_http_urls_are_accepted() {
        for url in [
            "http://collector:8080/ingest",
            "http://127.0.0.1:9000",
            "HTTP://Collector/logs?tenant=a",
        ] {
            assert!(parse_url(url).is_ok(), "{url}");
        }
    }

    #[test]
    fn https_is_refused_with_the_reason() {
        let error = parse_url("https://collector/ingest")
            .unwrap_err()
            .to_string();
        assert!(error.contains("https is not supported"), "{error}");
        assert!(!error.contains('\n'), "one line: {error}");
    }

    #[test]
    fn urls_without_scheme_or_host_are_refused() {
        for url in [
            "collector:8080/ingest",
            "/ingest",
            "ftp://collector/x",
            "not a url",
        ] {
            let error = parse_url(url).unwrap_err();
            assert!(matches!(error, SinkError::InvalidUrl(_)), "{url}: {error}");
        }
    }

    #[test]
    fn zero_limits_are_refused() {
        let url = "http://127.0.0.1:1/";
        let second = Duration::from_secs(1);
        for (lines, bytes, timeout) in [(0, 1, second), (1, 0, second), (1, 1, Duration::ZERO)] {
            assert!(matches!(
                HttpSinkConfig::new(url, lines, bytes, timeout),
                Err(SinkError::InvalidConfig(_))
            ));
        }
        assert!(HttpSinkConfig::new(url, 1, 1, second).is_ok());
    }
}
