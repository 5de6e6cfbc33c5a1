//! Search: the query language compiled to SQL over the partitioned events,
//! keyset pagination, bounded cost, and an audit record per search.

pub mod compile;
pub mod export;
pub mod handlers;
pub mod repo;
pub mod saved;

use crate::error::ApiError;
use app::ErrorCode;
use app::query::time::{self, Clock};
use app::query::{Query, Warning};
use chrono::{DateTime, Utc};

/// Returns the present and the request's time zone (`UTC` by default, or
/// an offset such as `+01:00`), against which its times are read.
pub fn clock(time_zone: Option<&str>) -> Result<Clock, ApiError> {
    let zone = time::zone(time_zone.unwrap_or("UTC")).ok_or_else(|| {
        ApiError::validation(
            "time_zone",
            "a time zone is UTC or an offset such as +01:00",
        )
    })?;
    Ok(Clock {
        now: Utc::now(),
        zone,
    })
}

/// Returns the query's condition, its times read against `clock`, and the
/// warnings on how it was read; or a 400 `bad_query` with the position.
pub fn parse_query(text: &str, clock: &Clock) -> Result<(Query, Vec<Warning>), ApiError> {
    let bad = |message: String, position: usize| {
        ApiError::new(ErrorCode::BadQuery, message)
            .with_details(serde_json::json!({ "position": position }))
    };
    let parsed = app::query::parse_with_warnings(text)
        .map_err(|error| bad(error.message, error.position))?;
    let at_time = text
        .find("@timestamp")
        .map_or(0, |byte| text[..byte].chars().count());
    let query = time::resolve(&parsed.query, clock).map_err(|e| bad(e.to_string(), at_time))?;
    // Regular expressions are checked here, where the regex engine is.
    if let Err(problem) = crate::event::pattern::check_for_postgres(&query) {
        let at = text
            .find("|re")
            .map_or(0, |byte| text[..byte].chars().count());
        return Err(bad(problem, at));
    }
    Ok((query, parsed.warnings))
}

/// Returns the request's time range read against `clock`: from the start
/// of `from` (default `now-24h`) to the end of `to` (default `now`), so
/// that `now/d` to `now/d` is today, as in Kibana.
pub fn time_range(
    from: Option<&str>,
    to: Option<&str>,
    clock: &Clock,
) -> Result<(DateTime<Utc>, DateTime<Utc>), ApiError> {
    app::search::resolve_range(from.unwrap_or("now-24h"), to.unwrap_or("now"), clock)
        .map_err(|(field, message)| ApiError::validation(field, message))
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
