//! Searching events (`/api/v1/search`, `/search/histogram`, `/search/top`); needs `events:search`.

use super::{ApiResult, post_json};
use app::search::{
    HistogramRequest, HistogramResponse, SearchRequest, SearchResponse, TopRequest, TopResponse,
};

/// Returns one page of matching events.
pub async fn search(request: &SearchRequest) -> ApiResult<SearchResponse> {
    post_json("/search", request).await
}

/// Returns matching events counted per time bucket.
pub async fn histogram(request: &HistogramRequest) -> ApiResult<HistogramResponse> {
    post_json("/search/histogram", request).await
}

/// Returns the most frequent values of a field among matching events.
pub async fn top(request: &TopRequest) -> ApiResult<TopResponse> {
    post_json("/search/top", request).await
}

/// Returns the caller's saved searches and every shared one.
pub async fn saved_searches() -> ApiResult<Vec<app::search::SavedSearch>> {
    super::get_json("/saved-searches").await
}

/// Saves a search.
pub async fn save_search(
    request: &app::search::SavedSearchRequest,
) -> ApiResult<app::search::SavedSearch> {
    post_json("/saved-searches", request).await
}

/// Returns the fields of recent events in the range, for autocomplete.
pub async fn fields(from: &str, to: &str) -> ApiResult<app::search::FieldsResponse> {
    super::get_json(&format!(
        "/fields?from={}&to={}",
        crate::url::encode(from),
        crate::url::encode(to)
    ))
    .await
}
