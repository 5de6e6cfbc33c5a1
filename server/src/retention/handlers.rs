//! HTTP handlers for retention: the overview, policy CRUD, and a run on demand.

use super::repo;
use crate::audit::{AuditRecord, RequestContext, repo as audit_repo};
use crate::auth::Access;
use crate::auth::{AuthedUser, Principal};
use crate::error::{ApiError, AppJson, AppPath};
use crate::http::openapi::Created;
use crate::http::route::Route;
use crate::state::AppState;
use app::ids::RetentionPolicyId;
use app::permissions::Permission;
use app::retention::{RetentionOverview, RetentionPolicy, RetentionPolicyRequest, RetentionRun};
use axum::extract::State;
use axum::http::StatusCode;
use uuid::Uuid;

/// The retention routes.
pub fn routes() -> Vec<Route> {
    let manage = Access::Permission(Permission::ManageSettings);
    vec![
        Route::get(
            "/api/v1/retention",
            Access::Permission(Permission::ViewSystem),
            overview,
        ),
        Route::post("/api/v1/retention/policies", manage, create_policy),
        Route::put("/api/v1/retention/policies/{id}", manage, update_policy),
        Route::delete("/api/v1/retention/policies/{id}", manage, delete_policy),
        Route::post("/api/v1/retention/run", manage, run_now),
    ]
}

/// `GET /api/v1/retention`: the default, the policies and what is stored.
pub async fn overview(
    State(state): State<AppState>,
) -> Result<AppJson<RetentionOverview>, ApiError> {
    let policies = repo::fetch_policies(&state.pool).await?;
    let days = repo::fetch_partition_days(&state.pool).await?;
    Ok(AppJson(RetentionOverview {
        default_days: state.settings.ingest.retention_days,
        policies,
        oldest_day: days.first().copied(),
        partitions: days.len() as u64,
    }))
}

/// Validates a request, including that its source exists.
async fn checked(
    state: &AppState,
    request: &RetentionPolicyRequest,
) -> Result<RetentionPolicyRequest, ApiError> {
    let policy = request
        .validate()
        .map_err(|e| ApiError::validation(e.field, e.message))?;
    if let Some(source) = policy.source_id
        && !repo::source_exists(&state.pool, source).await?
    {
        return Err(ApiError::validation(
            "source_id",
            "no ingest source, API key or user has this id",
        ));
    }
    Ok(policy)
}

fn name_taken(error: sqlx::Error) -> ApiError {
    ApiError::on_duplicate("a retention policy with this name exists")(error)
}

async fn fetch_one(state: &AppState, id: RetentionPolicyId) -> Result<RetentionPolicy, ApiError> {
    repo::fetch_policies(&state.pool)
        .await?
        .into_iter()
        .find(|p| p.id == id)
        .ok_or_else(|| ApiError::not_found("no retention policy has this id"))
}

/// `POST /api/v1/retention/policies`: adds a policy.
#[tracing::instrument(skip_all, fields(user = %user.profile.username))]
pub async fn create_policy(
    State(state): State<AppState>,
    ctx: RequestContext,
    user: AuthedUser,
    AppJson(request): AppJson<RetentionPolicyRequest>,
) -> Result<Created<AppJson<RetentionPolicy>>, ApiError> {
    let policy = checked(&state, &request).await?;
    let id = RetentionPolicyId(Uuid::new_v4());
    let mut tx = state.pool.begin().await?;
    repo::insert_policy(&mut *tx, id, &policy, Some(user.profile.id.as_uuid()))
        .await
        .map_err(name_taken)?;
    let record = AuditRecord::by(&Principal::User(user), "retention.policy_create", &ctx)
        .target(id.to_string())
        .details(serde_json::json!(policy));
    audit_repo::insert_audit_record(&mut *tx, &record).await?;
    tx.commit().await?;
    Ok(Created(AppJson(fetch_one(&state, id).await?)))
}

/// `PUT /api/v1/retention/policies/{id}`: replaces a policy's rules.
#[tracing::instrument(skip_all, fields(user = %user.profile.username))]
pub async fn update_policy(
    State(state): State<AppState>,
    ctx: RequestContext,
    user: AuthedUser,
    AppPath(id): AppPath<RetentionPolicyId>,
    AppJson(request): AppJson<RetentionPolicyRequest>,
) -> Result<AppJson<RetentionPolicy>, ApiError> {
    let policy = checked(&state, &request).await?;
    let mut tx = state.pool.begin().await?;
    let Some(previous_days) = repo::update_policy(&mut *tx, id, &policy)
        .await
        .map_err(name_taken)?
    else {
        return Err(ApiError::not_found("no retention policy has this id"));
    };
    let record = AuditRecord::by(&Principal::User(user), "retention.policy_update", &ctx)
        .target(id.to_string())
        .details(serde_json::json!({ "policy": policy, "previous_days": previous_days }));
    audit_repo::insert_audit_record(&mut *tx, &record).await?;
    tx.commit().await?;
    Ok(AppJson(fetch_one(&state, id).await?))
}

/// `DELETE /api/v1/retention/policies/{id}`: removes a policy.
#[tracing::instrument(skip_all, fields(user = %user.profile.username))]
pub async fn delete_policy(
    State(state): State<AppState>,
    ctx: RequestContext,
    user: AuthedUser,
    AppPath(id): AppPath<RetentionPolicyId>,
) -> Result<StatusCode, ApiError> {
    let mut tx = state.pool.begin().await?;
    let Some(name) = repo::delete_policy(&mut *tx, id).await? else {
        return Err(ApiError::not_found("no retention policy has this id"));
    };
    let record = AuditRecord::by(&Principal::User(user), "retention.policy_delete", &ctx)
        .target(id.to_string())
        .details(serde_json::json!({ "name": name }));
    audit_repo::insert_audit_record(&mut *tx, &record).await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /api/v1/retention/run`: applies retention now (the maintenance task
/// does it every hour) and says what it removed.
#[tracing::instrument(skip_all, fields(user = %user.profile.username))]
pub async fn run_now(
    State(state): State<AppState>,
    ctx: RequestContext,
    user: AuthedUser,
) -> Result<AppJson<RetentionRun>, ApiError> {
    let run = super::apply(&state.pool, state.settings.ingest.retention_days)
        .await
        .map_err(ApiError::internal)?;
    let record = AuditRecord::by(&Principal::User(user), "retention.run", &ctx)
        .details(serde_json::json!(run));
    audit_repo::insert_audit_record(&state.pool, &record).await?;
    Ok(AppJson(run))
}
