//! Watchlists: named sets of values (addresses, users, hashes, domains) that
//! indicator rules and `field|in:<list>` conditions match. Entries come as
//! JSON or CSV (bad lines reported with their numbers, good ones kept);
//! every change is audited. The engine reads the values (`detect::repo`).

pub mod handlers;
pub mod repo;

use crate::error::ApiError;
use app::ids::WatchlistId;
use app::watchlists::{Watchlist, WatchlistRequest};

/// Refuses a request with its first mistake.
pub fn checked(request: &WatchlistRequest) -> Result<(), ApiError> {
    request
        .validate()
        .map_err(|(field, message)| ApiError::validation(field, message))
}

/// Returns the 409 of a slug another watchlist has.
pub fn slug_taken(error: sqlx::Error) -> ApiError {
    ApiError::on_duplicate("a watchlist with this slug exists")(error)
}

/// Returns the watchlist `id`, or a 404.
pub async fn one(db: impl sqlx::PgExecutor<'_>, id: WatchlistId) -> Result<Watchlist, ApiError> {
    repo::fetch_watchlists(db, Some(id))
        .await?
        .pop()
        .ok_or_else(|| ApiError::not_found("no watchlist with this id"))
}
