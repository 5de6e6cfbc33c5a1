//! User accounts (`/api/v1/users`); needs `users:manage`.

use super::{ApiResult, delete, get_json, patch_json, post_json};
use app::ids::UserId;
use app::users::{CreateUserRequest, UpdateUserRequest, UserSummary};

/// Returns every account.
pub async fn list_users() -> ApiResult<Vec<UserSummary>> {
    get_json("/users").await
}

/// Creates a local account.
pub async fn create_user(request: &CreateUserRequest) -> ApiResult<UserSummary> {
    post_json("/users", request).await
}

/// Disables (every session ends at once) or enables an account.
pub async fn set_disabled(id: UserId, disabled: bool) -> ApiResult<UserSummary> {
    let request = UpdateUserRequest {
        disabled: Some(disabled),
    };
    patch_json(&format!("/users/{id}"), &request).await
}

/// Ends every session of an account.
pub async fn revoke_sessions(id: UserId) -> ApiResult<()> {
    delete(&format!("/users/{id}/sessions")).await
}
