//! One rule, compiled, evaluating events one at a time: the stateful kinds
//! keep their windows per group key, and each alert carries the identity
//! that makes it exactly-once — (rule, group, first contributing event).
//!
//! The same evaluator serves the engine (events in commit order, the clock
//! advancing) and `POST /api/v1/rules/test` (the request's events in time
//! order, the clock at `now`), so a rule's test gives what the engine does.
//!
//! Semantics worth knowing (also in `docs/detection.md`):
//! - Threshold and value count windows slide: an alert fires when the events
//!   of one group within `window_secs` of each other reach the threshold;
//!   those events are then spent, so the next alert needs a fresh set.
//! - Events missing a group-by field are not counted (as Elastic does).
//! - A late event (older than its group's newest by more than the window)
//!   can no longer complete a window: those events have been let go.
//! - Sequences advance in the order events are fed; the first and last step
//!   at most `max_span_secs` apart.
//! - An absence alert fires once per silence: when a group (or the rule, if
//!   ungrouped) has had no matching event for `period_secs`.
//! - Impossible travel compares each group's event with the place of its
//!   previous one (within the window, in either time order) and keeps the
//!   newer place; events without a place are skipped.

use super::matcher::{EventView, Lists, Matcher};
use crate::event::path::{field_text, field_values, value_lookup};
use crate::event::text::{number_of, scalar_text};
use app::rules::{RuleDefinition, RuleKind, Severity};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::sync::Arc;

/// An event as the evaluator sees it.
#[derive(Debug, Clone)]
pub struct EventRecord {
    pub id: uuid::Uuid,
    pub timestamp: DateTime<Utc>,
    pub document: Value,
}

impl EventRecord {
    fn view(&self) -> EventView<'_> {
        EventView {
            timestamp: self.timestamp,
            id: self.id,
            document: &self.document,
        }
    }
}

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
    pub summary: String,
    pub severity: Severity,
}

/// What went wrong compiling a rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct CompileError {
    pub field: String,
    pub message: String,
}

/// A rule ready to evaluate, with its state.
#[derive(Debug)]
pub struct Evaluator {
    rule: RuleDefinition,
    condition: Matcher,
    exceptions: Vec<Matcher>,
    /// A sequence's steps.
    steps: Vec<Matcher>,
    /// An indicator rule's watchlist values.
    watchlist: Arc<HashSet<String>>,
    memory: Memory,
}

/// Everything an evaluator remembers between events: what a checkpoint
/// saves and a restart restores. Together with the events that follow, it
/// determines every later alert (nothing here depends on the wall clock but
/// absence's `tick`), so evaluating again from a checkpoint raises the same
/// alerts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Memory {
    state: State,
    /// Per suppression group: until when alerts are suppressed.
    suppressed_until: HashMap<String, DateTime<Utc>>,
    /// Alerts dropped by suppression.
    suppressed: u64,
    /// Selected events so far: every `SWEEP_EVERY`, state older than the
    /// newest event by more than the rule's horizon is let go.
    selected: u64,
    /// The newest selected event's time.
    newest: Option<DateTime<Utc>>,
}

/// How many selected events pass between sweeps of stale state. Counted in
/// events, not seconds, so that evaluating again is exact.
#[cfg(not(test))]
const SWEEP_EVERY: u64 = 1024;
/// Small in tests, so that property tests sweep.
#[cfg(test)]
const SWEEP_EVERY: u64 = 16;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum State {
    Query,
    /// Per group: matching events (time, id, distinct value) in time order.
    Window(HashMap<String, Group>),
    Sequence {
        partials: HashMap<String, Vec<Partial>>,
        /// Unordered sequences: per group, the newest event of each step.
        latest: HashMap<String, Vec<Option<Seen>>>,
    },
    NewTerms {
        /// Per combination of values (joined by U+001F): when it was last seen.
        seen: HashMap<String, DateTime<Utc>>,
    },
    Indicator,
    Absence {
        /// Per group: the last matching event's time, and whether its
        /// silence was already reported.
        last_seen: HashMap<String, Silence>,
        started: DateTime<Utc>,
    },
    Travel {
        /// Per group: where its newest event was.
        last: HashMap<String, Stop>,
    },
}

/// Where and when a group (a user) was last seen, for impossible travel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Stop {
    at: DateTime<Utc>,
    id: uuid::Uuid,
    /// Micro-degrees: integers survive a checkpoint's JSON exactly.
    lat_e6: i32,
    lon_e6: i32,
    /// "London, GB": for the alert's summary.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    label: Option<Box<str>>,
}

/// An event as a stateful kind remembers it: its time and id.
pub type Seen = (DateTime<Utc>, uuid::Uuid);

/// An absence rule's view of one group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Silence {
    values: BTreeMap<String, String>,
    /// The last matching event's time.
    last: DateTime<Utc>,
    /// Whether the silence since then was already reported.
    reported: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
struct Group {
    /// Counted events (time, id, the distinct value of a value count), in
    /// time order. The group's values are not kept: they are in its key,
    /// and every event of the group carries them. Lean on purpose: this is
    /// most of a busy threshold rule's memory (docs/benchmarks.md).
    events: VecDeque<Counted>,
}

/// A counted event: time, id, and a value count's value.
type Counted = (DateTime<Utc>, uuid::Uuid, Option<Box<str>>);

/// Events that complete an alert, before it is written up.
struct Hit {
    events: Vec<Seen>,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    group: BTreeMap<String, String>,
    /// Values for the summary beyond fields (`{distance_km}`).
    facts: BTreeMap<&'static str, String>,
}

impl Hit {
    /// The alert of spent events (time order).
    fn spent(events: Vec<(DateTime<Utc>, uuid::Uuid)>, group: BTreeMap<String, String>) -> Hit {
        Hit {
            start: events.first().map(|(t, _)| *t).unwrap_or_default(),
            end: events.last().map(|(t, _)| *t).unwrap_or_default(),
            events,
            group,
            facts: BTreeMap::new(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Partial {
    next_step: usize,
    events: Vec<(DateTime<Utc>, uuid::Uuid)>,
}

/// Compiles a condition, reporting a regular expression that does not compile.
fn compile_query(field: &str, text: &str, lists: &Lists) -> Result<Matcher, CompileError> {
    let error = |message: String| CompileError {
        field: field.to_owned(),
        message,
    };
    let query = app::query::parse(text).map_err(|e| error(e.to_string()))?;
    crate::event::pattern::check(&query).map_err(error)?;
    Ok(Matcher::with_lists(&query, lists))
}

impl Evaluator {
    /// Compiles `rule`; `lists` holds the values of the watchlists it reads
    /// ([`RuleDefinition::watchlists`]; one missing is empty); `started` is
    /// when evaluation begins (absence counts from it).
    pub fn new(
        rule: &RuleDefinition,
        lists: &Lists,
        started: DateTime<Utc>,
    ) -> Result<Evaluator, CompileError> {
        if let Some(error) = rule.validate().into_iter().next() {
            return Err(CompileError {
                field: error.field,
                message: error.message,
            });
        }
        let condition = compile_query("query", &rule.query, lists)?;
        let exceptions = rule
            .exceptions
            .iter()
            .enumerate()
            .map(|(i, text)| compile_query(&format!("exceptions[{i}]"), text, lists))
            .collect::<Result<Vec<_>, _>>()?;
        let steps = match &rule.kind {
            RuleKind::Sequence { steps, .. } => steps
                .iter()
                .enumerate()
                .map(|(i, step)| compile_query(&format!("steps[{i}].query"), &step.query, lists))
                .collect::<Result<Vec<_>, _>>()?,
            _ => Vec::new(),
        };
        let state = match &rule.kind {
            RuleKind::Query => State::Query,
            RuleKind::Threshold { .. } | RuleKind::ValueCount { .. } => {
                State::Window(HashMap::new())
            }
            RuleKind::Sequence { .. } => State::Sequence {
                partials: HashMap::new(),
                latest: HashMap::new(),
            },
            RuleKind::NewTerms { .. } => State::NewTerms {
                seen: HashMap::new(),
            },
            RuleKind::Indicator { .. } => State::Indicator,
            RuleKind::Absence { .. } => State::Absence {
                last_seen: HashMap::new(),
                started,
            },
            RuleKind::ImpossibleTravel { .. } => State::Travel {
                last: HashMap::new(),
            },
        };
        Ok(Evaluator {
            rule: rule.clone(),
            condition,
            exceptions,
            steps,
            watchlist: match &rule.kind {
                RuleKind::Indicator { watchlist, .. } => {
                    lists.get(watchlist).cloned().unwrap_or_default()
                }
                _ => Arc::default(),
            },
            memory: Memory {
                state,
                suppressed_until: HashMap::new(),
                suppressed: 0,
                selected: 0,
                newest: None,
            },
        })
    }

    /// Alerts dropped by suppression so far.
    pub fn suppressed(&self) -> u64 {
        self.memory.suppressed
    }

    /// Says whether the rule keeps anything between events worth saving:
    /// every kind but a query or indicator rule without suppression.
    pub fn is_stateful(&self) -> bool {
        !matches!(self.memory.state, State::Query | State::Indicator)
            || self.rule.suppression.is_some()
    }

    /// What the evaluator remembers, to restore with [`Evaluator::restore`].
    pub fn save(&self) -> Value {
        serde_json::to_value(&self.memory).unwrap_or(Value::Null)
    }

    /// Takes up saved memory of the same rule; refuses memory of another
    /// kind of rule (the evaluator is then unchanged).
    pub fn restore(&mut self, saved: Value) -> Result<(), String> {
        let memory: Memory = serde_json::from_value(saved).map_err(|e| e.to_string())?;
        if std::mem::discriminant(&memory.state) != std::mem::discriminant(&self.memory.state) {
            return Err("saved state is of another rule kind".to_owned());
        }
        self.memory = memory;
        Ok(())
    }

    /// The rule being evaluated.
    pub fn rule(&self) -> &RuleDefinition {
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
        self.memory.selected += 1;
        self.memory.newest = Some(
            self.memory
                .newest
                .map_or(event.timestamp, |n| n.max(event.timestamp)),
        );
        let drafts = self.observe_unsuppressed(event);
        let drafts = self.suppress(drafts);
        if self.memory.selected.is_multiple_of(SWEEP_EVERY) {
            self.sweep();
        }
        drafts
    }

    /// A new-terms rule's fields and history in days: what to seed it with.
    pub fn history(&self) -> Option<(&[String], u32)> {
        match &self.rule.kind {
            RuleKind::NewTerms {
                fields,
                history_days,
            } => Some((fields, *history_days)),
            _ => None,
        }
    }

    /// Takes `event` (one satisfying the condition) as history: a new-terms
    /// rule remembers its values without alerting. The engine seeds a new
    /// rule so, from stored events, instead of alerting on every value
    /// already known.
    pub fn remember(&mut self, event: &EventRecord) {
        let (Some((fields, _)), State::NewTerms { .. }) = (self.history(), &self.memory.state)
        else {
            return;
        };
        let Some((_, values)) = group_key(&event.document, fields) else {
            return;
        };
        let combination = combination(&values);
        if let State::NewTerms { seen } = &mut self.memory.state {
            let last = seen.entry(combination).or_insert(event.timestamp);
            *last = (*last).max(event.timestamp);
        }
    }

    /// Lets go of state older than the newest event by more than the
    /// rule's horizon (window, span, history, suppression): only late
    /// events could still have used it.
    fn sweep(&mut self) {
        let Some(newest) = self.memory.newest else {
            return;
        };
        let horizon =
            |secs: u64| newest - Duration::seconds(secs.min(i64::MAX as u64 / 1000) as i64);
        match (&self.rule.kind, &mut self.memory.state) {
            (
                RuleKind::Threshold { window_secs, .. } | RuleKind::ValueCount { window_secs, .. },
                State::Window(groups),
            ) => {
                let oldest = horizon(*window_secs);
                groups.retain(|_, group| {
                    while group.events.front().is_some_and(|(t, _, _)| *t < oldest) {
                        group.events.pop_front();
                    }
                    !group.events.is_empty()
                });
            }
            (RuleKind::Sequence { max_span_secs, .. }, State::Sequence { partials, latest }) => {
                let oldest = horizon(*max_span_secs);
                partials.retain(|_, list| {
                    list.retain(|p| p.events.first().is_some_and(|(t, _)| *t >= oldest));
                    !list.is_empty()
                });
                latest.retain(|_, slots| slots.iter().flatten().any(|(t, _)| *t >= oldest));
            }
            (RuleKind::NewTerms { history_days, .. }, State::NewTerms { seen }) => {
                let oldest = horizon(u64::from(*history_days) * 86_400);
                seen.retain(|_, last| *last >= oldest);
            }
            (RuleKind::ImpossibleTravel { window_secs, .. }, State::Travel { last }) => {
                let oldest = horizon(*window_secs);
                last.retain(|_, stop| stop.at >= oldest);
            }
            _ => {}
        }
        self.memory
            .suppressed_until
            .retain(|_, until| *until > newest);
    }

    /// Moves the clock to `now`; returns the alerts that time alone raises
    /// (absence).
    pub fn tick(&mut self, now: DateTime<Utc>) -> Vec<AlertDraft> {
        let RuleKind::Absence {
            period_secs,
            ref group_by,
        } = self.rule.kind
        else {
            return Vec::new();
        };
        let grouped = !group_by.is_empty();
        let period = Duration::seconds(period_secs as i64);
        let State::Absence { last_seen, started } = &mut self.memory.state else {
            return Vec::new();
        };
        let mut drafts = Vec::new();
        if !grouped && last_seen.is_empty() && now - *started >= period {
            // Nothing matched since evaluation began. (A grouped rule waits
            // for a group to have been seen: on a new install, sources and
            // hosts it never heard of are not silent.)
            last_seen.insert(
                String::new(),
                Silence {
                    values: BTreeMap::new(),
                    last: *started,
                    reported: false,
                },
            );
        }
        let mut keys: Vec<&String> = last_seen.keys().collect();
        keys.sort();
        let keys: Vec<String> = keys.into_iter().cloned().collect();
        for key in keys {
            let Some(silence) = last_seen.get_mut(&key) else {
                continue;
            };
            if !silence.reported && now - silence.last >= period {
                silence.reported = true;
                drafts.push(AlertDraft {
                    group: silence.values.clone(),
                    window_start: silence.last,
                    window_end: now,
                    events: Vec::new(),
                    summary: String::new(),
                    severity: self.rule.severity,
                });
            }
        }
        let drafts = drafts
            .into_iter()
            .map(|mut draft| {
                draft.summary = self.summary(None, 0, &draft.group, &BTreeMap::new());
                draft
            })
            .collect();
        self.suppress(drafts)
    }

    fn observe_unsuppressed(&mut self, event: &EventRecord) -> Vec<AlertDraft> {
        // A sequence's steps carry their own conditions; the rule's
        // condition and exceptions (checked by the caller) apply to every step.
        let hits = self.advance(event);
        hits.into_iter()
            .map(|hit| AlertDraft {
                summary: self.summary(
                    Some(&event.document),
                    hit.events.len(),
                    &hit.group,
                    &hit.facts,
                ),
                group: hit.group,
                window_start: hit.start,
                window_end: hit.end,
                events: hit.events,
                severity: self.rule.severity,
            })
            .collect()
    }

    /// Updates the state with a selected event; returns what it completes.
    fn advance(&mut self, event: &EventRecord) -> Vec<Hit> {
        let single = |group: BTreeMap<String, String>| Hit {
            events: vec![(event.timestamp, event.id)],
            start: event.timestamp,
            end: event.timestamp,
            group,
            facts: BTreeMap::new(),
        };
        match (&self.rule.kind, &mut self.memory.state) {
            (RuleKind::Query, _) => {
                vec![single(BTreeMap::new())]
            }
            (
                RuleKind::Threshold {
                    group_by,
                    threshold,
                    window_secs,
                },
                State::Window(groups),
            ) => windowed(groups, event, group_by, None, *window_secs, |events| {
                events.len() as u64 >= *threshold
            }),
            (
                RuleKind::ValueCount {
                    field,
                    group_by,
                    threshold,
                    window_secs,
                },
                State::Window(groups),
            ) => {
                let Some(value) = field_text(&event.document, field) else {
                    return Vec::new();
                };
                windowed(
                    groups,
                    event,
                    group_by,
                    Some(value.into_boxed_str()),
                    *window_secs,
                    |events| {
                        let distinct: HashSet<&str> =
                            events.iter().filter_map(|(_, _, v)| v.as_deref()).collect();
                        distinct.len() as u64 >= *threshold
                    },
                )
            }
            (
                RuleKind::Sequence {
                    by,
                    max_span_secs,
                    ordered,
                    ..
                },
                State::Sequence { partials, latest },
            ) => {
                let steps = &self.steps;
                let Some((key, values)) = group_key(&event.document, by) else {
                    return Vec::new();
                };
                let span = Duration::seconds(*max_span_secs as i64);
                let view = event.view();
                let matching: Vec<bool> = steps.iter().map(|s| s.matches(&view)).collect();
                if !*ordered {
                    return unordered(latest, key, values, &matching, event, span);
                }
                let list = partials.entry(key).or_default();
                // Partials whose first step is too old can never complete.
                list.retain(|p| event.timestamp - p.events[0].0 <= span);
                let mut completed: Option<Partial> = None;
                for partial in list.iter_mut() {
                    if matching[partial.next_step]
                        && partial
                            .events
                            .last()
                            .is_some_and(|(t, _)| *t <= event.timestamp)
                    {
                        partial.events.push((event.timestamp, event.id));
                        partial.next_step += 1;
                        if partial.next_step == steps.len() {
                            completed = Some(partial.clone());
                            break;
                        }
                    }
                }
                if let Some(done) = completed {
                    // The completed sequence and everything it overlapped start over.
                    list.clear();
                    return vec![Hit::spent(done.events, values)];
                }
                if matching[0] {
                    list.push(Partial {
                        next_step: 1,
                        events: vec![(event.timestamp, event.id)],
                    });
                }
                Vec::new()
            }
            (
                RuleKind::NewTerms {
                    fields,
                    history_days,
                },
                State::NewTerms { seen },
            ) => {
                let Some((_, values)) = group_key(&event.document, fields) else {
                    return Vec::new();
                };
                let combination = combination(&values);
                let history = Duration::days(i64::from(*history_days));
                let new = match seen.get(&combination) {
                    Some(last) => event.timestamp - *last > history,
                    None => true,
                };
                let last = seen.entry(combination).or_insert(event.timestamp);
                *last = (*last).max(event.timestamp);
                if new {
                    vec![single(values)]
                } else {
                    Vec::new()
                }
            }
            (RuleKind::Indicator { field, .. }, State::Indicator) => {
                let values = &self.watchlist;
                let hit = field_values(&event.document, field)
                    .into_iter()
                    .find(|v| values.contains(v) || values.contains(&v.to_lowercase()));
                match hit {
                    Some(value) => {
                        let group = BTreeMap::from([(field.clone(), value)]);
                        vec![single(group)]
                    }
                    None => Vec::new(),
                }
            }
            (RuleKind::Absence { group_by, .. }, State::Absence { last_seen, .. }) => {
                if let Some((key, values)) = group_key(&event.document, group_by) {
                    let silence = last_seen.entry(key).or_insert(Silence {
                        values,
                        last: event.timestamp,
                        reported: false,
                    });
                    if event.timestamp >= silence.last {
                        silence.last = event.timestamp;
                        silence.reported = false;
                    }
                }
                Vec::new()
            }
            (
                RuleKind::ImpossibleTravel {
                    by,
                    field,
                    max_speed_kmh,
                    min_distance_km,
                    window_secs,
                },
                State::Travel { last },
            ) => {
                let Some((key, values)) = group_key(&event.document, by) else {
                    return Vec::new();
                };
                let Some(here) = stop_of(event, field) else {
                    return Vec::new();
                };
                let window = Duration::seconds(*window_secs as i64);
                let Some(previous) = last
                    .get(&key)
                    .filter(|p| (event.timestamp - p.at).abs() <= window)
                else {
                    last.insert(key, here);
                    return Vec::new();
                };
                let (earlier, later) = if previous.at <= here.at {
                    (previous.clone(), here)
                } else {
                    (here, previous.clone())
                };
                let hit = travel(&earlier, &later, *max_speed_kmh, *min_distance_km, values);
                // The newer place is where the group is now.
                last.insert(key, later);
                hit.into_iter().collect()
            }
            _ => Vec::new(),
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
        let Some(template) = &self.rule.summary else {
            return self.rule.name.clone();
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
        let Some(suppression) = &self.rule.suppression else {
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
            match self.memory.suppressed_until.get(&key) {
                Some(until) if at < *until => self.memory.suppressed += 1,
                _ => {
                    self.memory.suppressed_until.insert(key, at + duration);
                    kept.push(draft);
                }
            }
        }
        kept
    }
}

/// An unordered sequence: the event becomes its steps' newest; when every
/// step has an event and they lie within the span, that is an alert and the
/// group starts over.
fn unordered(
    latest: &mut HashMap<String, Vec<Option<Seen>>>,
    key: String,
    values: BTreeMap<String, String>,
    matching: &[bool],
    event: &EventRecord,
    span: Duration,
) -> Vec<Hit> {
    if !matching.iter().any(|m| *m) {
        return Vec::new();
    }
    let slots = latest
        .entry(key.clone())
        .or_insert_with(|| vec![None; matching.len()]);
    for (slot, matched) in slots.iter_mut().zip(matching) {
        if *matched && slot.is_none_or(|(t, _)| t <= event.timestamp) {
            *slot = Some((event.timestamp, event.id));
        }
    }
    let Some(found) = slots.iter().copied().collect::<Option<Vec<_>>>() else {
        return Vec::new();
    };
    let first = found
        .iter()
        .map(|(t, _)| *t)
        .min()
        .unwrap_or(event.timestamp);
    let last = found
        .iter()
        .map(|(t, _)| *t)
        .max()
        .unwrap_or(event.timestamp);
    if last - first > span {
        return Vec::new();
    }
    latest.remove(&key);
    let mut events = found;
    events.sort();
    events.dedup();
    vec![Hit::spent(events, values)]
}

/// Windowed kinds: the event joins its group's window (events without the
/// group's fields are not counted); a full window is an alert.
fn windowed(
    groups: &mut HashMap<String, Group>,
    event: &EventRecord,
    group_by: &[String],
    value: Option<Box<str>>,
    window_secs: u64,
    full: impl Fn(&[Counted]) -> bool,
) -> Vec<Hit> {
    let Some((key, values)) = group_key(&event.document, group_by) else {
        return Vec::new();
    };
    let group = groups.entry(key.clone()).or_default();
    let window = Duration::seconds(window_secs as i64);
    match window_push(group, event, value, window, full) {
        Some(spent) => {
            let hit = Hit::spent(spent, values);
            if group.events.is_empty() {
                groups.remove(&key);
            }
            vec![hit]
        }
        None => Vec::new(),
    }
}

/// Adds the event to the group's window, lets go of events too old to
/// share a window with the newest, and when `full` holds for the events
/// within one window of the new one, takes those events out and returns them.
fn window_push(
    group: &mut Group,
    event: &EventRecord,
    value: Option<Box<str>>,
    window: Duration,
    full: impl Fn(&[Counted]) -> bool,
) -> Option<Vec<(DateTime<Utc>, uuid::Uuid)>> {
    let newest = group
        .events
        .back()
        .map_or(event.timestamp, |(t, _, _)| (*t).max(event.timestamp));
    if newest - event.timestamp > window {
        // Late beyond the window: its companions have been let go.
        return None;
    }
    let at = group
        .events
        .partition_point(|(t, id, _)| (*t, *id) <= (event.timestamp, event.id));
    group.events.insert(at, (event.timestamp, event.id, value));
    while group
        .events
        .front()
        .is_some_and(|(t, _, _)| newest - *t > window)
    {
        group.events.pop_front();
    }
    let at = group.events.iter().position(|(_, id, _)| *id == event.id)?;
    // The earliest window holding the new event that is full.
    let events: Vec<_> = group.events.iter().cloned().collect();
    for start in 0..=at {
        let begin = events[start].0;
        if event.timestamp - begin > window {
            continue;
        }
        let end = events.partition_point(|(t, _, _)| *t - begin <= window);
        if end > at && full(&events[start..end]) {
            let spent: Vec<(DateTime<Utc>, uuid::Uuid)> = events[start..end]
                .iter()
                .map(|(t, id, _)| (*t, *id))
                .collect();
            let spent_ids: HashSet<uuid::Uuid> = spent.iter().map(|(_, id)| *id).collect();
            group.events.retain(|(_, id, _)| !spent_ids.contains(id));
            return Some(spent);
        }
    }
    None
}

/// A new-terms combination as remembered: the values joined by U+001F.
/// Where `event` was, from the geo point at `field` and the place names
/// beside it (`city_name`, `country_iso_code`, as ECS puts them).
fn stop_of(event: &EventRecord, field: &str) -> Option<Stop> {
    let object = event.document.as_object()?;
    let (lat, lon) = geo_point(value_lookup(object, field)?)?;
    let parent = field.rsplit_once('.').map_or("", |(parent, _)| parent);
    let name = |leaf: &str| {
        let path = if parent.is_empty() {
            leaf.to_owned()
        } else {
            format!("{parent}.{leaf}")
        };
        value_lookup(object, &path).and_then(scalar_text)
    };
    let label = match (name("city_name"), name("country_iso_code")) {
        (Some(city), Some(country)) => Some(format!("{city}, {country}")),
        (city, country) => city.or(country),
    };
    Some(Stop {
        at: event.timestamp,
        id: event.id,
        lat_e6: (lat * 1e6).round() as i32,
        lon_e6: (lon * 1e6).round() as i32,
        label: label.map(String::into_boxed_str),
    })
}

impl Stop {
    fn degrees(&self) -> (f64, f64) {
        (f64::from(self.lat_e6) / 1e6, f64::from(self.lon_e6) / 1e6)
    }
}

/// A geo point as ECS and Elasticsearch accept it: `{"lat", "lon"}`,
/// `"lat,lon"`, `[lon, lat]` (GeoJSON order) or `"POINT (lon lat)"`.
pub fn geo_point(value: &Value) -> Option<(f64, f64)> {
    let (lat, lon) = match value {
        Value::Object(map) => (number_of(map.get("lat")?)?, number_of(map.get("lon")?)?),
        Value::Array(items) if items.len() == 2 => (number_of(&items[1])?, number_of(&items[0])?),
        Value::String(text) => {
            let text = text.trim();
            if let Some(inner) = text
                .strip_prefix("POINT")
                .map(str::trim_start)
                .and_then(|t| t.strip_prefix('('))
                .and_then(|t| t.strip_suffix(')'))
            {
                let mut parts = inner.split_whitespace();
                let lon = parts.next()?.parse::<f64>().ok()?;
                let lat = parts.next()?.parse::<f64>().ok()?;
                (lat, lon)
            } else {
                let (lat, lon) = text.split_once(',')?;
                (lat.trim().parse().ok()?, lon.trim().parse().ok()?)
            }
        }
        _ => return None,
    };
    let valid = lat.is_finite()
        && lon.is_finite()
        && (-90.0..=90.0).contains(&lat)
        && (-180.0..=180.0).contains(&lon);
    valid.then_some((lat, lon))
}

/// The alert for a move from `earlier` to `later`, if it is too far too fast.
fn travel(
    earlier: &Stop,
    later: &Stop,
    max_speed_kmh: u32,
    min_distance_km: u32,
    group: BTreeMap<String, String>,
) -> Option<Hit> {
    let km = crate::ingest::geoip::distance_km(earlier.degrees(), later.degrees());
    if km < f64::from(min_distance_km) || km < 1.0 {
        return None;
    }
    let seconds = (later.at - earlier.at).num_milliseconds() as f64 / 1000.0;
    // Within a second nothing is possible but staying put.
    let kmh = km / (seconds.max(1.0) / 3600.0);
    if kmh <= f64::from(max_speed_kmh) {
        return None;
    }
    let label = |stop: &Stop| {
        stop.label.as_deref().map_or_else(
            || {
                let (lat, lon) = stop.degrees();
                format!("{lat:.2},{lon:.2}")
            },
            str::to_owned,
        )
    };
    let facts = BTreeMap::from([
        ("distance_km", format!("{km:.0}")),
        ("speed_kmh", format!("{kmh:.0}")),
        ("elapsed", elapsed_text(seconds)),
        ("from", label(earlier)),
        ("to", label(later)),
    ]);
    Some(Hit {
        events: vec![(earlier.at, earlier.id), (later.at, later.id)],
        start: earlier.at,
        end: later.at,
        group,
        facts,
    })
}

/// `45 s`, `12 min`, `3 h 5 min`.
fn elapsed_text(seconds: f64) -> String {
    let secs = seconds.max(0.0).round() as u64;
    match secs {
        s if s < 60 => format!("{s} s"),
        s if s < 3600 => format!("{} min", s / 60),
        s if s % 3600 < 60 => format!("{} h", s / 3600),
        s => format!("{} h {} min", s / 3600, s % 3600 / 60),
    }
}

fn combination(values: &BTreeMap<String, String>) -> String {
    values
        .values()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .join("\u{1f}")
}

/// The group key of an event and its values by field; None when a field
/// is missing.
fn group_key(document: &Value, fields: &[String]) -> Option<(String, BTreeMap<String, String>)> {
    let mut values = BTreeMap::new();
    let mut key = String::new();
    for field in fields {
        let value = field_text(document, field)?;
        key.push_str(&value);
        key.push('\u{1f}');
        values.insert(field.clone(), value);
    }
    Some((key, values))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rule(extra: Value) -> RuleDefinition {
        let mut value = json!({"slug": "r", "name": "Rule R", "severity": "high", "query": "event.outcome:failure"});
        value
            .as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        serde_json::from_value(value).unwrap()
    }

    fn event(minute: i64, fields: Value) -> EventRecord {
        let base: DateTime<Utc> = "2026-11-29T10:00:00Z".parse().unwrap();
        EventRecord {
            id: uuid::Uuid::from_u128(minute as u128 * 1000 + 1),
            timestamp: base + Duration::minutes(minute),
            document: fields,
        }
    }

    fn failure(minute: i64, ip: &str) -> EventRecord {
        event(
            minute,
            json!({"event": {"outcome": "failure"}, "source": {"ip": ip}, "user": {"name": format!("u{minute}")}}),
        )
    }

    fn ids(alert: &AlertDraft) -> Vec<uuid::Uuid> {
        alert.events.iter().map(|(_, id)| *id).collect()
    }

    fn run(evaluator: &mut Evaluator, events: &[EventRecord]) -> Vec<AlertDraft> {
        events.iter().flat_map(|e| evaluator.observe(e)).collect()
    }

    #[test]
    fn a_query_rule_alerts_on_each_matching_event_not_excepted() {
        let rule = rule(
            json!({"kind": "query", "exceptions": ["source.ip:10.0.0.0/8"],
                               "summary": "failure from {source.ip} ({count})"}),
        );
        let mut evaluator = Evaluator::new(&rule, &Lists::new(), Utc::now()).unwrap();
        let alerts = run(
            &mut evaluator,
            &[
                failure(0, "203.0.113.9"),
                failure(1, "10.0.0.1"),
                event(2, json!({})),
            ],
        );
        assert_eq!(alerts.len(), 1);
        assert_eq!(alerts[0].summary, "failure from 203.0.113.9 (1)");
        assert_eq!(alerts[0].severity, Severity::High);
    }

    #[test]
    fn a_threshold_fires_once_per_full_window_per_group() {
        let rule = rule(
            json!({"kind": "threshold", "group_by": ["source.ip"], "threshold": 3,
                               "window_secs": 300, "summary": "{count} failures from {source.ip}"}),
        );
        let mut evaluator = Evaluator::new(&rule, &Lists::new(), Utc::now()).unwrap();
        let events = [
            failure(0, "1.1.1.1"),
            failure(1, "2.2.2.2"),
            failure(2, "1.1.1.1"),
            failure(9, "1.1.1.1"), // too late for the first two
            failure(10, "1.1.1.1"),
            failure(11, "1.1.1.1"), // third within 5 minutes of minute 9
            failure(12, "1.1.1.1"),
        ];
        let alerts = run(&mut evaluator, &events);
        assert_eq!(alerts.len(), 1, "{alerts:?}");
        assert_eq!(alerts[0].summary, "3 failures from 1.1.1.1");
        assert_eq!(
            ids(&alerts[0]),
            vec![events[3].id, events[4].id, events[5].id]
        );
        assert_eq!(alerts[0].window_start, events[3].timestamp);
        assert_eq!(alerts[0].group["source.ip"], "1.1.1.1");
    }

    #[test]
    fn a_late_event_inside_the_window_still_counts() {
        let rule = rule(json!({"kind": "threshold", "threshold": 3, "window_secs": 300}));
        let mut evaluator = Evaluator::new(&rule, &Lists::new(), Utc::now()).unwrap();
        let alerts = run(
            &mut evaluator,
            &[failure(4, "a"), failure(6, "a"), failure(3, "a")],
        );
        assert_eq!(alerts.len(), 1);
        assert_eq!(alerts[0].window_start, failure(3, "a").timestamp);
        let mut evaluator = Evaluator::new(&rule, &Lists::new(), Utc::now()).unwrap();
        let too_late = run(
            &mut evaluator,
            &[failure(10, "a"), failure(11, "a"), failure(1, "a")],
        );
        assert!(too_late.is_empty());
    }

    #[test]
    fn value_count_counts_distinct_values() {
        let rule = rule(
            json!({"kind": "value_count", "field": "user.name", "group_by": ["source.ip"],
                               "threshold": 3, "window_secs": 600}),
        );
        let mut evaluator = Evaluator::new(&rule, &Lists::new(), Utc::now()).unwrap();
        let same_user = |minute| {
            event(
                minute,
                json!({"event": {"outcome": "failure"}, "source": {"ip": "1.1.1.1"}, "user": {"name": "root"}}),
            )
        };
        let alerts = run(
            &mut evaluator,
            &[
                same_user(0),
                same_user(1),
                same_user(2),
                failure(3, "1.1.1.1"),
                failure(4, "1.1.1.1"),
            ],
        );
        assert_eq!(alerts.len(), 1);
        assert_eq!(alerts[0].events.len(), 5);
    }

    fn logon(minute: i64, host: &str) -> EventRecord {
        event(
            minute,
            json!({"event": {"action": "logon"}, "host": {"name": host}}),
        )
    }

    fn whoami(minute: i64, host: &str) -> EventRecord {
        event(
            minute,
            json!({"process": {"name": "whoami"}, "host": {"name": host}}),
        )
    }

    #[test]
    fn a_sequence_needs_its_steps_in_order_within_the_span() {
        let rule = rule(
            json!({"kind": "sequence", "query": "", "by": ["host.name"], "max_span_secs": 600,
            "steps": [{"query": "event.action:logon"}, {"query": "process.name:whoami"}]}),
        );
        let mut evaluator = Evaluator::new(&rule, &Lists::new(), Utc::now()).unwrap();
        let alerts = run(
            &mut evaluator,
            &[
                whoami(0, "a"), // before any logon
                logon(1, "a"),
                whoami(2, "b"), // another host
                logon(3, "b"),
                whoami(20, "b"), // too late for b's logon
                whoami(5, "a"),
            ],
        );
        assert_eq!(alerts.len(), 1, "{alerts:?}");
        assert_eq!(alerts[0].group["host.name"], "a");
        assert_eq!(ids(&alerts[0]), vec![logon(1, "a").id, whoami(5, "a").id]);
    }

    #[test]
    fn an_unordered_sequence_takes_its_steps_in_any_order() {
        let rule = rule(
            json!({"kind": "sequence", "query": "", "by": ["host.name"], "max_span_secs": 600,
            "ordered": false, "steps": [{"query": "event.action:logon"}, {"query": "process.name:whoami"}]}),
        );
        let mut evaluator = Evaluator::new(&rule, &Lists::new(), Utc::now()).unwrap();
        let alerts = run(
            &mut evaluator,
            &[
                whoami(0, "a"),
                logon(30, "a"),
                logon(31, "a"),
                whoami(35, "b"),
                logon(36, "b"),
            ],
        );
        let hosts: Vec<&str> = alerts
            .iter()
            .map(|a| a.group["host.name"].as_str())
            .collect();
        assert_eq!(hosts, ["b"], "a's steps are 30 minutes apart");
        assert_eq!(ids(&alerts[0]), vec![whoami(35, "b").id, logon(36, "b").id]);
    }

    #[test]
    fn new_terms_alert_on_first_sight_and_after_the_history() {
        let rule = rule(
            json!({"kind": "new_terms", "query": "", "fields": ["user.name"], "history_days": 1}),
        );
        let mut evaluator = Evaluator::new(&rule, &Lists::new(), Utc::now()).unwrap();
        let login = |m, user: &str| event(m, json!({"user": {"name": user}}));
        let alerts = run(
            &mut evaluator,
            &[
                login(0, "alice"),
                login(5, "alice"),
                login(6, "bob"),
                login(2000, "alice"),
            ],
        );
        let users: Vec<&str> = alerts
            .iter()
            .map(|a| a.group["user.name"].as_str())
            .collect();
        assert_eq!(users, ["alice", "bob", "alice"]);
    }

    #[test]
    fn indicators_match_watchlist_values() {
        let rule = rule(
            json!({"kind": "indicator", "query": "", "field": "destination.ip", "watchlist": "bad"}),
        );
        let lists = Lists::from([(
            "bad".to_owned(),
            Arc::new(HashSet::from(["198.51.100.7".to_owned()])),
        )]);
        let mut evaluator = Evaluator::new(&rule, &lists, Utc::now()).unwrap();
        let alerts = run(
            &mut evaluator,
            &[
                event(0, json!({"destination": {"ip": "198.51.100.7"}})),
                event(1, json!({"destination": {"ip": "198.51.100.8"}})),
            ],
        );
        assert_eq!(alerts.len(), 1);
    }

    #[test]
    fn absence_alerts_once_per_silence() {
        let rule = rule(
            json!({"kind": "absence", "query": "", "group_by": ["host.name"], "period_secs": 600}),
        );
        let start: DateTime<Utc> = "2026-11-29T10:00:00Z".parse().unwrap();
        let mut evaluator = Evaluator::new(&rule, &Lists::new(), start).unwrap();
        let beat = |m, host: &str| event(m, json!({"host": {"name": host}}));
        run(&mut evaluator, &[beat(0, "a"), beat(0, "b"), beat(8, "b")]);
        let at = |m| start + Duration::minutes(m);
        assert!(evaluator.tick(at(5)).is_empty());
        let silent: Vec<String> = evaluator
            .tick(at(11))
            .into_iter()
            .map(|a| a.group["host.name"].clone())
            .collect();
        assert_eq!(silent, ["a"]);
        assert!(evaluator.tick(at(12)).is_empty(), "once per silence");
        assert_eq!(evaluator.tick(at(19)).len(), 1, "b fell silent too");

        let ungrouped = rule_without_groups();
        let mut evaluator = Evaluator::new(&ungrouped, &Lists::new(), start).unwrap();
        assert_eq!(
            evaluator.tick(at(11)).len(),
            1,
            "nothing at all since the start"
        );
    }

    fn rule_without_groups() -> RuleDefinition {
        rule(json!({"kind": "absence", "query": "", "period_secs": 600}))
    }

    #[test]
    fn suppression_keeps_one_alert_per_group_and_duration() {
        let rule =
            rule(json!({"kind": "query", "suppression": {"group_by": [], "duration_secs": 600}}));
        let mut evaluator = Evaluator::new(&rule, &Lists::new(), Utc::now()).unwrap();
        let alerts = run(
            &mut evaluator,
            &[
                failure(0, "a"),
                failure(5, "b"),
                failure(10, "c"),
                failure(11, "d"),
            ],
        );
        assert_eq!(alerts.len(), 2);
        assert_eq!(evaluator.suppressed(), 2);
    }

    proptest::proptest! {
        /// Whatever the order and spacing of events, a threshold alert holds
        /// at least the threshold of one group's events within one window,
        /// and no event counts towards two alerts.
        #[test]
        fn threshold_alerts_are_sound(
            events in proptest::collection::vec((0i64..120, 0u8..3), 0..80),
            threshold in 1u64..6,
            window in 1u64..40,
        ) {
            let rule = rule(json!({"kind": "threshold", "group_by": ["source.ip"],
                                   "threshold": threshold, "window_secs": window * 60}));
            let mut evaluator = Evaluator::new(&rule, &Lists::new(), Utc::now()).unwrap();
            let records: Vec<EventRecord> = events
                .iter()
                .enumerate()
                .map(|(i, (minute, ip))| {
                    let mut record = failure(*minute, &format!("10.0.0.{ip}"));
                    record.id = uuid::Uuid::from_u128(i as u128);
                    record
                })
                .collect();
            let by_id: HashMap<uuid::Uuid, &EventRecord> = records.iter().map(|r| (r.id, r)).collect();
            let mut used = HashSet::new();
            for alert in run(&mut evaluator, &records) {
                proptest::prop_assert!(alert.events.len() as u64 >= threshold);
                proptest::prop_assert!(alert.window_end - alert.window_start <= Duration::minutes(window as i64));
                for (_, id) in &alert.events {
                    proptest::prop_assert!(used.insert(*id), "an event counted twice");
                    let record = by_id[id];
                    proptest::prop_assert_eq!(field_text(&record.document, "source.ip"), alert.group.get("source.ip").cloned());
                }
            }
        }
    }

    fn kinds() -> Vec<RuleDefinition> {
        vec![
            rule(
                json!({"kind": "threshold", "group_by": ["source.ip"], "threshold": 3, "window_secs": 1200,
                        "suppression": {"group_by": ["source.ip"], "duration_secs": 1800}}),
            ),
            rule(
                json!({"kind": "value_count", "field": "user.name", "group_by": ["source.ip"],
                        "threshold": 2, "window_secs": 900}),
            ),
            rule(
                json!({"query": "*", "kind": "sequence", "by": ["source.ip"], "max_span_secs": 1500,
                        "steps": [{"query": "event.action:logon"}, {"query": "event.action:whoami"}]}),
            ),
            rule(
                json!({"query": "*", "kind": "sequence", "by": ["source.ip"], "max_span_secs": 1500, "ordered": false,
                        "steps": [{"query": "event.action:logon"}, {"query": "event.action:whoami"}]}),
            ),
            rule(
                json!({"kind": "new_terms", "fields": ["source.ip", "user.name"], "history_days": 1}),
            ),
            rule(json!({"kind": "absence", "group_by": ["source.ip"], "period_secs": 600})),
            rule(json!({"kind": "impossible_travel", "window_secs": 3600,
                        "suppression": {"group_by": ["user.name"], "duration_secs": 600}})),
        ]
    }

    proptest::proptest! {
        /// A checkpoint is exact: saving anywhere, restoring into a fresh
        /// evaluator and going on raises exactly what going straight on
        /// raises, and ends in the same state. This is what makes alerts
        /// exactly-once across a crash.
        #[test]
        fn a_restored_evaluator_goes_on_exactly(
            events in proptest::collection::vec((0i64..2000, 0u8..3, 0u8..3, 0u8..3), 0..120),
            cut in 0usize..120,
            kind in 0usize..7,
        ) {
            let rule = kinds().swap_remove(kind);
            let started: DateTime<Utc> = "2026-11-29T09:00:00Z".parse().unwrap();
            let records: Vec<EventRecord> = events
                .iter()
                .enumerate()
                .map(|(i, (minute, ip, user, action))| {
                    let action = ["logon", "whoami", "other"][*action as usize];
                    // Each address in its own city: London, New York, Tokyo.
                    let (lat, lon) = [(51.5074, -0.1278), (40.7128, -74.006), (35.6762, 139.6503)][*ip as usize];
                    let mut record = event(minute / 10, json!({
                        "event": {"outcome": "failure", "action": action},
                        "source": {"ip": format!("10.0.0.{ip}"), "geo": {"location": {"lat": lat, "lon": lon}}},
                        "user": {"name": format!("u{user}")}}));
                    record.id = uuid::Uuid::from_u128(i as u128);
                    record
                })
                .collect();
            let cut = cut.min(records.len());
            let clock = |i: usize| records[i].timestamp + Duration::minutes(30);
            let feed = |evaluator: &mut Evaluator, range: std::ops::Range<usize>| {
                let mut drafts = Vec::new();
                for i in range {
                    drafts.extend(evaluator.observe(&records[i]));
                    // Absence's clock, moved as deterministically as the events.
                    if i % 5 == 0 {
                        drafts.extend(evaluator.tick(clock(i)));
                    }
                }
                drafts
            };
            let mut straight = Evaluator::new(&rule, &Lists::new(), started).unwrap();
            let expected = feed(&mut straight, 0..records.len());
            let mut first = Evaluator::new(&rule, &Lists::new(), started).unwrap();
            let mut got = feed(&mut first, 0..cut);
            let saved = serde_json::to_string(&first.save()).unwrap();
            let mut second = Evaluator::new(&rule, &Lists::new(), Utc::now()).unwrap();
            second.restore(serde_json::from_str(&saved).unwrap()).unwrap();
            got.extend(feed(&mut second, cut..records.len()));
            proptest::prop_assert_eq!(got, expected);
            proptest::prop_assert_eq!(second.save(), straight.save());
        }
    }

    fn login(minute: i64, user: &str, place: Value) -> EventRecord {
        event(
            minute,
            json!({"event": {"outcome": "failure"}, "user": {"name": user}, "source": {"geo": place}}),
        )
    }

    fn london() -> Value {
        json!({"location": {"lat": 51.5074, "lon": -0.1278}, "city_name": "London", "country_iso_code": "GB"})
    }

    fn sydney() -> Value {
        json!({"location": {"lat": -33.8688, "lon": 151.2093}, "city_name": "Sydney", "country_iso_code": "AU"})
    }

    #[test]
    fn impossible_travel_needs_distance_and_speed() {
        let rule = rule(json!({
            "kind": "impossible_travel",
            "summary": "{user.name}: {from} to {to} in {elapsed}, {distance_km} km at {speed_kmh} km/h"
        }));
        let mut evaluator = Evaluator::new(&rule, &Lists::new(), Utc::now()).unwrap();
        let croydon = json!({"location": {"lat": 51.3762, "lon": -0.0982}, "city_name": "Croydon"});
        let events = [
            login(0, "alice", london()),
            // 15 km away: the same locality, however quick.
            login(1, "alice", croydon),
            // 17,000 km in two hours: impossible.
            login(121, "alice", sydney()),
            // Another user, same places, a day apart: a long flight, fine.
            login(0, "bob", london()),
            login(24 * 60, "bob", sydney()),
            // No place: skipped, not an error.
            event(
                122,
                json!({"event": {"outcome": "failure"}, "user": {"name": "alice"}}),
            ),
        ];
        let alerts = run(&mut evaluator, &events);
        assert_eq!(alerts.len(), 1, "{alerts:?}");
        let alert = &alerts[0];
        assert_eq!(ids(alert), vec![events[1].id, events[2].id]);
        assert_eq!(
            alert.group.get("user.name").map(String::as_str),
            Some("alice")
        );
        assert_eq!(alert.window_start, events[1].timestamp);
        assert!(
            alert
                .summary
                .starts_with("alice: Croydon to Sydney, AU in 2 h, 169"),
            "{}",
            alert.summary
        );
    }

    #[test]
    fn impossible_travel_takes_late_events_and_forgets_after_the_window() {
        let rule = rule(json!({"kind": "impossible_travel", "window_secs": 7200}));
        let mut evaluator = Evaluator::new(&rule, &Lists::new(), Utc::now()).unwrap();
        // A late event (older than the last one seen) is compared too, and the
        // newer place stays the group's place.
        let alerts = run(
            &mut evaluator,
            &[login(60, "carol", sydney()), login(30, "carol", london())],
        );
        assert_eq!(alerts.len(), 1);
        assert_eq!(
            alerts[0].window_start,
            login(30, "carol", london()).timestamp
        );
        // Sydney (minute 60) is still carol's place: London at 90 is impossible,
        let alerts = run(&mut evaluator, &[login(90, "carol", london())]);
        assert_eq!(alerts.len(), 1);
        // and after the window, a new place is only a new place.
        let alerts = run(&mut evaluator, &[login(90 + 121, "carol", sydney())]);
        assert_eq!(alerts, vec![]);
    }

    #[test]
    fn geo_points_in_every_form_elasticsearch_takes() {
        for value in [
            json!({"lat": 51.5, "lon": -0.12}),
            json!({"lat": "51.5", "lon": "-0.12"}),
            json!("51.5, -0.12"),
            json!([-0.12, 51.5]),
            json!("POINT (-0.12 51.5)"),
        ] {
            assert_eq!(geo_point(&value), Some((51.5, -0.12)), "{value}");
        }
        for value in [
            json!({"lat": 95, "lon": 0}),
            json!("x"),
            json!([1]),
            json!(null),
        ] {
            assert_eq!(geo_point(&value), None, "{value}");
        }
    }

    #[test]
    fn a_grouped_absence_rule_waits_for_a_group_to_go_silent() {
        let start: DateTime<Utc> = "2026-11-29T10:00:00Z".parse().unwrap();
        let grouped =
            rule(json!({"kind": "absence", "group_by": ["host.name"], "period_secs": 600}));
        let mut evaluator = Evaluator::new(&grouped, &Lists::new(), start).unwrap();
        // Hours with nothing at all: no host was ever seen, none is silent.
        assert!(evaluator.tick(start + Duration::hours(3)).is_empty());
        let ungrouped = rule(json!({"kind": "absence", "period_secs": 600}));
        let mut evaluator = Evaluator::new(&ungrouped, &Lists::new(), start).unwrap();
        assert_eq!(evaluator.tick(start + Duration::hours(3)).len(), 1);
    }

    #[test]
    fn remembered_history_is_not_new() {
        let rule = rule(json!({"kind": "new_terms", "fields": ["user.name"], "history_days": 1}));
        let mut evaluator = Evaluator::new(&rule, &Lists::new(), Utc::now()).unwrap();
        evaluator.remember(&failure(0, "10.0.0.1"));
        // u0 was remembered; u5 was not.
        let alerts = run(
            &mut evaluator,
            &[failure(0, "10.0.0.1"), failure(5, "10.0.0.1")],
        );
        assert_eq!(alerts.len(), 1);
        assert_eq!(alerts[0].group["user.name"], "u5");
        // Only new-terms rules remember.
        let mut threshold = Evaluator::new(&kinds()[0], &Lists::new(), Utc::now()).unwrap();
        let before = threshold.save();
        threshold.remember(&failure(0, "10.0.0.1"));
        assert_eq!(threshold.save(), before);
    }

    #[test]
    fn saved_state_of_another_kind_is_refused() {
        let all = kinds();
        let threshold = Evaluator::new(&all[0], &Lists::new(), Utc::now()).unwrap();
        let mut sequence = Evaluator::new(&all[2], &Lists::new(), Utc::now()).unwrap();
        assert!(sequence.restore(threshold.save()).is_err());
        assert!(sequence.restore(json!({"garbage": true})).is_err());
    }

    #[test]
    fn sweeping_lets_go_of_groups_the_window_has_passed() {
        let rule = rule(
            json!({"kind": "threshold", "group_by": ["source.ip"], "threshold": 5, "window_secs": 600}),
        );
        let mut evaluator = Evaluator::new(&rule, &Lists::new(), Utc::now()).unwrap();
        for i in 0..200 {
            evaluator.observe(&failure(i, &format!("10.1.{}.{}", i / 250, i % 250)));
        }
        let State::Window(groups) = &evaluator.memory.state else {
            panic!("a threshold rule keeps windows");
        };
        // One new address a minute, ten-minute window: at most the last
        // ten (and what arrived since the last sweep) are remembered.
        assert!(
            groups.len() <= 10 + SWEEP_EVERY as usize,
            "{} groups",
            groups.len()
        );
        assert!(groups.len() < 200);
    }

    #[test]
    fn broken_rules_are_refused_with_the_field() {
        let mut broken = rule(json!({"kind": "query"}));
        broken.query = "x|re:\"(\"".into();
        let error = Evaluator::new(&broken, &Lists::new(), Utc::now()).unwrap_err();
        assert_eq!(error.field, "query");
        assert!(error.message.contains("regular expression"));
    }
}
