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

/// Exports running at once, in all and per user. An export holds a
/// database connection for as long as it streams (up to its 30-minute
/// bound, a slow client's pace): without a cap, a dozen of them would take
/// the pool every other request needs.
#[derive(Debug)]
pub struct ExportSlots {
    all: std::sync::Arc<tokio::sync::Semaphore>,
    per_user: usize,
    running: std::sync::Mutex<std::collections::HashMap<uuid::Uuid, usize>>,
}

/// A running export's place, given back when dropped.
#[derive(Debug)]
pub struct ExportSlot {
    _all: tokio::sync::OwnedSemaphorePermit,
    slots: std::sync::Arc<ExportSlots>,
    owner: uuid::Uuid,
}

impl ExportSlots {
    /// At most `all` exports at once, `per_user` of them by one principal.
    pub fn new(all: usize, per_user: usize) -> ExportSlots {
        ExportSlots {
            all: std::sync::Arc::new(tokio::sync::Semaphore::new(all.max(1))),
            per_user: per_user.max(1),
            running: std::sync::Mutex::default(),
        }
    }

    /// Takes a place for an export by `owner`, or says why not (a 429).
    pub fn take(self: &std::sync::Arc<Self>, owner: uuid::Uuid) -> Result<ExportSlot, ApiError> {
        let busy = |message: &str| ApiError::too_many_requests(message, 10);
        let mut running = self.running.lock().unwrap_or_else(|p| p.into_inner());
        let mine = running.entry(owner).or_insert(0);
        if *mine >= self.per_user {
            return Err(busy(
                "you have as many exports running as one user may; wait for one to finish",
            ));
        }
        let all = std::sync::Arc::clone(&self.all)
            .try_acquire_owned()
            .map_err(|_| busy("the server runs as many exports as it may; retry shortly"))?;
        *mine += 1;
        Ok(ExportSlot {
            _all: all,
            slots: std::sync::Arc::clone(self),
            owner,
        })
    }
}

impl Drop for ExportSlot {
    fn drop(&mut self) {
        let mut running = self.slots.running.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(count) = running.get_mut(&self.owner) {
            *count -= 1;
            if *count == 0 {
                running.remove(&self.owner);
            }
        }
    }
}
