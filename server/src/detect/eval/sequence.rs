//! The sequence kind: steps matched by the events of one group, in order
//! (or, unordered, in any order), the first and last at most
//! `max_span_secs` apart. Steps advance in the order events are fed.

use super::hit::{Hit, Seen, group_key};
use super::record::EventRecord;
use crate::detect::matcher::Matcher;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};

/// A sequence begun but not complete.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Partial {
    next_step: usize,
    events: Vec<Seen>,
}

/// What a sequence rule remembers: what a checkpoint saves.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Progress {
    /// Ordered sequences: per group, the sequences begun.
    partials: HashMap<String, Vec<Partial>>,
    /// Unordered sequences: per group, the newest event of each step.
    latest: HashMap<String, Vec<Option<Seen>>>,
}

/// A sequence rule's settings, step conditions and progress.
#[derive(Debug)]
pub struct Sequence {
    by: Vec<String>,
    max_span_secs: u64,
    ordered: bool,
    steps: Vec<Matcher>,
    /// What a checkpoint saves.
    pub progress: Progress,
}

impl Sequence {
    /// Returns a sequence kind with its compiled steps and no progress.
    pub fn new(by: &[String], max_span_secs: u64, ordered: bool, steps: Vec<Matcher>) -> Sequence {
        Sequence {
            by: by.to_vec(),
            max_span_secs,
            ordered,
            steps,
            progress: Progress::default(),
        }
    }

    /// Takes a selected event (the rule's condition applies to every step;
    /// each step has its own too); returns the alert it completes.
    pub fn advance(&mut self, event: &EventRecord) -> Vec<Hit> {
        let Some((key, values)) = group_key(&event.document, &self.by) else {
            return Vec::new();
        };
        let span = Duration::seconds(self.max_span_secs as i64);
        let view = event.view();
        let matching: Vec<bool> = self.steps.iter().map(|s| s.matches(&view)).collect();
        if !self.ordered {
            return unordered(
                &mut self.progress.latest,
                key,
                values,
                &matching,
                event,
                span,
            );
        }
        let list = self.progress.partials.entry(key).or_default();
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
                if partial.next_step == self.steps.len() {
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

    /// How many groups it remembers (begun sequences and step slots).
    pub fn remembered(&self) -> usize {
        self.progress.partials.len() + self.progress.latest.len()
    }

    /// Lets go of the least recently active groups beyond `cap`.
    pub fn cap(&mut self, cap: usize) -> u64 {
        let newest = |events: &[Seen]| events.iter().map(|(t, _)| *t).max();
        super::cap::trim(&mut self.progress.partials, cap, |list| {
            list.iter().filter_map(|p| newest(&p.events)).max()
        }) + super::cap::trim(&mut self.progress.latest, cap, |slots| {
            slots.iter().flatten().map(|(t, _)| *t).max()
        })
    }

    /// Lets go of sequences begun before the span, given the newest event's time.
    pub fn sweep(&mut self, horizon: impl Fn(u64) -> DateTime<Utc>) {
        let oldest = horizon(self.max_span_secs);
        self.progress.partials.retain(|_, list| {
            list.retain(|p| p.events.first().is_some_and(|(t, _)| *t >= oldest));
            !list.is_empty()
        });
        self.progress
            .latest
            .retain(|_, slots| slots.iter().flatten().any(|(t, _)| *t >= oldest));
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
