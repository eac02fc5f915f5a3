//! A real HTTP log receiver on 127.0.0.1 for the HTTP sink's tests, whose
//! answers the test scripts (fail, refuse, answer late, come up late,
//! reject part of a request), and which remembers every line it took and
//! every request it saw, so that loss and duplication are counted exactly,
//! not guessed. It takes NDJSON, or OTLP/HTTP protobuf decoded by the
//! OpenTelemetry project's own package ([`super::otlp`]); gzip bodies;
//! plain http or TLS with a certificate the test made.

use std::convert::Infallible;
use std::io::Read as _;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper::body::Incoming;
use hyper::header::{HeaderMap, AUTHORIZATION, CONTENT_ENCODING, CONTENT_TYPE};
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use opentelemetry_proto::tonic::collector::logs::v1::{
    ExportLogsPartialSuccess, ExportLogsServiceResponse,
};
use prost::Message as _;
use tokio::net::{TcpListener, TcpSocket};
use tokio::task::JoinHandle;
use tokio_rustls::TlsAcceptor;

use super::otlp::OfficialDecoder;
use super::Tally;

/// What the receiver does with one request.
#[derive(Debug, Clone, Copy)]
pub struct Reply {
    /// Keep the lines (a 5xx or a late answer after keeping them is how a
    /// real receiver produces duplicates).
    pub store: bool,
    pub status: u16,
    /// Wait this long after storing, before answering.
    pub delay: Duration,
    pub retry_after: Option<u64>,
    /// A `Location` header (redirects).
    pub location: Option<&'static str>,
    /// OTLP partial success: the last this many records of the request are
    /// rejected (not stored) in a 200 answer.
    pub reject: usize,
}

impl Reply {
    pub const OK: Reply = Reply {
        store: true,
        status: 200,
        delay: Duration::ZERO,
        retry_after: None,
        location: None,
        reject: 0,
    };

    pub fn status(status: u16) -> Reply {
        Reply {
            store: false,
            status,
            ..Reply::OK
        }
    }

    /// Takes the lines, then fails anyway: the sender must retry, and the
    /// receiver will see these lines twice.
    pub fn fail_after_storing(status: u16) -> Reply {
        Reply {
            store: true,
            status,
            ..Reply::OK
        }
    }

    pub fn late(delay: Duration) -> Reply {
        Reply { delay, ..Reply::OK }
    }

    /// 200 with an OTLP partial success rejecting the last `n` records.
    pub fn partial(n: usize) -> Reply {
        Reply {
            reject: n,
            ..Reply::OK
        }
    }
}

/// The receiver's script: request number (from 0) and its lines → the reply.
pub type Policy = Box<dyn Fn(usize, &[String]) -> Reply + Send + Sync>;

/// What the receiver saw of one request.
#[derive(Debug, Clone)]
pub struct Seen {
    pub at: tokio::time::Instant,
    /// The request's path, e.g. `/ingest`.
    pub path: String,
    pub lines: usize,
    /// As it came, compressed or not.
    pub body_bytes: usize,
    pub content_type: Option<String>,
    pub content_encoding: Option<String>,
    pub authorization: Option<String>,
    pub reply: Reply,
}

/// The body format the receiver expects.
pub enum Wire {
    /// One JSON object per line; its `line` field is the line.
    Ndjson,
    /// OTLP/HTTP protobuf, decoded by the official package; a record's
    /// body is the line.
    Otlp(Mutex<OfficialDecoder>),
}

#[derive(Default)]
struct Log {
    /// Every stored line, in arrival order.
    lines: Vec<String>,
    /// Bodies that did not decode (answered 400): each fails the test at
    /// its next look at the lines.
    malformed: Vec<String>,
    /// Every stored record as decoded (OTLP: its fields and attributes,
    /// with the request's `resource` and `scope`; NDJSON: the object).
    records: Vec<serde_json::Value>,
    requests: Vec<Seen>,
}

struct State {
    policy: Policy,
    wire: Wire,
    /// `Authorization` a request must carry, else 401 (nothing stored).
    authorization: Mutex<Option<String>>,
    log: Mutex<Log>,
}

/// A running receiver; stops accepting when dropped.
pub struct Receiver {
    pub addr: SocketAddr,
    scheme: &'static str,
    state: Arc<State>,
    accept: JoinHandle<()>,
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

/// A port held for a receiver that is not up yet: bound, not listening, so a
/// connection attempt is refused exactly as when the receiver's pod is down,
/// and no other process can take the port meanwhile.
pub struct ReservedPort {
    pub addr: SocketAddr,
    socket: TcpSocket,
}

impl ReservedPort {
    pub fn new() -> ReservedPort {
        let socket = TcpSocket::new_v4().expect("a TCP socket");
        socket.set_reuseaddr(true).expect("SO_REUSEADDR");
        socket
            .bind("127.0.0.1:0".parse().expect("a literal address"))
            .expect("bind 127.0.0.1:0");
        let addr = socket.local_addr().expect("bound address");
        ReservedPort { addr, socket }
    }

    /// Brings the receiver up on the held port.
    pub fn listen(self, policy: Policy) -> Receiver {
        self.listen_for(policy, Wire::Ndjson)
    }

    /// Brings a receiver of `wire` up on the held port.
    pub fn listen_for(self, policy: Policy, wire: Wire) -> Receiver {
        let listener = self.socket.listen(1024).expect("listen on the held port");
        Receiver::serve(listener, policy, wire, None)
    }
}

impl Receiver {
    /// An NDJSON receiver on 127.0.0.1:0, up at once.
    pub async fn start(policy: Policy) -> Receiver {
        Receiver::start_for(policy, Wire::Ndjson, None).await
    }

    /// A receiver of `wire` on 127.0.0.1:0, speaking TLS with `tls` when given.
    pub async fn start_for(
        policy: Policy,
        wire: Wire,
        tls: Option<Arc<rustls::ServerConfig>>,
    ) -> Receiver {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1:0");
        Receiver::serve(listener, policy, wire, tls)
    }

    pub fn accepting_everything() -> Policy {
        Box::new(|_, _| Reply::OK)
    }

    fn serve(
        listener: TcpListener,
        policy: Policy,
        wire: Wire,
        tls: Option<Arc<rustls::ServerConfig>>,
    ) -> Receiver {
        let addr = listener.local_addr().expect("bound address");
        let scheme = if tls.is_some() { "https" } else { "http" };
        let state = Arc::new(State {
            policy,
            wire,
            authorization: Mutex::new(None),
            log: Mutex::new(Log::default()),
        });
        let acceptor = tls.map(TlsAcceptor::from);
        let accept = tokio::spawn({
            let state = state.clone();
            async move {
                loop {
                    let Ok((stream, _)) = listener.accept().await else {
                        continue;
                    };
                    let state = state.clone();
                    let acceptor = acceptor.clone();
                    tokio::spawn(async move {
                        let service = service_fn(move |request| handle(state.clone(), request));
                        let http = hyper::server::conn::http1::Builder::new();
                        // A client that gives up mid-request (or mid-handshake)
                        // is part of the tests.
                        match acceptor {
                            None => {
                                let _ = http.serve_connection(TokioIo::new(stream), service).await;
                            }
                            Some(acceptor) => {
                                if let Ok(stream) = acceptor.accept(stream).await {
                                    let _ =
                                        http.serve_connection(TokioIo::new(stream), service).await;
                                }
                            }
                        }
                    });
                }
            }
        });
        Receiver {
            addr,
            scheme,
            state,
            accept,
        }
    }

    /// From now on, a request whose `Authorization` is not `value` is
    /// answered 401 and its lines are not stored.
    pub fn require_authorization(&self, value: &str) {
        *self.state.authorization.lock().expect("receiver auth") = Some(value.to_owned());
    }

    pub fn url(&self) -> String {
        format!("{}://{}/ingest", self.scheme, self.addr)
    }

    /// Every stored line, in arrival order. Panics if a body did not
    /// decode: the sink sent something malformed.
    pub fn lines(&self) -> Vec<String> {
        let log = self.state.log.lock().expect("receiver log");
        assert!(
            log.malformed.is_empty(),
            "malformed bodies: {:?}",
            log.malformed
        );
        log.lines.clone()
    }

    /// Every stored record as decoded, in arrival order.
    pub fn records(&self) -> Vec<serde_json::Value> {
        self.state.log.lock().expect("receiver log").records.clone()
    }

    /// Every request with a well-formed body. Panics as [`Receiver::lines`].
    pub fn requests(&self) -> Vec<Seen> {
        let log = self.state.log.lock().expect("receiver log");
        assert!(
            log.malformed.is_empty(),
            "malformed bodies: {:?}",
            log.malformed
        );
        log.requests.clone()
    }

    /// Every stored line numbered below `total`, counted.
    pub fn tally(&self, total: u64) -> Tally {
        let lines = self.lines();
        Tally::of_lines(lines.iter().map(|l| l.as_bytes()), total)
    }

    /// Polls until `want` distinct lines numbered below `total` were
    /// stored, or `within` passed.
    pub async fn wait_for_distinct(&self, total: u64, want: u64, within: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            if self.tally(total).seen() >= want {
                return true;
            }
            if tokio::time::Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

fn header(headers: &HeaderMap, name: hyper::header::HeaderName) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// The request's records as decoded, each with its line, or why the body
/// is malformed.
fn decode(
    state: &State,
    body: &[u8],
    gzipped: bool,
) -> Result<Vec<(String, serde_json::Value)>, String> {
    match &state.wire {
        Wire::Ndjson => {
            let mut plain = Vec::new();
            let body = if gzipped {
                flate2::read::GzDecoder::new(body)
                    .read_to_end(&mut plain)
                    .map_err(|e| format!("not a valid gzip body: {e}"))?;
                &plain[..]
            } else {
                body
            };
            if !body.is_empty() && !body.ends_with(b"\n") {
                return Err("an NDJSON body that does not end with a newline".into());
            }
            body.split(|&b| b == b'\n')
                .filter(|line| !line.is_empty())
                .map(|line| {
                    let value: serde_json::Value = serde_json::from_slice(line)
                        .map_err(|e| format!("a body line is not a JSON object: {e}"))?;
                    let text = value["line"]
                        .as_str()
                        .ok_or("a JSON line without a string `line` field")?
                        .to_owned();
                    Ok((text, value))
                })
                .collect()
        }
        Wire::Otlp(decoder) => {
            let request = decoder.lock().expect("decoder").decode(body, gzipped)?;
            request["records"]
                .as_array()
                .ok_or("no records")?
                .iter()
                .map(|record| {
                    let mut record = record.clone();
                    record["resource"] = request["resource"].clone();
                    record["scope"] = request["scope"].clone();
                    let text = record["body"]
                        .as_str()
                        .ok_or("a record whose body is not a string")?
                        .to_owned();
                    Ok((text, record))
                })
                .collect()
        }
    }
}

async fn handle(
    state: Arc<State>,
    request: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let path = request.uri().path().to_owned();
    let headers = request.headers().clone();
    let gzipped = header(&headers, CONTENT_ENCODING).as_deref() == Some("gzip");
    let Ok(body) = request.into_body().collect().await else {
        // The sender gave up while sending: nothing was received.
        return Ok(answer(&state, &Reply::status(400)));
    };
    let body = body.to_bytes();
    // Decoding may wait on the decoder process: off the runtime's thread,
    // which also keeps paused time from jumping meanwhile.
    let decoded = {
        let state = state.clone();
        let body = body.clone();
        tokio::task::spawn_blocking(move || decode(&state, &body, gzipped))
            .await
            .expect("decoding does not panic")
    };
    let records = match decoded {
        Ok(records) => records,
        Err(why) => {
            state.log.lock().expect("receiver log").malformed.push(why);
            return Ok(answer(&state, &Reply::status(400)));
        }
    };
    let (lines, records): (Vec<String>, Vec<serde_json::Value>) = records.into_iter().unzip();
    let authorization = header(&headers, AUTHORIZATION);
    let required = state.authorization.lock().expect("receiver auth").clone();
    let reply = {
        let mut log = state.log.lock().expect("receiver log");
        let reply = match required {
            Some(required) if authorization.as_ref() != Some(&required) => Reply::status(401),
            _ => (state.policy)(log.requests.len(), &lines),
        };
        log.requests.push(Seen {
            at: tokio::time::Instant::now(),
            path,
            lines: lines.len(),
            body_bytes: body.len(),
            content_type: header(&headers, CONTENT_TYPE),
            content_encoding: header(&headers, CONTENT_ENCODING),
            authorization,
            reply,
        });
        if reply.store {
            let kept = lines.len().saturating_sub(reply.reject);
            log.lines.extend(lines.into_iter().take(kept));
            log.records.extend(records.into_iter().take(kept));
        }
        reply
    };
    tokio::time::sleep(reply.delay).await;
    Ok(answer(&state, &reply))
}

fn answer(state: &State, reply: &Reply) -> Response<Full<Bytes>> {
    let status = StatusCode::from_u16(reply.status).expect("a valid test status");
    let mut response = Response::builder().status(status);
    if let Some(seconds) = reply.retry_after {
        response = response.header(hyper::header::RETRY_AFTER, seconds);
    }
    if let Some(location) = reply.location {
        response = response.header(hyper::header::LOCATION, location);
    }
    let body = match &state.wire {
        Wire::Otlp(_) if status.is_success() => {
            response = response.header(CONTENT_TYPE, "application/x-protobuf");
            let partial_success = (reply.reject > 0).then(|| ExportLogsPartialSuccess {
                rejected_log_records: reply.reject as i64,
                error_message: "rejected by the test".into(),
            });
            ExportLogsServiceResponse { partial_success }.encode_to_vec()
        }
        _ => format!("{}\n", status.canonical_reason().unwrap_or("")).into_bytes(),
    };
    response
        .body(Full::new(Bytes::from(body)))
        .expect("a valid test response")
}
