//! The request deadline: a request still running after the timeout gets
//! 408 — unless it has handed events to the writer. Then it waits for the
//! commit and answers what happened, because a 408 would be a lie (the
//! events are stored anyway) and the shipper's retry would store them twice.

use crate::ingest::writer::QueuedFlag;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::time::Duration;

/// Answers 408 to requests running longer than `timeout`, except those
/// that queued events (see the module).
pub async fn deadline(State(timeout): State<Duration>, request: Request, next: Next) -> Response {
    let queued = QueuedFlag::default();
    let response = queued.watch(next.run(request));
    tokio::pin!(response);
    tokio::select! {
        response = &mut response => response,
        () = tokio::time::sleep(timeout) => {
            // The handler runs only when polled here, so it cannot queue
            // between this check and being dropped.
            if queued.is_set() {
                response.await
            } else {
                StatusCode::REQUEST_TIMEOUT.into_response()
            }
        }
    }
}
