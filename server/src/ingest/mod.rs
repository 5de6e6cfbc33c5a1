//! Ingest: accepting events over HTTP, normalising them, and storing them
//! durably in day-partitioned `events` through the group-commit writer.

pub mod compat;
pub mod copy;
pub mod elastic;
pub mod fields;
pub mod geoip;
pub mod handlers;
pub mod normalize;
pub mod parsers;
pub mod repo;
pub mod scan;
pub mod sources;
pub mod syslog;
pub mod timestamp;
pub mod writer;

pub use geoip::GeoIp;
pub use normalize::{Event, IngestContext, TimePolicy};
pub use sources::SourceTally;
pub use writer::{EventWriter, Idempotency, WriteError, WriterSettings, WriterTasks, Written};

use chrono::Utc;
use sqlx::PgPool;
use std::time::Duration;

/// Creates the partitions for today and the next two days, so ingest rarely
/// pays for DDL; the writer still creates any other day on demand.
pub async fn ensure_upcoming_partitions(pool: &PgPool) -> sqlx::Result<()> {
    let today = Utc::now().date_naive();
    for offset in 0..3 {
        let day = today + chrono::Days::new(offset);
        repo::ensure_partition(pool, day).await?;
    }
    Ok(())
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
