//! One rule, compiled, evaluating events one at a time: each kind in its
//! own module owns its settings and its state, so a kind can only ever be
//! fed its own state; each alert carries the identity that makes it
//! exactly-once — (rule, group, first contributing event).
//!
//! The same evaluator serves the engine (events in commit order, the clock
//! advancing) and `POST /api/v1/rules/test` (the request's events in time
//! order, the clock at `now`), so a rule's test gives what the engine does.
//! Each kind's semantics are in its module's documentation (and in
//! `docs/detection.md`).

mod absence;
pub mod cap;
mod hit;
mod indicator;
mod new_terms;
mod record;
mod sequence;
mod threshold;
mod travel;
mod value_count;
mod window;

#[cfg(test)]
mod tests;

pub use hit::Seen;
pub use record::EventRecord;
pub use travel::geo_point;

use self::absence::{Absence, Silences};
use self::hit::Hit;
use self::indicator::Indicator;
use self::new_terms::{Known, NewTerms};
use self::sequence::{Progress, Sequence};
use self::threshold::Threshold;
use self::travel::{Places, Travel};
use self::value_count::ValueCount;
use self::window::Groups;
use super::matcher::{Lists, Matcher};
use crate::event::path::field_text;
use app::query::Query;
use app::rules::{ParsedRule, RuleDefinition, RuleKind, Severity};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};

/// An alert the rule raises, before it is stored.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertDraft {
    /// The group's field values (empty for an ungrouped rule).
    pub group: BTreeMap<String, String>,
    /// With the rule and the group, the alert's identity: the time of the
    /// first contributing event (or, for absence, of the last one seen).
    pub window_start: DateTime<Utc>,
    /// The time of the last contributing event (or, for absence, when the
    /// silence was noticed).
    pub window_end: DateTime<Utc>,
    /// The contributing events (time, id), oldest first.
    pub events: Vec<Seen>,
    /// The rule's summary, filled in.
    pub summary: String,
    /// The rule's severity.
    pub severity: Severity,
}

/// What went wrong compiling a rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct CompileError {
    /// The field at fault (`query`, `steps[1].query`).
    pub field: String,
    /// What is wrong with it.
    pub message: String,
}

/// A rule kind with its settings and its state: a variant holds exactly the
/// state its kind keeps.
#[derive(Debug)]
enum Kind {
    Query,
    Threshold(Threshold),
    ValueCount(ValueCount),
    Sequence(Sequence),
    NewTerms(NewTerms),
    Indicator(Indicator),
    Absence(Absence),
    Travel(Travel),
}

/// What every kind remembers besides its own state: suppression and the
/// sweep's counters. Together with the kind's state and the events that
/// follow, it determines every later alert (nothing depends on the wall
/// clock but absence's `tick`), so evaluating again from a checkpoint
/// raises the same alerts.
#[derive(Debug, Clone, Default, PartialEq)]
struct Common {
    /// Per suppression group: until when alerts are suppressed.
    suppressed_until: HashMap<String, DateTime<Utc>>,
    /// Alerts dropped by suppression.
    suppressed: u64,
    /// Selected events so far: every `SWEEP_EVERY`, state older than the
    /// newest event by more than the rule's horizon is let go.
    selected: u64,
    /// The newest selected event's time.
    newest: Option<DateTime<Utc>>,
    /// Groups let go because the rule remembered too many (not saved: a
    /// count for the rule's health, not state).
    evicted: u64,
}

/// A checkpoint as saved: a kind's state under its kind's name, and the
/// common memory. (The format of checkpoints already stored.)
#[derive(Serialize)]
struct SavedRef<'a> {
    state: StateRef<'a>,
    suppressed_until: &'a HashMap<String, DateTime<Utc>>,
    suppressed: u64,
    selected: u64,
    newest: Option<DateTime<Utc>>,
}

#[derive(Serialize)]
#[serde(rename_all = "snake_case")]
enum StateRef<'a> {
    Query,
    Window(&'a Groups),
    Sequence(&'a Progress),
    NewTerms(&'a Known),
    Indicator,
    Absence(&'a Silences),
    Travel(&'a Places),
}

/// A checkpoint as read back.
#[derive(Deserialize)]
struct Saved {
    state: State,
    suppressed_until: HashMap<String, DateTime<Utc>>,
    suppressed: u64,
    selected: u64,
    newest: Option<DateTime<Utc>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
enum State {
    Query,
    Window(Groups),
    Sequence(Progress),
    NewTerms(Known),
    Indicator,
    Absence(Silences),
    Travel(Places),
}

/// How many selected events pass between sweeps of stale state. Counted in
/// events, not seconds, so that evaluating again is exact.
#[cfg(not(test))]
const SWEEP_EVERY: u64 = 1024;
/// Small in tests, so that property tests sweep.
#[cfg(test)]
const SWEEP_EVERY: u64 = 16;

/// A rule ready to evaluate, with its state.
#[derive(Debug)]
pub struct Evaluator {
    rule: ParsedRule,
    condition: Matcher,
    exceptions: Vec<Matcher>,
    kind: Kind,
    common: Common,
    /// Most groups remembered ([`cap::MAX_GROUPS`]; smaller in tests).
    group_cap: usize,
}

/// Compiles a parsed condition, reporting a regular expression that does not compile.
fn compile_query(field: &str, query: &Query, lists: &Lists) -> Result<Matcher, CompileError> {
    let error = |message: String| CompileError {
        field: field.to_owned(),
        message,
    };
    crate::event::pattern::check(query).map_err(error)?;
    // Validation refused times relative to now, so no clock is read: the
    // epoch only stands in for the present an absolute time never consults.
    let clock = app::query::time::Clock::utc(chrono::DateTime::UNIX_EPOCH);
    let query = app::query::time::resolve(query, &clock).map_err(|e| error(e.to_string()))?;
    Ok(Matcher::with_lists(&query, lists))
}

impl Evaluator {
    /// Compiles `rule` (validated and parsed here, once); `lists` holds the
    /// values of the watchlists it reads ([`RuleDefinition::watchlists`];
    /// one missing is empty); `started` is when evaluation begins (absence
    /// counts from it).
    pub fn new(
        rule: &RuleDefinition,
        lists: &Lists,
        started: DateTime<Utc>,
    ) -> Result<Evaluator, CompileError> {
        let parsed = rule.clone().parse().map_err(|errors| {
            let first = errors.into_iter().next();
            CompileError {
                field: first.as_ref().map_or_else(String::new, |e| e.field.clone()),
                message: first.map_or_else(String::new, |e| e.message),
            }
        })?;
        Evaluator::compile(parsed, lists, started)
    }

    /// Compiles a rule already parsed.
    pub fn compile(
        rule: ParsedRule,
        lists: &Lists,
        started: DateTime<Utc>,
    ) -> Result<Evaluator, CompileError> {
        let condition = compile_query("query", rule.query(), lists)?;
        let exceptions = rule
            .exceptions()
            .iter()
            .enumerate()
            .map(|(i, query)| compile_query(&format!("exceptions[{i}]"), query, lists))
            .collect::<Result<Vec<_>, _>>()?;
        let kind = match &rule.definition().kind {
            RuleKind::Query => Kind::Query,
            RuleKind::Threshold {
                group_by,
                threshold,
                window_secs,
            } => Kind::Threshold(Threshold::new(group_by, *threshold, *window_secs)),
            RuleKind::ValueCount {
                field,
                group_by,
                threshold,
                window_secs,
            } => Kind::ValueCount(ValueCount::new(field, group_by, *threshold, *window_secs)),
            RuleKind::Sequence {
                by,
                max_span_secs,
                ordered,
                ..
            } => {
                let steps = rule
                    .steps()
                    .iter()
                    .enumerate()
                    .map(|(i, query)| compile_query(&format!("steps[{i}].query"), query, lists))
                    .collect::<Result<Vec<_>, _>>()?;
                Kind::Sequence(Sequence::new(by, *max_span_secs, *ordered, steps))
            }
            RuleKind::NewTerms {
                fields,
                history_days,
            } => Kind::NewTerms(NewTerms::new(fields, *history_days)),
            RuleKind::Indicator { field, watchlist } => Kind::Indicator(Indicator::new(
                field,
                lists.get(watchlist).cloned().unwrap_or_default(),
            )),
            RuleKind::Absence {
                group_by,
                period_secs,
            } => Kind::Absence(Absence::new(group_by, *period_secs, started)),
            RuleKind::ImpossibleTravel {
                by,
                field,
                max_speed_kmh,
                min_distance_km,
                window_secs,
            } => Kind::Travel(Travel::new(
                by,
                field,
                *max_speed_kmh,
                *min_distance_km,
                *window_secs,
            )),
        };
        Ok(Evaluator {
            rule,
            condition,
            exceptions,
            kind,
            common: Common::default(),
            group_cap: cap::MAX_GROUPS,
        })
    }

    /// The same evaluator with a smaller group bound (tests).
    #[cfg(test)]
    pub fn with_group_cap(mut self, cap: usize) -> Evaluator {
        self.group_cap = cap;
        self
    }

    /// Alerts dropped by suppression so far.
    pub fn suppressed(&self) -> u64 {
        self.common.suppressed
    }

    /// Says whether the rule keeps anything between events worth saving:
    /// every kind but a query or indicator rule without suppression.
    pub fn is_stateful(&self) -> bool {
        !matches!(self.kind, Kind::Query | Kind::Indicator(_))
            || self.rule.definition().suppression.is_some()
    }

    /// What the evaluator remembers, to restore with [`Evaluator::restore`].
    pub fn save(&self) -> Value {
        let state = match &self.kind {
            Kind::Query => StateRef::Query,
            Kind::Threshold(kind) => StateRef::Window(&kind.groups),
            Kind::ValueCount(kind) => StateRef::Window(&kind.groups),
            Kind::Sequence(kind) => StateRef::Sequence(&kind.progress),
            Kind::NewTerms(kind) => StateRef::NewTerms(&kind.known),
            Kind::Indicator(_) => StateRef::Indicator,
            Kind::Absence(kind) => StateRef::Absence(&kind.silences),
            Kind::Travel(kind) => StateRef::Travel(&kind.places),
        };
        let saved = SavedRef {
            state,
            suppressed_until: &self.common.suppressed_until,
            suppressed: self.common.suppressed,
            selected: self.common.selected,
            newest: self.common.newest,
        };
        serde_json::to_value(saved).unwrap_or(Value::Null)
    }

    /// Takes up saved memory of the same rule; refuses memory of another
    /// kind of rule (the evaluator is then unchanged).
    pub fn restore(&mut self, saved: Value) -> Result<(), String> {
        let saved: Saved = serde_json::from_value(saved).map_err(|e| e.to_string())?;
        match (&mut self.kind, saved.state) {
            (Kind::Query, State::Query) | (Kind::Indicator(_), State::Indicator) => {}
            (Kind::Threshold(kind), State::Window(groups)) => kind.groups = groups,
            (Kind::ValueCount(kind), State::Window(groups)) => kind.groups = groups,
            (Kind::Sequence(kind), State::Sequence(progress)) => kind.progress = progress,
            (Kind::NewTerms(kind), State::NewTerms(known)) => kind.known = known,
            (Kind::Absence(kind), State::Absence(silences)) => kind.silences = silences,
            (Kind::Travel(kind), State::Travel(places)) => kind.places = places,
            // A checkpoint of another kind of rule is refused, not misread.
            _ => return Err("saved state is of another rule kind".to_owned()),
        }
        self.common = Common {
            suppressed_until: saved.suppressed_until,
            suppressed: saved.suppressed,
            selected: saved.selected,
            newest: saved.newest,
            evicted: self.common.evicted,
        };
        Ok(())
    }

    /// The rule being evaluated.
    pub fn rule(&self) -> &RuleDefinition {
        self.rule.definition()
    }

    /// The rule being evaluated, with its queries parsed.
    pub fn parsed(&self) -> &ParsedRule {
        &self.rule
    }

    /// Says whether `event` satisfies the rule's condition and no exception.
    pub fn selects(&self, event: &EventRecord) -> bool {
        let view = event.view();
        self.condition.matches(&view) && !self.exceptions.iter().any(|e| e.matches(&view))
    }

    /// Feeds one event; returns the alerts it completes.
    pub fn observe(&mut self, event: &EventRecord) -> Vec<AlertDraft> {
        if !self.selects(event) {
            return Vec::new();
        }
        self.observe_selected(event)
    }

    /// Feeds one event known to satisfy [`Evaluator::selects`].
    pub fn observe_selected(&mut self, event: &EventRecord) -> Vec<AlertDraft> {
        self.common.selected += 1;
        self.common.newest = Some(
            self.common
                .newest
                .map_or(event.timestamp, |n| n.max(event.timestamp)),
        );
        // A sequence's steps carry their own conditions; the rule's
        // condition and exceptions (checked by the caller) apply to every step.
        let hits = match &mut self.kind {
            Kind::Query => vec![Hit::single(event, BTreeMap::new())],
            Kind::Threshold(kind) => kind.advance(event),
            Kind::ValueCount(kind) => kind.advance(event),
            Kind::Sequence(kind) => kind.advance(event),
            Kind::NewTerms(kind) => kind.advance(event),
            Kind::Indicator(kind) => kind.advance(event),
            Kind::Absence(kind) => kind.advance(event),
            Kind::Travel(kind) => kind.advance(event),
        };
        let drafts = hits
            .into_iter()
            .map(|hit| self.draft(hit, Some(&event.document)))
            .collect();
        let drafts = self.suppress(drafts);
        if self.common.selected.is_multiple_of(SWEEP_EVERY) {
            self.sweep();
        }
        self.common.evicted += self.cap(self.group_cap);
        drafts
    }

    /// A new-terms rule's fields and history in days: what to seed it with.
    pub fn history(&self) -> Option<(&[String], u32)> {
        match &self.kind {
            Kind::NewTerms(kind) => Some(kind.history()),
            _ => None,
        }
    }

    /// Takes `event` (one satisfying the condition) as history: a new-terms
    /// rule remembers its values without alerting. The engine seeds a new
    /// rule so, from stored events, instead of alerting on every value
    /// already known.
    pub fn remember(&mut self, event: &EventRecord) {
        if let Kind::NewTerms(kind) = &mut self.kind {
            kind.remember(event);
        }
    }

    /// How many groups were let go because the rule remembered too many.
    pub fn evicted(&self) -> u64 {
        self.common.evicted
    }

    /// How many entries the rule remembers now (groups, values, sequences,
    /// places, suppressed groups): what [`cap::MAX_GROUPS`] bounds.
    pub fn remembered(&self) -> usize {
        let kind = match &self.kind {
            Kind::Threshold(kind) => kind.remembered(),
            Kind::ValueCount(kind) => kind.remembered(),
            Kind::Sequence(kind) => kind.remembered(),
            Kind::NewTerms(kind) => kind.remembered(),
            Kind::Travel(kind) => kind.remembered(),
            Kind::Absence(kind) => kind.remembered(),
            Kind::Query | Kind::Indicator(_) => 0,
        };
        kind + self.common.suppressed_until.len()
    }

    fn cap(&mut self, max: usize) -> u64 {
        let kind = match &mut self.kind {
            Kind::Threshold(kind) => kind.cap(max),
            Kind::ValueCount(kind) => kind.cap(max),
            Kind::Sequence(kind) => kind.cap(max),
            Kind::NewTerms(kind) => kind.cap(max),
            Kind::Travel(kind) => kind.cap(max),
            Kind::Absence(kind) => kind.cap(max),
            Kind::Query | Kind::Indicator(_) => 0,
        };
        kind + cap::trim(&mut self.common.suppressed_until, max, |until| Some(*until))
    }

    /// Lets go of state older than the newest event by more than the
    /// rule's horizon (window, span, history, suppression): only late
    /// events could still have used it.
    fn sweep(&mut self) {
        let Some(newest) = self.common.newest else {
            return;
        };
        let horizon =
            |secs: u64| newest - Duration::seconds(secs.min(i64::MAX as u64 / 1000) as i64);
        match &mut self.kind {
            Kind::Threshold(kind) => kind.sweep(horizon),
            Kind::ValueCount(kind) => kind.sweep(horizon),
            Kind::Sequence(kind) => kind.sweep(horizon),
            Kind::NewTerms(kind) => kind.sweep(horizon),
            Kind::Travel(kind) => kind.sweep(horizon),
            // Nothing of theirs goes stale: absence must remember every
            // group to notice its silence.
            Kind::Query | Kind::Indicator(_) | Kind::Absence(_) => {}
        }
        self.common
            .suppressed_until
            .retain(|_, until| *until > newest);
    }

    /// Moves the clock to `now`; returns the alerts that time alone raises
    /// (absence).
    pub fn tick(&mut self, now: DateTime<Utc>) -> Vec<AlertDraft> {
        let Kind::Absence(kind) = &mut self.kind else {
            return Vec::new();
        };
        let drafts = kind
            .tick(now)
            .into_iter()
            .map(|hit| self.draft(hit, None))
            .collect();
        self.suppress(drafts)
    }

    /// Writes up a hit: the rule's severity and summary.
    fn draft(&self, hit: Hit, event: Option<&Value>) -> AlertDraft {
        AlertDraft {
            summary: self.summary(event, hit.events.len(), &hit.group, &hit.facts),
            group: hit.group,
            window_start: hit.start,
            window_end: hit.end,
            events: hit.events,
            severity: self.rule().severity,
        }
    }

    /// The rule's summary with `{field}`, `{count}` and the hit's `facts`
    /// (`{distance_km}`, …) filled in (facts first, then the group, then
    /// the event); the rule's name when it has none.
    fn summary(
        &self,
        event: Option<&Value>,
        count: usize,
        group: &BTreeMap<String, String>,
        facts: &BTreeMap<&'static str, String>,
    ) -> String {
        let rule = self.rule();
        let Some(template) = &rule.summary else {
            return rule.name.clone();
        };
        let mut out = String::with_capacity(template.len());
        let mut rest = template.as_str();
        while let Some(open) = rest.find('{') {
            out.push_str(&rest[..open]);
            let Some(close) = rest[open..].find('}') else {
                break;
            };
            let name = &rest[open + 1..open + close];
            let value = if name == "count" {
                Some(count.to_string())
            } else if let Some(fact) = facts.get(name) {
                Some(fact.clone())
            } else {
                group
                    .get(name)
                    .cloned()
                    .or_else(|| event.and_then(|doc| field_text(doc, name)))
            };
            out.push_str(value.as_deref().unwrap_or("-"));
            rest = &rest[open + close + 1..];
        }
        out.push_str(rest);
        out
    }

    fn suppress(&mut self, drafts: Vec<AlertDraft>) -> Vec<AlertDraft> {
        let Some(suppression) = &self.rule.definition().suppression else {
            return drafts;
        };
        let duration = Duration::seconds(suppression.duration_secs as i64);
        let mut kept = Vec::with_capacity(drafts.len());
        for draft in drafts {
            let key: String = suppression
                .group_by
                .iter()
                .map(|field| draft.group.get(field).cloned().unwrap_or_default())
                .collect::<Vec<_>>()
                .join("\u{1f}");
            let at = draft.window_end;
            match self.common.suppressed_until.get(&key) {
                Some(until) if at < *until => self.common.suppressed += 1,
                _ => {
                    self.common.suppressed_until.insert(key, at + duration);
                    kept.push(draft);
                }
            }
        }
        kept
    }
}
