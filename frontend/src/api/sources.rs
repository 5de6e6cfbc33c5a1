//! Ingest sources (`/api/v1/sources`).

use super::{ApiResult, get_json};
use app::ingest::SourceSummary;

/// Returns every source that delivered events; needs `system:read`.
pub async fn list() -> ApiResult<Vec<SourceSummary>> {
    get_json("/sources").await
}
