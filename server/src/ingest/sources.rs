//! Per-source ingest statistics: counted in memory per request, added to the
//! database every few seconds, so a busy shipper costs no extra commit per request.

use super::repo;
use app::ingest::SourceKind;
use chrono::{DateTime, Utc};
use sqlx::PgPool;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use uuid::Uuid;

/// Returns counts for one source since the last flush.
#[derive(Debug, Clone)]
pub struct SourceDelta {
    /// What kind of source.
    pub kind: SourceKind,
    /// Its current name.
    pub name: String,
    /// Events stored.
    pub accepted: i64,
    /// Items refused.
    pub rejected: i64,
    /// The newest event time seen.
    pub last_event_at: Option<DateTime<Utc>>,
}

/// Returns the shared tally; cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct SourceTally {
    pending: Arc<Mutex<HashMap<Uuid, SourceDelta>>>,
}

impl SourceTally {
    /// Adds one request's outcome.
    pub fn record(
        &self,
        source: Uuid,
        kind: SourceKind,
        name: &str,
        accepted: usize,
        rejected: usize,
        last_event_at: Option<DateTime<Utc>>,
    ) {
        let mut pending = self
            .pending
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let delta = pending.entry(source).or_insert_with(|| SourceDelta {
            kind,
            name: name.to_owned(),
            accepted: 0,
            rejected: 0,
            last_event_at: None,
        });
        delta.accepted += accepted as i64;
        delta.rejected += rejected as i64;
        delta.last_event_at = delta.last_event_at.max(last_event_at);
    }

    /// Writes what was counted since the last flush; on failure keeps it for the next one.
    pub async fn flush(&self, pool: &PgPool) -> sqlx::Result<()> {
        let taken: HashMap<Uuid, SourceDelta> = {
            let mut pending = self
                .pending
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            std::mem::take(&mut *pending)
        };
        let mut failed: Option<sqlx::Error> = None;
        let mut unwritten = Vec::new();
        for (id, delta) in taken {
            if failed.is_some() {
                unwritten.push((id, delta));
                continue;
            }
            if let Err(error) = repo::add_source_counts(pool, id, &delta).await {
                failed = Some(error);
                unwritten.push((id, delta));
            }
        }
        if !unwritten.is_empty() {
            let mut pending = self
                .pending
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            for (id, delta) in unwritten {
                let current = pending.entry(id).or_insert_with(|| SourceDelta {
                    accepted: 0,
                    rejected: 0,
                    last_event_at: None,
                    ..delta.clone()
                });
                current.accepted += delta.accepted;
                current.rejected += delta.rejected;
                current.last_event_at = current.last_event_at.max(delta.last_event_at);
            }
        }
        failed.map_or(Ok(()), Err)
    }
}

/// Flushes the tally every `every` until the task is aborted.
pub async fn run_flusher(tally: SourceTally, pool: PgPool, every: Duration) {
    let mut ticker = tokio::time::interval(every);
    loop {
        ticker.tick().await;
        if let Err(error) = tally.flush(&pool).await {
            tracing::warn!(%error, "writing source statistics failed; retrying at the next flush");
        }
    }
}
