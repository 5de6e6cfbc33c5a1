//! SQL for event storage: partitions and the COPY itself.

use chrono::NaiveDate;
use sqlx::{PgExecutor, PgPool};
use std::collections::HashSet;

/// Creates the day partition for `day` unless it exists; returns whether it was created.
///
/// Creating one waits at most two seconds for its locks (never queueing
/// everyone behind it, see the migration); it is tried again a few times.
pub async fn ensure_partition(pool: &PgPool, day: NaiveDate) -> sqlx::Result<bool> {
    let mut attempt = 0;
    let created = loop {
        let result = sqlx::query_scalar!(
            r#"SELECT vigil_ensure_event_partition($1) AS "created!""#,
            day
        )
        .fetch_one(pool)
        .await;
        match result {
            Err(error)
                if attempt < 5
                    && crate::error::SqlState::of(&error)
                        == Some(crate::error::SqlState::LockNotAvailable) =>
            {
                attempt += 1;
                tracing::debug!(%day, attempt, "creating a partition waited too long for its lock; again");
                tokio::time::sleep(std::time::Duration::from_millis(200 * attempt)).await;
            }
            other => break other?,
        }
    };
    if created {
        tracing::info!(%day, "created events partition");
    }
    Ok(created)
}

/// Writes an encoded binary COPY stream in one transaction.
pub async fn copy_events(
    pool: &PgPool,
    statement: &'static str,
    encoded: &[u8],
) -> sqlx::Result<()> {
    let mut tx = pool.begin().await?;
    copy_in(&mut tx, statement, &[encoded]).await?;
    tx.commit().await
}

/// Streams `parts`, concatenated, into `statement` on `conn`.
pub async fn copy_in(
    conn: &mut sqlx::PgConnection,
    statement: &'static str,
    parts: &[&[u8]],
) -> sqlx::Result<()> {
    let mut copy = conn.copy_in_raw(statement).await?;
    for part in parts {
        // Chunks keep each protocol message, and the connection's write
        // buffer, small: a buffer grown to a megabyte was zeroed afresh by
        // the kernel for every batch.
        for chunk in part.chunks(64 << 10) {
            if let Err(error) = copy.send(chunk).await {
                let _ = copy.abort("sending copy data failed").await;
                return Err(error);
            }
        }
    }
    copy.finish().await?;
    Ok(())
}

/// Records that this transaction writes `events` events timed between
/// `first` and `last`: the detection engine reads committed events batch by
/// batch (and the insert wakes it).
pub async fn record_batch(
    conn: &mut sqlx::PgConnection,
    first: chrono::DateTime<chrono::Utc>,
    last: chrono::DateTime<chrono::Utc>,
    events: usize,
    bytes: usize,
) -> sqlx::Result<()> {
    sqlx::query!(
        "INSERT INTO event_batches (first_ts, last_ts, events, bytes) VALUES ($1, $2, $3, $4)",
        first,
        last,
        i32::try_from(events).unwrap_or(i32::MAX),
        i64::try_from(bytes).unwrap_or(i64::MAX),
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Forgets event batches written more than `days` ago. The detection engine
/// deletes the ones it has evaluated as it goes; this bounds the table when
/// no instance runs detection. An engine off for longer than that resumes
/// with the batches still listed: events older than `days` days of writing
/// are not evaluated (docs/detection.md).
pub async fn delete_old_batches(pool: &PgPool, days: i32) -> sqlx::Result<u64> {
    let deleted = sqlx::query!(
        "DELETE FROM event_batches WHERE written_at < now() - make_interval(days => $1)",
        days
    )
    .execute(pool)
    .await?;
    Ok(deleted.rows_affected())
}

/// Records idempotency keys; returns the indexes (into the inputs) of the keys
/// that were new. A key held by a concurrent, uncommitted transaction makes
/// this wait for it, so a key is never recorded twice.
pub async fn insert_idempotency_keys(
    conn: &mut sqlx::PgConnection,
    sources: &[uuid::Uuid],
    keys: &[String],
    responses: &[serde_json::Value],
) -> sqlx::Result<Vec<usize>> {
    let inserted = sqlx::query!(
        r#"INSERT INTO ingest_idempotency (source_id, key, response)
           SELECT * FROM unnest($1::uuid[], $2::text[], $3::jsonb[])
           ON CONFLICT DO NOTHING
           RETURNING source_id, key"#,
        sources,
        keys,
        responses,
    )
    .fetch_all(&mut *conn)
    .await?;
    // The same key twice in one batch is inserted once: only its first use is new.
    let mut fresh = Vec::new();
    for row in inserted {
        let first = sources
            .iter()
            .zip(keys)
            .enumerate()
            .find(|(index, (source, key))| {
                **source == row.source_id && **key == row.key && !fresh.contains(index)
            })
            .map(|(index, _)| index);
        if let Some(index) = first {
            fresh.push(index);
        }
    }
    Ok(fresh)
}

/// Returns the answer recorded for an idempotency key.
pub async fn fetch_idempotent_response(
    db: impl PgExecutor<'_>,
    source: uuid::Uuid,
    key: &str,
) -> sqlx::Result<Option<serde_json::Value>> {
    sqlx::query_scalar!(
        "SELECT response FROM ingest_idempotency WHERE source_id = $1 AND key = $2",
        source,
        key
    )
    .fetch_optional(db)
    .await
}

/// Forgets idempotency keys older than `hours`.
pub async fn delete_expired_idempotency_keys(
    db: impl PgExecutor<'_>,
    hours: i32,
) -> sqlx::Result<u64> {
    let result = sqlx::query!(
        "DELETE FROM ingest_idempotency WHERE created_at < now() - make_interval(hours => $1)",
        hours
    )
    .execute(db)
    .await?;
    Ok(result.rows_affected())
}

/// Records shipper document ids; returns the indexes (into the inputs) of the
/// ids that were new. An id held by a concurrent, uncommitted transaction
/// makes this wait for it, so an id is never recorded twice.
pub async fn insert_document_ids(
    conn: &mut sqlx::PgConnection,
    sources: &[uuid::Uuid],
    ids: &[String],
    event_ids: &[uuid::Uuid],
) -> sqlx::Result<Vec<usize>> {
    let inserted = sqlx::query_scalar!(
        r#"INSERT INTO ingest_document_ids (source_id, id, event_id)
           SELECT * FROM unnest($1::uuid[], $2::text[], $3::uuid[])
           ON CONFLICT DO NOTHING
           RETURNING event_id"#,
        sources,
        ids,
        event_ids
    )
    .fetch_all(&mut *conn)
    .await?;
    let fresh: HashSet<uuid::Uuid> = inserted.into_iter().collect();
    Ok(event_ids
        .iter()
        .enumerate()
        .filter(|(_, id)| fresh.contains(id))
        .map(|(i, _)| i)
        .collect())
}

/// Forgets shipper document ids older than `days`.
pub async fn delete_expired_document_ids(db: impl PgExecutor<'_>, days: i32) -> sqlx::Result<u64> {
    let result = sqlx::query!(
        "DELETE FROM ingest_document_ids WHERE created_at < now() - make_interval(days => $1)",
        days
    )
    .execute(db)
    .await?;
    Ok(result.rows_affected())
}

/// Returns whether `error` is "no partition of relation events found for row".
pub fn is_missing_partition(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::Database(db) => {
            crate::error::SqlState::of(error) == Some(crate::error::SqlState::CheckViolation)
                && db.message().contains("no partition")
        }
        _ => false,
    }
}

/// Returns how many events are stored; used by tests and the status page.
pub async fn count_events(db: impl PgExecutor<'_>) -> sqlx::Result<i64> {
    sqlx::query_scalar!(r#"SELECT count(*) AS "count!" FROM events"#)
        .fetch_one(db)
        .await
}

fn kind_name(kind: app::ingest::SourceKind) -> &'static str {
    match kind {
        app::ingest::SourceKind::ApiKey => "api_key",
        app::ingest::SourceKind::User => "user",
        app::ingest::SourceKind::Listener => "listener",
    }
}

/// Returns counts for one source since the last flush.
#[derive(Debug, Clone)]
pub struct SourceDelta {
    /// What kind of source.
    pub kind: app::ingest::SourceKind,
    /// Its current name.
    pub name: String,
    /// Events stored.
    pub accepted: i64,
    /// Items refused.
    pub rejected: i64,
    /// The newest event time seen.
    pub last_event_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// Adds one flush's counts to a source, rolling the per-minute buckets.
pub async fn add_source_counts(
    db: impl PgExecutor<'_>,
    id: uuid::Uuid,
    delta: &SourceDelta,
) -> sqlx::Result<()> {
    sqlx::query!(
        r#"INSERT INTO ingest_sources AS s (id, kind, name, accepted, rejected, last_event_at, minute_accepted)
           VALUES ($1, $2, $3, $4, $5, $6, $4)
           ON CONFLICT (id) DO UPDATE SET
               name = EXCLUDED.name,
               accepted = s.accepted + EXCLUDED.accepted,
               rejected = s.rejected + EXCLUDED.rejected,
               last_seen_at = now(),
               last_event_at = greatest(s.last_event_at, EXCLUDED.last_event_at),
               previous_minute_accepted = CASE
                   WHEN s.minute_start = date_trunc('minute', now()) THEN s.previous_minute_accepted
                   WHEN s.minute_start = date_trunc('minute', now()) - interval '1 minute' THEN s.minute_accepted
                   ELSE 0 END,
               minute_accepted = CASE
                   WHEN s.minute_start = date_trunc('minute', now()) THEN s.minute_accepted + EXCLUDED.accepted
                   ELSE EXCLUDED.accepted END,
               minute_start = date_trunc('minute', now())"#,
        id,
        kind_name(delta.kind),
        delta.name,
        delta.accepted,
        delta.rejected,
        delta.last_event_at,
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Returns every source, busiest first.
pub async fn fetch_sources(
    db: impl PgExecutor<'_>,
) -> sqlx::Result<Vec<app::ingest::SourceSummary>> {
    let rows = sqlx::query!(
        r#"SELECT id, kind, name, accepted, rejected, first_seen_at, last_seen_at, last_event_at,
                  CASE
                      WHEN minute_start = date_trunc('minute', now()) THEN previous_minute_accepted
                      WHEN minute_start = date_trunc('minute', now()) - interval '1 minute' THEN minute_accepted
                      ELSE 0
                  END AS "last_minute!"
           FROM ingest_sources
           ORDER BY last_seen_at DESC, name"#
    )
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| app::ingest::SourceSummary {
            id: row.id,
            kind: match row.kind.as_str() {
                "user" => app::ingest::SourceKind::User,
                "listener" => app::ingest::SourceKind::Listener,
                _ => app::ingest::SourceKind::ApiKey,
            },
            name: row.name,
            accepted: row.accepted,
            rejected: row.rejected,
            first_seen_at: row.first_seen_at,
            last_seen_at: row.last_seen_at,
            last_event_at: row.last_event_at,
            events_per_second: row.last_minute as f64 / 60.0,
        })
        .collect())
}
