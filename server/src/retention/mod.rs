//! Retention: dropping whole days past every policy, and deleting the events
//! of a kept day whose own policy (or the default) has expired.
//!
//! Policies match on source and/or category; an event is kept for the longest
//! retention of the policies it matches, or the default when none matches
//! (see `app::retention`). A day partition is dropped (constant time, no
//! bloat) once the longest retention has passed for all of it. Finer rules
//! cannot drop a partition, so for a day that some events must still outlive,
//! the maintenance task deletes exactly the rows that are past their own
//! retention. That costs a DELETE and later vacuum work, once per day and
//! policy boundary; with no policies, retention stays pure partition drops.

pub mod handlers;
pub mod repo;

use crate::audit::{AuditRecord, repo as audit_repo};
use app::retention::{DeletedEvents, RetentionRun};
use chrono::{NaiveDate, Utc};
use sqlx::PgPool;

/// Applies the default and every policy as of today; audits what it removed.
pub async fn apply(pool: &PgPool, default_days: u32) -> anyhow::Result<RetentionRun> {
    apply_as_of(pool, default_days, Utc::now().date_naive()).await
}

/// Applies retention as if today were `today` (tests move the clock this way).
pub async fn apply_as_of(
    pool: &PgPool,
    default_days: u32,
    today: NaiveDate,
) -> anyhow::Result<RetentionRun> {
    let policy_days = repo::fetch_policy_days(pool).await?;
    let longest = policy_days.iter().copied().fold(default_days, u32::max);
    let shortest = policy_days.iter().copied().fold(default_days, u32::min);

    // Whole days first: past the longest retention, nothing in them is kept.
    let cutoff = today - chrono::Days::new(u64::from(longest));
    // One day at a time, each detached concurrently (never stopping ingest
    // or search, see the repo), then recorded.
    let expired = repo::fetch_partitions_before(pool, cutoff).await?;
    let mut dropped = Vec::with_capacity(expired.len());
    for partition in expired {
        repo::detach_and_drop_partition(pool, partition.day).await?;
        let record = AuditRecord::system("retention.drop_partition")
            .target(partition.partition_name.clone())
            .details(serde_json::json!({
                "day": partition.day,
                "estimated_rows": partition.estimated_rows,
                "retention_days": longest,
            }));
        audit_repo::insert_audit_record(pool, &record).await?;
        tracing::info!(partition = %partition.partition_name, rows = partition.estimated_rows, "retention dropped an events partition");
        dropped.push(partition);
    }

    // Then the days some events outlive: delete the rest, a day at a time.
    let mut deleted = Vec::new();
    for day in repo::fetch_partition_days(pool).await? {
        let age = (today - day).num_days();
        let Ok(age) = u32::try_from(age) else {
            continue;
        };
        if age <= shortest {
            continue;
        }
        let default_expired = default_days < age;
        let mut tx = pool.begin().await?;
        let events = repo::delete_expired_events(&mut *tx, day, age, default_expired).await?;
        if events > 0 {
            let record = AuditRecord::system("retention.delete_events")
                .target(format!("events_p{}", day.format("%Y%m%d")))
                .details(serde_json::json!({
                    "day": day,
                    "deleted": events,
                    "age_days": age,
                    "default_days": default_days,
                }));
            audit_repo::insert_audit_record(&mut *tx, &record).await?;
        }
        tx.commit().await?;
        if events > 0 {
            tracing::info!(%day, events, "retention deleted expired events from a kept day");
            deleted.push(DeletedEvents { day, events });
        }
    }
    Ok(RetentionRun {
        dropped_days: dropped.iter().map(|p| p.day).collect(),
        deleted,
    })
}
