//! `POST /api/v1/search` (one page of matching events, newest first by
//! default), `/search/histogram` (counts over time) and `/search/top` (the
//! most frequent values of a field).

use super::{clock, parse_query, repo, time_range};
use crate::audit::{AuditRecord, RequestContext, repo as audit_repo};
use crate::auth::Access;
use crate::auth::Principal;
use crate::error::{ApiError, AppJson, SqlState};
use crate::http::route::Route;
use crate::state::AppState;
use app::ErrorCode;
use app::permissions::Permission;
use app::search::{
    Bucket, DEFAULT_LIMIT, EXACT_TOTAL_UP_TO, FieldInfo, FieldsResponse, HistogramRequest,
    HistogramResponse, Hit, MAX_LIMIT, SearchRequest, SearchResponse, SortOrder, TopRequest,
    TopResponse, TopValue, auto_interval,
};
use axum::extract::State;
use chrono::{DateTime, Utc};
use std::time::Instant;
use uuid::Uuid;

/// The search routes (saved searches and export have their own modules).
pub fn routes() -> Vec<Route> {
    let search = Access::Permission(Permission::SearchEvents);
    vec![
        Route::post("/api/v1/search", search, search_events),
        Route::post("/api/v1/search/histogram", search, histogram),
        Route::post("/api/v1/search/top", search, top_values),
        Route::get("/api/v1/fields", search, list_fields),
        Route::get("/api/v1/events/{id}", search, get_event),
    ]
}

/// How long one search statement may run.
const STATEMENT_TIMEOUT: &str = "15s";

/// The keyset cursor: the last hit's time (µs since the epoch) and id.
fn encode_cursor(ts: DateTime<Utc>, id: Uuid) -> String {
    format!("{}_{}", ts.timestamp_micros(), id.simple())
}

fn decode_cursor(cursor: &str) -> Result<(DateTime<Utc>, Uuid), ApiError> {
    let invalid = || ApiError::validation("cursor", "the cursor is not one this server gave");
    let (micros, id) = cursor.split_once('_').ok_or_else(invalid)?;
    let ts = micros
        .parse::<i64>()
        .ok()
        .and_then(DateTime::from_timestamp_micros)
        .ok_or_else(invalid)?;
    let id = Uuid::parse_str(id).map_err(|_| invalid())?;
    Ok((ts, id))
}

/// Says whether a search failed because its statement timeout fired.
fn timed_out(error: &anyhow::Error) -> bool {
    error
        .downcast_ref::<sqlx::Error>()
        .is_some_and(|e| SqlState::of(e) == Some(SqlState::QueryCanceled))
}

fn search_error(error: anyhow::Error) -> ApiError {
    if timed_out(&error) {
        ApiError::new(
            ErrorCode::Timeout,
            format!(
                "the search ran longer than {STATEMENT_TIMEOUT} and was stopped; narrow the time range or the query"
            ),
        )
    } else {
        match error.downcast::<sqlx::Error>() {
            // The subset check should keep these away; if one slips
            // through, it is the query's fault, not the server's.
            Ok(database) if SqlState::of(&database) == Some(SqlState::InvalidRegularExpression) => {
                ApiError::new(
                    ErrorCode::BadQuery,
                    "the database could not use this regular expression; simplify it",
                )
            }
            Ok(database) => ApiError::from(database),
            Err(other) => ApiError::from(other),
        }
    }
}

/// `POST /api/v1/search`.
#[tracing::instrument(skip_all)]
pub async fn search_events(
    State(state): State<AppState>,
    ctx: RequestContext,
    principal: Principal,
    AppJson(request): AppJson<SearchRequest>,
) -> Result<AppJson<SearchResponse>, ApiError> {
    let started = Instant::now();
    let clock = clock(request.time_zone.as_deref())?;
    let (query, warnings) = parse_query(&request.query, &clock)?;
    let (from, to) = time_range(request.from.as_deref(), request.to.as_deref(), &clock)?;
    let limit = request.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(ApiError::validation(
            "limit",
            format!("limit must be between 1 and {MAX_LIMIT}"),
        ));
    }
    let cursor = request.cursor.as_deref().map(decode_cursor).transpose()?;

    let ascending = request.sort == SortOrder::Asc;
    let mut tx = repo::begin_bounded(&state.pool, STATEMENT_TIMEOUT).await?;
    let rows = repo::fetch_page(
        &mut tx,
        &query,
        from,
        to,
        cursor,
        ascending,
        i64::from(limit) + 1,
    )
    .await
    .map_err(search_error)?;
    // The total counts the whole range (not only after the cursor), up to a bound.
    let counted = repo::count_matches(&mut tx, &query, from, to, EXACT_TOTAL_UP_TO)
        .await
        .map_err(search_error)?;
    tx.commit().await?;

    let mut hits = Vec::with_capacity(rows.len().min(limit as usize));
    for row in rows.iter().take(limit as usize) {
        hits.push(Hit {
            id: row.id,
            timestamp: row.ts,
            event: row.payload.clone(),
        });
    }
    let next_cursor = (rows.len() > limit as usize)
        .then(|| hits.last().map(|h| encode_cursor(h.timestamp, h.id)))
        .flatten();
    let counted = counted.max(0) as u64;
    let record = AuditRecord::by(&principal, "search.run", &ctx).details(serde_json::json!({
        "query": request.query,
        "from": from,
        "to": to,
        "hits": hits.len(),
    }));
    audit_repo::insert_audit_record(&state.pool, &record).await?;

    Ok(AppJson(SearchResponse {
        hits,
        total: counted.min(EXACT_TOTAL_UP_TO),
        total_is_exact: counted <= EXACT_TOTAL_UP_TO,
        next_cursor,
        from,
        to,
        took_ms: started.elapsed().as_millis() as u64,
        warnings,
    }))
}

/// The most buckets a histogram may have.
const MAX_BUCKETS: u64 = 2_000;

/// `POST /api/v1/search/histogram`.
#[tracing::instrument(skip_all)]
pub async fn histogram(
    State(state): State<AppState>,
    ctx: RequestContext,
    principal: Principal,
    AppJson(request): AppJson<HistogramRequest>,
) -> Result<AppJson<HistogramResponse>, ApiError> {
    let clock = clock(request.time_zone.as_deref())?;
    let (query, warnings) = parse_query(&request.query, &clock)?;
    let (from, to) = time_range(request.from.as_deref(), request.to.as_deref(), &clock)?;
    let span = (to - from).num_seconds().max(1) as u64;
    let interval = match request.interval {
        Some(0) => {
            return Err(ApiError::validation(
                "interval",
                "interval must be at least 1 second",
            ));
        }
        Some(seconds) if span.div_ceil(seconds) > MAX_BUCKETS => {
            return Err(ApiError::validation(
                "interval",
                format!("the range would have more than {MAX_BUCKETS} buckets; widen the interval"),
            ));
        }
        Some(seconds) => seconds,
        None => auto_interval(span, 60),
    };
    // Buckets are aligned to the epoch, so a range's buckets are stable as it moves.
    let mut tx = repo::begin_bounded(&state.pool, STATEMENT_TIMEOUT).await?;
    let rows = repo::fetch_histogram(&mut tx, &query, from, to, interval)
        .await
        .map_err(search_error)?;
    tx.commit().await?;
    let record = AuditRecord::by(&principal, "search.histogram", &ctx).details(serde_json::json!({
        "query": request.query,
        "from": from,
        "to": to,
    }));
    audit_repo::insert_audit_record(&state.pool, &record).await?;
    let counts: std::collections::HashMap<i64, u64> = rows
        .into_iter()
        .map(|(bucket, count)| (bucket.timestamp(), count.max(0) as u64))
        .collect();
    let width = interval as i64;
    let mut start = from.timestamp().div_euclid(width) * width;
    let mut buckets = Vec::new();
    while start < to.timestamp() {
        if let Some(ts) = DateTime::from_timestamp(start, 0) {
            buckets.push(Bucket {
                ts,
                count: counts.get(&start).copied().unwrap_or(0),
            });
        }
        start += width;
    }
    Ok(AppJson(HistogramResponse {
        interval,
        buckets,
        warnings,
    }))
}

/// `POST /api/v1/search/top`.
#[tracing::instrument(skip_all)]
pub async fn top_values(
    State(state): State<AppState>,
    ctx: RequestContext,
    principal: Principal,
    AppJson(request): AppJson<TopRequest>,
) -> Result<AppJson<TopResponse>, ApiError> {
    let clock = clock(request.time_zone.as_deref())?;
    let (query, warnings) = parse_query(&request.query, &clock)?;
    let (from, to) = time_range(request.from.as_deref(), request.to.as_deref(), &clock)?;
    if !app::query::is_field_name(&request.field) {
        return Err(ApiError::validation("field", "not a field name"));
    }
    let size = request.size.unwrap_or(10);
    if !(1..=100).contains(&size) {
        return Err(ApiError::validation(
            "size",
            "size must be between 1 and 100",
        ));
    }
    let mut tx = repo::begin_bounded(&state.pool, STATEMENT_TIMEOUT).await?;
    let rows = repo::fetch_top_values(&mut tx, &query, &request.field, from, to, size)
        .await
        .map_err(search_error)?;
    tx.commit().await?;
    let record = AuditRecord::by(&principal, "search.top", &ctx).details(serde_json::json!({
        "query": request.query,
        "field": request.field,
        "from": from,
        "to": to,
    }));
    audit_repo::insert_audit_record(&state.pool, &record).await?;
    let (occurrences, missing) = (rows.occurrences, rows.missing);
    let mut top = Vec::with_capacity(rows.values.len());
    for (value, count) in rows.values {
        if let Some(value) = value
            && top.len() < size as usize
        {
            top.push(TopValue {
                value,
                count: count.max(0) as u64,
            });
        }
    }
    let present = (occurrences - missing).max(0) as u64;
    let shown: u64 = top.iter().map(|v| v.count).sum();
    Ok(AppJson(TopResponse {
        values: top,
        other: present.saturating_sub(shown),
        missing: missing.max(0) as u64,
        warnings,
    }))
}

/// Events sampled by `GET /api/v1/fields`.
const FIELD_SAMPLE: i64 = 1_000;

/// The query string of `GET /api/v1/fields`.
#[derive(Debug, serde::Deserialize, schemars::JsonSchema)]
pub struct FieldsQuery {
    /// Start of the range (default `now-24h`).
    from: Option<String>,
    /// End of the range (default `now`).
    to: Option<String>,
}

/// `GET /api/v1/fields?from&to`: the fields of the most recent events of the
/// range, with their types and hints, for the field list and autocomplete.
#[tracing::instrument(skip_all)]
pub async fn list_fields(
    State(state): State<AppState>,
    crate::error::AppQuery(range): crate::error::AppQuery<FieldsQuery>,
) -> Result<AppJson<FieldsResponse>, ApiError> {
    let (from, to) = time_range(range.from.as_deref(), range.to.as_deref(), &clock(None)?)?;
    let mut tx = repo::begin_bounded(&state.pool, STATEMENT_TIMEOUT).await?;
    let documents = repo::fetch_recent_documents(&mut tx, from, to, FIELD_SAMPLE)
        .await
        .map_err(|e| search_error(e.into()))?;
    tx.commit().await?;

    #[derive(Default)]
    struct Seen {
        types: std::collections::BTreeSet<&'static str>,
        present: u64,
        values: std::collections::HashSet<String>,
    }
    let mut seen: std::collections::BTreeMap<String, Seen> = std::collections::BTreeMap::new();
    for document in &documents {
        let mut leaves = Vec::new();
        leaves_of(document, String::new(), &mut leaves);
        for (path, value) in leaves {
            let entry = seen.entry(path).or_default();
            entry.present += 1;
            entry.types.insert(json_type(value));
            entry.values.insert(value.to_string());
        }
    }
    let sampled = documents.len() as u64;
    let fields = seen
        .into_iter()
        .map(|(name, entry)| FieldInfo {
            indexed: crate::event::columns::is_column(&name),
            types: entry.types.into_iter().map(str::to_owned).collect(),
            coverage: entry.present as f64 / sampled.max(1) as f64,
            distinct: entry.values.len() as u64,
            name,
        })
        .collect();
    Ok(AppJson(FieldsResponse { sampled, fields }))
}

/// Collects (dotted path, value) for every leaf; arrays are leaves.
fn leaves_of<'v>(
    value: &'v serde_json::Value,
    prefix: String,
    out: &mut Vec<(String, &'v serde_json::Value)>,
) {
    match value {
        serde_json::Value::Object(map) if !map.is_empty() => {
            for (key, inner) in map {
                let path = if prefix.is_empty() {
                    key.clone()
                } else {
                    format!("{prefix}.{key}")
                };
                leaves_of(inner, path, out);
            }
        }
        serde_json::Value::Null => {}
        other if !prefix.is_empty() => out.push((prefix, other)),
        _ => {}
    }
}

fn json_type(value: &serde_json::Value) -> &'static str {
    match value {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "boolean",
        serde_json::Value::Number(_) => "number",
        serde_json::Value::String(_) => "string",
        serde_json::Value::Array(_) => "array",
        serde_json::Value::Object(_) => "object",
    }
}

/// `GET /api/v1/events/{id}`: one event. Its id carries its time (see
/// `ingest::normalize`), so the lookup is one probe of the time index.
#[tracing::instrument(skip_all)]
pub async fn get_event(
    State(state): State<AppState>,
    ctx: RequestContext,
    principal: Principal,
    crate::error::AppPath(id): crate::error::AppPath<Uuid>,
) -> Result<AppJson<Hit>, ApiError> {
    let missing = || ApiError::not_found("no stored event has this id");
    let at = crate::ingest::normalize::time_of_id(id).ok_or_else(missing)?;
    let row = repo::fetch_event(&state.pool, at, id)
        .await?
        .ok_or_else(missing)?;
    let (id, timestamp, event) = (row.id, row.ts, row.payload);
    let record = AuditRecord::by(&principal, "event.view", &ctx).target(id.to_string());
    audit_repo::insert_audit_record(&state.pool, &record).await?;
    Ok(AppJson(Hit {
        id,
        timestamp,
        event,
    }))
}
