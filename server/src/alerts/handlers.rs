//! HTTP handlers for alerts: list, read, triage one or many.

use super::{EVENT_DOCUMENTS, MAX_BULK, apply, assignee_id, checked, names, repo};
use crate::audit::{AuditRecord, RequestContext, repo as audit_repo};
use crate::auth::Access;
use crate::auth::Principal;
use crate::error::{ApiError, AppJson, AppPath, AppQuery};
use crate::http::route::Route;
use crate::state::AppState;
use app::alerts::{
    Alert, AlertBulkResult, AlertBulkUpdate, AlertDetail, AlertEvent, AlertPage, AlertQuery,
    AlertStatus, AlertUpdate,
};
use app::ids::AlertId;
use app::permissions::Permission::{TriageAlerts, ViewAlerts};
use app::rules::Severity;
use axum::extract::State;

/// The alert routes.
pub fn routes() -> Vec<Route> {
    vec![
        Route::get(
            "/api/v1/alerts",
            Access::Permission(ViewAlerts),
            list_alerts,
        ),
        Route::patch(
            "/api/v1/alerts",
            Access::Permission(TriageAlerts),
            update_alerts,
        ),
        Route::get(
            "/api/v1/alerts/{id}",
            Access::Permission(ViewAlerts),
            get_alert,
        ),
        Route::patch(
            "/api/v1/alerts/{id}",
            Access::Permission(TriageAlerts),
            update_alert,
        ),
    ]
}

/// `GET /api/v1/alerts`: a page of alerts, newest first, filtered.
pub async fn list_alerts(
    State(state): State<AppState>,
    AppQuery(query): AppQuery<AlertQuery>,
) -> Result<AppJson<AlertPage>, ApiError> {
    let limit = query.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::validation(
            "limit",
            "limit must be between 1 and 1000",
        ));
    }
    let statuses = names("status", query.status.as_deref(), AlertStatus::parse)?;
    let severities = names("severity", query.severity.as_deref(), Severity::parse)?;
    if query.group_field.is_some() && query.group.is_none() {
        return Err(ApiError::validation(
            "group_field",
            "group_field needs a group value",
        ));
    }
    let alerts = repo::fetch_alerts(
        &state.pool,
        &query,
        statuses.as_deref(),
        severities.as_deref(),
        limit,
    )
    .await?;
    let next_before = if alerts.len() as i64 == limit {
        alerts.last().map(|a| a.id)
    } else {
        None
    };
    Ok(AppJson(AlertPage {
        alerts,
        next_before,
    }))
}

fn no_alert() -> ApiError {
    ApiError::not_found("no alert with this id")
}

/// `GET /api/v1/alerts/{id}`: the alert with its events and activity. The
/// events' documents are raw event data: only for those who may search
/// events (others get their ids and times), and audited like a search.
pub async fn get_alert(
    State(state): State<AppState>,
    ctx: RequestContext,
    principal: Principal,
    AppPath(id): AppPath<AlertId>,
) -> Result<AppJson<AlertDetail>, ApiError> {
    let alert = repo::fetch_alert_by_id(&state.pool, id)
        .await?
        .ok_or_else(no_alert)?;
    let (event_ids, event_times) = repo::fetch_alert_event_ids(&state.pool, id).await?;
    let shown = if principal.has(app::permissions::Permission::SearchEvents) {
        event_ids.len().min(EVENT_DOCUMENTS)
    } else {
        0
    };
    let documents = if shown > 0 {
        let documents = repo::fetch_event_documents(
            &state.pool,
            &event_times[..shown.min(event_times.len())],
            &event_ids[..shown],
        )
        .await?;
        let record = AuditRecord::by(&principal, "alert.events.view", &ctx)
            .target(id.to_string())
            .details(serde_json::json!({ "events": documents.len() }));
        audit_repo::insert_audit_record(&state.pool, &record).await?;
        documents
    } else {
        Default::default()
    };
    let events = event_ids
        .iter()
        .zip(&event_times)
        .map(|(id, timestamp)| AlertEvent {
            id: *id,
            timestamp: *timestamp,
            document: documents.get(id).cloned(),
        })
        .collect();
    let activity = repo::fetch_alert_activity(&state.pool, id).await?;
    Ok(AppJson(AlertDetail {
        alert,
        events,
        activity,
    }))
}

/// `PATCH /api/v1/alerts/{id}`: status (with resolution when closing),
/// assignee, comment — together or alone.
#[tracing::instrument(skip_all)]
pub async fn update_alert(
    State(state): State<AppState>,
    ctx: RequestContext,
    principal: Principal,
    AppPath(id): AppPath<AlertId>,
    AppJson(update): AppJson<AlertUpdate>,
) -> Result<AppJson<Alert>, ApiError> {
    checked(&update)?;
    let mut tx = state.pool.begin().await?;
    let assignee = assignee_id(&mut tx, &update).await?;
    let changes = apply(&mut tx, id, &update, assignee, &principal)
        .await?
        .ok_or_else(no_alert)?;
    let record = AuditRecord::by(&principal, "alert.update", &ctx)
        .target(id.to_string())
        .details(changes);
    audit_repo::insert_audit_record(&mut *tx, &record).await?;
    let alert = repo::fetch_alert_by_id(&mut *tx, id)
        .await?
        .ok_or_else(no_alert)?;
    tx.commit().await?;
    Ok(AppJson(alert))
}

/// `PATCH /api/v1/alerts`: the same change to many alerts at once (the
/// alert list's bulk actions), in one transaction, audited once.
#[tracing::instrument(skip_all)]
pub async fn update_alerts(
    State(state): State<AppState>,
    ctx: RequestContext,
    principal: Principal,
    AppJson(request): AppJson<AlertBulkUpdate>,
) -> Result<AppJson<AlertBulkResult>, ApiError> {
    if request.ids.is_empty() || request.ids.len() > MAX_BULK {
        return Err(ApiError::validation(
            "ids",
            format!("between 1 and {MAX_BULK} alert ids"),
        ));
    }
    let update = request.update();
    checked(&update)?;
    let mut tx = state.pool.begin().await?;
    let assignee = assignee_id(&mut tx, &update).await?;
    let mut ids = request.ids.clone();
    ids.sort_unstable();
    ids.dedup();
    let (mut updated, mut missing) = (Vec::new(), Vec::new());
    let mut changes = serde_json::Value::Null;
    // In id order, so that concurrent bulk updates lock alike and never deadlock.
    for id in ids {
        match apply(&mut tx, id, &update, assignee, &principal).await? {
            Some(applied) => {
                changes = applied;
                updated.push(id);
            }
            None => missing.push(id),
        }
    }
    let record =
        AuditRecord::by(&principal, "alert.update_many", &ctx).details(serde_json::json!({
            "alerts": updated.iter().map(AlertId::to_string).collect::<Vec<_>>(),
            "changes": changes,
        }));
    audit_repo::insert_audit_record(&mut *tx, &record).await?;
    tx.commit().await?;
    Ok(AppJson(AlertBulkResult {
        updated: updated.len(),
        missing,
    }))
}
