//! SQL of the detection runtime: the leader lock and cursor, the batches and
//! events a round reads, rule state checkpoints, the rules and watchlists
//! the engine loads, new-terms history, and alert writes.

use super::matcher::Lists;
use crate::db::locks;
use crate::event::params::{Param, arguments};
use crate::search::compile::Condition;
use app::rules::RuleVersion;
use chrono::{DateTime, Utc};
use futures_util::stream::BoxStream;
use futures_util::{StreamExt, TryStreamExt};
use sqlx::{PgConnection, PgExecutor, PgPool, Row};
use std::collections::HashSet;
use std::sync::Arc;
use uuid::Uuid;

/// The most values of one watchlist an indicator rule holds in memory.
pub const MAX_LOADED: i64 = 1_000_000;

/// The most value combinations a new new-terms rule is seeded with.
pub const MAX_SEEDED: usize = 1_000_000;

/// Takes the leader lock on `conn` if it is free; returns whether it did.
pub async fn try_leader_lock(conn: &mut PgConnection) -> sqlx::Result<bool> {
    sqlx::query_scalar!(
        r#"SELECT pg_try_advisory_lock($1) AS "locked!""#,
        locks::DETECTION_LEADER
    )
    .fetch_one(conn)
    .await
}

/// Creates the cursor at `horizon` if there is none, and names the leader.
pub async fn claim_cursor(
    conn: &mut PgConnection,
    horizon: i64,
    instance: &str,
) -> sqlx::Result<()> {
    sqlx::query!(
        "INSERT INTO detection_cursor (id, watermark, checkpoint, leader) VALUES (1, $1, $1, $2)
             ON CONFLICT (id) DO UPDATE SET leader = EXCLUDED.leader, updated_at = now()",
        horizon,
        instance
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Returns the cursor's watermark and checkpoint.
pub async fn fetch_cursor_marks(conn: &mut PgConnection) -> sqlx::Result<(i64, i64)> {
    let cursor = sqlx::query!("SELECT watermark, checkpoint FROM detection_cursor WHERE id = 1")
        .fetch_one(conn)
        .await?;
    Ok((cursor.watermark, cursor.checkpoint))
}

/// The cursor as the status API shows it.
#[derive(Debug)]
pub struct Cursor {
    /// The leading instance.
    pub leader: String,
    /// When it last moved or was claimed.
    pub updated_at: DateTime<Utc>,
    /// The transaction below which every batch is evaluated.
    pub watermark: i64,
}

/// Returns the cursor, when an engine ever led.
pub async fn fetch_cursor(db: impl PgExecutor<'_>) -> sqlx::Result<Option<Cursor>> {
    sqlx::query_as!(
        Cursor,
        "SELECT leader, updated_at, watermark FROM detection_cursor WHERE id = 1"
    )
    .fetch_optional(db)
    .await
}

/// Events waiting for the engine, and how long the oldest has waited.
#[derive(Debug)]
pub struct Pending {
    /// Events in batches at or above the watermark.
    pub events: i64,
    /// Seconds since the oldest of them was written.
    pub lag: Option<f64>,
}

/// Returns what waits at or above `watermark`.
pub async fn fetch_pending(db: impl PgExecutor<'_>, watermark: i64) -> sqlx::Result<Pending> {
    sqlx::query_as!(
        Pending,
        r#"SELECT coalesce(sum(events), 0)::bigint AS "events!",
                  extract(epoch FROM now() - min(written_at))::float8 AS "lag"
           FROM event_batches WHERE tx >= $1"#,
        watermark
    )
    .fetch_one(db)
    .await
}

/// One writer transaction's batch of events.
#[derive(Debug)]
pub struct Batch {
    /// The writing transaction.
    pub tx: i64,
    /// Its oldest event time.
    pub first_ts: DateTime<Utc>,
    /// Its newest event time.
    pub last_ts: DateTime<Utc>,
    /// How many events it wrote.
    pub events: i32,
    /// How many bytes of rows (0 for batches written before this was counted).
    pub bytes: i64,
}

/// Returns the batches in `[from, to)`, in transaction order, at most `limit`.
pub async fn fetch_batches(
    conn: &mut PgConnection,
    from: i64,
    to: i64,
    limit: i64,
) -> sqlx::Result<Vec<Batch>> {
    sqlx::query_as!(
        Batch,
        "SELECT tx, first_ts, last_ts, events, bytes FROM event_batches
             WHERE tx >= $1 AND tx < $2 ORDER BY tx LIMIT $3",
        from,
        to,
        limit
    )
    .fetch_all(conn)
    .await
}

/// An event of a batch: time, id and document text.
#[derive(Debug)]
pub struct BatchEvent {
    /// `@timestamp`.
    pub ts: DateTime<Utc>,
    /// The event id.
    pub id: Uuid,
    /// When Vigil received it.
    pub ingested_at: DateTime<Utc>,
    /// The stored document as JSON text.
    pub payload: String,
}

/// Returns the events of the transactions `txs` (ascending), whose times
/// lie in `[first, last]`, in evaluation order (transaction, time, id).
pub async fn fetch_batch_events(
    conn: &mut PgConnection,
    txs: &[i64],
    first: DateTime<Utc>,
    last: DateTime<Utc>,
) -> sqlx::Result<Vec<BatchEvent>> {
    let (Some(low), Some(high)) = (txs.first(), txs.last()) else {
        return Ok(Vec::new());
    };
    sqlx::query_as!(
        BatchEvent,
        r#"SELECT ts, id, ingested_at, payload::text AS "payload!" FROM events
               WHERE tx >= $1 AND tx <= $2 AND tx = ANY($3) AND ts >= $4 AND ts <= $5
               ORDER BY tx, ts, id"#,
        low,
        high,
        txs,
        first,
        last
    )
    .fetch_all(conn)
    .await
}

/// Moves the watermark to `end`, naming the leader.
pub async fn set_watermark(conn: &mut PgConnection, end: i64, instance: &str) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE detection_cursor SET watermark = $1, leader = $2, updated_at = now() WHERE id = 1",
        end,
        instance
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Locks the cursor for the rest of the transaction; returns the watermark.
pub async fn lock_watermark(conn: &mut PgConnection) -> sqlx::Result<i64> {
    sqlx::query_scalar!("SELECT watermark FROM detection_cursor WHERE id = 1 FOR UPDATE")
        .fetch_one(conn)
        .await
}

/// Saves a checkpoint: the state of `changed` rules, forgetting rules not
/// `live`, the checkpoint at the watermark, and batches below it dropped
/// (they are never read again).
pub async fn save_checkpoint(
    conn: &mut PgConnection,
    live: &[Uuid],
    changed: &[(Uuid, RuleVersion, serde_json::Value)],
    watermark: i64,
) -> sqlx::Result<()> {
    sqlx::query!("DELETE FROM rule_states WHERE rule_id <> ALL($1)", live)
        .execute(&mut *conn)
        .await?;
    for (id, version, state) in changed {
        sqlx::query!(
            "INSERT INTO rule_states (rule_id, rule_version, state) VALUES ($1, $2, $3)
                 ON CONFLICT (rule_id) DO UPDATE
                 SET rule_version = EXCLUDED.rule_version, state = EXCLUDED.state, saved_at = now()",
            id,
            version.0,
            state
        )
        .execute(&mut *conn)
        .await?;
    }
    sqlx::query!(
        "UPDATE detection_cursor SET checkpoint = watermark, updated_at = now() WHERE id = 1"
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query!("DELETE FROM event_batches WHERE tx < $1", watermark)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// An enabled rule as stored.
#[derive(Debug)]
pub struct EnabledRule {
    /// The rule id.
    pub id: Uuid,
    /// Its slug.
    pub slug: String,
    /// Its current version.
    pub version: i32,
    /// Its definition as JSON.
    pub definition: serde_json::Value,
}

/// Returns the enabled live rules, by slug.
pub async fn fetch_enabled_rules(db: impl PgExecutor<'_>) -> sqlx::Result<Vec<EnabledRule>> {
    sqlx::query_as!(
        EnabledRule,
        "SELECT id, slug, version, definition FROM rules
             WHERE deleted_at IS NULL AND enabled ORDER BY slug"
    )
    .fetch_all(db)
    .await
}

/// A rule's saved state.
#[derive(Debug)]
pub struct SavedState {
    /// The rule.
    pub rule_id: Uuid,
    /// The version the state belongs to.
    pub rule_version: i32,
    /// The evaluator's memory.
    pub state: serde_json::Value,
}

/// Returns every rule's saved state.
pub async fn fetch_rule_states(conn: &mut PgConnection) -> sqlx::Result<Vec<SavedState>> {
    sqlx::query_as!(
        SavedState,
        "SELECT rule_id, rule_version, state FROM rule_states"
    )
    .fetch_all(conn)
    .await
}

/// Where the engine may read up to, and which rules it must read with.
#[derive(Debug, Clone, Copy)]
pub struct Horizon {
    /// The oldest transaction still running: every one below it has finished.
    pub tx: i64,
    /// The detection generation in the same snapshot: every rule or
    /// watchlist change committed before those transactions began is in it.
    pub generation: i64,
}

/// Returns the horizon of the current snapshot.
pub async fn horizon(conn: &mut PgConnection) -> sqlx::Result<Horizon> {
    sqlx::query_as!(
        Horizon,
        r#"SELECT (pg_snapshot_xmin(pg_current_snapshot())::text)::bigint AS "tx!",
                  generation AS "generation!"
           FROM detection_generation"#
    )
    .fetch_one(conn)
    .await
}

/// Inserts alerts (as a JSON array of rows) not stored before, raised at
/// `raised_tx`; returns the rule slug of each new one.
pub async fn insert_alerts(
    conn: &mut PgConnection,
    rows: &serde_json::Value,
    raised_tx: i64,
) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar!(
        "INSERT INTO alerts (id, rule_id, rule_version, rule_slug, rule_name, severity, tactics,
             techniques, summary, group_key, group_values, window_start, window_end, first_event,
             event_count, event_ids, event_times, raised_tx)
         SELECT id, rule_id, rule_version, rule_slug, rule_name, severity, tactics, techniques,
             summary, group_key, group_values, window_start, window_end, first_event, event_count,
             event_ids, event_times, $2
         FROM jsonb_to_recordset($1) AS a(id uuid, rule_id uuid, rule_version integer,
             rule_slug text, rule_name text, severity text, tactics text[], techniques text[],
             summary text, group_key text, group_values jsonb, window_start timestamptz,
             window_end timestamptz, first_event uuid, event_count integer, event_ids uuid[],
             event_times timestamptz[])
         ON CONFLICT (rule_id, group_key, window_start, first_event) DO NOTHING
         RETURNING rule_slug",
        rows,
        raised_tx
    )
    .fetch_all(conn)
    .await
}

/// Returns the values of the watchlist `slug` (empty when there is none),
/// for an indicator rule.
pub async fn fetch_watchlist_values(
    db: impl PgExecutor<'_>,
    slug: &str,
) -> sqlx::Result<HashSet<String>> {
    let values = sqlx::query_scalar!(
        "SELECT e.value FROM watchlist_entries e JOIN watchlists w ON w.id = e.watchlist_id
         WHERE w.slug = $1 LIMIT $2",
        slug,
        MAX_LOADED
    )
    .fetch_all(db)
    .await?;
    Ok(values.into_iter().collect())
}

/// Returns the values of every watchlist `rule` reads, by slug (a missing
/// one is empty, and so matches nothing).
pub async fn lists_of(pool: &PgPool, rule: &app::rules::RuleDefinition) -> sqlx::Result<Lists> {
    let mut lists = Lists::new();
    for slug in rule.watchlists() {
        let values = fetch_watchlist_values(pool, &slug).await?;
        lists.insert(slug, Arc::new(values));
    }
    Ok(lists)
}

/// Stored events (time, document text) as a new-terms rule's history reads them.
pub type HistoryRows<'p> = BoxStream<'p, anyhow::Result<(DateTime<Utc>, String)>>;

/// Streams, for a new new-terms rule, one event (time, document text) per
/// distinct combination of `fields` (its latest) among the events stored in
/// `[from, to]` below `watermark` that satisfy `condition` (compiled with
/// its placeholders from `$4 + 2 × fields`).
pub fn stream_history<'p>(
    pool: &'p PgPool,
    fields: &[String],
    condition: &Condition,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    watermark: i64,
) -> anyhow::Result<HistoryRows<'p>> {
    // $1 and $2 are the time range; then the watermark, then each field's
    // path and literal name (as search reads a field), then the condition's.
    let mut params = vec![Param::Text(watermark.to_string())];
    let mut keys = Vec::with_capacity(fields.len());
    for field in fields {
        let path = 3 + params.len();
        params.push(Param::Path(field.split('.').map(str::to_owned).collect()));
        let literal = 3 + params.len();
        params.push(Param::Text(field.clone()));
        keys.push(format!(
            "coalesce(e.payload #> ${path}, e.payload -> ${literal})"
        ));
    }
    params.extend(condition.params.iter().cloned());
    let keys = keys.join(", ");
    // Only fixed fragments and `$n` placeholders: the condition's values and
    // the fields' paths are bound.
    let sql = format!(
        "SELECT ts, payload::text AS payload FROM (
             SELECT DISTINCT ON ({keys}) e.ts, e.payload FROM events e
             WHERE e.ts >= $1 AND e.ts <= $2 AND (e.tx IS NULL OR e.tx < $3::bigint)
               AND ({})
             ORDER BY {keys}, e.ts DESC) AS latest
         LIMIT {MAX_SEEDED}",
        condition.sql
    );
    let arguments = arguments(from, to, &params)?;
    let rows = sqlx::query_with(sqlx::AssertSqlSafe(sql), arguments)
        .fetch(pool)
        .map_err(anyhow::Error::from)
        .map(|row| {
            let row = row?;
            let payload: String = row.try_get("payload")?;
            Ok((row.try_get("ts")?, payload))
        });
    Ok(rows.boxed())
}
