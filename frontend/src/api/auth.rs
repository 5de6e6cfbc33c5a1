//! Sign-in, sign-out and the current user (`/api/v1/auth`).

use super::{ApiResult, get_json, post_empty, post_json};
use app::auth::{CurrentUser, LoginRequest};

/// Signs in with a username and password; the server sets the HttpOnly session cookie.
pub async fn login(request: &LoginRequest) -> ApiResult<CurrentUser> {
    post_json("/auth/login", request).await
}

/// Ends the current session.
pub async fn logout() -> ApiResult<()> {
    post_empty("/auth/logout").await
}

/// Returns the signed-in user, or an `unauthenticated` error.
pub async fn me() -> ApiResult<CurrentUser> {
    get_json("/auth/me").await
}
