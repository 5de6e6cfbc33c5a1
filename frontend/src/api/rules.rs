//! Detection rules (`/api/v1/rules`); reading needs `rules:read`.

use super::{ApiResult, get_json};
use app::rules::Rule;

/// Returns every live rule, most recently changed first.
pub async fn list() -> ApiResult<Vec<Rule>> {
    get_json("/rules").await
}
