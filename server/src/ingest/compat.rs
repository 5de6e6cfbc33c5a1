//! Endpoints where existing shippers expect them: the part of Elasticsearch's
//! API that shippers and clients use (Beats, Logstash, Vector, Fluent Bit,
//! syslog-ng, rsyslog, the official clients: see `docs/shipping.md`) and
//! MozDef's `POST /events` (its loginput contract, so MozDef clients work).

use super::elastic;
use super::handlers::{context, ingest_events};
use super::normalize::{IngestContext, IngestPolicy};
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
        Route::get("/_license", ingest, license),
        Route::get("/_cluster/health", ingest, cluster_health),
        // The official clients send PUT, shippers POST; Elasticsearch takes both.
        Route::post("/_bulk", ingest, bulk).large_body(),
        Route::put("/_bulk", ingest, bulk).large_body(),
        Route::post("/{index}/_bulk", ingest, bulk_with_index).large_body(),
        Route::put("/{index}/_bulk", ingest, bulk_with_index).large_body(),
        Route::post("/{index}/_doc", ingest, index_document).large_body(),
        Route::post("/{index}/_doc/{id}", ingest, index_document_with_id).large_body(),
        Route::put("/{index}/_doc/{id}", ingest, index_document_with_id).large_body(),
        Route::post("/{index}/_create/{id}", ingest, create_document).large_body(),
        Route::put("/{index}/_create/{id}", ingest, create_document).large_body(),
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

/// `GET /_license`: Filebeat and Logstash read it before sending anything.
pub async fn license() -> Response {
    elastic_json(StatusCode::OK, elastic::license_body())
}

/// `GET /_cluster/health`: Vector's health check (and monitoring scripts).
pub async fn cluster_health(State(state): State<AppState>) -> Response {
    let probe = crate::system::repo::probe(&state.pool);
    let answers = matches!(
        tokio::time::timeout(std::time::Duration::from_secs(2), probe).await,
        Ok(Ok(true))
    );
    let status = if answers {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    elastic_json(status, elastic::health_body(answers))
}

/// `POST|PUT /_bulk`.
pub async fn bulk(State(state): State<AppState>, principal: Principal, body: Bytes) -> Response {
    bulk_into(state, principal, None, body).await
}

/// `POST|PUT /{index}/_bulk`.
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
    // Each event is encoded for COPY as soon as it is normalised (see
    // `handlers::parse_ndjson_body`).
    let stored = store_items(
        &state,
        &principal,
        body.len(),
        move |ctx, policy, events| {
            elastic::parse_bulk(&body, index.as_deref(), ctx, policy, |event| {
                events.push(&event);
            })
        },
    )
    .await;
    match stored {
        Ok(items) => elastic_json(
            StatusCode::OK,
            elastic::bulk_response(&items, started.elapsed().as_millis()),
        ),
        Err(refused) => refused,
    }
}

/// `POST /{index}/_doc`: one document, its `_id` chosen by Vigil.
pub async fn index_document(
    State(state): State<AppState>,
    principal: Principal,
    Path(index): Path<String>,
    body: Bytes,
) -> Response {
    store_document(state, principal, "index", index, None, body).await
}

/// `PUT|POST /{index}/_doc/{id}`: one document with the shipper's `_id`; a
/// repeated `_id` is not stored again.
pub async fn index_document_with_id(
    State(state): State<AppState>,
    principal: Principal,
    Path((index, id)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    store_document(state, principal, "index", index, Some(id), body).await
}

/// `PUT|POST /{index}/_create/{id}`: one document that must be new (409
/// when its `_id` was stored before).
pub async fn create_document(
    State(state): State<AppState>,
    principal: Principal,
    Path((index, id)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    store_document(state, principal, "create", index, Some(id), body).await
}

async fn store_document(
    state: AppState,
    principal: Principal,
    action: &'static str,
    index: String,
    id: Option<String>,
    body: Bytes,
) -> Response {
    let stored = store_items(
        &state,
        &principal,
        body.len(),
        move |ctx, policy, events| {
            Ok(vec![elastic::parse_document(
                &body,
                action,
                &index,
                id,
                ctx,
                policy,
                |event| events.push(&event),
            )])
        },
    )
    .await;
    match stored {
        Ok(items) => match items.first() {
            Some(item) => {
                let (status, body) = elastic::document_response(item);
                let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
                elastic_json(status, body)
            }
            None => ApiError::internal(anyhow::anyhow!("a document request had no item"))
                .into_response(),
        },
        Err(refused) => refused,
    }
}

/// Parses items off the async workers (`parse`, given the body's length to
/// size the batch, hands each stored item's
/// event to the batch), stores the batch, and marks the items whose `_id`
/// was stored before; or the Elasticsearch-shaped refusal.
async fn store_items(
    state: &AppState,
    principal: &Principal,
    body_len: usize,
    parse: impl FnOnce(
        &IngestContext,
        IngestPolicy,
        &mut EventBatch,
    ) -> Result<Vec<elastic::BulkItem>, elastic::MalformedBulk>
    + Send
    + 'static,
) -> Result<Vec<elastic::BulkItem>, Response> {
    let ctx = context(principal, state);
    let policy = state.ingest_policy;
    let parse_ctx = ctx.clone();
    let parsed = tokio::task::spawn_blocking(move || {
        let mut events = EventBatch::for_body(body_len);
        parse(&parse_ctx, policy, &mut events).map(|items| (items, events))
    })
    .await;
    let (mut items, events) = match parsed {
        Ok(Ok(parsed)) => parsed,
        Ok(Err(malformed)) => {
            return Err(elastic_error(
                StatusCode::BAD_REQUEST,
                "illegal_argument_exception",
                &malformed.0,
            ));
        }
        Err(join) => return Err(ApiError::internal(anyhow::Error::new(join)).into_response()),
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
            Ok(items)
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
            Err(response)
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
