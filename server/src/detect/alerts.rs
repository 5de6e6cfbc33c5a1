//! Alerts: listing, reading and triaging what rules raised.
//!
//! The engine writes alerts; people change only their triage fields
//! (status, resolution, assignee) and add comments. Every change is kept
//! as the alert's activity and in the audit log.

use crate::audit::{AuditRecord, repo as audit_repo};
use crate::auth::Principal;
use crate::auth::access::context_from_parts;
use crate::error::{ApiError, AppJson, AppPath, AppQuery};
use crate::state::AppState;
use app::alerts::{
    Alert, AlertActivity, AlertBulkResult, AlertBulkUpdate, AlertDetail, AlertEvent, AlertPage,
    AlertQuery, AlertStatus, AlertUpdate, AlertUser, BrokenRule, DetectionStatus, Resolution,
};
use app::rules::Severity;
use axum::extract::State;
use axum::http::request::Parts;
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use uuid::Uuid;

/// Events of an alert returned with their documents.
const EVENT_DOCUMENTS: usize = 100;

/// An alert row as selected.
struct Row {
    id: Uuid,
    rule_id: Uuid,
    rule_version: i32,
    rule_slug: String,
    rule_name: String,
    severity: String,
    tactics: Vec<String>,
    techniques: Vec<String>,
    summary: String,
    group_values: serde_json::Value,
    window_start: DateTime<Utc>,
    window_end: DateTime<Utc>,
    event_count: i32,
    created_at: DateTime<Utc>,
    status: String,
    resolution: Option<String>,
    assignee_id: Option<Uuid>,
    assignee_name: Option<String>,
    updated_at: DateTime<Utc>,
}

impl Row {
    fn into_alert(self) -> Result<Alert, ApiError> {
        let stored = |what: &str, value: &str| {
            ApiError::internal(anyhow::anyhow!(
                "stored alert {} has {what} {value:?}",
                self.id
            ))
        };
        let group: BTreeMap<String, String> = serde_json::from_value(self.group_values.clone())
            .map_err(|_| stored("group", &self.group_values.to_string()))?;
        Ok(Alert {
            severity: Severity::parse(&self.severity)
                .ok_or_else(|| stored("severity", &self.severity))?,
            status: AlertStatus::parse(&self.status)
                .ok_or_else(|| stored("status", &self.status))?,
            resolution: match &self.resolution {
                Some(text) => {
                    Some(Resolution::parse(text).ok_or_else(|| stored("resolution", text))?)
                }
                None => None,
            },
            assignee: self
                .assignee_id
                .zip(self.assignee_name.clone())
                .map(|(id, username)| AlertUser { id, username }),
            id: self.id,
            rule_id: self.rule_id,
            rule_version: self.rule_version,
            rule_slug: self.rule_slug,
            rule_name: self.rule_name,
            tactics: self.tactics,
            techniques: self.techniques,
            summary: self.summary,
            group,
            window_start: self.window_start,
            window_end: self.window_end,
            event_count: self.event_count,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

/// A comma-separated list of names, each checked by `parse`.
fn names<T>(
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

/// `GET /api/v1/alerts`: a page of alerts, newest first, filtered.
pub async fn list(
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
    let rows = sqlx::query_as!(
        Row,
        r#"SELECT a.id, a.rule_id, a.rule_version, a.rule_slug, a.rule_name, a.severity,
                  a.tactics, a.techniques, a.summary, a.group_values, a.window_start,
                  a.window_end, a.event_count, a.created_at, a.status, a.resolution,
                  a.assignee_id, u.username AS "assignee_name?", a.updated_at
           FROM alerts a LEFT JOIN users u ON u.id = a.assignee_id
           WHERE ($1::text[] IS NULL OR a.status = ANY($1))
             AND ($2::text[] IS NULL OR a.severity = ANY($2))
             AND ($3::text IS NULL OR a.rule_slug = $3)
             AND ($4::timestamptz IS NULL OR a.created_at >= $4)
             AND ($5::timestamptz IS NULL OR a.created_at < $5)
             AND ($6::text IS NULL OR EXISTS (
                   SELECT 1 FROM jsonb_each_text(a.group_values) g
                   WHERE g.value = $6 AND ($7::text IS NULL OR g.key = $7)))
             AND ($8::text IS NULL OR ($8 = 'none' AND a.assignee_id IS NULL) OR u.username = $8)
             AND ($9::uuid IS NULL OR a.id < $9)
           ORDER BY a.id DESC
           LIMIT $10"#,
        statuses.as_deref(),
        severities.as_deref(),
        query.rule,
        query.from,
        query.to,
        query.group,
        query.group_field,
        query.assignee,
        query.before,
        limit,
    )
    .fetch_all(&state.pool)
    .await?;
    let alerts = rows
        .into_iter()
        .map(Row::into_alert)
        .collect::<Result<Vec<_>, _>>()?;
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

async fn one(executor: impl sqlx::PgExecutor<'_>, id: Uuid) -> Result<Alert, ApiError> {
    sqlx::query_as!(
        Row,
        r#"SELECT a.id, a.rule_id, a.rule_version, a.rule_slug, a.rule_name, a.severity,
                  a.tactics, a.techniques, a.summary, a.group_values, a.window_start,
                  a.window_end, a.event_count, a.created_at, a.status, a.resolution,
                  a.assignee_id, u.username AS "assignee_name?", a.updated_at
           FROM alerts a LEFT JOIN users u ON u.id = a.assignee_id
           WHERE a.id = $1"#,
        id
    )
    .fetch_optional(executor)
    .await?
    .ok_or_else(|| ApiError::not_found("no alert with this id"))?
    .into_alert()
}

/// `GET /api/v1/alerts/{id}`: the alert with its events and activity.
pub async fn get(
    State(state): State<AppState>,
    AppPath(id): AppPath<Uuid>,
) -> Result<AppJson<AlertDetail>, ApiError> {
    let alert = one(&state.pool, id).await?;
    let contributing = sqlx::query!(
        "SELECT event_ids, event_times FROM alerts WHERE id = $1",
        id
    )
    .fetch_one(&state.pool)
    .await?;
    let shown = contributing.event_ids.len().min(EVENT_DOCUMENTS);
    let ids = &contributing.event_ids[..shown];
    let times = &contributing.event_times[..shown.min(contributing.event_times.len())];
    // The times let Postgres read only the partitions holding the events.
    let documents: std::collections::HashMap<Uuid, serde_json::Value> = sqlx::query!(
        r#"SELECT id, payload AS "payload!" FROM events
           WHERE ts = ANY($1) AND id = ANY($2)"#,
        times,
        ids
    )
    .fetch_all(&state.pool)
    .await?
    .into_iter()
    .map(|row| (row.id, row.payload))
    .collect();
    let events = contributing
        .event_ids
        .iter()
        .zip(&contributing.event_times)
        .map(|(id, timestamp)| AlertEvent {
            id: *id,
            timestamp: *timestamp,
            document: documents.get(id).cloned(),
        })
        .collect();
    let activity = sqlx::query_as!(
        AlertActivity,
        "SELECT at, actor, kind, detail FROM alert_activity WHERE alert_id = $1 ORDER BY id",
        id
    )
    .fetch_all(&state.pool)
    .await?;
    Ok(AppJson(AlertDetail {
        alert,
        events,
        activity,
    }))
}

/// `PATCH /api/v1/alerts/{id}`: status (with resolution when closing),
/// assignee, comment — together or alone.
#[tracing::instrument(skip_all)]
pub async fn update(
    State(state): State<AppState>,
    parts: Parts,
    principal: Principal,
    AppPath(id): AppPath<Uuid>,
    AppJson(update): AppJson<AlertUpdate>,
) -> Result<AppJson<Alert>, ApiError> {
    checked(&update)?;
    let ctx = context_from_parts(&parts.headers, &parts.extensions);
    let mut tx = state.pool.begin().await?;
    let assignee = assignee_id(&mut tx, &update).await?;
    let changes = apply(&mut tx, id, &update, assignee, &principal)
        .await?
        .ok_or_else(|| ApiError::not_found("no alert with this id"))?;
    let record = AuditRecord::by(&principal, "alert.update", &ctx)
        .target(id.to_string())
        .details(changes);
    audit_repo::insert_audit_record(&mut *tx, &record).await?;
    let alert = one(&mut *tx, id).await?;
    tx.commit().await?;
    Ok(AppJson(alert))
}

/// `PATCH /api/v1/alerts`: the same change to many alerts at once (the
/// alert list's bulk actions), in one transaction, audited once.
#[tracing::instrument(skip_all)]
pub async fn update_many(
    State(state): State<AppState>,
    parts: Parts,
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
    let ctx = context_from_parts(&parts.headers, &parts.extensions);
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
            "alerts": updated.iter().map(Uuid::to_string).collect::<Vec<_>>(),
            "changes": changes,
        }));
    audit_repo::insert_audit_record(&mut *tx, &record).await?;
    tx.commit().await?;
    Ok(AppJson(AlertBulkResult {
        updated: updated.len(),
        missing,
    }))
}

/// Refuses an update with its first mistake.
fn checked(update: &AlertUpdate) -> Result<(), ApiError> {
    match update.problems().into_iter().next() {
        Some((field, message)) => Err(ApiError::validation(field, message)),
        None => Ok(()),
    }
}

/// The most alerts one bulk update changes.
const MAX_BULK: usize = 1_000;

/// The id of the user an update assigns to (`Some(None)`: unassign).
async fn assignee_id(
    tx: &mut sqlx::PgConnection,
    update: &AlertUpdate,
) -> Result<Option<Option<Uuid>>, ApiError> {
    match &update.assignee {
        None => Ok(None),
        Some(None) => Ok(Some(None)),
        Some(Some(username)) => sqlx::query_scalar!(
            "SELECT id FROM users WHERE username = $1 AND NOT disabled",
            username.to_lowercase()
        )
        .fetch_optional(&mut *tx)
        .await?
        .map(|id| Some(Some(id)))
        .ok_or_else(|| ApiError::validation("assignee", format!("no active user {username:?}"))),
    }
}

/// Applies `update` to alert `id`, keeping each change in its activity;
/// returns what changed (for the audit log), or None when there is no such
/// alert.
async fn apply(
    tx: &mut sqlx::PgConnection,
    id: Uuid,
    update: &AlertUpdate,
    assignee: Option<Option<Uuid>>,
    principal: &Principal,
) -> Result<Option<serde_json::Value>, ApiError> {
    let actor = principal.name().to_owned();
    let actor_id = principal.user_id();
    let Some(current) = sqlx::query!("SELECT status FROM alerts WHERE id = $1 FOR UPDATE", id)
        .fetch_optional(&mut *tx)
        .await?
    else {
        return Ok(None);
    };
    let mut changes = serde_json::Map::new();
    if let Some(status) = update.status {
        let resolution = update.resolution.map(Resolution::as_str);
        sqlx::query!(
            "UPDATE alerts SET status = $2, resolution = $3, updated_at = clock_timestamp(),
                 updated_by = $4 WHERE id = $1",
            id,
            status.as_str(),
            resolution,
            actor_id
        )
        .execute(&mut *tx)
        .await?;
        let detail = serde_json::json!({
            "status": status,
            "resolution": update.resolution,
            "previous": current.status,
        });
        activity(&mut *tx, id, actor_id, &actor, "status", &detail).await?;
        changes.insert("status".to_owned(), detail);
    }
    if let (Some(assignee), Some(name)) = (assignee, &update.assignee) {
        sqlx::query!(
            "UPDATE alerts SET assignee_id = $2, updated_at = clock_timestamp(), updated_by = $3
             WHERE id = $1",
            id,
            assignee,
            actor_id
        )
        .execute(&mut *tx)
        .await?;
        let detail = serde_json::json!({ "assignee": name.as_ref().map(|a| a.to_lowercase()) });
        activity(&mut *tx, id, actor_id, &actor, "assignee", &detail).await?;
        changes.insert("assignee".to_owned(), detail);
    }
    if let Some(comment) = &update.comment {
        let detail = serde_json::json!({ "text": comment });
        activity(&mut *tx, id, actor_id, &actor, "comment", &detail).await?;
        sqlx::query!(
            "UPDATE alerts SET updated_at = clock_timestamp(), updated_by = $2 WHERE id = $1",
            id,
            actor_id
        )
        .execute(&mut *tx)
        .await?;
        // The audit log says a comment was made, not what it says.
        changes.insert("comment".to_owned(), serde_json::json!(true));
    }
    Ok(Some(serde_json::Value::Object(changes)))
}

async fn activity(
    tx: &mut sqlx::PgConnection,
    alert: Uuid,
    actor_id: Option<Uuid>,
    actor: &str,
    kind: &str,
    detail: &serde_json::Value,
) -> Result<(), ApiError> {
    sqlx::query!(
        "INSERT INTO alert_activity (alert_id, actor_id, actor, kind, detail)
         VALUES ($1, $2, $3, $4, $5)",
        alert,
        actor_id,
        actor,
        kind,
        detail
    )
    .execute(tx)
    .await?;
    Ok(())
}

/// `GET /api/v1/detection/status`: the engine's leader, lag and broken
/// rules (compiled here, once per rule version, so any instance answers
/// the same).
pub async fn status(State(state): State<AppState>) -> Result<AppJson<DetectionStatus>, ApiError> {
    let cursor =
        sqlx::query!("SELECT leader, updated_at, watermark FROM detection_cursor WHERE id = 1")
            .fetch_optional(&state.pool)
            .await?;
    let watermark = cursor.as_ref().map_or(0, |c| c.watermark);
    let pending = sqlx::query!(
        r#"SELECT coalesce(sum(events), 0)::bigint AS "events!",
                  extract(epoch FROM now() - min(written_at))::float8 AS "lag"
           FROM event_batches WHERE tx >= $1"#,
        watermark
    )
    .fetch_one(&state.pool)
    .await?;
    let rules = sqlx::query!(
        "SELECT id, slug, version, definition FROM rules WHERE deleted_at IS NULL AND enabled"
    )
    .fetch_all(&state.pool)
    .await?;
    let rules_enabled = rules.len() as i64;
    let engine = Arc::clone(&state.detection);
    let broken = tokio::task::spawn_blocking(move || {
        let mut known = engine.compiled.lock().unwrap_or_else(|p| p.into_inner());
        let mut current = std::collections::HashMap::with_capacity(rules.len());
        let mut broken = Vec::new();
        for row in rules {
            let key = (row.id, row.version);
            let error = known.remove(&key).unwrap_or_else(|| {
                match serde_json::from_value::<app::rules::RuleDefinition>(row.definition) {
                    Ok(definition) => {
                        super::eval::Evaluator::new(&definition, &Default::default(), Utc::now())
                            .err()
                            .map(|e| e.to_string())
                    }
                    Err(error) => Some(format!("stored definition unreadable: {error}")),
                }
            });
            if let Some(error) = &error {
                broken.push(BrokenRule {
                    rule_id: row.id,
                    slug: row.slug,
                    error: error.clone(),
                });
            }
            current.insert(key, error);
        }
        // Versions no longer enabled are forgotten.
        *known = current;
        broken
    })
    .await
    .map_err(ApiError::internal)?;
    let engine = &state.detection;
    let leads = engine.leading.load(Ordering::Relaxed);
    let mut broken: Vec<BrokenRule> = broken;
    let mut stopped = 0;
    if leads {
        let failed = engine.failed.lock().unwrap_or_else(|p| p.into_inner());
        stopped = failed.len() as u64;
        broken.extend(failed.iter().map(|(rule_id, slug, message)| BrokenRule {
            rule_id: *rule_id,
            slug: slug.clone(),
            error: format!("stopped after failing while evaluating: {message}"),
        }));
    }
    Ok(AppJson(DetectionStatus {
        rules_running: leads.then(|| engine.rules.load(Ordering::Relaxed).saturating_sub(stopped)),
        leader: cursor.as_ref().map(|c| c.leader.clone()),
        leader_seen_at: cursor.as_ref().map(|c| c.updated_at),
        this_instance_leads: leads,
        rules_enabled,
        broken,
        pending_events: pending.events,
        lag_secs: pending.lag.unwrap_or(0.0).max(0.0),
        events_evaluated: engine.events.load(Ordering::Relaxed),
        alerts_raised: engine.alerts.load(Ordering::Relaxed),
    }))
}
