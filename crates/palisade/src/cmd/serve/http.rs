//! The HTTP/1.1 connection loop of `palisade serve`, on hyper directly (axum::serve exposes
//! no timeouts): a request head must arrive within the header read timeout, a connection
//! that moves no byte for the idle timeout is closed, and shutdown stops accepting, lets
//! in-flight requests finish until a deadline, then drops every connection left — so a
//! client holding half a request can neither keep a connection forever nor block the exit.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use std::convert::Infallible;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::Request;
use axum::response::Response;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use palisade_api::AppState;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinSet;
use tokio::time::{Instant, Sleep};
use tower::ServiceExt;

/// How long a connection may take at each stage.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Timeouts {
    /// From the moment a connection waits for a request head (its start, or the previous
    /// response on a keep-alive connection) to the head's end: hyper starts this clock
    /// when the connection turns idle, so it also bounds an idle keep-alive connection.
    pub(crate) header_read: Duration,
    /// The longest a connection may go without reading or writing a byte (a stalled body,
    /// a client that stops reading its response).
    pub(crate) idle: Duration,
    /// After shutdown begins, how long in-flight requests may take before their
    /// connections are dropped.
    pub(crate) shutdown: Duration,
}

/// What a connection answers with: EC2 and STS Query calls go straight to `api` (when
/// given), everything else through `router`.
#[derive(Clone)]
pub(crate) struct App {
    router: Router,
    api: Option<Arc<AppState>>,
}

impl App {
    /// `router` for every request.
    pub(crate) fn router(router: Router) -> Self {
        Self { router, api: None }
    }

    /// `router`, with Query calls answered by [`palisade_api::query_call`] directly: the
    /// router's matching, its middleware layers and its extractors cost a few µs a call
    /// (a sixth of a write's CPU on the tokio side), and every client call takes this path.
    pub(crate) fn with_api(router: Router, api: AppState) -> Self {
        Self {
            router,
            api: Some(Arc::new(api)),
        }
    }
}

impl hyper::service::Service<Request<Incoming>> for App {
    type Response = Response;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

    fn call(&self, req: Request<Incoming>) -> Self::Future {
        if let Some(api) = &self.api
            && req.uri().path() == "/"
            && palisade_console::is_api_call(req.method(), req.uri(), req.headers())
        {
            let api = Arc::clone(api);
            return Box::pin(async move { Ok(palisade_api::query_call(&api, req).await) });
        }
        let router = self.router.clone();
        Box::pin(async move { router.oneshot(req.map(Body::new)).await })
    }
}

/// Serves `app` on `listener` until `shutdown` resolves, then drains as [`Timeouts`] says.
pub(crate) async fn serve(
    listener: TcpListener,
    app: App,
    timeouts: Timeouts,
    shutdown: impl Future<Output = ()>,
) {
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut conns = JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    conns.spawn(connection(stream, app.clone(), timeouts, stop_rx.clone()));
                }
                Err(e) => {
                    // Out of file descriptors and the like: wait instead of spinning.
                    tracing::warn!(error = %e, "accepting a connection");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            },
            Some(_) = conns.join_next(), if !conns.is_empty() => {}
        }
    }
    drop(listener);
    tracing::info!(connections = conns.len(), "shutting down");
    let _ = stop_tx.send(true);
    let drained = tokio::time::timeout(timeouts.shutdown, async {
        while conns.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        tracing::warn!(
            connections = conns.len(),
            "shutdown deadline passed: dropping the connections left"
        );
        conns.shutdown().await;
    }
}

/// One connection: served until it ends, or until shutdown asks it to finish its request.
async fn connection(
    stream: TcpStream,
    app: App,
    timeouts: Timeouts,
    mut stop: watch::Receiver<bool>,
) {
    let _ = stream.set_nodelay(true);
    let io = TokioIo::new(IdleIo::new(stream, timeouts.idle));
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(timeouts.header_read);
    let conn = builder.serve_connection(io, app);
    tokio::pin!(conn);
    let res = tokio::select! {
        res = conn.as_mut() => res,
        () = stopping(&mut stop) => {
            conn.as_mut().graceful_shutdown();
            conn.await
        }
    };
    if let Err(e) = res {
        tracing::debug!(error = %e, "connection closed");
    }
}

/// Resolves once shutdown has begun (or the sender is gone).
async fn stopping(stop: &mut watch::Receiver<bool>) {
    let _ = stop.wait_for(|stopping| *stopping).await;
}

/// A stream whose reads and writes fail with `TimedOut` once nothing has moved for
/// `timeout`. Progress only notes the time: the timer is moved when it fires early, not on
/// every read and write (each move is a timer-wheel update; two a request showed).
#[derive(Debug)]
struct IdleIo {
    stream: TcpStream,
    timeout: Duration,
    deadline: Pin<Box<Sleep>>,
    /// When a byte last moved.
    moved: Instant,
}

impl IdleIo {
    fn new(stream: TcpStream, timeout: Duration) -> Self {
        Self {
            stream,
            timeout,
            deadline: Box::pin(tokio::time::sleep(timeout)),
            moved: Instant::now(),
        }
    }

    fn progressed(&mut self) {
        self.moved = Instant::now();
    }

    /// Called when the stream is not ready: an error once `timeout` has passed since the
    /// last progress.
    fn poll_idle<T>(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<T>> {
        loop {
            match self.deadline.as_mut().poll(cx) {
                Poll::Ready(()) => {
                    let due = self.moved + self.timeout;
                    if due > Instant::now() {
                        self.deadline.as_mut().reset(due);
                        continue;
                    }
                    return Poll::Ready(Err(io::Error::new(
                        io::ErrorKind::TimedOut,
                        "connection idle past its timeout",
                    )));
                }
                Poll::Pending => return Poll::Pending,
            }
        }
    }
}

impl AsyncRead for IdleIo {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        match Pin::new(&mut self.stream).poll_read(cx, buf) {
            Poll::Ready(res) => {
                if buf.filled().len() > before {
                    self.progressed();
                }
                Poll::Ready(res)
            }
            Poll::Pending => self.poll_idle(cx),
        }
    }
}

impl AsyncWrite for IdleIo {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match Pin::new(&mut self.stream).poll_write(cx, buf) {
            Poll::Ready(res) => {
                if matches!(res, Ok(n) if n > 0) {
                    self.progressed();
                }
                Poll::Ready(res)
            }
            Poll::Pending => self.poll_idle(cx),
        }
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}
