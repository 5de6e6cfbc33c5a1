//! `POST /api/v1/search` (one page of matching events, newest first by
//! default), `/search/histogram` (counts over time) and `/search/top` (the
//! most frequent values of a field).

use super::compile::{Condition, FieldValues, compile, field_values};
use crate::event::params::{Param, arguments};
use crate::audit::{AuditRecord, RequestContext, repo as audit_repo};
use crate::auth::Principal;
use crate::error::{ApiError, AppJson, SqlState};
use crate::state::AppState;
use app::ErrorCode;
use app::search::{
    Bucket, DEFAULT_LIMIT, EXACT_TOTAL_UP_TO, FieldInfo, FieldsResponse, HistogramRequest,
    HistogramResponse, Hit, MAX_LIMIT, SearchRequest, SearchResponse, SortOrder, TopRequest,
    TopResponse, TopValue, auto_interval, resolve_time,
};
use axum::extract::State;
use chrono::{DateTime, Utc};
use sqlx::Row;
use std::time::Instant;
use uuid::Uuid;
use crate::auth::Access;
use crate::http::route::Route;
use app::permissions::Permission;

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

/// Returns the query's condition, or a 400 `bad_query` with the position.
pub fn parse_query(text: &str) -> Result<app::query::Query, ApiError> {
    let bad = |message: String, position: usize| {
        ApiError::new(ErrorCode::BadQuery, message)
            .with_details(serde_json::json!({ "position": position }))
    };
    let query = app::query::parse(text).map_err(|error| bad(error.message, error.position))?;
    // Regular expressions are checked here, where the regex engine is.
    if let Err(problem) = crate::event::pattern::check(&query) {
        let at = text
            .find("|re")
            .map_or(0, |byte| text[..byte].chars().count());
        return Err(bad(problem, at));
    }
    Ok(query)
}

/// Returns the request's time range, resolved against now.
pub fn time_range(
    from: Option<&str>,
    to: Option<&str>,
) -> Result<(DateTime<Utc>, DateTime<Utc>), ApiError> {
    let now = Utc::now();
    let resolve = |field: &str, text: &str| {
        resolve_time(text, now).map_err(|e| ApiError::validation(field, e.to_string()))
    };
    let from = resolve("from", from.unwrap_or("now-24h"))?;
    let to = resolve("to", to.unwrap_or("now"))?;
    if from >= to {
        return Err(ApiError::validation("from", "from must be before to"));
    }
    Ok((from, to))
}

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

fn timed_out(error: &sqlx::Error) -> bool {
    SqlState::of(error) == Some(SqlState::QueryCanceled)
}

fn search_error(error: sqlx::Error) -> ApiError {
    if timed_out(&error) {
        ApiError::new(
            ErrorCode::Timeout,
            format!(
                "the search ran longer than {STATEMENT_TIMEOUT} and was stopped; narrow the time range or the query"
            ),
        )
    } else {
        ApiError::from(error)
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
    let query = parse_query(&request.query)?;
    let (from, to) = time_range(request.from.as_deref(), request.to.as_deref())?;
    let limit = request.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(ApiError::validation(
            "limit",
            format!("limit must be between 1 and {MAX_LIMIT}"),
        ));
    }
    let cursor = request.cursor.as_deref().map(decode_cursor).transpose()?;

    let (order, before) = match request.sort {
        SortOrder::Desc => ("DESC", "<"),
        SortOrder::Asc => ("ASC", ">"),
    };
    // One compiled condition serves the page and the total; the cursor's
    // values follow the condition's parameters.
    let Condition {
        sql: condition,
        params,
    } = compile(&query, 3);
    let mut page_params = params.clone();
    let mut keyset = String::new();
    if let Some((ts, id)) = cursor {
        let at = 3 + params.len();
        keyset = format!(" AND (e.ts, e.id) {before} (${at}, ${})", at + 1);
        page_params.extend([Param::Time(ts), Param::Uuid(id)]);
    }
    let page_sql = format!(
        "SELECT e.id, e.ts, e.payload FROM events e \
         WHERE e.ts >= $1 AND e.ts < $2{keyset} AND {condition} \
         ORDER BY e.ts {order}, e.id {order} LIMIT {}",
        limit + 1
    );

    let mut tx = bounded(&state).await?;
    let rows = sqlx::query_with(
        sqlx::AssertSqlSafe(page_sql),
        arguments(from, to, &page_params)?,
    )
    .fetch_all(&mut *tx)
    .await
    .map_err(search_error)?;

    // The total counts the whole range (not only after the cursor), up to a bound.
    let count_sql = format!(
        "SELECT count(*) FROM (SELECT 1 FROM events e WHERE e.ts >= $1 AND e.ts < $2 AND {condition} LIMIT {}) AS matched",
        EXACT_TOTAL_UP_TO + 1
    );
    let count_arguments = arguments(from, to, &params)?;
    let counted: i64 = sqlx::query_scalar_with(sqlx::AssertSqlSafe(count_sql), count_arguments)
        .fetch_one(&mut *tx)
        .await
        .map_err(search_error)?;
    tx.commit().await?;

    let mut hits = Vec::with_capacity(rows.len().min(limit as usize));
    for row in rows.iter().take(limit as usize) {
        hits.push(Hit {
            id: row.try_get("id")?,
            timestamp: row.try_get("ts")?,
            event: row.try_get("payload")?,
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
    }))
}

/// A transaction with the search statement timeout set.
async fn bounded(state: &AppState) -> Result<sqlx::Transaction<'static, sqlx::Postgres>, ApiError> {
    let mut tx = state.pool.begin().await?;
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "SET LOCAL statement_timeout = '{STATEMENT_TIMEOUT}'"
    )))
    .execute(&mut *tx)
    .await?;
    Ok(tx)
}

/// The most buckets a histogram may have.
const MAX_BUCKETS: u64 = 2_000;

/// `POST /api/v1/search/histogram`.
#[tracing::instrument(skip_all)]
pub async fn histogram(
    State(state): State<AppState>,
    AppJson(request): AppJson<HistogramRequest>,
) -> Result<AppJson<HistogramResponse>, ApiError> {
    let query = parse_query(&request.query)?;
    let (from, to) = time_range(request.from.as_deref(), request.to.as_deref())?;
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
    let origin = DateTime::<Utc>::UNIX_EPOCH;
    let Condition {
        sql: condition,
        params,
    } = compile(&query, 5);
    let mut all = vec![
        Param::Text(format!("{interval} seconds")),
        Param::Time(origin),
    ];
    all.extend(params);
    let sql = format!(
        "SELECT date_bin($3::interval, e.ts, $4) AS bucket, count(*) AS count FROM events e \
         WHERE e.ts >= $1 AND e.ts < $2 AND {condition} GROUP BY 1 ORDER BY 1"
    );
    let mut tx = bounded(&state).await?;
    let rows = sqlx::query_with(sqlx::AssertSqlSafe(sql), arguments(from, to, &all)?)
        .fetch_all(&mut *tx)
        .await
        .map_err(search_error)?;
    tx.commit().await?;

    let mut counts = std::collections::HashMap::with_capacity(rows.len());
    for row in &rows {
        let bucket: DateTime<Utc> = row.try_get("bucket")?;
        let count: i64 = row.try_get("count")?;
        counts.insert(bucket.timestamp(), count.max(0) as u64);
    }
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
    Ok(AppJson(HistogramResponse { interval, buckets }))
}

/// `POST /api/v1/search/top`.
#[tracing::instrument(skip_all)]
pub async fn top_values(
    State(state): State<AppState>,
    AppJson(request): AppJson<TopRequest>,
) -> Result<AppJson<TopResponse>, ApiError> {
    let query = parse_query(&request.query)?;
    let (from, to) = time_range(request.from.as_deref(), request.to.as_deref())?;
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
    // One scan: values grouped, totals over all groups by window sums.
    let (value_sql, mut all, lateral) = match field_values(&request.field, 3) {
        FieldValues::Scalar(expression) => (expression.sql, expression.params, String::new()),
        FieldValues::Rows(rows) => (
            "f.value".to_owned(),
            rows.params,
            format!(" CROSS JOIN LATERAL ({}) AS f(value)", rows.sql),
        ),
    };
    let Condition {
        sql: condition,
        params,
    } = compile(&query, 3 + all.len());
    all.extend(params);
    let sql = format!(
        "SELECT value, c AS count, (sum(c) OVER ())::bigint AS occurrences, \
                coalesce(sum(c) FILTER (WHERE value IS NULL) OVER (), 0)::bigint AS missing \
         FROM (SELECT {value_sql} AS value, count(*) AS c FROM events e{lateral} \
               WHERE e.ts >= $1 AND e.ts < $2 AND {condition} GROUP BY 1) AS grouped \
         ORDER BY value IS NULL, c DESC, value LIMIT {}",
        size + 1
    );
    let mut tx = bounded(&state).await?;
    let rows = sqlx::query_with(sqlx::AssertSqlSafe(sql), arguments(from, to, &all)?)
        .fetch_all(&mut *tx)
        .await
        .map_err(search_error)?;
    tx.commit().await?;

    let mut top = Vec::with_capacity(rows.len());
    let (mut occurrences, mut missing) = (0i64, 0i64);
    for row in &rows {
        occurrences = row.try_get("occurrences")?;
        missing = row.try_get("missing")?;
        let value: Option<String> = row.try_get("value")?;
        let count: i64 = row.try_get("count")?;
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
    }))
}

/// Events sampled by `GET /api/v1/fields`.
const FIELD_SAMPLE: i64 = 1_000;

/// The query string of `GET /api/v1/fields`.
#[derive(Debug, serde::Deserialize)]
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
    axum::extract::Query(range): axum::extract::Query<FieldsQuery>,
) -> Result<AppJson<FieldsResponse>, ApiError> {
    let (from, to) = time_range(range.from.as_deref(), range.to.as_deref())?;
    let mut tx = bounded(&state).await?;
    let documents: Vec<serde_json::Value> = sqlx::query_scalar(
        "SELECT payload FROM events WHERE ts >= $1 AND ts < $2 ORDER BY ts DESC LIMIT $3",
    )
    .bind(from)
    .bind(to)
    .bind(FIELD_SAMPLE)
    .fetch_all(&mut *tx)
    .await
    .map_err(search_error)?;
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
    let row: Option<(Uuid, DateTime<Utc>, serde_json::Value)> =
        sqlx::query_as("SELECT id, ts, payload FROM events WHERE ts >= $1 AND ts < $2 AND id = $3")
            .bind(at)
            .bind(at + chrono::Duration::milliseconds(1))
            .bind(id)
            .fetch_optional(&state.pool)
            .await?;
    let (id, timestamp, event) = row.ok_or_else(missing)?;
    let record = AuditRecord::by(&principal, "event.view", &ctx).target(id.to_string());
    audit_repo::insert_audit_record(&state.pool, &record).await?;
    Ok(AppJson(Hit {
        id,
        timestamp,
        event,
    }))
}
