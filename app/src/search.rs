//! Searching stored events: the request and answer of `POST /api/v1/search`,
//! and the time forms analysts type (`now-15m`, RFC 3339).

use crate::query::Warning;
use crate::query::time::{self, Clock};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The most hits one page may hold.
pub const MAX_LIMIT: u32 = 1000;
/// Hits per page when the request does not say.
pub const DEFAULT_LIMIT: u32 = 100;
/// Totals are counted exactly up to this many matches.
pub const EXACT_TOTAL_UP_TO: u64 = 10_000;

/// Returns the body of `POST /api/v1/search`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct SearchRequest {
    /// The query (see `app::query`); empty means everything.
    #[serde(default)]
    pub query: String,
    /// Start of the time range, inclusive: a time as the query language reads
    /// them — RFC 3339, a date, epoch milliseconds or date math such as
    /// `now-15m`, `now/d` (default `now-24h`); the range starts where it does.
    #[serde(default)]
    pub from: Option<String>,
    /// End of the time range: a time as for `from` (default `now`); the range
    /// ends where it does, so `now/d` ends today and `2026-12-03` includes that day.
    #[serde(default)]
    pub to: Option<String>,
    /// The zone of dates, zone-less times and rounding to days in the query
    /// and the range: `UTC` (default) or an offset such as `+01:00`.
    #[serde(default)]
    pub time_zone: Option<String>,
    /// Hits per page, 1 to [`MAX_LIMIT`] (default [`DEFAULT_LIMIT`]).
    #[serde(default)]
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    #[serde(default)]
    pub cursor: Option<String>,
    /// Newest first (default) or oldest first.
    #[serde(default)]
    pub sort: SortOrder,
}

/// Returns the order of hits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum SortOrder {
    /// Newest first.
    #[default]
    Desc,
    /// Oldest first.
    Asc,
}

/// Returns one page of `POST /api/v1/search`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct SearchResponse {
    /// The matching events of this page.
    pub hits: Vec<Hit>,
    /// How many events match in the whole range (see `total_is_exact`).
    pub total: u64,
    /// False when there are more than [`EXACT_TOTAL_UP_TO`] matches and `total` is that bound.
    pub total_is_exact: bool,
    /// Pass as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<String>,
    /// The time range searched, resolved.
    pub from: DateTime<Utc>,
    /// The end of the range searched (exclusive).
    pub to: DateTime<Utc>,
    /// Server time spent, in milliseconds.
    pub took_ms: u64,
    /// How parts of the query were read where that may surprise (KQL and
    /// Lucene differ there), each with its position.
    #[serde(default)]
    pub warnings: Vec<Warning>,
}

/// Returns one matching event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Hit {
    /// Vigil's event id.
    pub id: Uuid,
    /// The event time.
    #[serde(rename = "@timestamp")]
    pub timestamp: DateTime<Utc>,
    /// The stored document, normalised (ECS fields) with every input field.
    pub event: serde_json::Value,
}

/// Returns the body of `POST /api/v1/search/histogram`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct HistogramRequest {
    /// The query; empty means everything.
    #[serde(default)]
    pub query: String,
    /// Start of the range (as in [`SearchRequest`]).
    #[serde(default)]
    pub from: Option<String>,
    /// End of the range (as in [`SearchRequest`]).
    #[serde(default)]
    pub to: Option<String>,
    /// The zone of dates, zone-less times and rounding to days in the query
    /// and the range: `UTC` (default) or an offset such as `+01:00`.
    #[serde(default)]
    pub time_zone: Option<String>,
    /// Bucket width in seconds; chosen for about 60 buckets when absent.
    #[serde(default)]
    pub interval: Option<u64>,
}

/// Returns `POST /api/v1/search/histogram`: counts per time bucket, empty ones included.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct HistogramResponse {
    /// Bucket width in seconds.
    pub interval: u64,
    /// The buckets, oldest first; each starts at `ts`.
    pub buckets: Vec<Bucket>,
    /// As in [`SearchResponse`].
    #[serde(default)]
    pub warnings: Vec<Warning>,
}

/// Returns one histogram bucket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Bucket {
    /// The bucket's start.
    pub ts: DateTime<Utc>,
    /// Matching events in it.
    pub count: u64,
}

/// Returns the body of `POST /api/v1/search/top`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct TopRequest {
    /// The query; empty means everything.
    #[serde(default)]
    pub query: String,
    /// Start of the range (as in [`SearchRequest`]).
    #[serde(default)]
    pub from: Option<String>,
    /// End of the range (as in [`SearchRequest`]).
    #[serde(default)]
    pub to: Option<String>,
    /// The zone of dates, zone-less times and rounding to days in the query
    /// and the range: `UTC` (default) or an offset such as `+01:00`.
    #[serde(default)]
    pub time_zone: Option<String>,
    /// The field whose values to count.
    pub field: String,
    /// How many values, 1 to 100 (default 10).
    #[serde(default)]
    pub size: Option<u32>,
}

/// Returns `POST /api/v1/search/top`: the most frequent values of a field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct TopResponse {
    /// The values, most frequent first.
    pub values: Vec<TopValue>,
    /// Matching events with another value.
    pub other: u64,
    /// Matching events without the field.
    pub missing: u64,
    /// As in [`SearchResponse`].
    #[serde(default)]
    pub warnings: Vec<Warning>,
}

/// Returns one frequent value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct TopValue {
    /// The value, as text.
    pub value: String,
    /// Matching events with it.
    pub count: u64,
}

/// The bucket widths the histogram chooses from, in seconds.
pub const INTERVALS: [u64; 15] = [
    1, 5, 10, 30, 60, 300, 600, 1800, 3600, 10_800, 21_600, 43_200, 86_400, 604_800, 2_592_000,
];

/// Returns the smallest width from [`INTERVALS`] that gives at most `buckets`
/// buckets over `span_seconds`.
pub fn auto_interval(span_seconds: u64, buckets: u64) -> u64 {
    INTERVALS
        .into_iter()
        .find(|width| span_seconds.div_ceil(*width) <= buckets)
        .unwrap_or(INTERVALS[INTERVALS.len() - 1])
}

/// Returns the body of `POST /api/v1/search/export`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ExportRequest {
    /// The query; empty means everything.
    #[serde(default)]
    pub query: String,
    /// Start of the range (as in [`SearchRequest`]).
    #[serde(default)]
    pub from: Option<String>,
    /// End of the range (as in [`SearchRequest`]).
    #[serde(default)]
    pub to: Option<String>,
    /// The zone of dates, zone-less times and rounding to days in the query
    /// and the range: `UTC` (default) or an offset such as `+01:00`.
    #[serde(default)]
    pub time_zone: Option<String>,
    /// NDJSON (whole documents) or CSV (chosen fields).
    #[serde(default)]
    pub format: ExportFormat,
    /// CSV columns (field names); default `@timestamp`, `host.name`,
    /// `source.ip`, `user.name`, `event.action`, `message`.
    #[serde(default)]
    pub fields: Vec<String>,
    /// Oldest first (default, as logs are read) or newest first.
    #[serde(default = "oldest_first")]
    pub sort: SortOrder,
}

fn oldest_first() -> SortOrder {
    SortOrder::Asc
}

impl Default for ExportRequest {
    fn default() -> Self {
        ExportRequest {
            query: String::new(),
            from: None,
            to: None,
            time_zone: None,
            format: ExportFormat::default(),
            fields: Vec::new(),
            sort: oldest_first(),
        }
    }
}

/// Returns the format of an export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum ExportFormat {
    /// One JSON document per line.
    #[default]
    Ndjson,
    /// A header row, then one row per event.
    Csv,
}

/// The CSV columns when a request names none.
pub const DEFAULT_EXPORT_FIELDS: [&str; 6] = [
    "@timestamp",
    "host.name",
    "source.ip",
    "user.name",
    "event.action",
    "message",
];

/// Returns one field of `GET /api/v1/fields`: seen in a sample of recent events.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct FieldInfo {
    /// The dotted path.
    pub name: String,
    /// The JSON types seen (`string`, `number`, `boolean`, `array`, `object`).
    pub types: Vec<String>,
    /// The share of sampled events that have it, 0 to 1.
    pub coverage: f64,
    /// Distinct values in the sample: a cardinality hint, capped at the sample size.
    pub distinct: u64,
    /// Whether it is one of the indexed columns (fast to filter and aggregate).
    pub indexed: bool,
}

/// Returns `GET /api/v1/fields`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct FieldsResponse {
    /// Events sampled (the most recent of the range).
    pub sampled: u64,
    /// Every field seen, by name.
    pub fields: Vec<FieldInfo>,
}

/// Returns a saved search as `GET /api/v1/saved-searches` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct SavedSearch {
    /// Its identity.
    pub id: crate::ids::SavedSearchId,
    /// Its name, unique per owner.
    pub name: String,
    /// The query.
    pub query: String,
    /// The range start as saved (`now-24h` stays relative).
    pub from: String,
    /// The range end as saved.
    pub to: String,
    /// Whether everyone who may search sees it.
    pub shared: bool,
    /// The owner's username.
    pub owner: String,
    /// Whether the caller owns it (and may change it).
    pub mine: bool,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

/// Returns the body of `POST /api/v1/saved-searches` and `PUT …/{id}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct SavedSearchRequest {
    /// Its name.
    pub name: String,
    /// The query.
    #[serde(default)]
    pub query: String,
    /// The range start (default `now-24h`).
    #[serde(default = "default_from")]
    pub from: String,
    /// The range end (default `now`).
    #[serde(default = "default_to")]
    pub to: String,
    /// Whether everyone who may search sees it.
    #[serde(default)]
    pub shared: bool,
}

fn default_from() -> String {
    "now-24h".to_owned()
}

fn default_to() -> String {
    "now".to_owned()
}

impl SavedSearchRequest {
    /// Returns the request with its name trimmed, or (field, problem): the
    /// name must be 1 to 100 characters, the query must parse and the times
    /// must be times.
    pub fn validate(&self) -> Result<SavedSearchRequest, (&'static str, String)> {
        let name = self.name.trim();
        if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
            return Err((
                "name",
                "the name must be 1 to 100 characters, without control characters".into(),
            ));
        }
        crate::query::parse(&self.query).map_err(|e| ("query", e.to_string()))?;
        for (field, text) in [("from", &self.from), ("to", &self.to)] {
            if text.len() > 64 {
                return Err((field, "a time is at most 64 characters".into()));
            }
            time::check(text).map_err(|e| (field, e.to_string()))?;
        }
        Ok(SavedSearchRequest {
            name: name.to_owned(),
            query: self.query.clone(),
            from: self.from.trim().to_owned(),
            to: self.to.trim().to_owned(),
            shared: self.shared,
        })
    }
}

/// The start (inclusive) and end (exclusive) of a search's time range.
pub type TimeRange = (DateTime<Utc>, DateTime<Utc>);

/// Returns the range `from` to `to` names, read against `clock`: from the
/// start of `from` to the end of `to` when `to` is a whole unit (`now/d` to
/// `now/d` is today, `2026-12-03` includes that day), and up to (not
/// including) `to` when it is an instant; on error, the field at fault and why.
pub fn resolve_range(
    from: &str,
    to: &str,
    clock: &Clock,
) -> Result<TimeRange, (&'static str, String)> {
    let start = time::span(from, clock)
        .map_err(|e| ("from", e.to_string()))?
        .start;
    let to_span = time::span(to, clock).map_err(|e| ("to", e.to_string()))?;
    let end = if to_span.is_instant() {
        to_span.start
    } else {
        to_span.end
    };
    if start >= end {
        return Err(("from", "from must be before to".into()));
    }
    Ok((start, end))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_intervals_give_at_most_the_buckets_asked() {
        assert_eq!(auto_interval(15 * 60, 60), 30);
        assert_eq!(auto_interval(24 * 3600, 60), 1800);
        assert_eq!(auto_interval(7 * 86_400, 60), 10_800);
        assert_eq!(auto_interval(10, 60), 1);
        assert_eq!(auto_interval(u64::MAX / 2, 60), 2_592_000);
    }

    #[test]
    fn ranges_run_from_the_start_of_from_to_the_end_of_to() {
        let now = DateTime::parse_from_rfc3339("2026-11-29T12:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let clock = Clock::utc(now);
        let range = |from: &str, to: &str| {
            resolve_range(from, to, &clock).map(|(a, b)| (a.to_rfc3339(), b.to_rfc3339()))
        };
        assert_eq!(
            range("2026-11-29T10:01:00Z", "2026-11-29T10:03:00Z").unwrap(),
            (
                "2026-11-29T10:01:00+00:00".into(),
                "2026-11-29T10:03:00+00:00".into()
            ),
            "an instant ends the range before it"
        );
        assert_eq!(
            range("now-15m", "now").unwrap(),
            (
                "2026-11-29T11:45:00+00:00".into(),
                "2026-11-29T12:00:00+00:00".into()
            )
        );
        assert_eq!(
            range("now/d", "now/d").unwrap(),
            (
                "2026-11-29T00:00:00+00:00".into(),
                "2026-11-30T00:00:00+00:00".into()
            )
        );
        assert_eq!(
            range("2026-11-01", "2026-11-28").unwrap(),
            (
                "2026-11-01T00:00:00+00:00".into(),
                "2026-11-29T00:00:00+00:00".into()
            )
        );
        assert_eq!(
            range("2026-11-29T10:00:00+02:00", "now").unwrap().0,
            "2026-11-29T08:00:00+00:00"
        );
        assert_eq!(range("now", "now-1h").unwrap_err().0, "from");
        assert_eq!(range("yesterday", "now").unwrap_err().0, "from");
        assert_eq!(range("now-1h", "now-").unwrap_err().0, "to");
    }
}
