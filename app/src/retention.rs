//! Retention: how long events are kept, by default and per source or category.
//!
//! An event is kept for the longest retention among the policies that match
//! it (a policy matches on its source, its category, or both), or for the
//! default when none matches. "Longest wins" is the rule compliance needs: a
//! policy can make Vigil keep something longer, and a short policy for a noisy
//! source never shortens what a longer policy (say, for authentication
//! events) promised to keep.

use crate::ids::RetentionPolicyId;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The shortest and longest retention a policy may state, in days.
pub const DAYS_RANGE: std::ops::RangeInclusive<u32> = 1..=36_500;

/// Returns one stored retention policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct RetentionPolicy {
    /// Its identity.
    pub id: RetentionPolicyId,
    /// A name saying why it exists.
    pub name: String,
    /// The ingest source (API key, user or listener id) it applies to; any when absent.
    pub source_id: Option<Uuid>,
    /// That source's name, when it is known.
    pub source_name: Option<String>,
    /// The `event.category` it applies to (lower case); any when absent.
    pub category: Option<String>,
    /// How many days matching events are kept.
    pub days: u32,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

/// Returns the body of `POST /api/v1/retention/policies` and of `PUT …/{id}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct RetentionPolicyRequest {
    /// A name saying why it exists.
    pub name: String,
    /// The ingest source it applies to.
    #[serde(default)]
    pub source_id: Option<Uuid>,
    /// The `event.category` it applies to.
    #[serde(default)]
    pub category: Option<String>,
    /// How many days matching events are kept.
    pub days: u32,
}

/// Returned when a policy request breaks a rule; `field` names the culprit.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct RetentionPolicyError {
    /// The request field at fault.
    pub field: &'static str,
    /// What is wrong with it.
    pub message: String,
}

impl RetentionPolicyRequest {
    /// The longest accepted name, in characters.
    pub const MAX_NAME_LEN: usize = 100;

    /// Returns a request for `days` of retention of events from `source_id`
    /// and/or of `category`.
    pub fn new(
        name: &str,
        source_id: Option<Uuid>,
        category: Option<&str>,
        days: u32,
    ) -> RetentionPolicyRequest {
        RetentionPolicyRequest {
            name: name.to_owned(),
            source_id,
            category: category.map(str::to_owned),
            days,
        }
    }

    /// Returns the request with its name trimmed and its category trimmed and
    /// lower-cased (as stored in events), or the first broken rule.
    pub fn validate(&self) -> Result<RetentionPolicyRequest, RetentionPolicyError> {
        let fail = |field, message: &str| {
            Err(RetentionPolicyError {
                field,
                message: message.to_owned(),
            })
        };
        let name = self.name.trim();
        if name.is_empty() {
            return fail("name", "name is empty");
        }
        if name.chars().count() > Self::MAX_NAME_LEN {
            return fail("name", "name is longer than 100 characters");
        }
        if name.chars().any(char::is_control) {
            return fail("name", "name contains a control character");
        }
        let category = self
            .category
            .as_deref()
            .map(|c| c.trim().to_lowercase())
            .filter(|c| !c.is_empty());
        if category
            .as_deref()
            .is_some_and(|c| c.len() > 100 || c.chars().any(char::is_control))
        {
            return fail(
                "category",
                "category must be at most 100 characters, without control characters",
            );
        }
        if self.source_id.is_none() && category.is_none() {
            return fail(
                "source_id",
                "a policy needs a source, a category, or both (the default covers everything else)",
            );
        }
        if !DAYS_RANGE.contains(&self.days) {
            return fail("days", "days must be between 1 and 36500");
        }
        Ok(RetentionPolicyRequest {
            name: name.to_owned(),
            source_id: self.source_id,
            category,
            days: self.days,
        })
    }
}

/// Returns `GET /api/v1/retention`: the rules and what is stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct RetentionOverview {
    /// Days kept when no policy matches (`VIGIL_RETENTION_DAYS`).
    pub default_days: u32,
    /// The policies, by name.
    pub policies: Vec<RetentionPolicy>,
    /// The oldest stored day, if any.
    pub oldest_day: Option<NaiveDate>,
    /// Day partitions stored.
    pub partitions: u64,
}

/// Returns what one retention run removed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct RetentionRun {
    /// Whole days dropped (every event in them was past retention).
    pub dropped_days: Vec<NaiveDate>,
    /// Per day, events deleted because their policy (or the default) expired
    /// while other events of the day are still kept.
    pub deleted: Vec<DeletedEvents>,
}

/// Returns the events deleted from one day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct DeletedEvents {
    /// The UTC day.
    pub day: NaiveDate,
    /// How many events were deleted.
    pub events: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    use RetentionPolicyRequest as Request;

    #[test]
    fn valid_requests_are_normalised() {
        let ok = Request::new("  auth kept a year ", None, Some(" Authentication "), 365)
            .validate()
            .unwrap();
        assert_eq!(ok.name, "auth kept a year");
        assert_eq!(ok.category.as_deref(), Some("authentication"));
    }

    #[test]
    fn broken_rules_name_their_field() {
        let source = Some(Uuid::nil());
        for (bad, field) in [
            (Request::new(" ", source, None, 7), "name"),
            (Request::new(&"n".repeat(101), source, None, 7), "name"),
            (Request::new("a\u{7}", source, None, 7), "name"),
            (Request::new("neither", None, Some("  "), 7), "source_id"),
            (Request::new("zero", source, None, 0), "days"),
            (Request::new("forever", source, None, 36_501), "days"),
            (
                Request::new("cat", None, Some(&"c".repeat(101)), 7),
                "category",
            ),
        ] {
            assert_eq!(bad.validate().unwrap_err().field, field, "{bad:?}");
        }
    }
}
