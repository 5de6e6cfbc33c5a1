//! HTTP handlers for user administration.

use super::repo;
use crate::audit::{AuditRecord, RequestContext, repo as audit_repo};
use crate::auth::Access;
use crate::auth::{AuthedUser, Principal, password};
use crate::error::{ApiError, AppJson, AppPath};
use crate::http::openapi::Created;
use crate::http::route::Route;
use crate::state::AppState;
use app::auth::AuthSource;
use app::ids::UserId;
use app::permissions::Permission;
use app::users::{
    CreateUserError, CreateUserRequest, SessionsRevoked, UpdateUserRequest, UserSummary,
};
use axum::extract::State;
use secrecy::SecretString;
use uuid::Uuid;

/// The user administration routes.
pub fn routes() -> Vec<Route> {
    let manage = Access::Permission(Permission::ManageUsers);
    vec![
        Route::get("/api/v1/users", manage, list_users),
        Route::post("/api/v1/users", manage, create_user),
        Route::patch("/api/v1/users/{id}", manage, update_user),
        Route::delete("/api/v1/users/{id}/sessions", manage, revoke_user_sessions),
    ]
}

/// `GET /api/v1/users`: every account.
pub async fn list_users(
    State(state): State<AppState>,
) -> Result<AppJson<Vec<UserSummary>>, ApiError> {
    Ok(AppJson(repo::fetch_users(&state.pool, None).await?))
}

/// `POST /api/v1/users`: creates a local account.
#[tracing::instrument(skip_all, fields(user = %admin.profile.username))]
pub async fn create_user(
    State(state): State<AppState>,
    ctx: RequestContext,
    admin: AuthedUser,
    AppJson(request): AppJson<CreateUserRequest>,
) -> Result<Created<AppJson<UserSummary>>, ApiError> {
    let (display_name, roles) = request.validate().map_err(|e| {
        let field = match e {
            CreateUserError::PasswordTooShort | CreateUserError::PasswordTooLong => "password",
            CreateUserError::DisplayNameTooLong => "display_name",
            CreateUserError::NoRoles => "roles",
        };
        ApiError::validation(field, e.to_string())
    })?;
    let unknown = repo::fetch_unknown_roles(&state.pool, &roles).await?;
    if !unknown.is_empty() {
        return Err(ApiError::validation(
            "roles",
            format!("unknown roles: {}", unknown.join(", ")),
        ));
    }
    let hash = password::hash_password(SecretString::from(request.password)).await?;
    let id = UserId(Uuid::new_v4());

    let mut tx = state.pool.begin().await?;
    repo::insert_user(
        &mut *tx,
        id,
        &request.username,
        display_name.as_deref(),
        AuthSource::Local,
        Some(&hash),
    )
    .await
    .map_err(ApiError::on_duplicate(format!(
        "the username {} is taken",
        request.username
    )))?;
    repo::grant_roles(&mut *tx, id, &roles).await?;
    let record = AuditRecord::by(&Principal::User(admin), "user.create", &ctx)
        .target(request.username.to_string())
        .details(serde_json::json!({ "roles": roles, "user_id": id }));
    audit_repo::insert_audit_record(&mut *tx, &record).await?;
    tx.commit().await?;

    let created = repo::fetch_users(&state.pool, Some(id))
        .await?
        .pop()
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("created user not found")))?;
    Ok(Created(AppJson(created)))
}

/// `PATCH /api/v1/users/{id}`: disables or enables an account. Disabling
/// ends its sessions at once; no one can disable themselves.
#[tracing::instrument(skip_all, fields(user = %admin.profile.username))]
pub async fn update_user(
    State(state): State<AppState>,
    ctx: RequestContext,
    admin: AuthedUser,
    AppPath(id): AppPath<UserId>,
    AppJson(request): AppJson<UpdateUserRequest>,
) -> Result<AppJson<UserSummary>, ApiError> {
    let mut tx = state.pool.begin().await?;
    if let Some(disabled) = request.disabled {
        if disabled && id == admin.profile.id {
            return Err(ApiError::validation(
                "disabled",
                "you cannot disable your own account",
            ));
        }
        let username = repo::set_disabled(&mut *tx, id, disabled)
            .await?
            .ok_or_else(|| ApiError::not_found("no user with this id"))?;
        let revoked = if disabled {
            repo::revoke_sessions(&mut *tx, id.as_uuid()).await?
        } else {
            0
        };
        let action = if disabled {
            "user.disable"
        } else {
            "user.enable"
        };
        let record = AuditRecord::by(&Principal::User(admin), action, &ctx)
            .target(username)
            .details(serde_json::json!({ "user_id": id, "sessions_revoked": revoked }));
        audit_repo::insert_audit_record(&mut *tx, &record).await?;
    }
    tx.commit().await?;
    repo::fetch_users(&state.pool, Some(id))
        .await?
        .pop()
        .map(AppJson)
        .ok_or_else(|| ApiError::not_found("no user with this id"))
}

/// `DELETE /api/v1/users/{id}/sessions`: ends every live session of an
/// account at once (a stolen laptop, a departing employee).
#[tracing::instrument(skip_all, fields(user = %admin.profile.username))]
pub async fn revoke_user_sessions(
    State(state): State<AppState>,
    ctx: RequestContext,
    admin: AuthedUser,
    AppPath(id): AppPath<UserId>,
) -> Result<AppJson<SessionsRevoked>, ApiError> {
    let mut tx = state.pool.begin().await?;
    let username = repo::fetch_username(&mut *tx, id)
        .await?
        .ok_or_else(|| ApiError::not_found("no user with this id"))?;
    let revoked = repo::revoke_sessions(&mut *tx, id.as_uuid()).await?;
    let record = AuditRecord::by(&Principal::User(admin), "user.sessions.revoke", &ctx)
        .target(username)
        .details(serde_json::json!({ "user_id": id, "sessions_revoked": revoked }));
    audit_repo::insert_audit_record(&mut *tx, &record).await?;
    tx.commit().await?;
    Ok(AppJson(SessionsRevoked { revoked }))
}
