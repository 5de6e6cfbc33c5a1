//! The raw-database baseline for the ingest benchmark: the same rows, already
//! normalised and encoded, written by binary COPY straight into a table shaped
//! exactly like `events` (same partitions, same indexes: the time index with
//! its included columns, (host_name, ts), (source_ip, ts) and the BRIN on the
//! writing transaction), with no HTTP, no
//! parsing and no normalisation in the timed part.

use super::generate::Generator;
use crate::ingest::copy::encode_events;
use crate::ingest::normalize::{IngestContext, IngestPolicy, normalize};
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
                if let Ok(event) = normalize(document, &ctx, IngestPolicy::default()) {
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

    let first_day = (end - span).date_naive();
    let last_day = end.date_naive() + chrono::Days::new(1);
    super::repo::create_baseline_table(pool, first_day, last_day).await?;

    let statement = crate::ingest::copy::COPY_EVENTS.replacen(
        "COPY events ",
        &format!("COPY {} ", super::repo::BASELINE_TABLE),
        1,
    );
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
    let (rows, bytes) = super::repo::baseline_size(pool).await?;
    super::repo::drop_baseline_table(pool).await?;
    Ok(BaselineReport {
        rows: rows as u64,
        elapsed,
        bytes_per_row: bytes as f64 / rows.max(1) as f64,
    })
}
