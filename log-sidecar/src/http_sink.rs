//! The optional HTTP output: every line POSTed in bounded batches, as NDJSON
//! (`--http-sink URL`) or as OTLP/HTTP protobuf log records
//! (`--otlp-endpoint URL`), one sink core for both encodings, and delivery
//! reported only once the sink said 2xx, so the pipeline can hold its
//! checkpoint until then. A sink that is down, failing or slow is retried
//! with backoff for as long as it takes (the pipeline stops reading
//! meanwhile: backpressure instead of loss), and so is one that is
//! misconfigured from here (401, 403, 404, a redirect: said loudly, since
//! only a person can fix it); a line the sink refuses on its own (400, 422,
//! or alone still too large for a 413, or rejected in an OTLP partial
//! success) is isolated by splitting the request and written to stderr as
//! a dead letter, so one bad line neither blocks the stream nor vanishes
//! silently. The table is in `answer`.
//!
//! http:// and https:// (rustls, with a CA file or bundled web roots),
//! optionally gzip, with request headers read from files (a bearer token
//! from a Secret).
//!
//! Duplicates: a batch is re-sent whole when its request failed after the sink
//! may already have taken it (a 5xx after partial processing, a timeout, a
//! connection broken mid-answer). So each such failure can repeat at most one
//! batch, i.e. at most `batch_lines` lines; lines are never lost.
//!
//! Memory: records are encoded one batch at a time, so beyond the caller's
//! records the sink holds one batch's encodings (`batch_bytes`, or one
//! longer line) and the body of the request in flight.
//!
//! Layout: `encoding` (NDJSON or OTLP, per record and per request),
//! `batches` (cutting records into bounded batches, encoded once), `gzip`,
//! `headers` (values from files), `tls`, `answer` (what each status
//! means), `backoff` (retry delays with jitter and `Retry-After`),
//! `complaint` (a misconfiguration said once a minute), `metrics` (the
//! `log_sidecar_sink_*` series).

mod answer;
mod backoff;
mod batches;
mod complaint;
mod encoding;
mod gzip;
mod headers;
mod metrics;
mod tls;

use std::fmt;
use std::io::Write as _;
use std::ops::Range;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full, Limited};
use hyper::header::{
    HeaderValue, CONTENT_ENCODING, CONTENT_TYPE, LOCATION, RETRY_AFTER, USER_AGENT,
};
use hyper::{Request, StatusCode, Uri};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use time_server::kit::Shutdown;

use crate::record::{PodMetadata, Record};
use answer::{Answer, Verdict};
use backoff::Backoff;
use batches::{Batches, Encoded};
use complaint::{Complaint, Severity};
use encoding::Encoder;
pub use encoding::{Encoding, CONTENT_TYPE_NDJSON};
use gzip::Gzip;
pub use headers::HeaderFile;
use headers::Headers;
use metrics::{HttpSinkMetrics, RequestResult};
pub use tls::Trust;

/// Answers are read to their end (so the connection can be reused) up to this
/// size; a longer answer is cut and its connection dropped.
const MAX_ANSWER_BYTES: usize = 64 * 1024;
/// Idle keep-alive connections are closed after this: many receivers and load
/// balancers drop idle connections after 60 s, and re-using one they already
/// closed costs a failed request.
const POOL_IDLE_TIMEOUT: Duration = Duration::from_secs(30);

/// How request bodies travel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Compression {
    /// As they are.
    #[default]
    None,
    /// `Content-Encoding: gzip`.
    Gzip,
}

/// What the HTTP sink needs to know, from the sidecar's flags: each part
/// checked when it is set, files read then, so that a bad value is a bad
/// flag (exit 2) and not a failure minutes later.
#[derive(Debug, Clone)]
pub struct HttpSinkConfig {
    url: Uri,
    encoding: Encoding,
    batch_lines: usize,
    batch_bytes: usize,
    request_timeout: Duration,
    compression: Compression,
    trust: Trust,
    headers: Vec<HeaderFile>,
}

impl HttpSinkConfig {
    /// POSTs `encoding` to `url`, an absolute `http://` or `https://`
    /// `host[:port][/path]` URL; 1000 lines and 1 MiB per request at most,
    /// 10 s per request, no compression, the bundled web roots for https,
    /// no extra headers, until the `with_*` methods say otherwise.
    pub fn new(url: &str, encoding: Encoding) -> Result<Self, SinkError> {
        Ok(HttpSinkConfig {
            url: parse_url(url)?,
            encoding,
            batch_lines: 1000,
            batch_bytes: 1024 * 1024,
            request_timeout: Duration::from_secs(10),
            compression: Compression::None,
            trust: Trust::WebRoots,
            headers: Vec::new(),
        })
    }

    /// At most `lines` lines (`--sink-batch-lines`) and `bytes` encoded
    /// bytes (`--sink-batch-bytes`, before compression) per request, except
    /// that a single longer line is sent alone; both at least 1.
    pub fn with_batches(mut self, lines: usize, bytes: usize) -> Result<Self, SinkError> {
        if lines == 0 || bytes == 0 {
            return Err(SinkError::InvalidConfig(
                "--sink-batch-lines and --sink-batch-bytes must be at least 1".into(),
            ));
        }
        self.batch_lines = lines;
        self.batch_bytes = bytes;
        Ok(self)
    }

    /// A request with no complete answer after `timeout` is abandoned and
    /// retried (`--sink-timeout`, more than 0s); it also bounds connecting
    /// and the TLS handshake.
    pub fn with_timeout(mut self, timeout: Duration) -> Result<Self, SinkError> {
        if timeout.is_zero() {
            return Err(SinkError::InvalidConfig(
                "--sink-timeout must be more than 0s".into(),
            ));
        }
        self.request_timeout = timeout;
        Ok(self)
    }

    /// How bodies travel (`--sink-compression`).
    pub fn with_compression(mut self, compression: Compression) -> Self {
        self.compression = compression;
        self
    }

    /// Whom an https sink must prove it is to (`--sink-ca-file`); only for
    /// an https:// URL.
    pub fn with_trust(mut self, trust: Trust) -> Result<Self, SinkError> {
        if matches!(trust, Trust::CaFile(_)) && !self.is_https() {
            return Err(SinkError::InvalidConfig(format!(
                "--sink-ca-file is for an https:// sink; {} is plain http",
                self.url
            )));
        }
        self.trust = trust;
        Ok(self)
    }

    /// Sends these headers too (`--sink-header-file`,
    /// `--sink-bearer-token-file`).
    pub fn with_headers(mut self, headers: Vec<HeaderFile>) -> Self {
        self.headers = headers;
        self
    }

    fn is_https(&self) -> bool {
        self.url
            .scheme_str()
            .is_some_and(|s| s.eq_ignore_ascii_case("https"))
    }
}

/// Why the HTTP sink could not be built or could not deliver.
#[derive(Debug, thiserror::Error)]
pub enum SinkError {
    /// The sink URL is unusable; the message says why and what would work.
    #[error("invalid HTTP sink URL: {0}")]
    InvalidUrl(String),
    /// A batch limit or timeout of zero, an unreadable CA or header file.
    #[error("invalid HTTP sink setting: {0}")]
    InvalidConfig(String),
    /// The sink's metrics could not be registered (e.g. a second sink in the
    /// same registry).
    #[error("cannot register the HTTP sink's metrics: {0}")]
    Metrics(#[from] prometheus::Error),
}

/// An absolute `http(s)://host[:port][/path]` URL, or why not.
fn parse_url(text: &str) -> Result<Uri, SinkError> {
    let uri: Uri = text
        .parse()
        .map_err(|e| SinkError::InvalidUrl(format!("{text:?} is not a URL ({e})")))?;
    match uri.scheme_str() {
        Some(scheme) if scheme.eq_ignore_ascii_case("http") => {}
        Some(scheme) if scheme.eq_ignore_ascii_case("https") => {}
        Some(scheme) => {
            return Err(SinkError::InvalidUrl(format!(
                "{uri}: scheme {scheme:?} is not supported, use http:// or https://host:port/path"
            )))
        }
        None => {
            return Err(SinkError::InvalidUrl(format!(
                "{uri}: needs a scheme and a host, e.g. http://collector:4318/v1/logs"
            )))
        }
    }
    if uri.host().is_none_or(str::is_empty) {
        return Err(SinkError::InvalidUrl(format!(
            "{uri}: needs a host, e.g. http://collector:4318/v1/logs"
        )));
    }
    Ok(uri)
}

/// The HTTP output: one keep-alive HTTP/1.1 client (TLS when the URL says
/// https), the encoder, its backoff state and metrics.
pub struct HttpSink {
    config: HttpSinkConfig,
    /// The URL as text, for the log.
    url: String,
    client: Client<HttpsConnector<HttpConnector>, Full<Bytes>>,
    encoder: Encoder,
    gzip: Option<Gzip>,
    headers: Headers,
    backoff: Backoff,
    metrics: HttpSinkMetrics,
    /// What the last request told us, to log only the transitions.
    reachable: bool,
    /// A misconfiguration or redirect in progress, said once a minute.
    complaint: Complaint,
    /// The sink refused the credentials: read the header files again
    /// before the next request.
    reload_headers: bool,
    /// The smallest encoding the sink refused as too large (413): requests
    /// of more than one line are cut below it before they are sent.
    refused_bytes: Option<usize>,
    /// A partial-success warning was said already (later ones go to debug).
    warned_partial: bool,
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
    /// 2xx; OTLP may say it rejected some of them after all.
    Delivered { rejected: Option<(u64, String)> },
    /// Refused: the range is split, or dead-lettered when it is one line.
    Refused {
        status: StatusCode,
        excerpt: String,
        too_large: bool,
    },
}

impl HttpSink {
    /// Builds the client (TLS configuration included) and registers the
    /// `log_sidecar_sink_*` metrics in `registry`. Needs no runtime and
    /// makes no connection yet.
    pub fn new(config: HttpSinkConfig, registry: &prometheus::Registry) -> Result<Self, SinkError> {
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        connector.set_connect_timeout(Some(config.request_timeout));
        // http:// stays plain: https_or_http lets the URL decide.
        connector.enforce_http(false);
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls::client_config(&config.trust)?)
            .https_or_http()
            .enable_http1()
            .wrap_connector(connector);
        let client = Client::builder(TokioExecutor::new())
            .pool_idle_timeout(POOL_IDLE_TIMEOUT)
            .pool_timer(TokioTimer::new())
            .pool_max_idle_per_host(1)
            .build(connector);
        Ok(HttpSink {
            url: config.url.to_string(),
            client,
            encoder: Encoder::new(&config.encoding),
            gzip: (config.compression == Compression::Gzip).then(Gzip::new),
            headers: Headers::new(config.headers.clone()),
            backoff: Backoff::new(backoff::BASE, backoff::CAP),
            metrics: HttpSinkMetrics::register(registry)?,
            reachable: true,
            complaint: Complaint::default(),
            reload_headers: false,
            refused_bytes: None,
            warned_partial: false,
            config,
        })
    }

    /// Sends every record to the sink and returns `Ok` once every line was
    /// acknowledged with a 2xx or, for a line the sink refused on its own
    /// (400, 413, 422, ..., or an OTLP partial success: README, "HTTP sink
    /// answers"), written to stderr as a dead letter.
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
        shutdown: &Shutdown,
    ) -> Result<(), SinkError> {
        let mut batches = Batches::new(records, self.config.batch_lines, self.config.batch_bytes);
        while let Some(batch) = batches.next(&mut self.encoder) {
            // Line ranges of this batch still to send; a refused range is
            // replaced by its two halves, first half on top, so lines still
            // go out in order.
            let mut pending: Vec<Range<usize>> = Vec::new();
            pending.push(0..batch.len());
            while let Some(range) = pending.pop() {
                if range.len() > 1
                    && self
                        .refused_bytes
                        .is_some_and(|refused| batch.encoded(range.clone()).len() >= refused)
                {
                    split(range, &mut pending);
                    continue;
                }
                match self
                    .send_until_answered(&batch, range.clone(), shutdown)
                    .await
                {
                    Final::Delivered { rejected: None } => {}
                    Final::Delivered {
                        rejected: Some((rejected, message)),
                    } => self.partially_rejected(&batch, range, rejected, &message),
                    Final::Refused {
                        status, excerpt, ..
                    } if range.len() == 1 => {
                        let why =
                            format!("the HTTP sink refused this line with {status} ({excerpt:?})");
                        self.dead_letter(batch.record(range.start), &why);
                    }
                    Final::Refused { too_large, .. } => {
                        if too_large {
                            self.refused_as_too_large(batch.encoded(range.clone()).len());
                        }
                        split(range, &mut pending);
                    }
                }
            }
        }
        Ok(())
    }

    /// Remembers that `bytes` of encoded lines were too many for the sink.
    fn refused_as_too_large(&mut self, bytes: usize) {
        if self.refused_bytes.is_none() {
            log::warn!(
                "HTTP sink {}: a request of {bytes} bytes of lines was refused as too large (413); \
                 requests are cut below that from now on (lower --sink-batch-bytes to match the sink)",
                self.url
            );
        }
        self.refused_bytes = Some(self.refused_bytes.map_or(bytes, |b| b.min(bytes)));
    }

    /// A 2xx whose body says some records were not taken (OTLP partial
    /// success). The sink does not say which, and sending them again to
    /// find out would repeat the ones it took: the rejected count is
    /// counted and logged, and every line of the request goes to stderr as
    /// a dead letter saying it may be one of them (all of them when all
    /// were rejected), so that none is lost without a trace.
    fn partially_rejected(
        &mut self,
        batch: &Encoded<'_>,
        range: Range<usize>,
        rejected: u64,
        message: &str,
    ) {
        if rejected == 0 {
            // A warning from the sink, nothing lost.
            if !self.warned_partial {
                log::warn!(
                    "HTTP sink {}: took every record, with a warning: {message:?}",
                    self.url
                );
                self.warned_partial = true;
            } else {
                log::debug!("HTTP sink {}: warning: {message:?}", self.url);
            }
            return;
        }
        self.metrics.rejected_records.inc_by(rejected);
        let lines = range.len();
        log::warn!(
            "HTTP sink {}: rejected {rejected} of {lines} records of one request ({message:?}); \
             they go to stderr as dead letters",
            self.url
        );
        let why = if rejected >= lines as u64 {
            format!("the HTTP sink rejected every record of this request ({message:?})")
        } else {
            format!(
                "the HTTP sink rejected {rejected} of the {lines} records of this request ({message:?}), \
                 without saying which; this is one of those {lines}"
            )
        };
        for i in range {
            self.dead_letter(batch.record(i), &why);
        }
    }

    /// The body of a request for lines `range`: the encoder's frame around
    /// their encodings, compressed when configured. Without either, a
    /// slice of the batch's bytes (no copy).
    fn body(&mut self, batch: &Encoded<'_>, range: Range<usize>) -> Bytes {
        let encoded = batch.encoded(range);
        let prefix = self.encoder.prefix(encoded.len());
        match &mut self.gzip {
            Some(gzip) => Bytes::from(gzip.compress(&[&prefix, &encoded])),
            None if prefix.is_empty() => encoded,
            None => {
                let mut body = prefix;
                body.extend_from_slice(&encoded);
                Bytes::from(body)
            }
        }
    }

    /// Sends lines `range` of a batch until the sink answers something
    /// final: delivered, or refused.
    async fn send_until_answered(
        &mut self,
        batch: &Encoded<'_>,
        range: Range<usize>,
        shutdown: &Shutdown,
    ) -> Final {
        let body = self.body(batch, range.clone());
        loop {
            let (result, verdict, answer) = self.send_once(body.clone()).await;
            match verdict {
                Verdict::Delivered => {
                    self.backoff.reset();
                    self.complaint.cleared(&self.url);
                    self.metrics.lines_sent.inc_by(range.len() as u64);
                    self.metrics.bytes_sent.inc_by(body.len() as u64);
                    return Final::Delivered {
                        rejected: self.encoder.partial_success(&answer),
                    };
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

    /// One POST, classified, with metrics and up/down transitions logged;
    /// also the answer's body.
    async fn send_once(&mut self, body: Bytes) -> (RequestResult, Verdict, Bytes) {
        let mut request = Request::post(self.config.url.clone())
            .header(
                CONTENT_TYPE,
                HeaderValue::from_static(self.encoder.content_type()),
            )
            .header(
                USER_AGENT,
                HeaderValue::from_static(concat!("log-sidecar/", env!("CARGO_PKG_VERSION"))),
            );
        if self.gzip.is_some() {
            request = request.header(CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        }
        for (name, value) in self
            .headers
            .current(std::mem::take(&mut self.reload_headers))
        {
            request = request.header(name, value);
        }
        let request = request
            .body(Full::new(body))
            .expect("a validated URI and checked headers make a valid request");
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
        let retry = |reason| Verdict::Retry {
            reason,
            retry_after: None,
            loud: false,
        };
        let (result, verdict, answer) =
            match tokio::time::timeout(self.config.request_timeout, exchange).await {
                Err(_) => (
                    RequestResult::Timeout,
                    retry(format!(
                        "no answer within {:?}",
                        self.config.request_timeout
                    )),
                    Bytes::new(),
                ),
                Ok(Err(error)) => (RequestResult::ConnectionError, retry(error), Bytes::new()),
                Ok(Ok((status, headers, answer))) => {
                    let excerpt = match self.encoder.error_message(&answer) {
                        Some(message) if !status.is_success() => {
                            answer::excerpt(message.as_bytes())
                        }
                        _ => answer::excerpt(&answer),
                    };
                    let (result, verdict) = answer::classify(Answer {
                        status,
                        retry_after: headers
                            .get(RETRY_AFTER)
                            .and_then(|v| backoff::parse_retry_after(v.as_bytes())),
                        location: headers.get(LOCATION).and_then(|v| v.to_str().ok()),
                        excerpt,
                    });
                    self.reload_headers = matches!(status.as_u16(), 401 | 403 | 407);
                    (result, verdict, answer)
                }
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
        (result, verdict, answer)
    }

    /// Writes `record` to stderr as a dead letter: `why`, then the line as
    /// a JSON object (whatever the encoding, so that it can be read).
    fn dead_letter(&self, record: &Record, why: &str) {
        self.metrics.dead_letters.inc();
        let mut message = format!("log-sidecar: dead letter: {why}: ").into_bytes();
        record.write_json(&PodMetadata::default(), &mut message);
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

    fn ndjson(url: &str) -> Result<HttpSinkConfig, SinkError> {
        HttpSinkConfig::new(url, Encoding::Ndjson(PodMetadata::default()))
    }

    #[test]
    fn http_and_https_urls_are_accepted() {
        for url in [
            "http://collector:8080/ingest",
            "http://127.0.0.1:9000",
            "HTTP://Collector/logs?tenant=a",
            "https://collector:4318/v1/logs",
        ] {
            assert!(ndjson(url).is_ok(), "{url}");
        }
    }

    #[test]
    fn urls_without_scheme_or_host_are_refused() {
        for url in [
            "collector:8080/ingest",
            "/ingest",
            "ftp://collector/x",
            "not a url",
        ] {
            let error = ndjson(url).unwrap_err();
            assert!(matches!(error, SinkError::InvalidUrl(_)), "{url}: {error}");
            assert!(!error.to_string().contains('\n'), "one line: {error}");
        }
    }

    #[test]
    fn zero_limits_are_refused() {
        let config = || ndjson("http://127.0.0.1:1/").unwrap();
        let second = Duration::from_secs(1);
        for (lines, bytes) in [(0, 1), (1, 0)] {
            assert!(matches!(
                config().with_batches(lines, bytes),
                Err(SinkError::InvalidConfig(_))
            ));
        }
        assert!(matches!(
            config().with_timeout(Duration::ZERO),
            Err(SinkError::InvalidConfig(_))
        ));
        assert!(config()
            .with_batches(1, 1)
            .unwrap()
            .with_timeout(second)
            .is_ok());
    }

    #[test]
    fn a_ca_file_is_for_https_only() {
        let config = ndjson("http://127.0.0.1:1/").unwrap();
        let error = config.with_trust(Trust::CaFile(Vec::new())).unwrap_err();
        assert!(error.to_string().contains("https"), "{error}");
    }
}
