//! Demo data for a first look: realistic events of the last 24 hours, stored
//! through the normal pipeline and tagged `demo`, only into an empty store.

use super::generate::Generator;
use crate::ingest::{IngestContext, normalize::normalize};
use crate::state::AppState;
use app::ingest::SourceKind;
use chrono::Utc;
use uuid::Uuid;

/// The fixed source id of demo data, so it shows as one source.
pub const DEMO_SOURCE: Uuid = Uuid::from_u128(0x5669_6769_6c00_4000_8000_0000_0000_d3e0);

/// Loads `count` demo events if no event is stored yet; returns how many were loaded.
pub async fn load_if_empty(state: &AppState, count: u64) -> anyhow::Result<u64> {
    if super::repo::any_event_stored(&state.pool).await? {
        return Ok(0);
    }
    let ctx = IngestContext {
        geo: state.geo.clone(),
        source_id: Some(DEMO_SOURCE),
        source_kind: SourceKind::Listener,
        source_name: "demo data".into(),
        received_at: Utc::now(),
    };
    let policy = state.ingest_policy;
    let mut generator = Generator::new(42, count, Utc::now(), chrono::Duration::hours(24));
    let mut loaded = 0u64;
    loop {
        let batch: Vec<serde_json::Value> = generator.by_ref().take(5_000).collect();
        if batch.is_empty() {
            break;
        }
        let batch_ctx = ctx.clone();
        let events = tokio::task::spawn_blocking(move || {
            batch
                .into_iter()
                .filter_map(|mut document| {
                    if let Some(object) = document.as_object_mut() {
                        object.insert("tags".into(), serde_json::json!(["demo"]));
                    }
                    normalize(document, &batch_ctx, policy).ok()
                })
                .collect::<Vec<_>>()
        })
        .await?;
        let (stored, newest) = (events.len(), events.iter().map(|e| e.ts).max());
        state.events.write_waiting(events).await?;
        state.sources.record_outcome(&ctx, stored, 0, newest);
        loaded += stored as u64;
    }
    Ok(loaded)
}
