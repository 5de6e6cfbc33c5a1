//! `POST /api/v1/events` (a JSON object or array) and `POST /api/v1/events/bulk` (NDJSON).

use super::normalize::{self, IngestContext, IngestPolicy, Rejection};
use super::scan::ndjson_lines;
use super::writer::{EventBatch, Idempotency, WriteError, Written};
use crate::auth::Access;
use crate::auth::Principal;
use crate::error::{ApiError, AppJson};
use crate::http::route::Route;
use crate::state::AppState;
use app::ingest::{IngestResponse, RejectedItem, SourceKind};
use app::permissions::Permission;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use serde_json::value::RawValue;

/// The event intake routes and the list of sources.
pub fn routes() -> Vec<Route> {
    let ingest = Access::Permission(Permission::IngestEvents);
    vec![
        Route::post("/api/v1/events", ingest, ingest_events).large_body(),
        Route::post("/api/v1/events/bulk", ingest, ingest_bulk).large_body(),
        Route::get(
            "/api/v1/sources",
            Access::Permission(Permission::ViewSystem),
            list_sources,
        ),
    ]
}

/// Returns who sends and when, for events arriving from `principal`.
pub fn context(principal: &Principal, state: &AppState) -> IngestContext {
    let (source_kind, source_name) = match principal {
        Principal::ApiKey(key) => (SourceKind::ApiKey, key.name.clone()),
        Principal::User(user) => (SourceKind::User, format!("user:{}", user.profile.username)),
    };
    IngestContext {
        geo: state.geo.clone(),
        source_id: Some(principal.id()),
        source_kind,
        source_name,
        received_at: Utc::now(),
    }
}

/// The rejected items of a request: the first few listed, all counted.
#[derive(Debug, Default)]
pub struct Rejected {
    listed: Vec<RejectedItem>,
    total: u64,
    /// Counts per rejection code, for `/metrics` (a handful of codes).
    by_code: Vec<(&'static str, u64)>,
}

impl Rejected {
    /// Counts item `index` as refused for `rejection`, listing it while
    /// there is room.
    fn push(&mut self, index: usize, rejection: Rejection) {
        self.total += 1;
        match self
            .by_code
            .iter_mut()
            .find(|(code, _)| *code == rejection.code)
        {
            Some((_, count)) => *count += 1,
            None => self.by_code.push((rejection.code, 1)),
        }
        if self.listed.len() < IngestResponse::MAX_LISTED_REJECTIONS {
            self.listed.push(RejectedItem {
                index: index as u64,
                code: rejection.code.to_owned(),
                message: rejection.message,
            });
        }
    }
}

/// Parses a JSON object or array body into encoded events and per-item rejections.
fn parse_json_body(
    body: &[u8],
    ctx: &IngestContext,
    policy: IngestPolicy,
) -> Result<(EventBatch, Rejected), ApiError> {
    let invalid = |e: &dyn std::fmt::Display| ApiError::bad_request(format!("invalid json: {e}"));
    let text = std::str::from_utf8(body).map_err(|e| invalid(&e))?;
    let mut events = EventBatch::for_body(body.len());
    let mut rejected = Rejected::default();
    match text.trim_start().as_bytes().first() {
        None => {}
        Some(b'[') => {
            // Items stay text until each is normalised, so one bad item is
            // refused alone and good ones are never re-serialised.
            let items: Vec<&RawValue> = serde_json::from_str(text).map_err(|e| invalid(&e))?;
            for (index, item) in items.into_iter().enumerate() {
                match normalize::normalize_text(item.get(), ctx, policy) {
                    Ok(event) => events.push(&event),
                    Err(rejection) => rejected.push(index, rejection),
                }
            }
        }
        Some(b'{') => match normalize::normalize_text(text, ctx, policy) {
            Ok(event) => events.push(&event),
            Err(rejection) if rejection.code == "invalid_json" => {
                return Err(ApiError::bad_request(rejection.message));
            }
            Err(rejection) => rejected.push(0, rejection),
        },
        Some(_) => {
            serde_json::from_str::<serde::de::IgnoredAny>(text).map_err(|e| invalid(&e))?;
            return Err(ApiError::bad_request(
                "expected a JSON object or an array of objects",
            ));
        }
    }
    Ok((events, rejected))
}

/// Parses NDJSON: one object per non-blank line; a bad line is rejected alone.
///
/// Each event is encoded as soon as it is normalised and then dropped, so
/// its allocations are reused by the next one while still in cache (holding
/// a request's events until the end walked through cold memory: a tenth of
/// ingest CPU went to allocation and page zeroing).
fn parse_ndjson_body(
    body: &[u8],
    ctx: &IngestContext,
    policy: IngestPolicy,
) -> (EventBatch, Rejected) {
    let mut events = EventBatch::for_body(body.len());
    let mut rejected = Rejected::default();
    let lines = ndjson_lines(body).filter(|line| !line.iter().all(u8::is_ascii_whitespace));
    for (index, line) in lines.enumerate() {
        let parsed = std::str::from_utf8(line)
            .map_err(|e| Rejection {
                code: "invalid_json",
                message: format!("invalid json: {e}"),
            })
            .and_then(|text| normalize::normalize_text(text, ctx, policy));
        match parsed {
            Ok(event) => events.push(&event),
            Err(rejection) => rejected.push(index, rejection),
        }
    }
    (events, rejected)
}

/// Returns the request's `Idempotency-Key`, if any, checked.
fn idempotency_key(headers: &HeaderMap) -> Result<Option<String>, ApiError> {
    let Some(value) = headers.get("idempotency-key") else {
        return Ok(None);
    };
    let key = value
        .to_str()
        .ok()
        .map(str::trim)
        .filter(|k| !k.is_empty() && k.len() <= 200 && k.chars().all(|c| c.is_ascii_graphic()))
        .ok_or_else(|| {
            ApiError::validation(
                "Idempotency-Key",
                "the idempotency key must be 1 to 200 visible ASCII characters",
            )
        })?;
    Ok(Some(key.to_owned()))
}

/// Answers a retried request with the answer its first attempt got.
fn replayed(response: serde_json::Value) -> Response {
    let mut answer = AppJson(response).into_response();
    answer
        .headers_mut()
        .insert("idempotent-replayed", HeaderValue::from_static("true"));
    answer
}

async fn store(
    state: &AppState,
    ctx: &IngestContext,
    key: Option<String>,
    events: EventBatch,
    rejected: Rejected,
) -> Result<Response, ApiError> {
    let accepted = events.len() as u64;
    let newest = events.newest();
    for (code, count) in &rejected.by_code {
        metrics::counter!(crate::metrics::INGEST_REJECTIONS, "reason" => *code).increment(*count);
    }
    let answer = IngestResponse {
        accepted,
        rejected: rejected.listed,
        rejected_total: rejected.total,
    };
    let outcome = match (key, ctx.source_id) {
        (Some(key), Some(source)) => {
            let response = serde_json::to_value(&answer)
                .map_err(|e| ApiError::internal(anyhow::Error::new(e)))?;
            let idempotency = Idempotency {
                source,
                key: key.clone(),
                response,
            };
            match state.events.write_idempotent(events, idempotency).await {
                Ok(Written::Duplicate) => {
                    // A concurrent attempt with the same key committed first.
                    let first =
                        super::repo::fetch_idempotent_response(&state.pool, source, &key).await?;
                    return Ok(replayed(first.unwrap_or(serde_json::Value::Null)));
                }
                other => other.map(|_| ()),
            }
        }
        _ => state.events.write(events).await,
    };
    outcome.map_err(|error| match error {
        WriteError::Overloaded => {
            ApiError::overloaded("the ingest queue is full; retry shortly", 1)
        }
        WriteError::ShuttingDown => {
            ApiError::overloaded("the server is shutting down; retry on another node", 5)
        }
        WriteError::Storage(cause) => {
            tracing::error!(error = %cause, "events were not stored");
            ApiError::overloaded(
                "events could not be stored; nothing from this request was kept, retry shortly",
                5,
            )
        }
    })?;
    state.sources.record_outcome(
        ctx,
        accepted as usize,
        answer.rejected_total as usize,
        newest,
    );
    Ok(AppJson(answer).into_response())
}

/// Returns the recorded answer when this key was used before by this source.
async fn earlier_answer(
    state: &AppState,
    ctx: &IngestContext,
    key: Option<&str>,
) -> Result<Option<Response>, ApiError> {
    let (Some(key), Some(source)) = (key, ctx.source_id) else {
        return Ok(None);
    };
    Ok(
        super::repo::fetch_idempotent_response(&state.pool, source, key)
            .await?
            .map(replayed),
    )
}

/// Parses a request body into events and per-item rejections.
type BodyParser =
    fn(&[u8], &IngestContext, IngestPolicy) -> Result<(EventBatch, Rejected), ApiError>;

/// The shared path of the ingest endpoints: idempotency replay, parsing off
/// the async workers, then storing.
async fn ingest_with(
    state: AppState,
    principal: Principal,
    headers: HeaderMap,
    body: Bytes,
    parse: BodyParser,
) -> Result<Response, ApiError> {
    let ctx = context(&principal, &state);
    let key = idempotency_key(&headers)?;
    if let Some(earlier) = earlier_answer(&state, &ctx, key.as_deref()).await? {
        return Ok(earlier);
    }
    let policy = state.ingest_policy;
    let parse_ctx = ctx.clone();
    // Parsing, normalising and encoding a large body is CPU work: keep it
    // off the async workers.
    let (batch, rejected) = tokio::task::spawn_blocking(move || parse(&body, &parse_ctx, policy))
        .await
        .map_err(|e| ApiError::internal(anyhow::Error::new(e)))??;
    store(&state, &ctx, key, batch, rejected).await
}

/// `POST /api/v1/events`: one JSON event, or an array of them.
#[tracing::instrument(skip_all, fields(source = principal.name(), bytes = body.len()))]
pub async fn ingest_events(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    ingest_with(state, principal, headers, body, parse_json_body).await
}

/// `POST /api/v1/events/bulk`: newline-delimited JSON, one event per line.
#[tracing::instrument(skip_all, fields(source = principal.name(), bytes = body.len()))]
pub async fn ingest_bulk(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    ingest_with(state, principal, headers, body, |body, ctx, policy| {
        Ok(parse_ndjson_body(body, ctx, policy))
    })
    .await
}

/// `GET /api/v1/sources`: every source that delivered events, with counts and rate.
pub async fn list_sources(
    State(state): State<AppState>,
) -> Result<AppJson<Vec<app::ingest::SourceSummary>>, ApiError> {
    Ok(AppJson(super::repo::fetch_sources(&state.pool).await?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> IngestContext {
        IngestContext {
            geo: None,
            source_id: None,
            source_kind: app::ingest::SourceKind::ApiKey,
            source_name: "t".into(),
            received_at: Utc::now(),
        }
    }

    #[test]
    fn ndjson_rejects_bad_lines_alone_and_counts_only_non_blank_lines() {
        let body = b"{\"message\":\"a\"}\n\n  \nnot json\n[1]\n{\"message\":\"b\"}\n";
        let (events, rejected) = parse_ndjson_body(body, &ctx(), IngestPolicy::default());
        assert_eq!(events.len(), 2);
        let codes: Vec<(u64, &str)> = rejected
            .listed
            .iter()
            .map(|r| (r.index, r.code.as_str()))
            .collect();
        assert_eq!(codes, vec![(1, "invalid_json"), (2, "not_an_object")]);
    }

    #[test]
    fn json_bodies_take_an_object_or_an_array() {
        let (events, rejected) =
            parse_json_body(br#"{"message":"one"}"#, &ctx(), IngestPolicy::default()).unwrap();
        assert_eq!((events.len(), rejected.listed.len()), (1, 0));
        let (events, rejected) = parse_json_body(
            br#"[{"message":"a"}, 7, {"message":"b"}]"#,
            &ctx(),
            IngestPolicy::default(),
        )
        .unwrap();
        assert_eq!(events.len(), 2);
        assert_eq!(rejected.listed[0].index, 1);
        assert!(parse_json_body(b"42", &ctx(), IngestPolicy::default()).is_err());
        assert!(parse_json_body(b"{broken", &ctx(), IngestPolicy::default()).is_err());
        assert!(
            parse_json_body(b"  ", &ctx(), IngestPolicy::default())
                .unwrap()
                .0
                .is_empty()
        );
    }

    #[test]
    fn deep_nesting_is_refused_not_a_crash() {
        let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        let (events, rejected) =
            parse_json_body(deep.as_bytes(), &ctx(), IngestPolicy::default()).unwrap();
        assert!(events.is_empty());
        assert_eq!(
            (rejected.listed[0].index, rejected.listed[0].code.as_str()),
            (0, "invalid_json")
        );
        let object = format!("{{\"a\":{}1{}}}", "[".repeat(10_000), "]".repeat(10_000));
        assert!(parse_json_body(object.as_bytes(), &ctx(), IngestPolicy::default()).is_err());
        let line = format!(
            "{}{}",
            "{\"a\":".repeat(5_000),
            "1".to_owned() + &"}".repeat(5_000)
        );
        let (events, rejected) =
            parse_ndjson_body(line.as_bytes(), &ctx(), IngestPolicy::default());
        assert!(events.is_empty());
        assert_eq!(rejected.listed[0].code, "invalid_json");
    }

    #[test]
    fn lines_split_as_a_newline_split_does() {
        for body in [&b""[..], b"\n", b"a", b"a\n", b"a\nb", b"\n\na\n\nbc\n"] {
            let expected: Vec<&[u8]> = body.split(|b| *b == b'\n').collect();
            assert_eq!(ndjson_lines(body).collect::<Vec<_>>(), expected);
        }
    }

    #[test]
    fn invalid_utf8_is_refused_per_line() {
        let body = b"{\"message\":\"ok\"}\n{\"message\":\"\xff\xfe\"}\n";
        let (events, rejected) = parse_ndjson_body(body, &ctx(), IngestPolicy::default());
        assert_eq!(events.len(), 1);
        assert_eq!(rejected.listed[0].index, 1);
    }
}
