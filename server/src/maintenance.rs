//! The hourly upkeep of the store: partitions created ahead, expired
//! idempotency keys, shipper document ids and event batches forgotten, and
//! retention applied. It spans ingest and retention, so it lives above both.

use crate::ingest::{ensure_upcoming_partitions, repo};
use sqlx::PgPool;
use std::time::Duration;

/// Runs partition upkeep and retention every hour (and at once) until aborted.
pub async fn run_maintenance(pool: PgPool, retention_days: u32) {
    let mut ticker = tokio::time::interval(Duration::from_secs(3600));
    loop {
        ticker.tick().await;
        if let Err(error) = ensure_upcoming_partitions(&pool).await {
            tracing::warn!(%error, "creating upcoming event partitions failed; ingest will create them on demand");
        }
        if let Err(error) = repo::delete_expired_idempotency_keys(&pool, 24).await {
            tracing::warn!(%error, "forgetting expired idempotency keys failed");
        }
        if let Err(error) = repo::delete_expired_document_ids(&pool, 7).await {
            tracing::warn!(%error, "forgetting expired shipper document ids failed");
        }
        if let Err(error) = repo::delete_old_batches(&pool, 7).await {
            tracing::warn!(%error, "forgetting old event batches failed");
        }
        if let Err(error) = crate::retention::apply(&pool, retention_days).await {
            tracing::error!(
                error = format!("{error:#}"),
                "applying retention failed; old partitions are kept until the next run"
            );
        }
    }
}
