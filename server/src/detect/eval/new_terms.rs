//! The new terms kind: an alert the first time a combination of values is
//! seen, or again after it was unseen for the history window.

use super::hit::{Hit, combination, group_key};
use super::record::EventRecord;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// What a new terms rule remembers: what a checkpoint saves.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Known {
    /// Per combination of values (joined by U+001F): when it was last seen.
    seen: HashMap<String, DateTime<Utc>>,
}

/// A new terms rule's settings and the combinations it knows.
#[derive(Debug)]
pub struct NewTerms {
    fields: Vec<String>,
    history_days: u32,
    /// What a checkpoint saves.
    pub known: Known,
}

impl NewTerms {
    /// Returns a new terms kind that knows nothing yet.
    pub fn new(fields: &[String], history_days: u32) -> NewTerms {
        NewTerms {
            fields: fields.to_vec(),
            history_days,
            known: Known::default(),
        }
    }

    /// Returns the fields and the history in days: what to seed it with.
    pub fn history(&self) -> (&[String], u32) {
        (&self.fields, self.history_days)
    }

    /// Takes a selected event; returns its alert when its values are new.
    pub fn advance(&mut self, event: &EventRecord) -> Vec<Hit> {
        let Some((_, values)) = group_key(&event.document, &self.fields) else {
            return Vec::new();
        };
        let combination = combination(&values);
        let history = Duration::days(i64::from(self.history_days));
        let new = match self.known.seen.get(&combination) {
            Some(last) => event.timestamp - *last > history,
            None => true,
        };
        let last = self
            .known
            .seen
            .entry(combination)
            .or_insert(event.timestamp);
        *last = (*last).max(event.timestamp);
        if new {
            vec![Hit::single(event, values)]
        } else {
            Vec::new()
        }
    }

    /// Takes an event as history: its values are known, without alerting.
    pub fn remember(&mut self, event: &EventRecord) {
        let Some((_, values)) = group_key(&event.document, &self.fields) else {
            return;
        };
        let last = self
            .known
            .seen
            .entry(combination(&values))
            .or_insert(event.timestamp);
        *last = (*last).max(event.timestamp);
    }

    /// How many combinations it remembers.
    pub fn remembered(&self) -> usize {
        self.known.seen.len()
    }

    /// Lets go of the least recently seen combinations beyond `cap`.
    pub fn cap(&mut self, cap: usize) -> u64 {
        super::cap::trim(&mut self.known.seen, cap, |last| Some(*last))
    }

    /// Lets go of combinations unseen for the history, given the newest event's time.
    pub fn sweep(&mut self, horizon: impl Fn(u64) -> DateTime<Utc>) {
        let oldest = horizon(u64::from(self.history_days) * 86_400);
        self.known.seen.retain(|_, last| *last >= oldest);
    }
}
