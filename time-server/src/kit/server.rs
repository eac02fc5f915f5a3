//! The kit's HTTP server: the accept loop (one task per connection,
//! HTTP/1.1 and h2c prior knowledge on one port), the per-request pipeline
//! every endpoint goes through (body limit, routing, 404/405, HEAD,
//! metrics, request log) and graceful shutdown (stop accepting, let
//! in-flight requests finish, bounded by the drain timeout).
//!
//! Connections are shut down by their own task rather than by hyper-util's
//! `GracefulShutdown`, because a connection must also be closable alone
//! (idle or slow-head deadline) and `GracefulConnection` is sealed.

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Limited};
use hyper::body::{Body as HttpBody, Incoming};
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use prometheus::Registry;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, watch};
use tokio::task::{JoinHandle, JoinSet};

use super::conn_deadlines::{self, Activity, Close, Watched};
use super::http_metrics::{HttpMetrics, Rejected};
use super::request_log::RequestLog;
use super::respond::{self, Body};
use super::router::{Endpoints, OTHER_ROUTE};
use super::{Program, Shutdown};

/// The future hyper gets for each request: the answer itself when the
/// request had no body, the body-reading pipeline otherwise.
enum Answer {
    Now(Option<Response<Body>>),
    Later(Pin<Box<dyn Future<Output = Response<Body>> + Send>>),
}

impl Future for Answer {
    type Output = Result<Response<Body>, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.get_mut() {
            Answer::Now(response) => Poll::Ready(Ok(response
                .take()
                .expect("hyper polls a request's future only until it is ready"))),
            Answer::Later(pending) => pending.as_mut().poll(cx).map(Ok),
        }
    }
}

/// Aborts a helper task when the task that spawned it ends (or is
/// aborted itself, as connections are after the drain timeout).
struct AbortOnDrop(JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Linux's errno for "this process has no file descriptor left", and
/// "the system has none left".
const EMFILE: i32 = 24;
const ENFILE: i32 = 23;

/// Requests waiting for their bodies, across every connection, at most:
/// beyond, a request with a body is answered 503 at once, without reading
/// it. Each waiting request holds its HTTP/2 stream (or its connection)
/// and its future: 200 h2c connections x 256 streams whose bodies never
/// came took 160 MB, above the pod's 128Mi limit.
pub(crate) const MAX_WAITING_BODIES: usize = 1024;

/// How often a persisting accept failure is said again.
const ACCEPT_WARN_EVERY: Duration = Duration::from_secs(10);

/// Accept failures, said on stderr at most once per [`ACCEPT_WARN_EVERY`]
/// with how many there were meanwhile: the loop retries every 50 ms, and
/// running out of descriptors once made 20 warnings a second.
#[derive(Debug, Default)]
struct AcceptErrors {
    said_at: Option<tokio::time::Instant>,
    since: u64,
}

impl AcceptErrors {
    fn report(&mut self, e: &io::Error) {
        self.since += 1;
        let now = tokio::time::Instant::now();
        if self.said_at.is_some_and(|at| now - at < ACCEPT_WARN_EVERY) {
            return;
        }
        if self.since > 1 {
            log::warn!(
                "accept failed: {e} ({} failures since the last warning)",
                self.since
            );
        } else {
            log::warn!("accept failed: {e}");
        }
        self.said_at = Some(now);
        self.since = 0;
    }
}

/// One of the [`MAX_WAITING_BODIES`] places, given back when dropped.
struct BodySlot<E>(Arc<Server<E>>);

impl<E> BodySlot<E> {
    fn take(server: &Arc<Server<E>>) -> Option<Self> {
        server
            .waiting_bodies
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < MAX_WAITING_BODIES).then_some(n + 1)
            })
            .ok()
            .map(|_| BodySlot(Arc::clone(server)))
    }
}

impl<E> Drop for BodySlot<E> {
    fn drop(&mut self) {
        self.0.waiting_bodies.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Limits and timeouts of a server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServeOptions {
    /// A request head (and any request body) must arrive within this time of
    /// its first byte, and a new connection must start one within it: a
    /// slowloris client is cut.
    pub header_read_timeout: Duration,
    /// A connection with no request in flight for this long is closed.
    pub idle_timeout: Duration,
    /// Largest request head accepted (HTTP/1 read buffer, HTTP/2 header
    /// list); hyper answers 431 beyond it. At least 8 KiB.
    pub max_header_bytes: usize,
    /// Largest request body accepted (413 beyond it); the endpoints ignore
    /// bodies, but reading them keeps the connection reusable.
    pub max_body_bytes: usize,
    /// After shutdown, how long in-flight requests may take to finish
    /// before their connections are dropped.
    pub drain_timeout: Duration,
    /// Open connections at most. At the cap, idle connections are shed
    /// and new ones wait in the listen backlog until one closes: an idle
    /// h2c connection costs about 21 KiB, so the default 2048 stay near
    /// 42 MiB, under the pod's 128Mi limit.
    pub max_connections: usize,
}

/// hyper's HTTP/1 read buffer cannot be smaller than this.
pub const MIN_HEADER_BYTES: usize = 8 * 1024;

impl Default for ServeOptions {
    fn default() -> Self {
        ServeOptions {
            header_read_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
            max_header_bytes: 16 * 1024,
            max_body_bytes: 64 * 1024,
            drain_timeout: Duration::from_secs(5),
            max_connections: 2048,
        }
    }
}

/// A server: endpoints plus everything the kit adds around them.
#[derive(Debug)]
pub struct Server<E> {
    endpoints: E,
    metrics: HttpMetrics,
    log: RequestLog,
    options: ServeOptions,
    /// Bumped when accept runs out of file descriptors: every idle
    /// connection closes, so that new clients get served instead of
    /// waiting in the backlog for some keep-alive to time out.
    shed: watch::Sender<u64>,
    /// Requests reading their bodies now (see [`MAX_WAITING_BODIES`]).
    waiting_bodies: AtomicUsize,
}

impl<E: Endpoints> Server<E> {
    /// A server for `endpoints`, its HTTP metrics registered into
    /// `registry`, its request lines logged with `program`'s target. Serve
    /// it with [`Stop::serve`](super::Stop::serve).
    pub fn new(
        program: Program,
        endpoints: E,
        registry: &Registry,
        options: ServeOptions,
    ) -> prometheus::Result<Self> {
        Ok(Server {
            endpoints,
            metrics: HttpMetrics::register(registry)?,
            log: RequestLog::new(&program),
            options,
            shed: watch::channel(0).0,
            waiting_bodies: AtomicUsize::new(0),
        })
    }

    pub(crate) fn drain_timeout(&self) -> Duration {
        self.options.drain_timeout
    }

    /// Accepts connections on `listener` until `shutdown` fires, then stops
    /// accepting (the listener is closed), lets every connection finish its
    /// in-flight requests and waits for them at most `drain_timeout`.
    ///
    /// Errors of single connections or of `accept` (e.g. out of file
    /// descriptors) are logged and never end the loop.
    pub(crate) async fn serve(
        self: Arc<Self>,
        listener: TcpListener,
        shutdown: Shutdown,
    ) -> io::Result<()> {
        let builder = Arc::new(self.builder());
        let mut connections = JoinSet::new();
        let mut accept_errors = AcceptErrors::default();
        let stop = shutdown.wait();
        tokio::pin!(stop);
        loop {
            tokio::select! {
                biased;
                _ = &mut stop => break,
                // Reap finished connection tasks so the set does not grow.
                Some(_) = connections.join_next(), if !connections.is_empty() => {}
                // At the cap, leave new clients in the backlog until one of
                // ours closes (shed below, or done).
                accepted = listener.accept(), if connections.len() < self.options.max_connections => match accepted {
                    Ok((stream, _peer)) => {
                        connections.spawn(Arc::clone(&self).connection(
                            Arc::clone(&builder),
                            stream,
                            shutdown.clone(),
                        ));
                        if connections.len() >= self.options.max_connections {
                            self.shed.send_modify(|n| *n += 1);
                        }
                    }
                    Err(e) => {
                        if matches!(e.raw_os_error(), Some(EMFILE | ENFILE)) {
                            self.shed.send_modify(|n| *n += 1);
                        }
                        accept_errors.report(&e);
                        // Waiting a little lets the shed connections close
                        // instead of spinning on the error.
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                },
            }
        }
        drop(listener);
        let open = connections.len();
        let drained = tokio::time::timeout(self.options.drain_timeout, async {
            while connections.join_next().await.is_some() {}
        })
        .await;
        if drained.is_err() {
            log::warn!(
                "{} of {open} connections still busy after the {:?} drain timeout; closing them",
                connections.len(),
                self.options.drain_timeout
            );
            connections.shutdown().await;
        }
        Ok(())
    }

    fn builder(&self) -> auto::Builder<TokioExecutor> {
        let max_header = self.options.max_header_bytes.max(MIN_HEADER_BYTES);
        let mut builder = auto::Builder::new(TokioExecutor::new());
        builder
            .http1()
            .timer(TokioTimer::new())
            // conn_deadlines does this for both protocols; see there why.
            .header_read_timeout(None::<Duration>)
            .max_buf_size(max_header)
            .keep_alive(true)
            .writev(false);
        builder
            .http2()
            .timer(TokioTimer::new())
            .max_header_list_size(u32::try_from(max_header).unwrap_or(u32::MAX))
            .max_concurrent_streams(256);
        builder
    }

    async fn connection(
        self: Arc<Self>,
        builder: Arc<auto::Builder<TokioExecutor>>,
        stream: TcpStream,
        shutdown: Shutdown,
    ) {
        // Small responses must not wait for Nagle's algorithm.
        let _ = stream.set_nodelay(true);
        let activity = Arc::new(Activity::new());
        let io = TokioIo::new(Watched::new(stream, Arc::clone(&activity)));
        let server = Arc::clone(&self);
        let requests = Arc::clone(&activity);
        let service = service_fn(move |request: Request<Incoming>| {
            let busy = requests.request_started();
            if request.body().is_end_stream() {
                // Every GET and HEAD: answered right here, so hyper holds a
                // ready value instead of an async state machine that owns
                // the request (moving it around was a tenth of a request's
                // user-space instructions).
                let response = server.handle_now(&request);
                drop(busy);
                return Answer::Now(Some(response));
            }
            let Some(slot) = BodySlot::take(&server) else {
                let response = server.answer(
                    std::time::Instant::now(),
                    request.method(),
                    request.uri(),
                    Err(respond::error_response(
                        StatusCode::SERVICE_UNAVAILABLE,
                        "too many requests waiting for their bodies",
                    )),
                );
                drop(busy);
                return Answer::Now(Some(response));
            };
            let server = Arc::clone(&server);
            Answer::Later(Box::pin(async move {
                let response = server.handle(request).await;
                drop(slot);
                drop(busy);
                response
            }))
        });
        let conn = builder.serve_connection(io, service);
        tokio::pin!(conn);
        // The deadlines and the shutdown signal are watched by a task of
        // their own, which tells this one what to do over a channel: this
        // task is woken for every request, and polling a timer and the
        // shutdown signal each time cost more than the channel does.
        let (close_tx, mut close_rx) = mpsc::channel(2);
        let _watcher = AbortOnDrop(tokio::spawn(conn_deadlines::watch(
            activity,
            shutdown,
            self.options.header_read_timeout,
            self.options.idle_timeout,
            close_tx,
            self.shed.subscribe(),
        )));
        loop {
            tokio::select! {
                // The connection first: it is what wakes this task on
                // nearly every poll.
                biased;
                result = conn.as_mut() => {
                    if let Err(e) = result {
                        log::debug!("connection ended with an error: {e}");
                        if let Some(reason) = Rejected::of(&*e) {
                            self.metrics.rejected(reason);
                        }
                    }
                    return;
                }
                close = close_rx.recv() => match close {
                    Some(Close::Gracefully) => conn.as_mut().graceful_shutdown(),
                    Some(Close::Now) | None => return,
                },
            }
        }
    }

    /// Answers one request that has a body.
    async fn handle<B>(&self, request: Request<B>) -> Response<Body>
    where
        B: HttpBody<Data = Bytes>,
        B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        let started = std::time::Instant::now();
        let in_flight = self.metrics.in_flight();
        let (parts, body) = request.into_parts();
        let body = self.read_body(body).await;
        let response = self.answer(started, &parts.method, &parts.uri, body);
        drop(in_flight);
        response
    }

    /// Answers a request whose body is already complete (empty), without
    /// awaiting anything.
    fn handle_now<B: HttpBody>(&self, request: &Request<B>) -> Response<Body> {
        let started = std::time::Instant::now();
        let _in_flight = self.metrics.in_flight();
        self.answer(started, request.method(), request.uri(), Ok(()))
    }

    /// The pipeline once the body is read (or refused): routing, 404/405,
    /// HEAD, the endpoint, then the metrics and the log line.
    fn answer(
        &self,
        started: std::time::Instant,
        method: &Method,
        uri: &hyper::Uri,
        body: Result<(), Response<Body>>,
    ) -> Response<Body> {
        let path = uri.path();
        let (label, response) = match body {
            Err(response) => (OTHER_ROUTE, response),
            Ok(()) => match self.endpoints.route(path) {
                None => (OTHER_ROUTE, respond::not_found(path)),
                Some(route) => {
                    let response = match *method {
                        Method::GET => self.endpoints.get(route.endpoint, uri.query()),
                        Method::HEAD => {
                            respond::head_of(self.endpoints.get(route.endpoint, uri.query()))
                        }
                        ref other => respond::method_not_allowed(other, path),
                    };
                    (route.label, response)
                }
            },
        };
        let elapsed = started.elapsed();
        let status = response.status().as_u16();
        self.metrics.observe(method, label, status, elapsed);
        self.log.record(method, path, status, elapsed);
        response
    }

    /// Reads and discards the request body, within the size and time limits.
    async fn read_body<B>(&self, body: B) -> Result<(), Response<Body>>
    where
        B: HttpBody<Data = Bytes>,
        B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        if body.is_end_stream() {
            return Ok(());
        }
        let limited = Limited::new(body, self.options.max_body_bytes);
        match tokio::time::timeout(self.options.header_read_timeout, limited.collect()).await {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(e)) if e.is::<http_body_util::LengthLimitError>() => Err(
                respond::error_response(StatusCode::PAYLOAD_TOO_LARGE, "request body too large"),
            ),
            Ok(Err(_)) => Err(respond::error_response(
                StatusCode::BAD_REQUEST,
                "bad request body",
            )),
            Err(_) => Err(respond::error_response(
                StatusCode::REQUEST_TIMEOUT,
                "request body not received in time",
            )),
        }
    }
}
