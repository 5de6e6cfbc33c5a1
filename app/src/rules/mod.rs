//! Detection rules as data: what the rule builder edits, what the API
//! stores and versions, what Sigma imports become. The browser and the
//! server validate a rule with the same code, so the builder shows every
//! mistake where it is before the rule is saved.
//!
//! Every kind starts from one event condition in the search query language
//! (`query`): a `query` rule alerts on each matching event; the stateful
//! kinds count, relate or remember the matching events by group key.

mod validate;

use crate::query::Query;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// How urgent an alert is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Informational,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    /// Every severity, least urgent first.
    pub const ALL: [Severity; 5] = [
        Severity::Informational,
        Severity::Low,
        Severity::Medium,
        Severity::High,
        Severity::Critical,
    ];

    /// The name used in JSON and storage.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Informational => "informational",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    /// The severity of a name.
    pub fn parse(text: &str) -> Option<Severity> {
        Severity::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

/// A rule as written: everything but its identity and history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct RuleDefinition {
    /// A stable machine name (`bruteforce_ssh`), unique among rules.
    pub slug: String,
    /// What an analyst sees.
    pub name: String,
    /// Why the rule exists and what to do about an alert.
    #[serde(default)]
    pub description: String,
    pub severity: Severity,
    /// MITRE ATT&CK tactic ids (`TA0006`).
    #[serde(default)]
    pub tactics: Vec<String>,
    /// MITRE ATT&CK technique ids (`T1110`, `T1110.001`).
    #[serde(default)]
    pub techniques: Vec<String>,
    #[serde(default = "enabled_by_default")]
    pub enabled: bool,
    /// The event condition, in the search query language.
    pub query: String,
    /// What the rule does with matching events.
    #[serde(flatten)]
    pub kind: RuleKind,
    /// Conditions that exclude an event even when `query` matches it.
    #[serde(default)]
    pub exceptions: Vec<String>,
    /// At most one alert per group within a duration.
    #[serde(default)]
    pub suppression: Option<Suppression>,
    /// The alert's summary; `{field}` is replaced by the field's value in
    /// the (first) event, `{count}` by the number of events.
    #[serde(default)]
    pub summary: Option<String>,
    /// Events with the outcome they must give; run on every save.
    #[serde(default)]
    pub tests: Vec<RuleTestCase>,
}

fn enabled_by_default() -> bool {
    true
}

/// What a rule does with the events its condition matches.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RuleKind {
    /// Each matching event is an alert.
    Query,
    /// `threshold` or more matching events per group within `window_secs`.
    Threshold {
        #[serde(default)]
        group_by: Vec<String>,
        threshold: u64,
        window_secs: u64,
    },
    /// `threshold` or more distinct values of `field` per group within `window_secs`.
    ValueCount {
        field: String,
        #[serde(default)]
        group_by: Vec<String>,
        threshold: u64,
        window_secs: u64,
    },
    /// The steps' conditions matched in order (or, unless `ordered`, in any
    /// order) by events sharing the `by` fields, the first and last at most
    /// `max_span_secs` apart. The rule's `query` applies to every step.
    Sequence {
        #[serde(default)]
        by: Vec<String>,
        steps: Vec<SequenceStep>,
        max_span_secs: u64,
        /// False: every step within the span, in any order (Sigma's `temporal`).
        #[serde(default = "enabled_by_default")]
        ordered: bool,
    },
    /// A value (or combination of values) of `fields` not seen in the
    /// `history_days` before.
    NewTerms {
        fields: Vec<String>,
        history_days: u32,
    },
    /// The value of `field` is on the watchlist `watchlist` (its slug).
    Indicator { field: String, watchlist: String },
    /// No matching event for `period_secs`, per group (a source going silent).
    Absence {
        #[serde(default)]
        group_by: Vec<String>,
        period_secs: u64,
    },
    /// Impossible travel (MozDef's GeoModel): two consecutive matching
    /// events of one group (a user) whose places, read from `field` (a
    /// geo point: `{"lat", "lon"}`; ingest's geo-IP enrichment sets
    /// `source.geo.location`), lie `min_distance_km` or more apart and would
    /// need more than `max_speed_kmh` to travel between. A group's last place
    /// is remembered for `window_secs`.
    ImpossibleTravel {
        #[serde(default = "default_travellers")]
        by: Vec<String>,
        #[serde(default = "default_location_field")]
        field: String,
        #[serde(default = "default_max_speed_kmh")]
        max_speed_kmh: u32,
        #[serde(default = "default_min_distance_km")]
        min_distance_km: u32,
        #[serde(default = "default_travel_window_secs")]
        window_secs: u64,
    },
}

fn default_travellers() -> Vec<String> {
    vec!["user.name".to_owned()]
}

fn default_location_field() -> String {
    "source.geo.location".to_owned()
}

/// Faster than an airliner: MozDef's GeoModel threshold.
fn default_max_speed_kmh() -> u32 {
    1000
}

/// Closer than this is one place: geo-IP places a city, not a street.
fn default_min_distance_km() -> u32 {
    50
}

fn default_travel_window_secs() -> u64 {
    86_400
}

/// One step of a sequence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct SequenceStep {
    /// A label for the step (shown in the alert).
    #[serde(default)]
    pub name: String,
    /// The step's own condition.
    pub query: String,
}

/// At most one alert per group value within `duration_secs`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Suppression {
    /// The fields whose values form the group; the whole rule when empty.
    #[serde(default)]
    pub group_by: Vec<String>,
    pub duration_secs: u64,
}

/// Events in any shape ingest accepts, and how many alerts they must raise.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct RuleTestCase {
    pub name: String,
    pub events: Vec<serde_json::Value>,
    /// Evaluate as if the clock stood here (default: the latest event time).
    #[serde(default)]
    pub now: Option<DateTime<Utc>>,
    pub expect_alerts: u32,
}

/// A mistake in a rule: the field at fault (`kind.threshold`,
/// `exceptions[1]`), what is wrong, and where in a query it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct RuleError {
    pub field: String,
    pub message: String,
    /// A character index into the field's query text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub position: Option<usize>,
}

/// Where a stored rule came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum RuleOrigin {
    /// Written in Vigil (the builder or the API).
    Vigil,
    /// Imported from Sigma YAML.
    Sigma,
    /// A built-in rule pack.
    Pack,
}

/// A rule's version number: 1 when created, one more with each change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(transparent)]
pub struct RuleVersion(pub i32);

impl RuleVersion {
    /// The version a rule is created at.
    pub const FIRST: RuleVersion = RuleVersion(1);

    /// Returns the version a change to this one makes.
    pub fn next(self) -> RuleVersion {
        RuleVersion(self.0 + 1)
    }
}

impl std::fmt::Display for RuleVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// What made a version of a rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "lowercase")]
pub enum RuleChange {
    Create,
    Update,
    Delete,
}

impl RuleChange {
    /// Returns the name stored and sent.
    pub fn name(self) -> &'static str {
        match self {
            RuleChange::Create => "create",
            RuleChange::Update => "update",
            RuleChange::Delete => "delete",
        }
    }

    /// Reads a stored name.
    pub fn parse(name: &str) -> Option<RuleChange> {
        [RuleChange::Create, RuleChange::Update, RuleChange::Delete]
            .into_iter()
            .find(|c| c.name() == name)
    }
}

/// A stored rule: its definition, identity and history's head.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Rule {
    pub id: crate::ids::RuleId,
    pub version: RuleVersion,
    pub origin: RuleOrigin,
    pub definition: RuleDefinition,
    pub created_at: DateTime<Utc>,
    pub created_by: Option<String>,
    pub updated_at: DateTime<Utc>,
    pub updated_by: Option<String>,
}

/// The body of `PUT /api/v1/rules/{id}`: the new definition, and the
/// version it replaces (a stale version is a 409, not a lost edit).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct RuleUpdate {
    pub version: RuleVersion,
    pub definition: RuleDefinition,
}

/// One entry of a rule's history: a version and what made it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct RuleHistoryEntry {
    pub version: RuleVersion,
    pub change: RuleChange,
    pub definition: RuleDefinition,
    pub changed_at: DateTime<Utc>,
    pub changed_by: Option<String>,
}

/// What became of one document of a Sigma import.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(untagged)]
pub enum SigmaImportOutcome {
    /// The rule stored (`updated`: it replaced a rule with the same slug).
    Imported { rule: Box<Rule>, updated: bool },
    /// Why the document cannot be a Vigil rule.
    Unsupported { title: String, unsupported: String },
}

/// The answer of `POST /api/v1/rules/import/sigma`: one outcome per YAML
/// document, in order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct SigmaImportResponse {
    pub documents: Vec<SigmaImportOutcome>,
    pub imported: usize,
    pub unsupported: usize,
}

/// The body of `POST /api/v1/rules/test`: what a rule raises on exactly
/// these events (normalised as ingest does), the clock standing at `now`
/// (default: the latest event's time). Nothing is stored. The rule is given
/// as `rule`, as Sigma YAML (`sigma`; its last rule when it holds several,
/// as a correlation follows the rules it relates), or as the `slug` of a
/// stored rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct RuleTestRequest {
    #[serde(default)]
    pub rule: Option<RuleDefinition>,
    #[serde(default)]
    pub sigma: Option<String>,
    /// A stored rule, by slug.
    #[serde(default)]
    pub slug: Option<String>,
    pub events: Vec<serde_json::Value>,
    #[serde(default)]
    pub now: Option<DateTime<Utc>>,
}

/// What a rule raised on a test's events.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct RuleTestResponse {
    /// How many events satisfy the rule's condition (and no exception).
    pub matches: u64,
    pub alerts: Vec<TestAlert>,
    /// Alerts held back by the rule's suppression.
    pub suppressed: u64,
}

/// One alert of a rule test.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct TestAlert {
    pub summary: String,
    pub severity: Severity,
    /// The group's field values.
    pub group: std::collections::BTreeMap<String, String>,
    /// The contributing events, as indexes into the request's events.
    pub events: Vec<usize>,
    pub window_start: DateTime<Utc>,
    pub window_end: DateTime<Utc>,
}

/// Limits a rule must keep.
pub mod limits {
    pub const MAX_SLUG: usize = crate::slug::MAX_SLUG;
    pub const MAX_NAME: usize = 200;
    pub const MAX_DESCRIPTION: usize = 10_000;
    pub const MAX_GROUP_FIELDS: usize = 10;
    pub const MAX_EXCEPTIONS: usize = 50;
    pub const MAX_STEPS: usize = 10;
    pub const MAX_SUMMARY: usize = 500;
    pub const MAX_TEST_CASES: usize = 50;
    pub const MAX_TEST_EVENTS: usize = 1_000;
    /// The most events one `POST /api/v1/rules/test` evaluates.
    pub const MAX_TRIAL_EVENTS: usize = 10_000;
    /// The longest window of threshold, value count and sequence rules: 7 days.
    pub const MAX_WINDOW_SECS: u64 = 7 * 86_400;
    /// The longest absence period and suppression: 30 days.
    pub const MAX_PERIOD_SECS: u64 = 30 * 86_400;
    pub const MAX_HISTORY_DAYS: u32 = 90;
    /// Impossible travel: the fastest speed a rule may allow (Mach 10).
    pub const MAX_SPEED_KMH: u32 = 12_000;
    /// Impossible travel: the largest locality radius (half the equator).
    pub const MAX_DISTANCE_KM: u32 = 20_000;
}

impl RuleDefinition {
    /// The slugs of the watchlists the rule reads: an indicator's, and every
    /// `field|in:slug` of its condition, exceptions and steps (those that
    /// parse), each once.
    pub fn watchlists(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        if let RuleKind::Indicator { watchlist, .. } = &self.kind {
            out.push(watchlist.clone());
        }
        let steps: Vec<&str> = match &self.kind {
            RuleKind::Sequence { steps, .. } => steps.iter().map(|s| s.query.as_str()).collect(),
            _ => Vec::new(),
        };
        let texts = std::iter::once(self.query.as_str())
            .chain(self.exceptions.iter().map(String::as_str))
            .chain(steps);
        for text in texts {
            if let Ok(query) = crate::query::parse(text) {
                for slug in query.watchlists() {
                    if !out.contains(&slug) {
                        out.push(slug);
                    }
                }
            }
        }
        out
    }
}

pub use crate::slug::is_slug;

/// A rule whose definition validated, with its queries parsed once: what
/// the evaluator takes, so nothing downstream parses a query again or runs
/// a rule that was never checked. Made only by [`RuleDefinition::parse`].
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedRule {
    definition: RuleDefinition,
    query: Query,
    exceptions: Vec<Query>,
    steps: Vec<Query>,
}

impl ParsedRule {
    /// Returns the definition.
    pub fn definition(&self) -> &RuleDefinition {
        &self.definition
    }

    /// Returns the rule's condition.
    pub fn query(&self) -> &Query {
        &self.query
    }

    /// Returns the exceptions, in order.
    pub fn exceptions(&self) -> &[Query] {
        &self.exceptions
    }

    /// Returns a sequence's step conditions, in order (empty for other kinds).
    pub fn steps(&self) -> &[Query] {
        &self.steps
    }
}

/// `TA0006` (prefix `TA`), `T1110` (prefix `T`), and with `sub`, `T1110.001`.
pub fn is_attack_id(text: &str, prefix: &str, sub: bool) -> bool {
    let Some(rest) = text.strip_prefix(prefix) else {
        return false;
    };
    let (main, tail) = match rest.split_once('.') {
        Some((main, tail)) if sub => (main, Some(tail)),
        Some(_) => return false,
        None => (rest, None),
    };
    let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
    digits(main, 4) && tail.is_none_or(|t| digits(t, 3))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn bruteforce_ssh() -> serde_json::Value {
        json!({
            "slug": "bruteforce_ssh",
            "name": "SSH brute force",
            "severity": "high",
            "tactics": ["TA0006"],
            "techniques": ["T1110", "T1110.001"],
            "query": "event.category:authentication AND event.outcome:failure AND process.name:sshd",
            "kind": "threshold",
            "group_by": ["source.ip"],
            "threshold": 10,
            "window_secs": 600,
            "exceptions": ["source.ip:10.0.0.0/8"],
            "suppression": {"group_by": ["source.ip"], "duration_secs": 3600},
            "summary": "{count} failed SSH logins from {source.ip}",
            "tests": [{"name": "ten failures", "events": [{"message": "x"}], "expect_alerts": 1}]
        })
    }

    #[test]
    fn a_rule_reads_from_flat_json_and_validates() {
        let rule: RuleDefinition = serde_json::from_value(bruteforce_ssh()).unwrap();
        assert_eq!(
            rule.kind,
            RuleKind::Threshold {
                group_by: vec!["source.ip".into()],
                threshold: 10,
                window_secs: 600
            }
        );
        assert!(rule.enabled, "enabled unless said otherwise");
        assert_eq!(rule.validate(), vec![]);
        let back = serde_json::to_value(&rule).unwrap();
        assert_eq!(back["kind"], "threshold");
        assert_eq!(back["group_by"], json!(["source.ip"]));
        let again: RuleDefinition = serde_json::from_value(back).unwrap();
        assert_eq!(again, rule);
    }

    #[test]
    fn every_kind_reads_from_json() {
        for (extra, kind) in [
            (json!({"kind": "query"}), RuleKind::Query),
            (
                json!({"kind": "value_count", "field": "user.name", "threshold": 5, "window_secs": 60}),
                RuleKind::ValueCount {
                    field: "user.name".into(),
                    group_by: vec![],
                    threshold: 5,
                    window_secs: 60,
                },
            ),
            (
                json!({"kind": "sequence", "by": ["host.name"], "max_span_secs": 300,
                       "steps": [{"query": "event.action:logon"}, {"name": "exec", "query": "process.name:whoami"}]}),
                RuleKind::Sequence {
                    by: vec!["host.name".into()],
                    steps: vec![
                        SequenceStep {
                            name: String::new(),
                            query: "event.action:logon".into(),
                        },
                        SequenceStep {
                            name: "exec".into(),
                            query: "process.name:whoami".into(),
                        },
                    ],
                    max_span_secs: 300,
                    ordered: true,
                },
            ),
            (
                json!({"kind": "new_terms", "fields": ["user.name", "source.ip"], "history_days": 14}),
                RuleKind::NewTerms {
                    fields: vec!["user.name".into(), "source.ip".into()],
                    history_days: 14,
                },
            ),
            (
                json!({"kind": "indicator", "field": "destination.ip", "watchlist": "bad-ips"}),
                RuleKind::Indicator {
                    field: "destination.ip".into(),
                    watchlist: "bad-ips".into(),
                },
            ),
            (
                json!({"kind": "absence", "group_by": ["host.name"], "period_secs": 3600}),
                RuleKind::Absence {
                    group_by: vec!["host.name".into()],
                    period_secs: 3600,
                },
            ),
            (
                // MozDef's GeoModel, every setting at its default.
                json!({"kind": "impossible_travel"}),
                RuleKind::ImpossibleTravel {
                    by: vec!["user.name".into()],
                    field: "source.geo.location".into(),
                    max_speed_kmh: 1000,
                    min_distance_km: 50,
                    window_secs: 86_400,
                },
            ),
        ] {
            let mut value = json!({"slug": "r", "name": "R", "severity": "low", "query": ""});
            value
                .as_object_mut()
                .unwrap()
                .extend(extra.as_object().unwrap().clone());
            let rule: RuleDefinition = serde_json::from_value(value).unwrap();
            assert_eq!(rule.kind, kind);
            assert_eq!(rule.validate(), vec![], "{kind:?}");
        }
    }

    #[test]
    fn mistakes_name_their_field_and_position() {
        let mut value = bruteforce_ssh();
        value["slug"] = json!("Brute Force");
        value["name"] = json!(" ");
        value["tactics"] = json!(["TA06"]);
        value["techniques"] = json!(["T1110.1"]);
        value["query"] = json!("source.ip:(");
        value["exceptions"] = json!(["ok", "a AND"]);
        value["group_by"] = json!(["fo*o"]);
        value["threshold"] = json!(0);
        value["window_secs"] = json!(8 * 86_400);
        value["suppression"] = json!({"duration_secs": 0});
        value["summary"] = json!("from {source.ip} {nope*} {open");
        value["tests"] = json!([{"name": "", "events": [1], "expect_alerts": 0}]);
        let rule: RuleDefinition = serde_json::from_value(value).unwrap();
        let errors = rule.validate();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "slug",
                "name",
                "tactics[0]",
                "techniques[0]",
                "query",
                "exceptions[1]",
                "group_by[0]",
                "threshold",
                "window_secs",
                "suppression.duration_secs",
                "summary",
                "summary",
                "tests[0].name",
                "tests[0].events[0]",
            ]
        );
        assert_eq!(errors[4].position, Some(11));
        assert_eq!(errors[5].position, Some(5));
        assert_eq!(errors[10].position, Some(17), "{:?}", errors[10]);
        assert_eq!(errors[11].position, Some(25));

        let sequence = RuleDefinition {
            kind: RuleKind::Sequence {
                by: vec![],
                steps: vec![SequenceStep {
                    name: String::new(),
                    query: "x:".into(),
                }],
                max_span_secs: 60,
                ordered: true,
            },
            ..serde_json::from_value(bruteforce_ssh()).unwrap()
        };
        let fields: Vec<String> = sequence.validate().into_iter().map(|e| e.field).collect();
        assert_eq!(fields, ["steps", "steps[0].query"]);

        let travel = RuleDefinition {
            kind: RuleKind::ImpossibleTravel {
                by: vec![],
                field: "geo loc".into(),
                max_speed_kmh: 50,
                min_distance_km: 30_000,
                window_secs: 0,
            },
            ..serde_json::from_value(bruteforce_ssh()).unwrap()
        };
        let fields: Vec<String> = travel.validate().into_iter().map(|e| e.field).collect();
        assert_eq!(
            fields,
            [
                "by",
                "field",
                "max_speed_kmh",
                "min_distance_km",
                "window_secs"
            ]
        );
    }

    #[test]
    fn attack_ids_and_slugs() {
        assert!(is_attack_id("TA0006", "TA", false));
        assert!(!is_attack_id("TA0006.001", "TA", false));
        assert!(is_attack_id("T1059.001", "T", true));
        assert!(!is_attack_id("T105", "T", true));
        assert!(is_slug("proxy_drop_executable"));
        assert!(is_slug("9-lives"));
        assert!(!is_slug("_x"));
        assert!(!is_slug(""));
        assert!(!is_slug(&"a".repeat(81)));
    }
}
