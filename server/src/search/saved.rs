//! Saved searches: CRUD, private to the owner or shared; only the owner
//! changes or deletes one. Every change is audited.

use super::repo;
use crate::audit::{AuditRecord, RequestContext, repo as audit_repo};
use crate::auth::Access;
use crate::auth::{AuthedUser, Principal};
use crate::error::{ApiError, AppJson, AppPath};
use crate::http::openapi::Created;
use crate::http::route::Route;
use crate::state::AppState;
use app::ids::SavedSearchId;
use app::permissions::Permission;
use app::search::{SavedSearch, SavedSearchRequest};
use axum::extract::State;
use axum::http::StatusCode;
use uuid::Uuid;

/// The saved search routes.
pub fn routes() -> Vec<Route> {
    let search = Access::Permission(Permission::SearchEvents);
    vec![
        Route::get("/api/v1/saved-searches", search, list_saved_searches),
        Route::post("/api/v1/saved-searches", search, create_saved_search),
        Route::put("/api/v1/saved-searches/{id}", search, update_saved_search),
        Route::delete("/api/v1/saved-searches/{id}", search, delete_saved_search),
    ]
}

fn checked(request: &SavedSearchRequest) -> Result<SavedSearchRequest, ApiError> {
    request
        .validate()
        .map_err(|(field, message)| ApiError::validation(field, message))
}

fn name_taken(error: sqlx::Error) -> ApiError {
    ApiError::on_duplicate("you already have a saved search with this name")(error)
}

async fn visible(state: &AppState, user: Uuid) -> Result<Vec<SavedSearch>, ApiError> {
    Ok(repo::fetch_saved_searches(&state.pool, user).await?)
}

/// Returns one saved search the caller just wrote.
async fn one(state: &AppState, owner: Uuid, id: SavedSearchId) -> Result<SavedSearch, ApiError> {
    visible(state, owner)
        .await?
        .into_iter()
        .find(|s| s.id == id)
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("a saved search vanished")))
}

/// `GET /api/v1/saved-searches`: the caller's own and every shared one.
pub async fn list_saved_searches(
    State(state): State<AppState>,
    user: AuthedUser,
) -> Result<AppJson<Vec<SavedSearch>>, ApiError> {
    Ok(AppJson(visible(&state, user.profile.id.as_uuid()).await?))
}

/// `POST /api/v1/saved-searches`.
#[tracing::instrument(skip_all, fields(user = %user.profile.username))]
pub async fn create_saved_search(
    State(state): State<AppState>,
    ctx: RequestContext,
    user: AuthedUser,
    AppJson(request): AppJson<SavedSearchRequest>,
) -> Result<Created<AppJson<SavedSearch>>, ApiError> {
    let saved = checked(&request)?;
    let id = SavedSearchId(Uuid::new_v4());
    let owner = user.profile.id.as_uuid();
    let mut tx = state.pool.begin().await?;
    repo::insert_saved_search(&mut *tx, id, owner, &saved)
        .await
        .map_err(name_taken)?;
    let record = AuditRecord::by(&Principal::User(user), "saved_search.create", &ctx)
        .target(id.to_string())
        .details(serde_json::json!(saved));
    audit_repo::insert_audit_record(&mut *tx, &record).await?;
    tx.commit().await?;
    let created = one(&state, owner, id).await?;
    Ok(Created(AppJson(created)))
}

/// `PUT /api/v1/saved-searches/{id}`: the owner replaces it.
#[tracing::instrument(skip_all, fields(user = %user.profile.username))]
pub async fn update_saved_search(
    State(state): State<AppState>,
    ctx: RequestContext,
    user: AuthedUser,
    AppPath(id): AppPath<SavedSearchId>,
    AppJson(request): AppJson<SavedSearchRequest>,
) -> Result<AppJson<SavedSearch>, ApiError> {
    let saved = checked(&request)?;
    let owner = user.profile.id.as_uuid();
    let mut tx = state.pool.begin().await?;
    let changed = repo::update_saved_search(&mut *tx, id, owner, &saved)
        .await
        .map_err(name_taken)?;
    if !changed {
        return Err(ApiError::not_found("you have no saved search with this id"));
    }
    let record = AuditRecord::by(&Principal::User(user), "saved_search.update", &ctx)
        .target(id.to_string())
        .details(serde_json::json!(saved));
    audit_repo::insert_audit_record(&mut *tx, &record).await?;
    tx.commit().await?;
    let updated = one(&state, owner, id).await?;
    Ok(AppJson(updated))
}

/// `DELETE /api/v1/saved-searches/{id}`: the owner deletes it.
#[tracing::instrument(skip_all, fields(user = %user.profile.username))]
pub async fn delete_saved_search(
    State(state): State<AppState>,
    ctx: RequestContext,
    user: AuthedUser,
    AppPath(id): AppPath<SavedSearchId>,
) -> Result<StatusCode, ApiError> {
    let mut tx = state.pool.begin().await?;
    let name = repo::delete_saved_search(&mut *tx, id, user.profile.id.as_uuid())
        .await?
        .ok_or_else(|| ApiError::not_found("you have no saved search with this id"))?;
    let record = AuditRecord::by(&Principal::User(user), "saved_search.delete", &ctx)
        .target(id.to_string())
        .details(serde_json::json!({ "name": name }));
    audit_repo::insert_audit_record(&mut *tx, &record).await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}
