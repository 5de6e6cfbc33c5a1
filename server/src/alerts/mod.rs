//! Alerts as people triage them: listing, reading, and changing only their
//! triage fields (status, resolution, assignee) and comments. The engine
//! writes alerts (`detect`); every change made here is kept as the alert's
//! activity and in the audit log.

pub mod handlers;
pub mod repo;

use crate::auth::Principal;
use crate::error::ApiError;
use app::alerts::{AlertUpdate, Resolution};
use app::ids::AlertId;
use sqlx::PgConnection;
use uuid::Uuid;

/// Events of an alert returned with their documents.
pub const EVENT_DOCUMENTS: usize = 100;

/// The most alerts one bulk update changes.
pub const MAX_BULK: usize = 1_000;

/// Returns a comma-separated list of names, each checked by `parse`.
pub fn names<T>(
    field: &str,
    text: Option<&str>,
    parse: impl Fn(&str) -> Option<T>,
) -> Result<Option<Vec<String>>, ApiError> {
    let Some(text) = text else {
        return Ok(None);
    };
    let mut out = Vec::new();
    for name in text.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        if parse(name).is_none() {
            return Err(ApiError::validation(
                field,
                format!("unknown {field} {name:?}"),
            ));
        }
        out.push(name.to_owned());
    }
    Ok(Some(out))
}

/// Refuses an update with its first mistake.
pub fn checked(update: &AlertUpdate) -> Result<(), ApiError> {
    match update.problems().into_iter().next() {
        Some((field, message)) => Err(ApiError::validation(field, message)),
        None => Ok(()),
    }
}

/// Returns the id of the user an update assigns to (`Some(None)`: unassign).
pub async fn assignee_id(
    tx: &mut PgConnection,
    update: &AlertUpdate,
) -> Result<Option<Option<Uuid>>, ApiError> {
    match &update.assignee {
        None => Ok(None),
        Some(None) => Ok(Some(None)),
        Some(Some(username)) => repo::fetch_active_user_id(&mut *tx, &username.to_lowercase())
            .await?
            .map(|id| Some(Some(id)))
            .ok_or_else(|| {
                ApiError::validation("assignee", format!("no active user {username:?}"))
            }),
    }
}

/// Applies `update` to alert `id`, keeping each change in its activity;
/// returns what changed (for the audit log), or None when there is no such
/// alert.
pub async fn apply(
    tx: &mut PgConnection,
    id: AlertId,
    update: &AlertUpdate,
    assignee: Option<Option<Uuid>>,
    principal: &Principal,
) -> Result<Option<serde_json::Value>, ApiError> {
    let actor = principal.name().to_owned();
    let actor_id = principal.user_id();
    let Some(previous) = repo::lock_alert_status(&mut *tx, id).await? else {
        return Ok(None);
    };
    let mut changes = serde_json::Map::new();
    if let Some(status) = update.status {
        let resolution = update.resolution.map(Resolution::as_str);
        repo::set_alert_status(&mut *tx, id, status.as_str(), resolution, actor_id).await?;
        let detail = serde_json::json!({
            "status": status,
            "resolution": update.resolution,
            "previous": previous,
        });
        repo::insert_alert_activity(&mut *tx, id, actor_id, &actor, "status", &detail).await?;
        changes.insert("status".to_owned(), detail);
    }
    if let (Some(assignee), Some(name)) = (assignee, &update.assignee) {
        repo::set_alert_assignee(&mut *tx, id, assignee, actor_id).await?;
        let detail = serde_json::json!({ "assignee": name.as_ref().map(|a| a.to_lowercase()) });
        repo::insert_alert_activity(&mut *tx, id, actor_id, &actor, "assignee", &detail).await?;
        changes.insert("assignee".to_owned(), detail);
    }
    if let Some(comment) = &update.comment {
        let detail = serde_json::json!({ "text": comment });
        repo::insert_alert_activity(&mut *tx, id, actor_id, &actor, "comment", &detail).await?;
        repo::touch_alert(&mut *tx, id, actor_id).await?;
        // The audit log says a comment was made, not what it says.
        changes.insert("comment".to_owned(), serde_json::json!(true));
    }
    Ok(Some(serde_json::Value::Object(changes)))
}
