//! HTTP handlers for API key administration.

use super::{DISPLAY_PREFIX_LEN, generate_key, hash_key, repo};
use crate::audit::{AuditRecord, RequestContext, repo as audit_repo};
use crate::auth::Access;
use crate::auth::{AuthedUser, Principal};
use crate::error::{ApiError, AppJson, AppPath};
use crate::http::openapi::Created;
use crate::http::route::Route;
use crate::state::AppState;
use app::api_keys::{ApiKeySummary, CreateApiKeyRequest, CreatedApiKey};
use app::ids::ApiKeyId;
use app::permissions::Permission;
use axum::extract::State;
use axum::http::StatusCode;
use uuid::Uuid;

/// The API key administration routes.
pub fn routes() -> Vec<Route> {
    let manage = Access::Permission(Permission::ManageApiKeys);
    vec![
        Route::get("/api/v1/api-keys", manage, list_api_keys),
        Route::post("/api/v1/api-keys", manage, create_api_key),
        Route::delete("/api/v1/api-keys/{id}", manage, revoke_api_key),
    ]
}

/// `POST /api/v1/api-keys`: creates a key and shows its secret once.
#[tracing::instrument(skip_all, fields(user = %user.profile.username))]
pub async fn create_api_key(
    State(state): State<AppState>,
    ctx: RequestContext,
    user: AuthedUser,
    AppJson(request): AppJson<CreateApiKeyRequest>,
) -> Result<Created<AppJson<CreatedApiKey>>, ApiError> {
    let (name, scopes) = request.validate().map_err(|e| {
        ApiError::validation(
            match e {
                app::api_keys::ApiKeyRequestError::NoScopes => "scopes",
                app::api_keys::ApiKeyRequestError::BadLifetime => "expires_in_days",
                _ => "name",
            },
            e.to_string(),
        )
    })?;
    let key = generate_key()?;
    let prefix: String = key.chars().take(DISPLAY_PREFIX_LEN).collect();
    let id = ApiKeyId(Uuid::new_v4());
    let expires_at = request
        .expires_in_days
        .map(|days| chrono::Utc::now() + chrono::Duration::days(i64::from(days)));

    let mut tx = state.pool.begin().await?;
    let hash = hash_key(&key);
    let new = repo::NewKey {
        id,
        name: &name,
        prefix: &prefix,
        hash: &hash,
        scopes: &scopes,
        created_by: Some(user.profile.id),
        expires_at,
    };
    let created_at = repo::insert_api_key(&mut *tx, &new).await?;
    let record = AuditRecord::by(&Principal::User(user), "api_key.create", &ctx)
        .target(id.to_string())
        .details(serde_json::json!({
            "name": name, "scopes": scopes, "prefix": prefix, "expires_at": expires_at,
        }));
    audit_repo::insert_audit_record(&mut *tx, &record).await?;
    tx.commit().await?;

    Ok(Created(AppJson(CreatedApiKey {
        id,
        name,
        key,
        prefix,
        scopes,
        created_at,
        expires_at,
    })))
}

/// `GET /api/v1/api-keys`: every key, without secrets.
pub async fn list_api_keys(
    State(state): State<AppState>,
) -> Result<AppJson<Vec<ApiKeySummary>>, ApiError> {
    Ok(AppJson(repo::fetch_api_keys(&state.pool).await?))
}

/// `DELETE /api/v1/api-keys/{id}`: revokes a key at once.
#[tracing::instrument(skip_all, fields(user = %user.profile.username))]
pub async fn revoke_api_key(
    State(state): State<AppState>,
    ctx: RequestContext,
    user: AuthedUser,
    AppPath(id): AppPath<ApiKeyId>,
) -> Result<StatusCode, ApiError> {
    let mut tx = state.pool.begin().await?;
    let Some(name) = repo::revoke_api_key(&mut *tx, id).await? else {
        return Err(ApiError::not_found("no live API key has this id"));
    };
    let record = AuditRecord::by(&Principal::User(user), "api_key.revoke", &ctx)
        .target(id.to_string())
        .details(serde_json::json!({ "name": name }));
    audit_repo::insert_audit_record(&mut *tx, &record).await?;
    tx.commit().await?;
    state.api_keys.forget(id);
    Ok(StatusCode::NO_CONTENT)
}
