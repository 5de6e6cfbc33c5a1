//! The answer of the ingest endpoints.

use serde::{Deserialize, Serialize};

/// Returns the result of `POST /api/v1/events` and `POST /api/v1/events/bulk`.
///
/// A 200 means every accepted event is committed to storage; rejected items
/// are listed by their position in the request and never stop their neighbours.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct IngestResponse {
    /// How many events were stored.
    pub accepted: u64,
    /// The items that were not, in request order: the first
    /// [`IngestResponse::MAX_LISTED_REJECTIONS`] of them.
    pub rejected: Vec<RejectedItem>,
    /// How many items were not stored, listed or not.
    #[serde(default)]
    pub rejected_total: u64,
}

impl IngestResponse {
    /// At most this many rejected items are listed: a small body that
    /// decompresses into millions of bad lines must not make a huge answer.
    pub const MAX_LISTED_REJECTIONS: usize = 1_000;
}

/// Returns one refused item of an ingest request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct RejectedItem {
    /// The item's zero-based position (array index or NDJSON line among non-blank lines).
    pub index: u64,
    /// A stable reason code: `invalid_json`, `not_an_object`, `too_deep`, `too_large`.
    pub code: String,
    /// A human-readable explanation.
    pub message: String,
}

/// Returns who delivers events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum SourceKind {
    /// A shipper holding an API key.
    ApiKey,
    /// A signed-in user (uploads, tests).
    User,
    /// A syslog listener.
    Listener,
}

/// Returns one source in `GET /api/v1/sources`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct SourceSummary {
    /// The API key, user or listener id.
    pub id: uuid::Uuid,
    /// What kind of source it is.
    pub kind: SourceKind,
    /// Its name.
    pub name: String,
    /// Events stored from it, all time.
    pub accepted: i64,
    /// Items refused from it, all time.
    pub rejected: i64,
    /// When it first delivered.
    pub first_seen_at: chrono::DateTime<chrono::Utc>,
    /// When it last delivered (counts reach the database within seconds).
    pub last_seen_at: chrono::DateTime<chrono::Utc>,
    /// The newest event time it delivered.
    pub last_event_at: Option<chrono::DateTime<chrono::Utc>>,
    /// Events per second over the last complete minute.
    pub events_per_second: f64,
}
