//! Endpoints where existing shippers expect them: Elasticsearch's `GET /` and
//! `_bulk` (Beats, Logstash, Vector, Fluent Bit with an Elasticsearch output)
//! and MozDef's `POST /events` (its loginput contract, so MozDef clients work).

use super::elastic;
use super::handlers::{context, ingest_events};
use super::writer::{EventBatch, WriteError};
use crate::auth::Access;
use crate::auth::{Principal, guard};
use crate::error::ApiError;
use crate::http::route::Route;
use crate::state::AppState;
use app::permissions::Permission;
use axum::body::{Body, Bytes};
use axum::extract::{Path, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use std::time::Instant;
use tower::ServiceExt;
use tower_http::services::ServeFile;

/// The Elasticsearch- and MozDef-compatible routes, where shippers expect them.
pub fn routes() -> Vec<Route> {
    let ingest = Access::Permission(Permission::IngestEvents);
    vec![
        // `GET /` checks a shipper's credentials itself and serves the SPA to browsers.
        Route::get("/", Access::Public, root),
        Route::post("/_bulk", ingest, bulk).large_body(),
        Route::post("/{index}/_bulk", ingest, bulk_with_index).large_body(),
        Route::post("/events", ingest, mozdef_events).large_body(),
    ]
}

/// Elasticsearch clients (7.14 and later) refuse servers without this header.
fn elastic_json(status: StatusCode, body: Value) -> Response {
    let mut response = (status, axum::Json(body)).into_response();
    response.headers_mut().insert(
        "x-elastic-product",
        HeaderValue::from_static("Elasticsearch"),
    );
    response
}

fn elastic_error(status: StatusCode, kind: &str, reason: &str) -> Response {
    elastic_json(
        status,
        json!({ "error": { "type": kind, "reason": reason, "root_cause": [{ "type": kind, "reason": reason }] }, "status": status.as_u16() }),
    )
}

/// `GET /`: for a shipper (a request with credentials) Elasticsearch's version
/// handshake; for a browser the SPA's `index.html`.
pub async fn root(State(state): State<AppState>, request: Request) -> Response {
    if !request.headers().contains_key(header::AUTHORIZATION) {
        let index = state.settings.static_dir.join("index.html");
        return match ServeFile::new(index)
            .precompressed_gzip()
            .oneshot(request)
            .await
        {
            Ok(response) => response.map(Body::new),
            Err(never) => match never {},
        };
    }
    match guard::authenticate(&state, request.headers()).await {
        Ok(Some(found)) if found.principal.has(Permission::IngestEvents) => {
            elastic_json(StatusCode::OK, elastic::info_body())
        }
        Ok(Some(_)) => elastic_error(
            StatusCode::FORBIDDEN,
            "security_exception",
            "this key lacks the ingest scope",
        ),
        Ok(None) => {
            let mut response = elastic_error(
                StatusCode::UNAUTHORIZED,
                "security_exception",
                "missing or invalid credentials",
            );
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("ApiKey, Basic realm=\"vigil\""),
            );
            response
        }
        Err(error) => error.into_response(),
    }
}

/// `POST /_bulk`.
pub async fn bulk(State(state): State<AppState>, principal: Principal, body: Bytes) -> Response {
    bulk_into(state, principal, None, body).await
}

/// `POST /{index}/_bulk`.
pub async fn bulk_with_index(
    State(state): State<AppState>,
    principal: Principal,
    Path(index): Path<String>,
    body: Bytes,
) -> Response {
    bulk_into(state, principal, Some(index), body).await
}

async fn bulk_into(
    state: AppState,
    principal: Principal,
    index: Option<String>,
    body: Bytes,
) -> Response {
    let started = Instant::now();
    let ctx = context(&principal, &state);
    let policy = state.time_policy;
    let parse_ctx = ctx.clone();
    // Each event is encoded for COPY as soon as it is normalised (see
    // `handlers::parse_ndjson_body`).
    let parsed = tokio::task::spawn_blocking(move || {
        let mut events = EventBatch::for_body(body.len());
        elastic::parse_bulk(&body, index.as_deref(), &parse_ctx, policy, |event| {
            events.push(&event);
        })
        .map(|items| (items, events))
    })
    .await;
    let (mut items, events) = match parsed {
        Ok(Ok(parsed)) => parsed,
        Ok(Err(malformed)) => {
            return elastic_error(
                StatusCode::BAD_REQUEST,
                "illegal_argument_exception",
                &malformed.0,
            );
        }
        Err(join) => return ApiError::internal(anyhow::Error::new(join)).into_response(),
    };
    let newest = events.newest();
    let submitted = events.len();
    match state.events.write_documents(events).await {
        Ok(repeated) => {
            // Events map to the items that stored a document, in order.
            let storing: Vec<usize> = (0..items.len())
                .filter(|i| items[*i].outcome.is_ok())
                .collect();
            for event in &repeated {
                if let Some(item) = storing.get(*event) {
                    items[*item].repeated = true;
                }
            }
            let stored = submitted - repeated.len();
            let refused = items.len() - submitted;
            state.sources.record_outcome(&ctx, stored, refused, newest);
            elastic_json(
                StatusCode::OK,
                elastic::bulk_response(&items, started.elapsed().as_millis()),
            )
        }
        Err(error) => {
            // Shippers retry a 429 with back-off; nothing of this request was stored.
            let reason = match error {
                WriteError::Overloaded => "ingest queue is full",
                WriteError::ShuttingDown => "node is shutting down",
                WriteError::Storage(_) => "events could not be stored",
            };
            let mut response = elastic_error(
                StatusCode::TOO_MANY_REQUESTS,
                "es_rejected_execution_exception",
                reason,
            );
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            response
        }
    }
}

/// `POST /events`: MozDef's loginput intake (one JSON event per request).
pub async fn mozdef_events(
    state: State<AppState>,
    principal: Principal,
    headers: axum::http::HeaderMap,
    body: Bytes,
) -> Response {
    match ingest_events(state, principal, headers, body).await {
        Ok(answer) => answer,
        Err(error) => error.into_response(),
    }
}
