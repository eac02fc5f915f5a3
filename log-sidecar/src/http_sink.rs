//! The optional HTTP output (`--http-sink URL`): every line POSTed as NDJSON in
//! bounded batches, and delivery reported only once the sink said 2xx, so the
//! pipeline can hold its checkpoint until then. A sink that is down, failing or
//! slow is retried with backoff for as long as it takes (the pipeline stops
//! reading meanwhile: backpressure instead of loss); a line the sink refuses
//! outright (4xx) is isolated by bisection and written to stderr as a dead
//! letter, so one bad line neither blocks the stream nor vanishes silently.
//!
//! Duplicates: a batch is re-sent whole when its request failed after the sink
//! may already have taken it (a 5xx after partial processing, a timeout, a
//! connection broken mid-answer). So each such failure can repeat at most one
//! batch, i.e. at most `batch_lines` lines; lines are never lost.
//!
//! Memory: records are encoded one batch at a time, so beyond the caller's
//! records the sink holds one request body (`batch_bytes`, or one longer line).
//!
//! Layout: `batches` (NDJSON encoding and cutting into bodies), `backoff`
//! (retry delays with jitter and `Retry-After`), `metrics` (the `log_sidecar_sink_*`
//! series).

mod backoff;
mod batches;
mod metrics;

use std::fmt;
use std::io::Write as _;
use std::ops::Range;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full, Limited};
use hyper::header::{HeaderValue, CONTENT_TYPE, RETRY_AFTER};
use hyper::{Request, StatusCode, Uri};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use time_server::kit::Shutdown;

use crate::record::{PodMetadata, Record};
use backoff::Backoff;
use batches::{Batches, Encoded};
use metrics::{HttpSinkMetrics, RequestResult};

/// The NDJSON media type: one JSON object per line.
pub const CONTENT_TYPE_NDJSON: &str = "application/x-ndjson";

/// How much of an error answer's body is kept for the log and dead letters.
const ERROR_BODY_EXCERPT: usize = 200;
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
    client: Client<HttpConnector, Full<Bytes>>,
    backoff: Backoff,
    metrics: HttpSinkMetrics,
    /// What the last request told us, to log only the transitions.
    reachable: bool,
}

impl fmt::Debug for HttpSink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpSink")
            .field("config", &self.config)
            .field("reachable", &self.reachable)
            .finish_non_exhaustive()
    }
}

/// How one request went, as far as delivery is concerned.
enum Outcome {
    /// 2xx.
    Delivered,
    /// Worth sending again, after the backoff (or the sink's `Retry-After`).
    Retry {
        reason: String,
        retry_after: Option<Duration>,
    },
    /// The sink refused this content (4xx other than 408/429).
    Refused { status: StatusCode, excerpt: String },
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
            config,
            client,
            backoff: Backoff::new(backoff::BASE, backoff::CAP),
            metrics: HttpSinkMetrics::register(registry)?,
            reachable: true,
        })
    }

    /// Sends every record to the sink and returns `Ok` once every line was
    /// acknowledged with a 2xx or, for a line the sink refused on its own
    /// with a 4xx, written to stderr as a dead letter.
    ///
    /// Never gives up by itself: connection errors, timeouts, 5xx, 408 and 429
    /// are retried with exponential backoff and full jitter (100 ms doubling
    /// to 30 s, or the sink's `Retry-After` seconds). Once `shutdown` is
    /// triggered the current wait ends at once and later waits are at most
    /// 1 s, so the remaining lines get every chance within the caller's drain
    /// timeout; the caller bounds the call with `tokio::time::timeout`.
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
                match self
                    .send_until_answered(&batch, range.clone(), shutdown)
                    .await
                {
                    None => {}
                    Some((status, excerpt)) if range.len() == 1 => {
                        self.dead_letter(batch.line(range.start), status, &excerpt);
                    }
                    Some(_) => {
                        let middle = range.start + range.len() / 2;
                        pending.push(middle..range.end);
                        pending.push(range.start..middle);
                    }
                }
            }
        }
        Ok(())
    }

    /// Sends one batch until the sink answers something final: `None` when it
    /// took the batch, `Some((status, excerpt))` when it refused it.
    async fn send_until_answered(
        &mut self,
        encoded: &Encoded,
        range: Range<usize>,
        shutdown: &Shutdown,
    ) -> Option<(StatusCode, String)> {
        let body = encoded.body(range.clone());
        loop {
            match self.send_once(body.clone()).await {
                Outcome::Delivered => {
                    self.backoff.reset();
                    self.metrics.lines_sent.inc_by(range.len() as u64);
                    self.metrics.bytes_sent.inc_by(body.len() as u64);
                    return None;
                }
                Outcome::Refused { status, excerpt } => {
                    self.backoff.reset();
                    return Some((status, excerpt));
                }
                Outcome::Retry {
                    reason,
                    retry_after,
                } => {
                    let shutting_down = shutdown.is_triggered();
                    let delay = self.backoff.next_delay(retry_after, shutting_down);
                    log::debug!(
                        "HTTP sink {}: {reason}; retrying {} lines in {delay:?}",
                        self.config.url,
                        range.len()
                    );
                    self.metrics.retries.inc();
                    backoff::pause(delay, shutdown).await;
                }
            }
        }
    }

    /// One POST, classified, with metrics and up/down transitions logged.
    async fn send_once(&mut self, body: Bytes) -> Outcome {
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
        let (result, outcome) =
            match tokio::time::timeout(self.config.request_timeout, exchange).await {
                Err(_) => (
                    RequestResult::Timeout,
                    Outcome::Retry {
                        reason: format!("no answer within {:?}", self.config.request_timeout),
                        retry_after: None,
                    },
                ),
                Ok(Err(error)) => (
                    RequestResult::ConnectionError,
                    Outcome::Retry {
                        reason: error,
                        retry_after: None,
                    },
                ),
                Ok(Ok((status, headers, answer))) => classify(
                    status,
                    headers
                        .get(RETRY_AFTER)
                        .and_then(|v| backoff::parse_retry_after(v.as_bytes())),
                    &answer,
                ),
            };
        self.metrics.request(result);
        let reachable = !matches!(
            result,
            RequestResult::Timeout | RequestResult::ConnectionError | RequestResult::ServerError
        );
        self.metrics.up.set(i64::from(reachable));
        if reachable != self.reachable {
            match &outcome {
                Outcome::Retry { reason, .. } => log::warn!(
                    "HTTP sink {} unavailable ({reason}); holding lines and retrying with backoff",
                    self.config.url
                ),
                _ => log::info!("HTTP sink {} reachable again", self.config.url),
            }
            self.reachable = reachable;
        }
        outcome
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

fn classify(
    status: StatusCode,
    retry_after: Option<Duration>,
    answer: &[u8],
) -> (RequestResult, Outcome) {
    if status.is_success() {
        return (RequestResult::Success, Outcome::Delivered);
    }
    let excerpt = excerpt(answer);
    let retry = |result, what: &str| {
        (
            result,
            Outcome::Retry {
                reason: format!("{what} {status} {excerpt:?}"),
                retry_after,
            },
        )
    };
    if status == StatusCode::REQUEST_TIMEOUT || status == StatusCode::TOO_MANY_REQUESTS {
        retry(RequestResult::Throttled, "throttled with")
    } else if status.is_server_error() {
        retry(RequestResult::ServerError, "server error")
    } else if status.is_client_error() {
        (
            RequestResult::Rejected,
            Outcome::Refused { status, excerpt },
        )
    } else {
        // 1xx/3xx: redirects are not followed (a log sink that moves is a
        // configuration problem); waiting keeps the lines until it is fixed.
        retry(RequestResult::UnexpectedStatus, "unexpected answer")
    }
}

/// The start of an answer's body, as one printable line.
fn excerpt(answer: &[u8]) -> String {
    let text = String::from_utf8_lossy(&answer[..answer.len().min(ERROR_BODY_EXCERPT)]);
    text.split_whitespace().collect::<Vec<_>>().join(" ")
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

    #[test]
    fn answers_are_classified_for_retry_or_bisection() {
        let kind = |status: u16| {
            let (result, outcome) = classify(StatusCode::from_u16(status).unwrap(), None, b"nope");
            let what = match outcome {
                Outcome::Delivered => "delivered",
                Outcome::Retry { .. } => "retry",
                Outcome::Refused { .. } => "refused",
            };
            (result, what)
        };
        assert_eq!(kind(200), (RequestResult::Success, "delivered"));
        assert_eq!(kind(204), (RequestResult::Success, "delivered"));
        assert_eq!(kind(500), (RequestResult::ServerError, "retry"));
        assert_eq!(kind(503), (RequestResult::ServerError, "retry"));
        assert_eq!(kind(408), (RequestResult::Throttled, "retry"));
        assert_eq!(kind(429), (RequestResult::Throttled, "retry"));
        assert_eq!(kind(400), (RequestResult::Rejected, "refused"));
        assert_eq!(kind(413), (RequestResult::Rejected, "refused"));
        assert_eq!(kind(301), (RequestResult::UnexpectedStatus, "retry"));
    }

    #[test]
    fn excerpts_are_short_single_lines() {
        assert_eq!(excerpt(b"bad\njson  at\tline 3\n"), "bad json at line 3");
        assert_eq!(excerpt(&[b'x'; 1000]).len(), ERROR_BODY_EXCERPT);
    }
}
