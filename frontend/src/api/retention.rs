//! Retention (`/api/v1/retention`): reading needs `system:read`, changing `settings:manage`.

use super::{ApiResult, delete, get_json, post_json};
use app::ids::RetentionPolicyId;
use app::retention::{RetentionOverview, RetentionPolicy, RetentionPolicyRequest, RetentionRun};

/// Returns the default retention, the policies and what is stored.
pub async fn overview() -> ApiResult<RetentionOverview> {
    get_json("/retention").await
}

/// Adds a policy.
pub async fn create_policy(request: &RetentionPolicyRequest) -> ApiResult<RetentionPolicy> {
    post_json("/retention/policies", request).await
}

/// Removes a policy.
pub async fn delete_policy(id: RetentionPolicyId) -> ApiResult<()> {
    delete(&format!("/retention/policies/{id}")).await
}

/// Applies retention now and returns what it removed.
pub async fn run_now() -> ApiResult<RetentionRun> {
    post_json("/retention/run", &serde_json::json!({})).await
}
