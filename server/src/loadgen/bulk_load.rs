//! Filling the store for the search benchmark: generated events normalised
//! and written by binary COPY straight into `events`, streamed in batches so
//! ten million events never sit in memory together.

use super::generate::Generator;
use crate::ingest::copy::{COPY_EVENTS, encode_events};
use crate::ingest::normalize::{IngestContext, IngestPolicy, normalize};
use chrono::Utc;
use sqlx::PgPool;
use std::time::{Duration, Instant};

/// Events per COPY transaction.
const BATCH: usize = 20_000;

/// Writes `events` generated events (`seed`) spread over the last `days` days
/// into `events`; calls `progress` with the count written after each batch.
/// Returns the count and the time taken.
pub async fn run(
    pool: &PgPool,
    events: u64,
    days: u32,
    seed: u64,
    progress: impl Fn(u64) + Send + 'static,
) -> anyhow::Result<(u64, Duration)> {
    let end = Utc::now();
    let span = chrono::Duration::days(i64::from(days.max(1)));
    let mut day = (end - span).date_naive();
    while day <= end.date_naive() {
        crate::ingest::repo::ensure_partition(pool, day).await?;
        day = day + chrono::Days::new(1);
    }
    let ctx = IngestContext {
        geo: None,
        source_id: None,
        source_kind: app::ingest::SourceKind::Listener,
        source_name: "bench-load".into(),
        received_at: end,
    };
    let (batches, mut receiver) = tokio::sync::mpsc::channel::<(Vec<u8>, usize)>(4);
    let started = Instant::now();
    let producer = tokio::task::spawn_blocking(move || {
        let mut generator = Generator::new(seed, events, end, span);
        loop {
            let rows: Vec<_> = generator
                .by_ref()
                .take(BATCH)
                .filter_map(|document| normalize(document, &ctx, IngestPolicy::default()).ok())
                .collect();
            if rows.is_empty()
                || batches
                    .blocking_send((encode_events(&rows), rows.len()))
                    .is_err()
            {
                return;
            }
        }
    });
    let mut written = 0u64;
    // One writer is enough: generation and normalisation are the slower half.
    while let Some((bytes, count)) = receiver.recv().await {
        crate::ingest::repo::copy_events(pool, COPY_EVENTS, &bytes).await?;
        written += count as u64;
        progress(written);
    }
    producer.await?;
    Ok((written, started.elapsed()))
}
