//! HTTP handlers for watchlists and their entries.

use super::{checked, one, repo, slug_taken};
use crate::audit::{AuditRecord, RequestContext, repo as audit_repo};
use crate::auth::{Access, Principal};
use crate::error::{ApiError, AppJson, AppPath};
use crate::http::openapi::Created;
use crate::http::route::Route;
use crate::state::AppState;
use app::ids::WatchlistId;
use app::permissions::Permission::{EditRules, ViewRules};
use app::watchlists::{
    EntriesRequest, ImportResponse, LineError, MAX_IMPORT, Watchlist, WatchlistEntry,
    WatchlistRequest, normalize_value, parse_csv,
};
use axum::extract::State;
use axum::http::StatusCode;
use uuid::Uuid;

/// The watchlist routes.
pub fn routes() -> Vec<Route> {
    let (view, edit) = (Access::Permission(ViewRules), Access::Permission(EditRules));
    vec![
        Route::get("/api/v1/watchlists", view, list_watchlists),
        Route::post("/api/v1/watchlists", edit, create_watchlist),
        Route::get("/api/v1/watchlists/{id}", view, get_watchlist),
        Route::put("/api/v1/watchlists/{id}", edit, update_watchlist),
        Route::delete("/api/v1/watchlists/{id}", edit, delete_watchlist),
        Route::get("/api/v1/watchlists/{id}/entries", view, list_entries),
        Route::post("/api/v1/watchlists/{id}/entries", edit, add_entries),
        Route::delete(
            "/api/v1/watchlists/{id}/entries/{value}",
            edit,
            remove_entry,
        ),
        Route::post("/api/v1/watchlists/{id}/import", edit, import_entries).large_body(),
    ]
}

/// `GET /api/v1/watchlists`.
pub async fn list_watchlists(
    State(state): State<AppState>,
) -> Result<AppJson<Vec<Watchlist>>, ApiError> {
    Ok(AppJson(repo::fetch_watchlists(&state.pool, None).await?))
}

/// `GET /api/v1/watchlists/{id}`.
pub async fn get_watchlist(
    State(state): State<AppState>,
    AppPath(id): AppPath<WatchlistId>,
) -> Result<AppJson<Watchlist>, ApiError> {
    Ok(AppJson(one(&state.pool, id).await?))
}

/// `POST /api/v1/watchlists`.
#[tracing::instrument(skip_all)]
pub async fn create_watchlist(
    State(state): State<AppState>,
    ctx: RequestContext,
    principal: Principal,
    AppJson(request): AppJson<WatchlistRequest>,
) -> Result<Created<AppJson<Watchlist>>, ApiError> {
    checked(&request)?;
    let id = WatchlistId(Uuid::new_v4());
    let mut tx = state.pool.begin().await?;
    repo::insert_watchlist(
        &mut *tx,
        id,
        &request.slug,
        request.name.trim(),
        &request.description,
        principal.user_id(),
    )
    .await
    .map_err(slug_taken)?;
    let record = AuditRecord::by(&principal, "watchlist.create", &ctx)
        .target(id.to_string())
        .details(serde_json::json!({ "slug": request.slug }));
    audit_repo::insert_audit_record(&mut *tx, &record).await?;
    tx.commit().await?;
    Ok(Created(AppJson(one(&state.pool, id).await?)))
}

/// `PUT /api/v1/watchlists/{id}`: its slug, name and description.
#[tracing::instrument(skip_all)]
pub async fn update_watchlist(
    State(state): State<AppState>,
    ctx: RequestContext,
    principal: Principal,
    AppPath(id): AppPath<WatchlistId>,
    AppJson(request): AppJson<WatchlistRequest>,
) -> Result<AppJson<Watchlist>, ApiError> {
    checked(&request)?;
    let mut tx = state.pool.begin().await?;
    let exists = repo::update_watchlist(
        &mut *tx,
        id,
        &request.slug,
        request.name.trim(),
        &request.description,
    )
    .await
    .map_err(slug_taken)?;
    if !exists {
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
pub async fn delete_watchlist(
    State(state): State<AppState>,
    ctx: RequestContext,
    principal: Principal,
    AppPath(id): AppPath<WatchlistId>,
) -> Result<StatusCode, ApiError> {
    let mut tx = state.pool.begin().await?;
    let slug = repo::delete_watchlist(&mut *tx, id)
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
pub async fn list_entries(
    State(state): State<AppState>,
    AppPath(id): AppPath<WatchlistId>,
) -> Result<AppJson<Vec<WatchlistEntry>>, ApiError> {
    one(&state.pool, id).await?;
    Ok(AppJson(repo::fetch_entries(&state.pool, id).await?))
}

/// Adds `rows` (normalised values and notes) to the watchlist; counts
/// what was new and what it held already.
async fn add(
    state: &AppState,
    ctx: &RequestContext,
    principal: &Principal,
    id: WatchlistId,
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
    let mut tx = state.pool.begin().await?;
    one(&mut *tx, id).await?;
    // The last note of a value repeated in one request wins.
    let mut unique: std::collections::HashMap<String, String> = Default::default();
    for (value, note) in rows {
        unique.insert(value, note);
    }
    let (values, notes): (Vec<String>, Vec<String>) = unique.into_iter().unzip();
    let added = repo::upsert_entries(&mut tx, id, &values, &notes, principal.user_id()).await?;
    let new = added.iter().filter(|inserted| **inserted).count();
    let record = AuditRecord::by(principal, action, ctx)
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
    ctx: RequestContext,
    principal: Principal,
    AppPath(id): AppPath<WatchlistId>,
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
    add(&state, &ctx, &principal, id, rows, errors, "watchlist.add")
        .await
        .map(AppJson)
}

/// `POST /api/v1/watchlists/{id}/import`: CSV (a value and an optional note
/// per line). Bad lines come back with their numbers; good lines are added.
#[tracing::instrument(skip_all)]
pub async fn import_entries(
    State(state): State<AppState>,
    ctx: RequestContext,
    principal: Principal,
    AppPath(id): AppPath<WatchlistId>,
    body: String,
) -> Result<AppJson<ImportResponse>, ApiError> {
    let (rows, errors) = tokio::task::spawn_blocking(move || parse_csv(&body))
        .await
        .map_err(ApiError::internal)?;
    add(
        &state,
        &ctx,
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
    ctx: RequestContext,
    principal: Principal,
    AppPath((id, value)): AppPath<(WatchlistId, String)>,
) -> Result<StatusCode, ApiError> {
    let value = normalize_value(&value).map_err(|m| ApiError::validation("value", m))?;
    let mut tx = state.pool.begin().await?;
    if !repo::delete_entry(&mut *tx, id, &value).await? {
        return Err(ApiError::not_found("the watchlist holds no such value"));
    }
    let record = AuditRecord::by(&principal, "watchlist.remove", &ctx)
        .target(id.to_string())
        .details(serde_json::json!({ "value": value }));
    audit_repo::insert_audit_record(&mut *tx, &record).await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}
