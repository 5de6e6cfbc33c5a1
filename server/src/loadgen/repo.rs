//! SQL of the load tools: whether a store is empty (demo data), and the
//! benchmark baseline's scratch copy of `events`.

use anyhow::Context;
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::{PgExecutor, PgPool};

/// Says whether any event is stored.
pub async fn any_event_stored(db: impl PgExecutor<'_>) -> sqlx::Result<bool> {
    sqlx::query_scalar!(r#"SELECT EXISTS (SELECT 1 FROM events) AS "any!""#)
        .fetch_one(db)
        .await
}

/// The scratch table the baseline writes, shaped exactly like `events`.
pub const BASELINE_TABLE: &str = "events_copy_baseline";

/// Creates the baseline's scratch table (dropping any left over) with the
/// indexes of `events` and a partition per day from `first` to `last`.
pub async fn create_baseline_table(
    pool: &PgPool,
    first: NaiveDate,
    last: NaiveDate,
) -> anyhow::Result<()> {
    // These statements name only constants and the scratch table.
    sqlx::query("DROP TABLE IF EXISTS events_copy_baseline")
        .execute(pool)
        .await?;
    sqlx::query("CREATE TABLE events_copy_baseline (LIKE events INCLUDING DEFAULTS) PARTITION BY RANGE (ts)")
        .execute(pool)
        .await?;
    sqlx::query(
        "CREATE INDEX ON events_copy_baseline (ts) \
         INCLUDE (host_name, source_ip, user_name, category, outcome, action, process_name)",
    )
    .execute(pool)
    .await?;
    sqlx::query("CREATE INDEX ON events_copy_baseline (host_name, ts)")
        .execute(pool)
        .await?;
    sqlx::query("CREATE INDEX ON events_copy_baseline (source_ip, ts)")
        .execute(pool)
        .await?;
    // The detection engine's index (the transaction id is the column default).
    sqlx::query(
        "CREATE INDEX ON events_copy_baseline USING brin (tx) \
         WITH (pages_per_range = 32, autosummarize = on)",
    )
    .execute(pool)
    .await?;
    let mut day = first;
    while day <= last {
        let name = format!("events_copy_baseline_p{}", day.format("%Y%m%d"));
        let lower: DateTime<Utc> = day.and_hms_opt(0, 0, 0).context("midnight")?.and_utc();
        let upper = lower + chrono::Duration::days(1);
        let statement = format!(
            "CREATE TABLE {name} PARTITION OF events_copy_baseline FOR VALUES FROM ('{}') TO ('{}')",
            lower.to_rfc3339(),
            upper.to_rfc3339()
        );
        // Built from a date and constants only: no input reaches this SQL.
        sqlx::query(sqlx::AssertSqlSafe(statement))
            .execute(pool)
            .await?;
        day = day + chrono::Days::new(1);
    }
    sqlx::query("CHECKPOINT").execute(pool).await?;
    Ok(())
}

/// Returns the baseline table's rows and bytes on disk (heap and indexes).
pub async fn baseline_size(pool: &PgPool) -> sqlx::Result<(i64, i64)> {
    sqlx::query_as(
        "SELECT (SELECT count(*) FROM events_copy_baseline), \
                (SELECT coalesce(sum(pg_total_relation_size(inhrelid)), 0)::bigint FROM pg_inherits \
                 WHERE inhparent = 'events_copy_baseline'::regclass)",
    )
    .fetch_one(pool)
    .await
}

/// Drops the baseline table.
pub async fn drop_baseline_table(pool: &PgPool) -> sqlx::Result<()> {
    sqlx::query("DROP TABLE events_copy_baseline")
        .execute(pool)
        .await?;
    Ok(())
}
