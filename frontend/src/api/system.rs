//! Health and system status (`/api/v1/health`, `/api/v1/system`).

use super::{ApiResult, get_json};
use app::system::{Health, SystemStatus};

/// Returns the public health summary.
pub async fn health() -> ApiResult<Health> {
    get_json("/health").await
}

/// Returns the full system status; needs `system:read`.
pub async fn status() -> ApiResult<SystemStatus> {
    get_json("/system/status").await
}
