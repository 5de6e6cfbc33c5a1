//! The hourly upkeep of the store: partitions created ahead, expired
//! idempotency keys, shipper document ids and event batches forgotten, and
//! retention applied. It spans ingest and retention, so it lives above both.
//! Sign-in throttling windows close every minute.

use crate::ingest::{ensure_upcoming_partitions, repo};
use sqlx::PgPool;
use std::time::Duration;

/// Closes sign-in throttling windows into their audit summaries every minute.
pub async fn run_login_upkeep(pool: PgPool, limits: crate::auth::throttle::Limits) {
    let mut ticker = tokio::time::interval(Duration::from_secs(60));
    loop {
        ticker.tick().await;
        match crate::auth::throttle::close_windows(&pool, &limits, chrono::Utc::now()).await {
            Ok(0) => {}
            Ok(written) => tracing::info!(written, "sign-in throttling windows summarised"),
            Err(error) => tracing::warn!(
                error = format!("{error:#}"),
                "closing sign-in throttling windows failed; the next run retries"
            ),
        }
    }
}

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
