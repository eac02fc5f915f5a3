//! Per-connection deadlines, so a client cannot hold a connection (and its
//! memory and file descriptor) without using it: a request head must arrive
//! within the header read timeout of the connection's first byte being
//! awaited (a slowloris client trickling header bytes is cut), and a
//! connection with nothing in flight is closed after the idle timeout.
//!
//! hyper's own HTTP/1 `header_read_timeout` restarts as soon as a response
//! is written, so on a keep-alive connection it doubles as a much shorter
//! idle timeout, and it does not cover HTTP/2 or the protocol-detection
//! phase of hyper-util's auto builder. Watching the bytes read and the
//! requests started gives both deadlines for both protocols.
//!
//! On an HTTP/2 connection bytes also arrive between requests (PING,
//! WINDOW_UPDATE, SETTINGS), so there the header deadline covers only the
//! connection's start (preface and first request); after that only the
//! idle deadline applies, and it closes with GOAWAY.

use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;

use super::Shutdown;

const NONE: u64 = u64::MAX;

/// What the connection is doing, shared by its IO wrapper, its requests and
/// the task that enforces the deadlines. Times are milliseconds since
/// `origin`.
#[derive(Debug)]
pub(crate) struct Activity {
    origin: Instant,
    /// When bytes of a request head started to arrive, NONE while idle or
    /// busy with a request.
    head_started: AtomicU64,
    /// When the last request finished.
    last_done: AtomicU64,
    in_flight: AtomicU32,
    /// The client opened with the HTTP/2 preface.
    h2: AtomicBool,
    /// At least one request head was read.
    served: AtomicBool,
}

/// How an HTTP/2 prior-knowledge connection starts.
const H2_PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/// What the deadline task should do now.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Nothing; look again at this instant.
    RecheckAt(Instant),
    /// A request head took longer than the header read timeout: cut.
    SlowHead,
    /// Nothing in flight for the idle timeout: close gracefully.
    Idle,
}

impl Activity {
    /// A freshly accepted connection: the client owes us a request head now.
    pub(crate) fn new() -> Self {
        Activity {
            origin: Instant::now(),
            head_started: AtomicU64::new(0),
            last_done: AtomicU64::new(0),
            in_flight: AtomicU32::new(0),
            h2: AtomicBool::new(false),
            served: AtomicBool::new(false),
        }
    }

    fn now_ms(&self) -> u64 {
        self.ms_at(Instant::now())
    }

    fn ms_at(&self, at: Instant) -> u64 {
        u64::try_from(at.saturating_duration_since(self.origin).as_millis()).unwrap_or(NONE - 1)
    }

    fn read_some(&self, bytes: &[u8], first: bool) {
        if first
            && bytes.len() >= 3
            && H2_PREFACE.starts_with(&bytes[..bytes.len().min(H2_PREFACE.len())])
        {
            self.h2.store(true, Ordering::Relaxed);
        }
        if self.h2.load(Ordering::Relaxed) && self.served.load(Ordering::Relaxed) {
            return;
        }
        if self.in_flight.load(Ordering::Relaxed) == 0
            && self.head_started.load(Ordering::Relaxed) == NONE
        {
            self.head_started.store(self.now_ms(), Ordering::Relaxed);
        }
    }

    /// A request head was read completely; the returned guard marks the end
    /// of the request when dropped.
    pub(crate) fn request_started(self: &Arc<Self>) -> RequestGuard {
        self.in_flight.fetch_add(1, Ordering::Relaxed);
        self.head_started.store(NONE, Ordering::Relaxed);
        self.served.store(true, Ordering::Relaxed);
        RequestGuard(Arc::clone(self))
    }

    /// Nothing in flight and no request head arriving: closing it now
    /// costs the client nothing but a reconnect.
    fn is_idle(&self) -> bool {
        self.in_flight.load(Ordering::Relaxed) == 0
            && self.head_started.load(Ordering::Relaxed) == NONE
    }

    /// Which deadline, if any, has passed at `now`.
    pub(crate) fn verdict(&self, now: Instant, header_read: Duration, idle: Duration) -> Verdict {
        let now_ms = self.ms_at(now);
        let header_ms = header_read.as_millis() as u64;
        let idle_ms = idle.as_millis() as u64;
        let head = self.head_started.load(Ordering::Relaxed);
        if head != NONE {
            let due = head.saturating_add(header_ms);
            if now_ms >= due {
                return Verdict::SlowHead;
            }
            return Verdict::RecheckAt(self.origin + Duration::from_millis(due));
        }
        if self.in_flight.load(Ordering::Relaxed) > 0 {
            // Busy: requests bound their own time; look again later.
            return Verdict::RecheckAt(now + header_read.min(idle));
        }
        let due = self
            .last_done
            .load(Ordering::Relaxed)
            .saturating_add(idle_ms);
        if now_ms >= due {
            return Verdict::Idle;
        }
        Verdict::RecheckAt(self.origin + Duration::from_millis(due))
    }
}

/// What the deadline watcher asks of its connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Close {
    /// Finish what is in flight, then close (HTTP/2: GOAWAY).
    Gracefully,
    /// Drop the connection now.
    Now,
}

/// Watches one connection's deadlines, the process's shutdown signal and
/// the server's calls to shed idle connections (`shed` changes when the
/// server ran out of file descriptors), in a task of its own, and sends
/// what the connection must do: close gracefully once idle for the idle
/// timeout, at shutdown, or when shedding finds it idle; close at once
/// when a request head is late or a graceful close did not finish within
/// a second of idleness.
pub(crate) async fn watch(
    activity: Arc<Activity>,
    shutdown: Shutdown,
    header_read: Duration,
    idle: Duration,
    close: mpsc::Sender<Close>,
    mut shed: watch::Receiver<u64>,
) {
    let stop = shutdown.wait();
    tokio::pin!(stop);
    let mut closing = false;
    loop {
        let recheck = match activity.verdict(Instant::now(), header_read, idle) {
            Verdict::RecheckAt(at) => at,
            Verdict::SlowHead => {
                log::debug!("closing a connection whose request head took over {header_read:?}");
                let _ = close.send(Close::Now).await;
                return;
            }
            Verdict::Idle if closing => {
                let _ = close.send(Close::Now).await;
                return;
            }
            Verdict::Idle => {
                let _ = close.send(Close::Gracefully).await;
                closing = true;
                Instant::now() + Duration::from_secs(1)
            }
        };
        tokio::select! {
            _ = &mut stop, if !closing => {
                let _ = close.send(Close::Gracefully).await;
                closing = true;
            }
            Ok(()) = shed.changed(), if !closing => {
                if activity.is_idle() {
                    log::debug!("shedding an idle connection: out of file descriptors");
                    let _ = close.send(Close::Gracefully).await;
                    closing = true;
                }
            }
            _ = tokio::time::sleep_until(recheck) => {}
        }
    }
}

/// Held while a request is in flight on the connection.
#[derive(Debug)]
pub(crate) struct RequestGuard(Arc<Activity>);

impl Drop for RequestGuard {
    fn drop(&mut self) {
        let activity = &self.0;
        activity
            .last_done
            .store(activity.now_ms(), Ordering::Relaxed);
        activity.in_flight.fetch_sub(1, Ordering::Relaxed);
    }
}

/// The connection's socket, noting in [`Activity`] when bytes arrive.
#[derive(Debug)]
pub(crate) struct Watched<S> {
    inner: S,
    activity: Arc<Activity>,
    first_read: bool,
}

impl<S> Watched<S> {
    pub(crate) fn new(inner: S, activity: Arc<Activity>) -> Self {
        Watched {
            inner,
            activity,
            first_read: true,
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Watched<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if buf.filled().len() > before {
            let first = std::mem::replace(&mut self.first_read, false);
            self.activity.read_some(&buf.filled()[before..], first);
        }
        polled
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Watched<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn http2_frames_between_requests_do_not_start_the_header_deadline() {
        let activity = Arc::new(Activity::new());
        activity.read_some(H2_PREFACE, true);
        drop(activity.request_started());
        let done = Instant::now();
        // A PING or WINDOW_UPDATE after the response.
        activity.read_some(&[0, 0, 8, 6, 0, 0, 0, 0, 0], false);
        assert!(matches!(
            activity.verdict(done + HEAD, HEAD, IDLE),
            Verdict::RecheckAt(_)
        ));
        assert_eq!(activity.verdict(done + IDLE, HEAD, IDLE), Verdict::Idle);
    }

    const HEAD: Duration = Duration::from_secs(10);
    const IDLE: Duration = Duration::from_secs(60);

    #[tokio::test(start_paused = true)]
    async fn a_new_connection_owes_a_head_within_the_header_timeout() {
        let activity = Arc::new(Activity::new());
        let start = Instant::now();
        assert_eq!(
            activity.verdict(start, HEAD, IDLE),
            Verdict::RecheckAt(activity.origin + HEAD)
        );
        assert_eq!(
            activity.verdict(start + HEAD, HEAD, IDLE),
            Verdict::SlowHead
        );
    }

    #[tokio::test(start_paused = true)]
    async fn after_a_request_the_idle_timeout_applies_until_bytes_arrive() {
        let activity = Arc::new(Activity::new());
        tokio::time::advance(Duration::from_secs(1)).await;
        let guard = activity.request_started();
        // Busy for longer than both timeouts: never cut while in flight.
        tokio::time::advance(Duration::from_secs(100)).await;
        assert!(matches!(
            activity.verdict(Instant::now(), HEAD, IDLE),
            Verdict::RecheckAt(_)
        ));
        drop(guard);
        let done = Instant::now();
        assert!(matches!(
            activity.verdict(done + HEAD, HEAD, IDLE),
            Verdict::RecheckAt(_)
        ));
        assert_eq!(activity.verdict(done + IDLE, HEAD, IDLE), Verdict::Idle);

        // The first byte of the next head starts the header deadline.
        activity.read_some(b"G", false);
        let first_byte = Instant::now();
        assert_eq!(
            activity.verdict(first_byte + HEAD, HEAD, IDLE),
            Verdict::SlowHead
        );
    }
}
