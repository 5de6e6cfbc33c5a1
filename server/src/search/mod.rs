//! Search: the query language compiled to SQL over the partitioned events,
//! keyset pagination, bounded cost, and an audit record per search.

pub mod compile;
pub mod export;
pub mod handlers;
pub mod repo;
pub mod saved;

use crate::error::ApiError;
use app::ErrorCode;
use app::search::resolve_time;
use chrono::{DateTime, Utc};

/// Returns the query's condition, or a 400 `bad_query` with the position.
pub fn parse_query(text: &str) -> Result<app::query::Query, ApiError> {
    let bad = |message: String, position: usize| {
        ApiError::new(ErrorCode::BadQuery, message)
            .with_details(serde_json::json!({ "position": position }))
    };
    let query = app::query::parse(text).map_err(|error| bad(error.message, error.position))?;
    // Regular expressions are checked here, where the regex engine is.
    if let Err(problem) = crate::event::pattern::check_for_postgres(&query) {
        let at = text
            .find("|re")
            .map_or(0, |byte| text[..byte].chars().count());
        return Err(bad(problem, at));
    }
    Ok(query)
}

/// Returns the request's time range, resolved against now.
pub fn time_range(
    from: Option<&str>,
    to: Option<&str>,
) -> Result<(DateTime<Utc>, DateTime<Utc>), ApiError> {
    let now = Utc::now();
    let resolve = |field: &str, text: &str| {
        resolve_time(text, now).map_err(|e| ApiError::validation(field, e.to_string()))
    };
    let from = resolve("from", from.unwrap_or("now-24h"))?;
    let to = resolve("to", to.unwrap_or("now"))?;
    if from >= to {
        return Err(ApiError::validation("from", "from must be before to"));
    }
    Ok((from, to))
}
