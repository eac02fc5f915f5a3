//! A real HTTP log receiver on 127.0.0.1 for the HTTP sink's tests, whose
//! answers the test scripts (fail, refuse, answer late, come up late), and
//! which remembers every line it took and every request it saw, so that loss
//! and duplication are counted exactly, not guessed.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpSocket};
use tokio::task::JoinHandle;

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
}

impl Reply {
    pub const OK: Reply = Reply {
        store: true,
        status: 200,
        delay: Duration::ZERO,
        retry_after: None,
        location: None,
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
    pub body_bytes: usize,
    pub content_type: Option<String>,
    pub reply: Reply,
}

#[derive(Default)]
struct Log {
    /// The `line` field of every stored NDJSON line, in arrival order.
    lines: Vec<String>,
    requests: Vec<Seen>,
}

struct State {
    policy: Policy,
    log: Mutex<Log>,
}

/// A running receiver; stops accepting when dropped.
pub struct Receiver {
    pub addr: SocketAddr,
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
        let listener = self.socket.listen(1024).expect("listen on the held port");
        Receiver::serve(listener, policy)
    }
}

impl Receiver {
    /// A receiver on 127.0.0.1:0, up at once.
    pub async fn start(policy: Policy) -> Receiver {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1:0");
        Receiver::serve(listener, policy)
    }

    pub fn accepting_everything() -> Policy {
        Box::new(|_, _| Reply::OK)
    }

    fn serve(listener: TcpListener, policy: Policy) -> Receiver {
        let addr = listener.local_addr().expect("bound address");
        let state = Arc::new(State {
            policy,
            log: Mutex::new(Log::default()),
        });
        let accept = tokio::spawn({
            let state = state.clone();
            async move {
                loop {
                    let Ok((stream, _)) = listener.accept().await else {
                        continue;
                    };
                    let state = state.clone();
                    tokio::spawn(async move {
                        let service = service_fn(move |request| handle(state.clone(), request));
                        // A client that gives up mid-request is part of the tests.
                        let _ = hyper::server::conn::http1::Builder::new()
                            .serve_connection(TokioIo::new(stream), service)
                            .await;
                    });
                }
            }
        });
        Receiver {
            addr,
            state,
            accept,
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}/ingest", self.addr)
    }

    /// Every stored line, in arrival order.
    pub fn lines(&self) -> Vec<String> {
        self.state.log.lock().expect("receiver log").lines.clone()
    }

    pub fn requests(&self) -> Vec<Seen> {
        self.state
            .log
            .lock()
            .expect("receiver log")
            .requests
            .clone()
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

async fn handle(
    state: Arc<State>,
    request: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let path = request.uri().path().to_owned();
    let content_type = request
        .headers()
        .get(hyper::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let Ok(body) = request.into_body().collect().await else {
        // The sender gave up while sending: nothing was received.
        return Ok(answer(&Reply::status(400)));
    };
    let body = body.to_bytes();
    let lines: Vec<String> = body
        .split(|&b| b == b'\n')
        .filter(|line| !line.is_empty())
        .map(|line| {
            let value: serde_json::Value =
                serde_json::from_slice(line).expect("every body line is one JSON object");
            value["line"]
                .as_str()
                .expect("every JSON line has a string `line` field")
                .to_owned()
        })
        .collect();
    assert!(
        body.is_empty() || body.ends_with(b"\n"),
        "NDJSON bodies end with a newline"
    );
    let reply = {
        let mut log = state.log.lock().expect("receiver log");
        let reply = (state.policy)(log.requests.len(), &lines);
        log.requests.push(Seen {
            at: tokio::time::Instant::now(),
            path,
            lines: lines.len(),
            body_bytes: body.len(),
            content_type,
            reply,
        });
        if reply.store {
            log.lines.extend(lines);
        }
        reply
    };
    tokio::time::sleep(reply.delay).await;
    Ok(answer(&reply))
}

fn answer(reply: &Reply) -> Response<Full<Bytes>> {
    let status = StatusCode::from_u16(reply.status).expect("a valid test status");
    let mut response = Response::builder().status(status);
    if let Some(seconds) = reply.retry_after {
        response = response.header(hyper::header::RETRY_AFTER, seconds);
    }
    if let Some(location) = reply.location {
        response = response.header(hyper::header::LOCATION, location);
    }
    response
        .body(Full::new(Bytes::from(format!(
            "{}\n",
            status.canonical_reason().unwrap_or("")
        ))))
        .expect("a valid test response")
}
