//! Alerts: what detection rules raised, and how analysts triage them.
//!
//! An alert's identity is its rule, its group (the values of the rule's
//! group-by fields) and the time its window started; the engine stores
//! each identity once. Triage moves an alert between `open`,
//! `acknowledged` and `closed` (closing says why: a resolution), assigns
//! it, and comments on it; every change is kept as the alert's activity.

use crate::ids::{AlertId, RuleId};
use crate::rules::Severity;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The longest comment, in characters.
pub const MAX_COMMENT: usize = 10_000;

/// Where an alert stands in triage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum AlertStatus {
    /// Nobody has looked yet.
    Open,
    /// Someone is on it.
    Acknowledged,
    /// Done with, with a resolution.
    Closed,
}

impl AlertStatus {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            AlertStatus::Open => "open",
            AlertStatus::Acknowledged => "acknowledged",
            AlertStatus::Closed => "closed",
        }
    }

    /// The status of a stored name.
    pub fn parse(text: &str) -> Option<AlertStatus> {
        match text {
            "open" => Some(AlertStatus::Open),
            "acknowledged" => Some(AlertStatus::Acknowledged),
            "closed" => Some(AlertStatus::Closed),
            _ => None,
        }
    }
}

/// Why an alert was closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Resolution {
    /// Malicious or unwanted activity, handled.
    TruePositive,
    /// Real activity, but expected or authorised.
    BenignPositive,
    /// The rule was wrong about it.
    FalsePositive,
    /// Another alert covers it.
    Duplicate,
}

impl Resolution {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Resolution::TruePositive => "true_positive",
            Resolution::BenignPositive => "benign_positive",
            Resolution::FalsePositive => "false_positive",
            Resolution::Duplicate => "duplicate",
        }
    }

    /// The resolution of a stored name.
    pub fn parse(text: &str) -> Option<Resolution> {
        match text {
            "true_positive" => Some(Resolution::TruePositive),
            "benign_positive" => Some(Resolution::BenignPositive),
            "false_positive" => Some(Resolution::FalsePositive),
            "duplicate" => Some(Resolution::Duplicate),
            _ => None,
        }
    }
}

/// A user as an alert names them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct AlertUser {
    pub id: crate::ids::UserId,
    pub username: String,
}

/// A stored alert.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Alert {
    pub id: AlertId,
    pub rule_id: RuleId,
    /// The rule's version that raised it.
    pub rule_version: crate::rules::RuleVersion,
    pub rule_slug: String,
    pub rule_name: String,
    pub severity: Severity,
    pub tactics: Vec<String>,
    pub techniques: Vec<String>,
    pub summary: String,
    /// The group-by fields' values (empty for an ungrouped rule).
    pub group: BTreeMap<String, String>,
    /// The first contributing event's time (for absence: the last event
    /// seen before the silence).
    pub window_start: DateTime<Utc>,
    /// The last contributing event's time (for absence: when the silence
    /// was noticed).
    pub window_end: DateTime<Utc>,
    /// How many events contributed (the stored ids stop at 1,000).
    pub event_count: i32,
    /// When the engine stored it.
    pub created_at: DateTime<Utc>,
    pub status: AlertStatus,
    pub resolution: Option<Resolution>,
    pub assignee: Option<AlertUser>,
    pub updated_at: DateTime<Utc>,
}

/// An event behind an alert.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct AlertEvent {
    pub id: uuid::Uuid,
    pub timestamp: DateTime<Utc>,
    /// The stored document, when the event is still kept (retention may
    /// have removed it).
    pub document: Option<serde_json::Value>,
}

/// One thing that happened to an alert.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct AlertActivity {
    pub at: DateTime<Utc>,
    /// Who did it (a user name, or an API key's name).
    pub actor: String,
    /// `status`, `assignee` or `comment`.
    pub kind: String,
    /// For a status: `{status, resolution}`; assignee: `{assignee}`
    /// (a user name or null); comment: `{text}`.
    pub detail: serde_json::Value,
}

/// `GET /api/v1/alerts/{id}`: the alert, its events, its activity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct AlertDetail {
    pub alert: Alert,
    /// The contributing events, oldest first (documents of the first 100).
    pub events: Vec<AlertEvent>,
    /// Oldest first.
    pub activity: Vec<AlertActivity>,
}

/// `GET /api/v1/alerts` filters; every one optional.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct AlertQuery {
    /// Comma-separated statuses (`open,acknowledged`).
    pub status: Option<String>,
    /// Comma-separated severities.
    pub severity: Option<String>,
    /// A rule's slug.
    pub rule: Option<String>,
    /// Raised at or after (RFC 3339).
    pub from: Option<DateTime<Utc>>,
    /// Raised before (RFC 3339).
    pub to: Option<DateTime<Utc>>,
    /// A group value (any group field), exact.
    pub group: Option<String>,
    /// With `group`: the group field it must be in.
    pub group_field: Option<String>,
    /// Assigned to this user name (`none` for unassigned).
    pub assignee: Option<String>,
    /// Alerts older than this id (the previous page's `next_before`).
    pub before: Option<AlertId>,
    /// Page size, 1–1,000 (default 100).
    pub limit: Option<i64>,
}

/// A page of alerts, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct AlertPage {
    pub alerts: Vec<Alert>,
    /// Pass as `before` for the next page; absent on the last.
    pub next_before: Option<AlertId>,
}

/// `PATCH /api/v1/alerts/{id}`: any of the fields.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct AlertUpdate {
    pub status: Option<AlertStatus>,
    /// Required when closing; not allowed otherwise.
    pub resolution: Option<Resolution>,
    /// A user name; `null` unassigns; absent leaves it.
    #[serde(default, with = "double_option")]
    #[cfg_attr(feature = "schema", schemars(with = "Option<String>"))]
    pub assignee: Option<Option<String>>,
    pub comment: Option<String>,
}

/// `PATCH /api/v1/alerts`: one change to many alerts (at most 1,000).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct AlertBulkUpdate {
    pub ids: Vec<AlertId>,
    pub status: Option<AlertStatus>,
    pub resolution: Option<Resolution>,
    #[serde(default, with = "double_option")]
    #[cfg_attr(feature = "schema", schemars(with = "Option<String>"))]
    pub assignee: Option<Option<String>>,
    pub comment: Option<String>,
}

impl AlertBulkUpdate {
    /// The change it makes to each alert.
    pub fn update(&self) -> AlertUpdate {
        AlertUpdate {
            status: self.status,
            resolution: self.resolution,
            assignee: self.assignee.clone(),
            comment: self.comment.clone(),
        }
    }
}

/// What a bulk update did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct AlertBulkResult {
    /// Alerts changed.
    pub updated: usize,
    /// Ids given that name no alert.
    pub missing: Vec<AlertId>,
}

/// A rule the engine cannot run, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct BrokenRule {
    pub rule_id: RuleId,
    pub slug: String,
    pub error: String,
}

/// `GET /api/v1/detection/status`: where the engine stands.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct DetectionStatus {
    /// The instance that last led (host:pid), when any has.
    pub leader: Option<String>,
    /// When the leader last committed.
    pub leader_seen_at: Option<DateTime<Utc>>,
    /// Whether the answering instance leads.
    pub this_instance_leads: bool,
    /// Enabled rules.
    pub rules_enabled: i64,
    /// Rules the answering instance runs, when it leads (equal to
    /// `rules_enabled` less `broken` once a change has been taken up).
    pub rules_running: Option<u64>,
    /// Enabled rules that do not compile (the others run).
    pub broken: Vec<BrokenRule>,
    /// Committed events not yet evaluated.
    pub pending_events: i64,
    /// How long the oldest of them has waited, in seconds.
    pub lag_secs: f64,
    /// Events evaluated and alerts stored by the answering instance since it started.
    pub events_evaluated: u64,
    pub alerts_raised: u64,
    /// Rules that remembered more groups than they may and let the least
    /// recently active go (their alerts may miss those groups).
    #[serde(default)]
    pub capped: Vec<CappedRule>,
}

/// A rule that let groups go to stay within its memory bound.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct CappedRule {
    pub id: RuleId,
    pub slug: String,
    /// Groups let go since this instance loaded the rule.
    pub evicted: u64,
}

/// Tells an absent field (`None`) from an explicit `null` (`Some(None)`).
mod double_option {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer>(
        value: &Option<Option<String>>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match value {
            Some(inner) => inner.serialize(serializer),
            None => serializer.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<Option<String>>, D::Error> {
        Option::<String>::deserialize(deserializer).map(Some)
    }
}

impl AlertUpdate {
    /// What is wrong with the update, as (field, message) pairs.
    pub fn problems(&self) -> Vec<(&'static str, String)> {
        let mut problems = Vec::new();
        match (self.status, self.resolution) {
            (Some(AlertStatus::Closed), None) => problems.push((
                "resolution",
                "closing an alert needs a resolution".to_owned(),
            )),
            (Some(AlertStatus::Closed), Some(_)) => {}
            (_, Some(_)) => problems.push((
                "resolution",
                "a resolution is given only when closing".to_owned(),
            )),
            _ => {}
        }
        if let Some(comment) = &self.comment {
            let length = comment.chars().count();
            if comment.trim().is_empty() {
                problems.push(("comment", "a comment cannot be empty".to_owned()));
            } else if length > MAX_COMMENT {
                problems.push((
                    "comment",
                    format!("a comment has at most {MAX_COMMENT} characters"),
                ));
            }
        }
        if self.status.is_none() && self.assignee.is_none() && self.comment.is_none() {
            problems.push((
                "status",
                "nothing to change: give status, assignee or comment".to_owned(),
            ));
        }
        problems
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn null_unassigns_and_absence_leaves_the_assignee() {
        let absent: AlertUpdate = serde_json::from_str(r#"{"comment": "x"}"#).unwrap();
        assert_eq!(absent.assignee, None);
        let null: AlertUpdate = serde_json::from_str(r#"{"assignee": null}"#).unwrap();
        assert_eq!(null.assignee, Some(None));
        let named: AlertUpdate = serde_json::from_str(r#"{"assignee": "ana"}"#).unwrap();
        assert_eq!(named.assignee, Some(Some("ana".to_owned())));
    }

    #[test]
    fn closing_needs_a_resolution_and_only_closing_takes_one() {
        let close = |resolution| AlertUpdate {
            status: Some(AlertStatus::Closed),
            resolution,
            ..AlertUpdate::default()
        };
        assert_eq!(close(None).problems()[0].0, "resolution");
        assert!(close(Some(Resolution::FalsePositive)).problems().is_empty());
        let acknowledge = AlertUpdate {
            status: Some(AlertStatus::Acknowledged),
            resolution: Some(Resolution::Duplicate),
            ..AlertUpdate::default()
        };
        assert_eq!(acknowledge.problems()[0].0, "resolution");
        assert_eq!(AlertUpdate::default().problems()[0].0, "status");
        let blank = AlertUpdate {
            comment: Some("  ".to_owned()),
            ..AlertUpdate::default()
        };
        assert_eq!(blank.problems()[0].0, "comment");
    }

    #[test]
    fn names_round_trip() {
        for status in [
            AlertStatus::Open,
            AlertStatus::Acknowledged,
            AlertStatus::Closed,
        ] {
            assert_eq!(AlertStatus::parse(status.as_str()), Some(status));
            assert_eq!(
                serde_json::to_value(status).unwrap(),
                serde_json::json!(status.as_str())
            );
        }
        for resolution in [
            Resolution::TruePositive,
            Resolution::BenignPositive,
            Resolution::FalsePositive,
            Resolution::Duplicate,
        ] {
            assert_eq!(Resolution::parse(resolution.as_str()), Some(resolution));
            assert_eq!(
                serde_json::to_value(resolution).unwrap(),
                serde_json::json!(resolution.as_str())
            );
        }
    }
}
