//! Ingest: accepting events over HTTP, normalising them, and storing them
//! durably in day-partitioned `events` through the group-commit writer.

pub mod compat;
pub mod copy;
pub mod elastic;
pub mod handlers;
pub mod normalize;
pub mod parsers;
pub mod repo;
pub mod sources;
pub mod syslog;
pub mod timestamp;
pub mod writer;

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

/// Drops the day partitions entirely older than `retention_days` and records
/// each drop in the audit log. A day is dropped once all of it is past retention.
pub async fn apply_retention(
    pool: &PgPool,
    retention_days: u32,
) -> anyhow::Result<Vec<repo::DroppedPartition>> {
    let cutoff = Utc::now().date_naive() - chrono::Days::new(u64::from(retention_days));
    let mut tx = pool.begin().await?;
    let dropped = repo::drop_partitions_before(&mut *tx, cutoff).await?;
    for partition in &dropped {
        let record = crate::audit::AuditRecord::system("retention.drop_partition")
            .target(partition.partition_name.clone())
            .details(serde_json::json!({
                "day": partition.day,
                "estimated_rows": partition.estimated_rows,
                "retention_days": retention_days,
            }));
        crate::audit::repo::insert_audit_record(&mut *tx, &record).await?;
    }
    tx.commit().await?;
    for partition in &dropped {
        tracing::info!(partition = %partition.partition_name, rows = partition.estimated_rows, "retention dropped an events partition");
    }
    Ok(dropped)
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
        if let Err(error) = apply_retention(&pool, retention_days).await {
            tracing::error!(
                error = format!("{error:#}"),
                "applying retention failed; old partitions are kept until the next run"
            );
        }
    }
}
