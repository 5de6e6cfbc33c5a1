//! API keys for machines (`/api/v1/api-keys`); needs `api_keys:manage`.

use super::{ApiResult, delete, get_json, post_json};
use app::api_keys::{ApiKeySummary, CreateApiKeyRequest, CreatedApiKey};
use app::ids::ApiKeyId;

/// Returns every key, revoked ones included.
pub async fn list_api_keys() -> ApiResult<Vec<ApiKeySummary>> {
    get_json("/api-keys").await
}

/// Creates a key; the answer holds the secret, which the server never shows again.
pub async fn create_api_key(request: &CreateApiKeyRequest) -> ApiResult<CreatedApiKey> {
    post_json("/api-keys", request).await
}

/// Revokes a key at once.
pub async fn revoke_api_key(id: ApiKeyId) -> ApiResult<()> {
    delete(&format!("/api-keys/{id}")).await
}
