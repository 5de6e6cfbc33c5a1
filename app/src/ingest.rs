//! The answer of the ingest endpoints.

use serde::{Deserialize, Serialize};

/// Returns the result of `POST /api/v1/events` and `POST /api/v1/events/bulk`.
///
/// A 200 means every accepted event is committed to storage; rejected items
/// are listed by their position in the request and never stop their neighbours.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IngestResponse {
    /// How many events were stored.
    pub accepted: u64,
    /// The items that were not, in request order.
    pub rejected: Vec<RejectedItem>,
}

/// Returns one refused item of an ingest request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RejectedItem {
    /// The item's zero-based position (array index or NDJSON line among non-blank lines).
    pub index: u64,
    /// A stable reason code: `invalid_json`, `not_an_object`, `too_deep`.
    pub code: String,
    /// A human-readable explanation.
    pub message: String,
}
