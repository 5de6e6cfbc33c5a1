//! SQL for alerts as people see and triage them (the engine's writes are in
//! `detect::repo`).

use anyhow::anyhow;
use app::alerts::{Alert, AlertActivity, AlertQuery, AlertStatus, AlertUser, Resolution};
use app::ids::{AlertId, RuleId, UserId};
use app::rules::Severity;
use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgExecutor};
use std::collections::{BTreeMap, HashMap};
use uuid::Uuid;

/// An alert row as selected.
struct AlertRow {
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

impl AlertRow {
    fn into_alert(self) -> anyhow::Result<Alert> {
        let id = self.id;
        let stored = |what: &str, value: &str| anyhow!("stored alert {id} has {what} {value:?}");
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
                .map(|(id, username)| AlertUser {
                    id: UserId(id),
                    username,
                }),
            id: AlertId(self.id),
            rule_id: RuleId(self.rule_id),
            rule_version: app::rules::RuleVersion(self.rule_version),
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

/// Returns a page of alerts matching `query` (status and severity names
/// already checked), newest first.
pub async fn fetch_alerts(
    db: impl PgExecutor<'_>,
    query: &AlertQuery,
    statuses: Option<&[String]>,
    severities: Option<&[String]>,
    limit: i64,
) -> anyhow::Result<Vec<Alert>> {
    let rows = sqlx::query_as!(
        AlertRow,
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
        statuses,
        severities,
        query.rule,
        query.from,
        query.to,
        query.group,
        query.group_field,
        query.assignee,
        query.before.map(|before| before.as_uuid()),
        limit,
    )
    .fetch_all(db)
    .await?;
    rows.into_iter().map(AlertRow::into_alert).collect()
}

/// Returns the alert `id`, if there is one.
pub async fn fetch_alert_by_id(
    db: impl PgExecutor<'_>,
    id: AlertId,
) -> anyhow::Result<Option<Alert>> {
    sqlx::query_as!(
        AlertRow,
        r#"SELECT a.id, a.rule_id, a.rule_version, a.rule_slug, a.rule_name, a.severity,
                  a.tactics, a.techniques, a.summary, a.group_values, a.window_start,
                  a.window_end, a.event_count, a.created_at, a.status, a.resolution,
                  a.assignee_id, u.username AS "assignee_name?", a.updated_at
           FROM alerts a LEFT JOIN users u ON u.id = a.assignee_id
           WHERE a.id = $1"#,
        id.as_uuid()
    )
    .fetch_optional(db)
    .await?
    .map(AlertRow::into_alert)
    .transpose()
}

/// Returns the ids and times of an alert's contributing events, oldest first.
pub async fn fetch_alert_event_ids(
    db: impl PgExecutor<'_>,
    id: AlertId,
) -> sqlx::Result<(Vec<Uuid>, Vec<DateTime<Utc>>)> {
    let row = sqlx::query!(
        "SELECT event_ids, event_times FROM alerts WHERE id = $1",
        id.as_uuid()
    )
    .fetch_one(db)
    .await?;
    Ok((row.event_ids, row.event_times))
}

/// Returns the documents of the events `ids` stored at `times` (the times
/// let Postgres read only the partitions holding them).
pub async fn fetch_event_documents(
    db: impl PgExecutor<'_>,
    times: &[DateTime<Utc>],
    ids: &[Uuid],
) -> sqlx::Result<HashMap<Uuid, serde_json::Value>> {
    let (Some(first), Some(last)) = (times.iter().min(), times.iter().max()) else {
        return Ok(HashMap::new());
    };
    // An alert lists the time the engine judged each event at: for an event
    // dated ahead of its arrival, earlier than its own (at most a day, the
    // furthest ahead ingest keeps an event's time).
    Ok(sqlx::query!(
        r#"SELECT id, payload AS "payload!" FROM events
           WHERE ts >= $1 AND ts <= $2::timestamptz + interval '1 day 5 minutes'
             AND id = ANY($3)"#,
        first,
        last,
        ids
    )
    .fetch_all(db)
    .await?
    .into_iter()
    .map(|row| (row.id, row.payload))
    .collect())
}

/// Returns an alert's activity, oldest first.
pub async fn fetch_alert_activity(
    db: impl PgExecutor<'_>,
    id: AlertId,
) -> sqlx::Result<Vec<AlertActivity>> {
    sqlx::query_as!(
        AlertActivity,
        "SELECT at, actor, kind, detail FROM alert_activity WHERE alert_id = $1 ORDER BY id",
        id.as_uuid()
    )
    .fetch_all(db)
    .await
}

/// Returns the id of the active user `username` (lower case).
pub async fn fetch_active_user_id(
    db: impl PgExecutor<'_>,
    username: &str,
) -> sqlx::Result<Option<Uuid>> {
    sqlx::query_scalar!(
        "SELECT id FROM users WHERE username = $1 AND NOT disabled",
        username
    )
    .fetch_optional(db)
    .await
}

/// Locks alert `id` for an update; returns its status, or None when there is none.
pub async fn lock_alert_status(tx: &mut PgConnection, id: AlertId) -> sqlx::Result<Option<String>> {
    Ok(sqlx::query!(
        "SELECT status FROM alerts WHERE id = $1 FOR UPDATE",
        id.as_uuid()
    )
    .fetch_optional(tx)
    .await?
    .map(|row| row.status))
}

/// Sets an alert's status and resolution.
pub async fn set_alert_status(
    tx: &mut PgConnection,
    id: AlertId,
    status: &str,
    resolution: Option<&str>,
    actor_id: Option<Uuid>,
) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE alerts SET status = $2, resolution = $3, updated_at = clock_timestamp(),
             updated_by = $4 WHERE id = $1",
        id.as_uuid(),
        status,
        resolution,
        actor_id
    )
    .execute(tx)
    .await?;
    Ok(())
}

/// Sets (or, with None, clears) an alert's assignee.
pub async fn set_alert_assignee(
    tx: &mut PgConnection,
    id: AlertId,
    assignee: Option<Uuid>,
    actor_id: Option<Uuid>,
) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE alerts SET assignee_id = $2, updated_at = clock_timestamp(), updated_by = $3
         WHERE id = $1",
        id.as_uuid(),
        assignee,
        actor_id
    )
    .execute(tx)
    .await?;
    Ok(())
}

/// Records that an alert changed (a comment) without changing its fields.
pub async fn touch_alert(
    tx: &mut PgConnection,
    id: AlertId,
    actor_id: Option<Uuid>,
) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE alerts SET updated_at = clock_timestamp(), updated_by = $2 WHERE id = $1",
        id.as_uuid(),
        actor_id
    )
    .execute(tx)
    .await?;
    Ok(())
}

/// Appends to an alert's activity.
pub async fn insert_alert_activity(
    tx: &mut PgConnection,
    alert: AlertId,
    actor_id: Option<Uuid>,
    actor: &str,
    kind: &str,
    detail: &serde_json::Value,
) -> sqlx::Result<()> {
    sqlx::query!(
        "INSERT INTO alert_activity (alert_id, actor_id, actor, kind, detail)
         VALUES ($1, $2, $3, $4, $5)",
        alert.as_uuid(),
        actor_id,
        actor,
        kind,
        detail
    )
    .execute(tx)
    .await?;
    Ok(())
}
