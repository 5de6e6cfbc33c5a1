//! The raw-database baseline for the ingest benchmark: the same rows, already
//! normalised and encoded, written by binary COPY straight into a table shaped
//! exactly like `events` (same partitions, same indexes: the time index with
//! its included columns, (host_name, ts), (source_ip, ts) and the BRIN on the
//! writing transaction), with no HTTP, no
//! parsing and no normalisation in the timed part.

use super::generate::Generator;
use crate::ingest::copy::encode_events;
use crate::ingest::normalize::{IngestContext, TimePolicy, normalize};
use anyhow::Context;
use chrono::Utc;
use sqlx::PgPool;
use std::time::{Duration, Instant};

/// Returns the baseline's result.
#[derive(Debug, Clone)]
pub struct BaselineReport {
    /// Rows written.
    pub rows: u64,
    /// Time spent in COPY and commit.
    pub elapsed: Duration,
    /// Bytes per row on disk, heap and indexes.
    pub bytes_per_row: f64,
}

/// Writes `events` generated rows (`seed`, spread over `days`; placed by
/// `geo` as ingest would) in `batch`-row transactions over `connections` connections into a scratch copy of
/// `events`, then drops it.
pub async fn run(
    pool: &PgPool,
    geo: Option<crate::ingest::GeoIp>,
    events: u64,
    days: u32,
    seed: u64,
    batch: usize,
    connections: usize,
) -> anyhow::Result<BaselineReport> {
    let end = Utc::now();
    let span = chrono::Duration::days(i64::from(days.max(1)));
    // The rows Vigil stores for loadgen's requests name their source (an API
    // key, `bench` in scripts/bench-ingest.sh): so do these, byte for byte
    // the same size.
    let ctx = IngestContext {
        geo,
        source_id: Some(uuid::Uuid::now_v7()),
        source_kind: app::ingest::SourceKind::ApiKey,
        source_name: "bench".into(),
        received_at: end,
    };
    // Untimed: generate, normalise and encode every batch up front.
    let encoded: Vec<Vec<u8>> = tokio::task::spawn_blocking(move || {
        let mut generator = Generator::new(seed, events, end, span);
        let mut batches = Vec::new();
        loop {
            let mut rows = Vec::with_capacity(batch);
            for document in generator.by_ref().take(batch) {
                if let Ok(event) = normalize(document, &ctx, TimePolicy::default()) {
                    rows.push(event);
                }
            }
            if rows.is_empty() {
                break;
            }
            batches.push(encode_events(&rows));
        }
        batches
    })
    .await?;

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
    let first_day = (end - span).date_naive();
    let mut day = first_day;
    while day <= end.date_naive() + chrono::Days::new(1) {
        let name = format!("events_copy_baseline_p{}", day.format("%Y%m%d"));
        let lower = day.and_hms_opt(0, 0, 0).context("midnight")?.and_utc();
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

    let statement =
        crate::ingest::copy::COPY_EVENTS.replacen("COPY events ", "COPY events_copy_baseline ", 1);
    let statement: &'static str = Box::leak(statement.into_boxed_str());
    let shared = std::sync::Arc::new(tokio::sync::Mutex::new(encoded.into_iter()));
    let started = Instant::now();
    let mut writers = Vec::new();
    for _ in 0..connections.max(1) {
        let (pool, shared) = (pool.clone(), std::sync::Arc::clone(&shared));
        writers.push(tokio::spawn(async move {
            loop {
                let next = shared.lock().await.next();
                let Some(bytes) = next else {
                    return Ok::<(), sqlx::Error>(());
                };
                crate::ingest::repo::copy_events(&pool, statement, &bytes).await?;
            }
        }));
    }
    for writer in writers {
        writer.await??;
    }
    let elapsed = started.elapsed();
    let (rows, bytes): (i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM events_copy_baseline), \
                (SELECT coalesce(sum(pg_total_relation_size(inhrelid)), 0)::bigint FROM pg_inherits \
                 WHERE inhparent = 'events_copy_baseline'::regclass)",
    )
    .fetch_one(pool)
    .await?;
    sqlx::query("DROP TABLE events_copy_baseline")
        .execute(pool)
        .await?;
    Ok(BaselineReport {
        rows: rows as u64,
        elapsed,
        bytes_per_row: bytes as f64 / rows.max(1) as f64,
    })
}
