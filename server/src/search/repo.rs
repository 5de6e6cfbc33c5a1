//! SQL for search: the page and total of a query, histograms, top values,
//! field samples, one event, export's stream, and saved searches.
//!
//! Statements over events are built from the compiled condition
//! (`search::compile`): fixed fragments and `$n` placeholders only, the
//! values always bound; the placeholder arithmetic lives here beside the
//! SQL it numbers.

use super::compile::{Condition, FieldValues, compile, field_values};
use crate::event::params::{Param, arguments};
use app::ids::SavedSearchId;
use app::query::Query;
use app::search::{SavedSearch, SavedSearchRequest};
use chrono::{DateTime, Utc};
use futures_util::stream::BoxStream;
use futures_util::{StreamExt, TryStreamExt};
use sqlx::{PgConnection, PgExecutor, PgPool, Postgres, Row, Transaction};
use uuid::Uuid;

/// Begins a read transaction whose statements stop after `timeout`
/// (Postgres interval text such as `15s`, a constant of the caller's).
pub async fn begin_bounded(
    pool: &PgPool,
    timeout: &'static str,
) -> sqlx::Result<Transaction<'static, Postgres>> {
    let mut tx = pool.begin().await?;
    // SET takes no parameters; `timeout` is a constant, never input.
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "SET LOCAL statement_timeout = '{timeout}'"
    )))
    .execute(&mut *tx)
    .await?;
    Ok(tx)
}

/// One matching event.
#[derive(Debug)]
pub struct EventRow {
    /// The event id.
    pub id: Uuid,
    /// `@timestamp`.
    pub ts: DateTime<Utc>,
    /// The stored document.
    pub payload: serde_json::Value,
}

/// Returns up to `limit` events of `[from, to)` matching `query`, newest
/// (or, `ascending`, oldest) first, after the keyset `cursor`.
pub async fn fetch_page(
    tx: &mut PgConnection,
    query: &Query,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    cursor: Option<(DateTime<Utc>, Uuid)>,
    ascending: bool,
    limit: i64,
) -> anyhow::Result<Vec<EventRow>> {
    let (order, before) = if ascending {
        ("ASC", ">")
    } else {
        ("DESC", "<")
    };
    let Condition { sql, mut params } = compile(query, 3);
    let mut keyset = String::new();
    if let Some((ts, id)) = cursor {
        let at = 3 + params.len();
        keyset = format!(" AND (e.ts, e.id) {before} (${at}, ${})", at + 1);
        params.extend([Param::Time(ts), Param::Uuid(id)]);
    }
    let statement = format!(
        "SELECT e.id, e.ts, e.payload FROM events e \
         WHERE e.ts >= $1 AND e.ts < $2{keyset} AND {sql} \
         ORDER BY e.ts {order}, e.id {order} LIMIT {limit}"
    );
    let rows = sqlx::query_with(
        sqlx::AssertSqlSafe(statement),
        arguments(from, to, &params)?,
    )
    .fetch_all(&mut *tx)
    .await?;
    let mut events = Vec::with_capacity(rows.len());
    for row in rows {
        events.push(EventRow {
            id: row.try_get("id")?,
            ts: row.try_get("ts")?,
            payload: row.try_get("payload")?,
        });
    }
    Ok(events)
}

/// Returns how many events of `[from, to)` match `query`, counting at most
/// `up_to + 1`.
pub async fn count_matches(
    tx: &mut PgConnection,
    query: &Query,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    up_to: u64,
) -> anyhow::Result<i64> {
    let Condition { sql, params } = compile(query, 3);
    let statement = format!(
        "SELECT count(*) FROM (SELECT 1 FROM events e WHERE e.ts >= $1 AND e.ts < $2 AND {sql} LIMIT {}) AS matched",
        up_to + 1
    );
    Ok(sqlx::query_scalar_with(
        sqlx::AssertSqlSafe(statement),
        arguments(from, to, &params)?,
    )
    .fetch_one(&mut *tx)
    .await?)
}

/// Returns, per bucket of `interval_secs` aligned to the epoch, how many
/// events of `[from, to)` match `query` (buckets without any left out).
pub async fn fetch_histogram(
    tx: &mut PgConnection,
    query: &Query,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    interval_secs: u64,
) -> anyhow::Result<Vec<(DateTime<Utc>, i64)>> {
    let Condition { sql, params } = compile(query, 5);
    let mut all = vec![
        Param::Text(format!("{interval_secs} seconds")),
        Param::Time(DateTime::<Utc>::UNIX_EPOCH),
    ];
    all.extend(params);
    let statement = format!(
        "SELECT date_bin($3::interval, e.ts, $4) AS bucket, count(*) AS count FROM events e \
         WHERE e.ts >= $1 AND e.ts < $2 AND {sql} GROUP BY 1 ORDER BY 1"
    );
    let rows = sqlx::query_with(sqlx::AssertSqlSafe(statement), arguments(from, to, &all)?)
        .fetch_all(&mut *tx)
        .await?;
    let mut buckets = Vec::with_capacity(rows.len());
    for row in &rows {
        buckets.push((row.try_get("bucket")?, row.try_get("count")?));
    }
    Ok(buckets)
}

/// The most frequent values of a field.
#[derive(Debug, Default)]
pub struct TopRows {
    /// Values (None: events without the field) and their counts, most first.
    pub values: Vec<(Option<String>, i64)>,
    /// Occurrences over all values, missing included.
    pub occurrences: i64,
    /// Events without the field.
    pub missing: i64,
}

/// Returns the `size + 1` most frequent values of `field` among events of
/// `[from, to)` matching `query`, in one scan.
pub async fn fetch_top_values(
    tx: &mut PgConnection,
    query: &Query,
    field: &str,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    size: u32,
) -> anyhow::Result<TopRows> {
    // Values grouped, totals over all groups by window sums.
    let (value_sql, mut all, lateral) = match field_values(field, 3) {
        FieldValues::Scalar(expression) => (expression.sql, expression.params, String::new()),
        FieldValues::Rows(rows) => (
            "f.value".to_owned(),
            rows.params,
            format!(" CROSS JOIN LATERAL ({}) AS f(value)", rows.sql),
        ),
    };
    let Condition { sql, params } = compile(query, 3 + all.len());
    all.extend(params);
    let statement = format!(
        "SELECT value, c AS count, (sum(c) OVER ())::bigint AS occurrences, \
                coalesce(sum(c) FILTER (WHERE value IS NULL) OVER (), 0)::bigint AS missing \
         FROM (SELECT {value_sql} AS value, count(*) AS c FROM events e{lateral} \
               WHERE e.ts >= $1 AND e.ts < $2 AND {sql} GROUP BY 1) AS grouped \
         ORDER BY value IS NULL, c DESC, value LIMIT {}",
        size + 1
    );
    let rows = sqlx::query_with(sqlx::AssertSqlSafe(statement), arguments(from, to, &all)?)
        .fetch_all(&mut *tx)
        .await?;
    let mut top = TopRows::default();
    for row in &rows {
        top.occurrences = row.try_get("occurrences")?;
        top.missing = row.try_get("missing")?;
        top.values
            .push((row.try_get("value")?, row.try_get("count")?));
    }
    Ok(top)
}

/// Returns the documents of the newest `limit` events of `[from, to)`.
pub async fn fetch_recent_documents(
    tx: &mut PgConnection,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    limit: i64,
) -> sqlx::Result<Vec<serde_json::Value>> {
    sqlx::query_scalar!(
        r#"SELECT payload AS "payload!" FROM events WHERE ts >= $1 AND ts < $2 ORDER BY ts DESC LIMIT $3"#,
        from,
        to,
        limit
    )
    .fetch_all(tx)
    .await
}

/// Returns the event `id` stored at `at` (its id carries its time, to the millisecond).
pub async fn fetch_event(
    db: impl PgExecutor<'_>,
    at: DateTime<Utc>,
    id: Uuid,
) -> sqlx::Result<Option<EventRow>> {
    sqlx::query_as!(
        EventRow,
        r#"SELECT id AS "id!", ts AS "ts!", payload AS "payload!" FROM events
           WHERE ts >= $1 AND ts < $2 AND id = $3"#,
        at,
        at + chrono::Duration::milliseconds(1),
        id
    )
    .fetch_optional(db)
    .await
}

/// Streams the documents of every event of `[from, to)` matching `query`,
/// in time order (or newest first), through `tx`.
pub fn stream_documents<'t>(
    tx: &'t mut PgConnection,
    query: &Query,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    ascending: bool,
) -> anyhow::Result<BoxStream<'t, anyhow::Result<serde_json::Value>>> {
    let order = if ascending { "ASC" } else { "DESC" };
    let Condition { sql, params } = compile(query, 3);
    let statement = format!(
        "SELECT e.payload FROM events e WHERE e.ts >= $1 AND e.ts < $2 AND {sql} \
         ORDER BY e.ts {order}, e.id {order}"
    );
    let arguments = arguments(from, to, &params)?;
    Ok(sqlx::query_with(sqlx::AssertSqlSafe(statement), arguments)
        .fetch(tx)
        .map_err(anyhow::Error::from)
        .map(|row| Ok(row?.try_get("payload")?))
        .boxed())
}

/// Returns the saved searches `user` may see (their own and shared ones), by name.
pub async fn fetch_saved_searches(
    db: impl PgExecutor<'_>,
    user: Uuid,
) -> sqlx::Result<Vec<SavedSearch>> {
    let rows = sqlx::query!(
        r#"SELECT s.id, s.name, s.query, s.time_from, s.time_to, s.shared, s.updated_at,
                  u.username, s.owner_id = $1 AS "mine!"
           FROM saved_searches s JOIN users u ON u.id = s.owner_id
           WHERE s.owner_id = $1 OR s.shared
           ORDER BY lower(s.name), s.id"#,
        user
    )
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| SavedSearch {
            id: SavedSearchId(r.id),
            name: r.name,
            query: r.query,
            from: r.time_from,
            to: r.time_to,
            shared: r.shared,
            owner: r.username,
            mine: r.mine,
            updated_at: r.updated_at,
        })
        .collect())
}

/// Inserts a saved search.
pub async fn insert_saved_search(
    db: impl PgExecutor<'_>,
    id: SavedSearchId,
    owner: Uuid,
    saved: &SavedSearchRequest,
) -> sqlx::Result<()> {
    sqlx::query!(
        "INSERT INTO saved_searches (id, owner_id, name, query, time_from, time_to, shared)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        id.as_uuid(),
        owner,
        saved.name,
        saved.query,
        saved.from,
        saved.to,
        saved.shared
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Replaces `owner`'s saved search `id`; returns whether there was one.
pub async fn update_saved_search(
    db: impl PgExecutor<'_>,
    id: SavedSearchId,
    owner: Uuid,
    saved: &SavedSearchRequest,
) -> sqlx::Result<bool> {
    let changed = sqlx::query!(
        "UPDATE saved_searches SET name = $3, query = $4, time_from = $5, time_to = $6,
                shared = $7, updated_at = now()
         WHERE id = $1 AND owner_id = $2",
        id.as_uuid(),
        owner,
        saved.name,
        saved.query,
        saved.from,
        saved.to,
        saved.shared
    )
    .execute(db)
    .await?;
    Ok(changed.rows_affected() > 0)
}

/// Deletes `owner`'s saved search `id`; returns its name if there was one.
pub async fn delete_saved_search(
    db: impl PgExecutor<'_>,
    id: SavedSearchId,
    owner: Uuid,
) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar!(
        "DELETE FROM saved_searches WHERE id = $1 AND owner_id = $2 RETURNING name",
        id.as_uuid(),
        owner
    )
    .fetch_optional(db)
    .await
}
