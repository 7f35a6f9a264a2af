//! The daemon's HTTP listener: accepts connections within caps, serves each
//! with hyper under a header-read and an idle timeout, and on shutdown stops
//! accepting and waits a bounded time for the sockets to close.
//!
//! A hall's network is shared with applicants' phones, so no client may
//! hold the daemon's sockets for free: a connection past the total or the
//! per-address cap is accepted and closed at once (the accept loop never
//! stalls on it), a request head must arrive within `header_timeout_s`, and
//! a connection where nothing moves while no request is in progress is
//! closed after `idle_timeout_s`. Websockets leave hyper once upgraded; their
//! own send timeout lives in `qcall_web::ws`. This module knows nothing of
//! routes: it serves whatever router it is given.

use std::collections::HashMap;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, watch};
use tower_service::Service;

/// How long shutdown waits for open sockets before the daemon exits anyway.
pub const SHUTDOWN_DEADLINE: Duration = Duration::from_secs(3);
/// File descriptors kept free for the database, printers, audio and logs
/// when the connection cap is derived from the open-files limit.
const FD_RESERVE: u64 = 128;
/// Refused connections and accept errors are logged at most this often.
const LOG_EVERY: Duration = Duration::from_secs(30);

/// The limits of `[server]`, in the units the listener uses.
#[derive(Debug, Clone)]
pub struct Limits {
    pub header_timeout: Duration,
    pub idle_timeout: Duration,
    pub max_connections: usize,
    /// 0: no per-address cap.
    pub max_connections_per_ip: usize,
}

/// Serves `app` on `listener` until `stop` turns true, then stops
/// accepting, lets the connections finish (websockets close themselves on
/// the same signal) and returns once every socket is closed or
/// [`SHUTDOWN_DEADLINE`] has passed. Returns false when the deadline passed
/// with sockets still open.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: Limits,
    mut stop: watch::Receiver<bool>,
) -> bool {
    let max = effective_cap(limits.max_connections);
    let open = Arc::new(Open {
        counts: Mutex::new(Counts::default()),
        closed: Notify::new(),
    });
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .keep_alive(true);
    let mut refused = LogGate::default();
    let mut accept_errors = LogGate::default();
    loop {
        let (stream, peer) = tokio::select! {
            _ = stop.wait_for(|s| *s) => break,
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of descriptors or a reset before accept: wait a
                    // moment so the loop does not spin, and say so rarely.
                    if let Some(n) = accept_errors.hit() {
                        tracing::warn!(error = %e, times = n, "cannot accept connections");
                    }
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let Some(permit) = open.admit(peer.ip(), max, limits.max_connections_per_ip) else {
            // Dropping the stream closes it at once.
            if let Some(n) = refused.hit() {
                tracing::warn!(
                    %peer, times = n, max, per_ip = limits.max_connections_per_ip,
                    "refusing connections: too many open (see [server] max_connections and max_connections_per_ip)"
                );
            }
            continue;
        };
        let _ = stream.set_nodelay(true);
        tokio::spawn(connection(
            stream,
            peer,
            permit,
            app.clone(),
            http.clone(),
            limits.idle_timeout,
            stop.clone(),
        ));
    }
    drop(listener);
    let deadline = tokio::time::Instant::now() + SHUTDOWN_DEADLINE;
    loop {
        let closed = open.closed.notified();
        let left = open.total();
        if left == 0 {
            return true;
        }
        if tokio::time::timeout_at(deadline, closed).await.is_err() {
            tracing::warn!(
                open = left,
                "sockets still open {} s after shutdown began; exiting anyway",
                SHUTDOWN_DEADLINE.as_secs()
            );
            return false;
        }
    }
}

/// One connection: hyper serves it until it ends, is upgraded to a
/// websocket, has been idle too long, or the daemon shuts down.
async fn connection(
    stream: TcpStream,
    peer: SocketAddr,
    permit: Permit,
    app: Router,
    http: hyper::server::conn::http1::Builder,
    idle: Duration,
    mut stop: watch::Receiver<bool>,
) {
    let activity = Arc::new(Activity::new());
    let io = Watched {
        inner: stream,
        activity: activity.clone(),
        _permit: permit,
    };
    let busy = activity.clone();
    let svc = hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
        req.extensions_mut().insert(ConnectInfo(peer));
        let guard = Busy::enter(busy.clone());
        let mut app = app.clone();
        async move {
            let resp = app.call(req).await;
            drop(guard);
            resp
        }
    });
    let conn = http.serve_connection(TokioIo::new(io), svc).with_upgrades();
    tokio::pin!(conn);
    let mut draining = false;
    loop {
        let wake = activity.idle_deadline(idle);
        tokio::select! {
            result = conn.as_mut() => {
                if let Err(e) = result {
                    tracing::debug!(%peer, error = %e, "connection ended with an error");
                }
                return;
            }
            _ = tokio::time::sleep_until(wake.into()) => {
                if activity.idle_for(idle) {
                    tracing::debug!(%peer, "closing an idle connection");
                    return;
                }
            }
            _ = stop.wait_for(|s| *s), if !draining => {
                // Finishes a request in progress, then closes.
                draining = true;
                conn.as_mut().graceful_shutdown();
            }
        }
    }
}

/// Open connections, in total and per address.
#[derive(Debug)]
struct Open {
    /// A plain mutex: it is taken once per connect and once per close, for
    /// a map update, and never held across an await.
    counts: Mutex<Counts>,
    /// Woken each time a connection closes, for shutdown to wait on.
    closed: Notify,
}

#[derive(Debug, Default)]
struct Counts {
    total: usize,
    per_ip: HashMap<IpAddr, usize>,
}

impl Open {
    fn admit(self: &Arc<Self>, ip: IpAddr, max: usize, per_ip: usize) -> Option<Permit> {
        let mut c = self.counts.lock().unwrap_or_else(|p| p.into_inner());
        let mine = c.per_ip.get(&ip).copied().unwrap_or(0);
        if c.total >= max || (per_ip > 0 && mine >= per_ip) {
            return None;
        }
        c.total += 1;
        c.per_ip.insert(ip, mine + 1);
        Some(Permit {
            open: self.clone(),
            ip,
        })
    }

    fn total(&self) -> usize {
        self.counts.lock().unwrap_or_else(|p| p.into_inner()).total
    }
}

/// One admitted connection; released when its socket is dropped, which for
/// a websocket is when the socket task ends.
#[derive(Debug)]
struct Permit {
    open: Arc<Open>,
    ip: IpAddr,
}

impl Drop for Permit {
    fn drop(&mut self) {
        {
            let mut c = self.open.counts.lock().unwrap_or_else(|p| p.into_inner());
            c.total -= 1;
            if let Some(n) = c.per_ip.get_mut(&self.ip) {
                *n -= 1;
                if *n == 0 {
                    c.per_ip.remove(&self.ip);
                }
            }
        }
        self.open.closed.notify_waiters();
    }
}

/// When a connection last moved a byte, and whether a request is being
/// handled (a slow handler is not idleness).
#[derive(Debug)]
struct Activity {
    start: Instant,
    /// Milliseconds after `start` of the last byte read or written.
    last_ms: AtomicU64,
    busy: AtomicU32,
}

impl Activity {
    fn new() -> Activity {
        Activity {
            start: Instant::now(),
            last_ms: AtomicU64::new(0),
            busy: AtomicU32::new(0),
        }
    }

    fn touch(&self) {
        let ms = self.start.elapsed().as_millis() as u64;
        self.last_ms.store(ms, Ordering::Relaxed);
    }

    /// When the connection will have been idle for `idle`; while a request
    /// is in progress, not before `idle` from now.
    fn idle_deadline(&self, idle: Duration) -> Instant {
        if self.busy.load(Ordering::Relaxed) > 0 {
            return Instant::now() + idle;
        }
        self.start + Duration::from_millis(self.last_ms.load(Ordering::Relaxed)) + idle
    }

    fn idle_for(&self, idle: Duration) -> bool {
        self.busy.load(Ordering::Relaxed) == 0 && Instant::now() >= self.idle_deadline(idle)
    }
}

/// Marks a request in progress on its connection.
struct Busy(Arc<Activity>);

impl Busy {
    fn enter(a: Arc<Activity>) -> Busy {
        a.busy.fetch_add(1, Ordering::Relaxed);
        Busy(a)
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        self.0.busy.fetch_sub(1, Ordering::Relaxed);
        self.0.touch();
    }
}

/// A socket that records its activity and holds its connection's permit.
#[derive(Debug)]
struct Watched {
    inner: TcpStream,
    activity: Arc<Activity>,
    _permit: Permit,
}

impl AsyncRead for Watched {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let r = Pin::new(&mut self.inner).poll_read(cx, buf);
        if matches!(r, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.activity.touch();
        }
        r
    }
}

impl AsyncWrite for Watched {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let r = Pin::new(&mut self.inner).poll_write(cx, buf);
        if matches!(r, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        r
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let r = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        if matches!(r, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        r
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

/// Counts events and says when to log them again.
#[derive(Debug, Default)]
struct LogGate {
    last: Option<Instant>,
    count: u64,
}

impl LogGate {
    /// Some(events since the last log line) when a line is due.
    fn hit(&mut self) -> Option<u64> {
        self.count += 1;
        if self.last.is_some_and(|t| t.elapsed() < LOG_EVERY) {
            return None;
        }
        self.last = Some(Instant::now());
        Some(std::mem::take(&mut self.count))
    }
}

/// Each display, phone and counter holds a socket: lifts the soft limit on
/// open files to the hard limit, and keeps the connection cap below what
/// the limit allows, so accepting never fails for want of descriptors.
fn effective_cap(configured: usize) -> usize {
    let limit = match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(n) => n,
        Err(e) => {
            tracing::warn!(error = %e, "cannot raise the open-files limit; large halls may run out of sockets");
            return configured;
        }
    };
    let room = usize::try_from(limit.saturating_sub(FD_RESERVE).max(1)).unwrap_or(usize::MAX);
    if room < configured {
        tracing::warn!(
            configured,
            allowed = room,
            open_files_limit = limit,
            "[server] max_connections is above what the open-files limit allows; using the lower figure"
        );
    }
    configured.min(room)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caps_count_per_address_and_release_on_drop() {
        let open = Arc::new(Open {
            counts: Mutex::new(Counts::default()),
            closed: Notify::new(),
        });
        let a: IpAddr = "127.0.0.1".parse().unwrap();
        let b: IpAddr = "127.0.0.2".parse().unwrap();
        let p1 = open.admit(a, 3, 2).unwrap();
        let p2 = open.admit(a, 3, 2).unwrap();
        assert!(open.admit(a, 3, 2).is_none(), "per-address cap");
        let p3 = open.admit(b, 3, 2).unwrap();
        assert!(open.admit(b, 3, 2).is_none(), "total cap");
        drop(p1);
        let p4 = open.admit(a, 3, 0).unwrap();
        assert_eq!(open.total(), 3);
        drop((p2, p3, p4));
        assert_eq!(open.total(), 0);
        assert!(open.counts.lock().unwrap().per_ip.is_empty());
    }
}
