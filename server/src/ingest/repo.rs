//! SQL for event storage: partitions and the COPY itself.

use chrono::NaiveDate;
use sqlx::{PgExecutor, PgPool};

/// Creates the day partition for `day` unless it exists; returns whether it was created.
pub async fn ensure_partition(db: impl PgExecutor<'_>, day: NaiveDate) -> sqlx::Result<bool> {
    let created = sqlx::query_scalar!(
        r#"SELECT vigil_ensure_event_partition($1) AS "created!""#,
        day
    )
    .fetch_one(db)
    .await?;
    if created {
        tracing::info!(%day, "created events partition");
    }
    Ok(created)
}

/// Writes an encoded binary COPY stream in one transaction.
pub async fn copy_events(
    pool: &PgPool,
    statement: &'static str,
    encoded: &[u8],
) -> sqlx::Result<()> {
    let mut tx = pool.begin().await?;
    let mut copy = tx.copy_in_raw(statement).await?;
    // Chunks keep each protocol message moderate for very large batches.
    for chunk in encoded.chunks(1 << 20) {
        if let Err(error) = copy.send(chunk).await {
            let _ = copy.abort("sending copy data failed").await;
            return Err(error);
        }
    }
    copy.finish().await?;
    tx.commit().await
}

/// Returns whether `error` is "no partition of relation events found for row".
pub fn is_missing_partition(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::Database(db) => {
            db.code().as_deref() == Some("23514") && db.message().contains("no partition")
        }
        _ => false,
    }
}

/// Returns how many events are stored; used by tests and the status page.
pub async fn count_events(db: impl PgExecutor<'_>) -> sqlx::Result<i64> {
    sqlx::query_scalar!(r#"SELECT count(*) AS "count!" FROM events"#)
        .fetch_one(db)
        .await
}
