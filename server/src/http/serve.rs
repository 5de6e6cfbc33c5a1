//! The HTTP accept loop: bounded connections, a deadline for request
//! headers, a cap on their size, and a graceful stop.
//!
//! `axum::serve` gives hyper no timer, so a client trickling its headers a
//! byte at a time holds a connection (and a task) forever; a thousand of
//! them starve everyone else. Here hyper gets a timer and a header-read
//! timeout (which also ends idle keep-alive connections waiting for their
//! next request), and connections beyond the cap are closed at once.

use axum::Router;
use axum::extract::ConnectInfo;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tower::ServiceExt;

/// How the HTTP listener bounds its clients.
#[derive(Debug, Clone, Copy)]
pub struct ServeLimits {
    /// Open connections at most; beyond, new ones are closed at once.
    pub max_connections: usize,
    /// A request's headers (and, between requests, the next one's) must
    /// arrive within this.
    pub header_timeout: Duration,
    /// The largest request head (request line and headers).
    pub max_header_bytes: usize,
}

/// How long requests in flight may finish after a stop is asked for.
const DRAIN: Duration = Duration::from_secs(30);

/// Serves `router` on `listener` until `shutdown` resolves, then lets
/// requests in flight finish (at most [`DRAIN`]).
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: ServeLimits,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let open = Arc::new(tokio::sync::Semaphore::new(limits.max_connections));
    let graceful = GracefulShutdown::new();
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .max_buf_size(limits.max_header_bytes.max(8192))
        .keep_alive(true);
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of descriptors and the like: wait rather than spin.
                    tracing::warn!(%error, "accepting an HTTP connection failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let Ok(slot) = Arc::clone(&open).try_acquire_owned() else {
            tracing::debug!(%peer, "HTTP connection refused: too many open");
            continue;
        };
        let _ = stream.set_nodelay(true);
        let service = router
            .clone()
            .map_request(move |mut request: axum::extract::Request<_>| {
                request.extensions_mut().insert(ConnectInfo(peer));
                request
            });
        let connection =
            builder.serve_connection(TokioIo::new(stream), TowerToHyperService::new(service));
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                tracing::debug!(%peer, %error, "HTTP connection ended");
            }
            drop(slot);
        });
    }
    drop(listener);
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep(DRAIN) => {
            tracing::warn!("requests still running after {DRAIN:?}; stopping anyway");
        }
    }
    Ok(())
}
