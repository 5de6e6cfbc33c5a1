//! `GET /metrics`: reads the state gauges, then renders every metric for Prometheus.

use crate::auth::Access;
use crate::error::ApiError;
use crate::http::route::Route;
use crate::metrics::*;
use crate::state::AppState;
use app::permissions::Permission;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use metrics::gauge;

/// The `/metrics` route.
pub fn routes() -> Vec<Route> {
    vec![Route::get(
        "/metrics",
        Access::Permission(Permission::ReadMetrics),
        scrape,
    )]
}

/// `GET /metrics`: the Prometheus text exposition.
pub async fn scrape(State(state): State<AppState>) -> Result<Response, ApiError> {
    let Some(handle) = install() else {
        return Err(ApiError::unavailable("metrics are off in this process"));
    };
    read_state(&state).await?;
    let body = handle.render();
    Ok((
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        body,
    )
        .into_response())
}

/// Sets the gauges that describe state, read now.
async fn read_state(state: &AppState) -> Result<(), ApiError> {
    let (events, bytes) = state.events.queued();
    gauge!(INGEST_QUEUE_EVENTS).set(events as f64);
    gauge!(INGEST_QUEUE_BYTES).set(bytes as f64);
    for (budget, in_use, max) in state.pools.usage() {
        gauge!(DB_CONNECTIONS, "budget" => budget, "state" => "in_use").set(f64::from(in_use));
        gauge!(DB_CONNECTIONS, "budget" => budget, "state" => "max").set(f64::from(max));
    }
    let records = crate::audit::repo::fetch_latest_seq(&state.pool).await?;
    gauge!(AUDIT_RECORDS).set(records.unwrap_or(0) as f64);
    let cursor = crate::detect::repo::fetch_cursor(&state.pool).await?;
    let watermark = cursor.map_or(0, |c| c.watermark);
    let pending = crate::detect::repo::fetch_pending(&state.pool, watermark).await?;
    gauge!(DETECTION_LAG_EVENTS).set(pending.events as f64);
    gauge!(DETECTION_LAG_SECONDS).set(pending.lag.unwrap_or(0.0));
    for (day, rows) in crate::system::repo::fetch_partition_rows(&state.pool).await? {
        gauge!(PARTITION_EVENTS, "day" => day).set(rows as f64);
    }
    if let Some(anchor) = state.audit_signer.anchor() {
        gauge!(AUDIT_CHECKPOINT_SEQ).set(anchor.seq as f64);
    }
    let engine = &state.detection;
    let leads = engine.leading.load(std::sync::atomic::Ordering::Relaxed);
    let running = if leads {
        engine.rules.load(std::sync::atomic::Ordering::Relaxed)
    } else {
        0
    };
    gauge!(RULES_RUNNING).set(running as f64);
    let stopped = engine.failed.lock().map(|f| f.len()).unwrap_or(0);
    let uncompiled = engine
        .compiled
        .lock()
        .map(|c| c.values().filter(|e| e.is_some()).count())
        .unwrap_or(0);
    gauge!(RULES_BROKEN).set((stopped + uncompiled) as f64);
    if let Ok(capped) = engine.capped.lock() {
        for (slug, evicted) in capped.values() {
            gauge!(RULE_STATE_EVICTIONS, "rule" => slug.clone()).set(*evicted as f64);
        }
    }
    Ok(())
}
