//! Per-source ingest statistics: counted in memory per request, added to the
//! database every few seconds, so a busy shipper costs no extra commit per request.

use super::normalize::IngestContext;
use super::repo::{self, SourceDelta};
use app::ingest::SourceKind;
use chrono::{DateTime, Utc};
use sqlx::PgPool;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use uuid::Uuid;

/// Returns the shared tally; cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct SourceTally {
    pending: Arc<Mutex<HashMap<Uuid, SourceDelta>>>,
}

impl SourceTally {
    /// Adds the outcome of events from the source `ctx` names (if any).
    pub fn record_outcome(
        &self,
        ctx: &IngestContext,
        accepted: usize,
        rejected: usize,
        newest: Option<DateTime<Utc>>,
    ) {
        if let Some(source) = ctx.source_id {
            self.record(
                source,
                ctx.source_kind,
                &ctx.source_name,
                accepted,
                rejected,
                newest,
            );
        }
    }

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
        crate::metrics::count_ingest(kind, accepted, rejected);
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
