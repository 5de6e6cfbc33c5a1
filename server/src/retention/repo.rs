//! Storage of retention policies, and the queries that enforce them.

use app::ids::RetentionPolicyId;
use app::retention::{RetentionPolicy, RetentionPolicyRequest};
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::{PgExecutor, PgPool};
use uuid::Uuid;

/// Returns every policy's retention in days.
pub async fn fetch_policy_days(pool: &PgPool) -> sqlx::Result<Vec<u32>> {
    let days = sqlx::query_scalar!("SELECT days FROM retention_policies")
        .fetch_all(pool)
        .await?;
    Ok(days.into_iter().map(|d| d.max(1) as u32).collect())
}

/// Returns every policy by name, with the name of its source when known.
pub async fn fetch_policies(db: impl PgExecutor<'_>) -> sqlx::Result<Vec<RetentionPolicy>> {
    let rows = sqlx::query!(
        r#"SELECT p.id, p.name, p.source_id, p.category, p.days, p.created_at, p.updated_at,
                  coalesce(s.name, k.name, u.username) AS source_name
           FROM retention_policies p
           LEFT JOIN ingest_sources s ON s.id = p.source_id
           LEFT JOIN api_keys k ON k.id = p.source_id
           LEFT JOIN users u ON u.id = p.source_id
           ORDER BY p.name"#
    )
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| RetentionPolicy {
            id: RetentionPolicyId(r.id),
            name: r.name,
            source_id: r.source_id,
            source_name: r.source_name,
            category: r.category,
            days: r.days.max(1) as u32,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
        .collect())
}

/// Says whether `id` names something that delivers events: an ingest source
/// seen before, an API key, or a user.
pub async fn source_exists(db: impl PgExecutor<'_>, id: Uuid) -> sqlx::Result<bool> {
    sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM ingest_sources WHERE id = $1)
               OR EXISTS (SELECT 1 FROM api_keys WHERE id = $1)
               OR EXISTS (SELECT 1 FROM users WHERE id = $1) AS "exists!""#,
        id
    )
    .fetch_one(db)
    .await
}

/// Stores a new policy; returns its creation time.
pub async fn insert_policy(
    db: impl PgExecutor<'_>,
    id: RetentionPolicyId,
    policy: &RetentionPolicyRequest,
    created_by: Option<Uuid>,
) -> sqlx::Result<DateTime<Utc>> {
    sqlx::query_scalar!(
        r#"INSERT INTO retention_policies (id, name, source_id, category, days, created_by)
           VALUES ($1, $2, $3, $4, $5, $6)
           RETURNING created_at"#,
        id.as_uuid(),
        policy.name,
        policy.source_id,
        policy.category,
        policy.days as i32,
        created_by
    )
    .fetch_one(db)
    .await
}

/// Replaces a policy's rules; returns its previous days, or None when absent.
pub async fn update_policy(
    db: impl PgExecutor<'_>,
    id: RetentionPolicyId,
    policy: &RetentionPolicyRequest,
) -> sqlx::Result<Option<i32>> {
    sqlx::query_scalar!(
        r#"UPDATE retention_policies new
           SET name = $2, source_id = $3, category = $4, days = $5, updated_at = now()
           FROM retention_policies old
           WHERE new.id = $1 AND old.id = new.id
           RETURNING old.days"#,
        id.as_uuid(),
        policy.name,
        policy.source_id,
        policy.category,
        policy.days as i32
    )
    .fetch_optional(db)
    .await
}

/// Deletes a policy; returns its name, or None when absent.
pub async fn delete_policy(
    db: impl PgExecutor<'_>,
    id: RetentionPolicyId,
) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar!(
        "DELETE FROM retention_policies WHERE id = $1 RETURNING name",
        id.as_uuid()
    )
    .fetch_optional(db)
    .await
}

/// Returns the days that have an events partition, oldest first.
pub async fn fetch_partition_days(db: impl PgExecutor<'_>) -> sqlx::Result<Vec<NaiveDate>> {
    sqlx::query_scalar!(
        r#"SELECT to_date(substr(c.relname, 9), 'YYYYMMDD') AS "day!"
           FROM pg_inherits i
           JOIN pg_class c ON c.oid = i.inhrelid
           WHERE i.inhparent = 'events'::regclass AND c.relname ~ '^events_p[0-9]{8}$'
           ORDER BY 1"#
    )
    .fetch_all(db)
    .await
}

/// Deletes the events of `day` (whose age is `age_days`) that no policy of at
/// least that age keeps, and that are expired: they match some policy (all
/// of whose matches are then shorter), or match none while the default has
/// expired. Returns how many it deleted.
pub async fn delete_expired_events(
    db: impl PgExecutor<'_>,
    day: NaiveDate,
    age_days: u32,
    default_expired: bool,
) -> sqlx::Result<u64> {
    let start = day.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc();
    let end = start + chrono::Duration::days(1);
    let result = sqlx::query!(
        r#"DELETE FROM events e
           WHERE e.ts >= $1 AND e.ts < $2
             AND NOT EXISTS (
                 SELECT 1 FROM retention_policies p
                 WHERE p.days >= $3
                   AND (p.source_id IS NULL OR p.source_id = e.source_id)
                   AND (p.category IS NULL OR p.category = e.category))
             AND ($4 OR EXISTS (
                 SELECT 1 FROM retention_policies p
                 WHERE (p.source_id IS NULL OR p.source_id = e.source_id)
                   AND (p.category IS NULL OR p.category = e.category)))"#,
        start,
        end,
        age_days as i32,
        default_expired
    )
    .execute(db)
    .await?;
    Ok(result.rows_affected())
}

/// Returns one dropped partition.
#[derive(Debug)]
pub struct DroppedPartition {
    /// The partition's table name.
    pub partition_name: String,
    /// The UTC day it held.
    pub day: NaiveDate,
    /// The planner's row estimate at drop time.
    pub estimated_rows: i64,
}

/// Returns every events partition whose day is before `cutoff`.
pub async fn fetch_partitions_before(
    db: impl PgExecutor<'_>,
    cutoff: NaiveDate,
) -> sqlx::Result<Vec<DroppedPartition>> {
    sqlx::query_as!(
        DroppedPartition,
        r#"SELECT partition_name AS "partition_name!", day AS "day!", estimated_rows AS "estimated_rows!"
           FROM vigil_event_partitions_before($1)"#,
        cutoff
    )
    .fetch_all(db)
    .await
}

/// Detaches the partition of `day` concurrently and drops it.
///
/// `DETACH … CONCURRENTLY` takes only SHARE UPDATE EXCLUSIVE on `events`
/// (readers and writers go on) and then waits for the transactions that
/// could still see the partition — a running export — to end; it cannot run
/// in a transaction block. A detach interrupted before (the process died)
/// left the partition "pending" and is finished instead.
pub async fn detach_and_drop_partition(pool: &sqlx::PgPool, day: NaiveDate) -> sqlx::Result<()> {
    // The name comes from a date, never from input: safe to splice.
    let name = format!("events_p{}", day.format("%Y%m%d"));
    let mut conn = pool.acquire().await?;
    sqlx::query("SET lock_timeout = '5s'")
        .execute(&mut *conn)
        .await?;
    let detach = format!("ALTER TABLE events DETACH PARTITION {name} CONCURRENTLY");
    let result = sqlx::raw_sql(sqlx::AssertSqlSafe(detach))
        .execute(&mut *conn)
        .await;
    if let Err(error) = result {
        let pending = matches!(&error, sqlx::Error::Database(db)
            if db.message().contains("pending detach") || db.message().contains("being detached"));
        if !pending {
            let _ = sqlx::query("RESET lock_timeout").execute(&mut *conn).await;
            return Err(error);
        }
        let finalize = format!("ALTER TABLE events DETACH PARTITION {name} FINALIZE");
        sqlx::raw_sql(sqlx::AssertSqlSafe(finalize))
            .execute(&mut *conn)
            .await?;
    }
    let drop = format!("DROP TABLE IF EXISTS {name}");
    sqlx::raw_sql(sqlx::AssertSqlSafe(drop))
        .execute(&mut *conn)
        .await?;
    sqlx::query("RESET lock_timeout")
        .execute(&mut *conn)
        .await?;
    Ok(())
}
