//! User accounts (`/api/v1/users`); needs `users:manage`.

use super::{ApiResult, get_json, post_json};
use app::users::{CreateUserRequest, UserSummary};

/// Returns every account.
pub async fn list_users() -> ApiResult<Vec<UserSummary>> {
    get_json("/users").await
}

/// Creates a local account.
pub async fn create_user(request: &CreateUserRequest) -> ApiResult<UserSummary> {
    post_json("/users", request).await
}
