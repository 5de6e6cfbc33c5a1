//! Watchlists: CRUD, entries added by JSON or imported from CSV (bad lines
//! reported with their numbers, good ones kept), and the values an
//! indicator rule matches. Every change is audited.

use crate::audit::{AuditRecord, repo as audit_repo};
use crate::auth::Principal;
use crate::auth::access::context_from_parts;
use crate::error::{ApiError, AppJson, AppPath};
use crate::state::AppState;
use app::watchlists::{
    EntriesRequest, ImportResponse, LineError, MAX_IMPORT, Watchlist, WatchlistEntry,
    WatchlistRequest, normalize_value, parse_csv,
};
use axum::extract::State;
use axum::http::StatusCode;
use axum::http::request::Parts;
use std::collections::HashSet;
use uuid::Uuid;

/// The most values of one watchlist an indicator rule holds in memory.
pub const MAX_LOADED: i64 = 1_000_000;

fn checked(request: &WatchlistRequest) -> Result<(), ApiError> {
    request
        .validate()
        .map_err(|(field, message)| ApiError::validation(field, message))
}

fn slug_taken(error: sqlx::Error) -> ApiError {
    match &error {
        sqlx::Error::Database(db) if db.is_unique_violation() => {
            ApiError::conflict("a watchlist with this slug exists")
        }
        _ => ApiError::from(error),
    }
}

async fn listed(
    executor: impl sqlx::PgExecutor<'_>,
    id: Option<Uuid>,
) -> Result<Vec<Watchlist>, ApiError> {
    let rows = sqlx::query!(
        r#"SELECT w.id, w.slug, w.name, w.description, w.created_at, w.updated_at,
                  u.username AS "created_by?",
                  (SELECT count(*) FROM watchlist_entries e WHERE e.watchlist_id = w.id) AS "entries!"
           FROM watchlists w LEFT JOIN users u ON u.id = w.created_by
           WHERE $1::uuid IS NULL OR w.id = $1
           ORDER BY w.slug"#,
        id
    )
    .fetch_all(executor)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| Watchlist {
            id: r.id,
            slug: r.slug,
            name: r.name,
            description: r.description,
            entries: r.entries,
            created_at: r.created_at,
            created_by: r.created_by,
            updated_at: r.updated_at,
        })
        .collect())
}

async fn one(executor: impl sqlx::PgExecutor<'_>, id: Uuid) -> Result<Watchlist, ApiError> {
    listed(executor, Some(id))
        .await?
        .pop()
        .ok_or_else(|| ApiError::not_found("no watchlist with this id"))
}

/// The values of the watchlist `slug` (empty when there is none), for an
/// indicator rule.
pub async fn values(pool: &sqlx::PgPool, slug: &str) -> Result<HashSet<String>, ApiError> {
    let values = sqlx::query_scalar!(
        "SELECT e.value FROM watchlist_entries e JOIN watchlists w ON w.id = e.watchlist_id
         WHERE w.slug = $1 LIMIT $2",
        slug,
        MAX_LOADED
    )
    .fetch_all(pool)
    .await?;
    Ok(values.into_iter().collect())
}

/// The values of every watchlist `rule` reads, by slug (a missing one is
/// left out, and so matches nothing).
pub async fn lists_of(
    pool: &sqlx::PgPool,
    rule: &app::rules::RuleDefinition,
) -> Result<super::matcher::Lists, ApiError> {
    let mut lists = super::matcher::Lists::new();
    for slug in rule.watchlists() {
        let values = values(pool, &slug).await?;
        lists.insert(slug, std::sync::Arc::new(values));
    }
    Ok(lists)
}

/// `GET /api/v1/watchlists`.
pub async fn list(State(state): State<AppState>) -> Result<AppJson<Vec<Watchlist>>, ApiError> {
    Ok(AppJson(listed(&state.pool, None).await?))
}

/// `GET /api/v1/watchlists/{id}`.
pub async fn get(
    State(state): State<AppState>,
    AppPath(id): AppPath<Uuid>,
) -> Result<AppJson<Watchlist>, ApiError> {
    Ok(AppJson(one(&state.pool, id).await?))
}

/// `POST /api/v1/watchlists`.
#[tracing::instrument(skip_all)]
pub async fn create(
    State(state): State<AppState>,
    parts: Parts,
    principal: Principal,
    AppJson(request): AppJson<WatchlistRequest>,
) -> Result<(StatusCode, AppJson<Watchlist>), ApiError> {
    checked(&request)?;
    let id = Uuid::new_v4();
    let ctx = context_from_parts(&parts.headers, &parts.extensions);
    let mut tx = state.pool.begin().await?;
    sqlx::query!(
        "INSERT INTO watchlists (id, slug, name, description, created_by) VALUES ($1, $2, $3, $4, $5)",
        id,
        request.slug,
        request.name.trim(),
        request.description,
        principal.user_id()
    )
    .execute(&mut *tx)
    .await
    .map_err(slug_taken)?;
    let record = AuditRecord::by(&principal, "watchlist.create", &ctx)
        .target(id.to_string())
        .details(serde_json::json!({ "slug": request.slug }));
    audit_repo::insert_audit_record(&mut *tx, &record).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, AppJson(one(&state.pool, id).await?)))
}

/// `PUT /api/v1/watchlists/{id}`: its slug, name and description.
#[tracing::instrument(skip_all)]
pub async fn update(
    State(state): State<AppState>,
    parts: Parts,
    principal: Principal,
    AppPath(id): AppPath<Uuid>,
    AppJson(request): AppJson<WatchlistRequest>,
) -> Result<AppJson<Watchlist>, ApiError> {
    checked(&request)?;
    let ctx = context_from_parts(&parts.headers, &parts.extensions);
    let mut tx = state.pool.begin().await?;
    let changed = sqlx::query!(
        "UPDATE watchlists SET slug = $2, name = $3, description = $4, updated_at = now() WHERE id = $1",
        id,
        request.slug,
        request.name.trim(),
        request.description
    )
    .execute(&mut *tx)
    .await
    .map_err(slug_taken)?;
    if changed.rows_affected() == 0 {
        return Err(ApiError::not_found("no watchlist with this id"));
    }
    let record = AuditRecord::by(&principal, "watchlist.update", &ctx)
        .target(id.to_string())
        .details(serde_json::json!({ "slug": request.slug }));
    audit_repo::insert_audit_record(&mut *tx, &record).await?;
    tx.commit().await?;
    Ok(AppJson(one(&state.pool, id).await?))
}

/// `DELETE /api/v1/watchlists/{id}`, with its entries.
#[tracing::instrument(skip_all)]
pub async fn delete(
    State(state): State<AppState>,
    parts: Parts,
    principal: Principal,
    AppPath(id): AppPath<Uuid>,
) -> Result<StatusCode, ApiError> {
    let ctx = context_from_parts(&parts.headers, &parts.extensions);
    let mut tx = state.pool.begin().await?;
    let slug = sqlx::query_scalar!("DELETE FROM watchlists WHERE id = $1 RETURNING slug", id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| ApiError::not_found("no watchlist with this id"))?;
    let record = AuditRecord::by(&principal, "watchlist.delete", &ctx)
        .target(id.to_string())
        .details(serde_json::json!({ "slug": slug }));
    audit_repo::insert_audit_record(&mut *tx, &record).await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /api/v1/watchlists/{id}/entries`: every value, in order.
pub async fn entries(
    State(state): State<AppState>,
    AppPath(id): AppPath<Uuid>,
) -> Result<AppJson<Vec<WatchlistEntry>>, ApiError> {
    one(&state.pool, id).await?;
    let rows = sqlx::query!(
        r#"SELECT e.value, e.note, e.added_at, u.username AS "added_by?"
           FROM watchlist_entries e LEFT JOIN users u ON u.id = e.added_by
           WHERE e.watchlist_id = $1 ORDER BY e.value LIMIT 100000"#,
        id
    )
    .fetch_all(&state.pool)
    .await?;
    Ok(AppJson(
        rows.into_iter()
            .map(|r| WatchlistEntry {
                value: r.value,
                note: r.note,
                added_at: r.added_at,
                added_by: r.added_by,
            })
            .collect(),
    ))
}

/// Adds `rows` (normalised values and notes) to the watchlist; counts
/// what was new and what it held already.
async fn add(
    state: &AppState,
    parts: &Parts,
    principal: &Principal,
    id: Uuid,
    rows: Vec<(String, String)>,
    errors: Vec<LineError>,
    action: &'static str,
) -> Result<ImportResponse, ApiError> {
    if rows.len() > MAX_IMPORT {
        return Err(ApiError::validation(
            "values",
            format!("at most {MAX_IMPORT} values at once"),
        ));
    }
    let ctx = context_from_parts(&parts.headers, &parts.extensions);
    let mut tx = state.pool.begin().await?;
    one(&mut *tx, id).await?;
    // The last note of a value repeated in one request wins.
    let mut unique: std::collections::HashMap<String, String> = Default::default();
    for (value, note) in rows {
        unique.insert(value, note);
    }
    let (values, notes): (Vec<String>, Vec<String>) = unique.into_iter().unzip();
    let added = sqlx::query_scalar!(
        r#"INSERT INTO watchlist_entries (watchlist_id, value, note, added_by)
           SELECT $1, v, n, $4 FROM unnest($2::text[], $3::text[]) AS t(v, n)
           ON CONFLICT (watchlist_id, value) DO UPDATE SET note = EXCLUDED.note
           RETURNING (xmax = 0) AS "inserted!""#,
        id,
        &values,
        &notes,
        principal.user_id()
    )
    .fetch_all(&mut *tx)
    .await?;
    let new = added.iter().filter(|inserted| **inserted).count();
    sqlx::query!("UPDATE watchlists SET updated_at = now() WHERE id = $1", id)
        .execute(&mut *tx)
        .await?;
    let record = AuditRecord::by(principal, action, &ctx)
        .target(id.to_string())
        .details(serde_json::json!({ "added": new, "existing": added.len() - new, "errors": errors.len() }));
    audit_repo::insert_audit_record(&mut *tx, &record).await?;
    tx.commit().await?;
    Ok(ImportResponse {
        added: new,
        existing: added.len() - new,
        errors,
    })
}

/// `POST /api/v1/watchlists/{id}/entries` `{values, note}`.
#[tracing::instrument(skip_all)]
pub async fn add_entries(
    State(state): State<AppState>,
    parts: Parts,
    principal: Principal,
    AppPath(id): AppPath<Uuid>,
    AppJson(request): AppJson<EntriesRequest>,
) -> Result<AppJson<ImportResponse>, ApiError> {
    if request.note.chars().count() > app::watchlists::MAX_NOTE {
        return Err(ApiError::validation("note", "the note is too long"));
    }
    let mut rows = Vec::new();
    let mut errors = Vec::new();
    for (index, value) in request.values.iter().enumerate() {
        match normalize_value(value) {
            Ok(value) => rows.push((value, request.note.clone())),
            Err(message) => errors.push(LineError {
                line: index + 1,
                message,
            }),
        }
    }
    add(
        &state,
        &parts,
        &principal,
        id,
        rows,
        errors,
        "watchlist.add",
    )
    .await
    .map(AppJson)
}

/// `POST /api/v1/watchlists/{id}/import`: CSV (a value and an optional note
/// per line). Bad lines come back with their numbers; good lines are added.
#[tracing::instrument(skip_all)]
pub async fn import(
    State(state): State<AppState>,
    parts: Parts,
    principal: Principal,
    AppPath(id): AppPath<Uuid>,
    body: String,
) -> Result<AppJson<ImportResponse>, ApiError> {
    let (rows, errors) = tokio::task::spawn_blocking(move || parse_csv(&body))
        .await
        .map_err(ApiError::internal)?;
    add(
        &state,
        &parts,
        &principal,
        id,
        rows,
        errors,
        "watchlist.import",
    )
    .await
    .map(AppJson)
}

/// `DELETE /api/v1/watchlists/{id}/entries/{value}`.
#[tracing::instrument(skip_all)]
pub async fn remove_entry(
    State(state): State<AppState>,
    parts: Parts,
    principal: Principal,
    AppPath((id, value)): AppPath<(Uuid, String)>,
) -> Result<StatusCode, ApiError> {
    let value = normalize_value(&value).map_err(|m| ApiError::validation("value", m))?;
    let ctx = context_from_parts(&parts.headers, &parts.extensions);
    let mut tx = state.pool.begin().await?;
    let removed = sqlx::query!(
        "DELETE FROM watchlist_entries WHERE watchlist_id = $1 AND value = $2",
        id,
        value
    )
    .execute(&mut *tx)
    .await?;
    if removed.rows_affected() == 0 {
        return Err(ApiError::not_found("the watchlist holds no such value"));
    }
    let record = AuditRecord::by(&principal, "watchlist.remove", &ctx)
        .target(id.to_string())
        .details(serde_json::json!({ "value": value }));
    audit_repo::insert_audit_record(&mut *tx, &record).await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}
