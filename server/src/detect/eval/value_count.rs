//! The value count kind: `threshold` distinct values of a field among the
//! matching events of one group within a sliding window.

use super::hit::Hit;
use super::record::EventRecord;
use super::window::Groups;
use crate::event::path::field_text;
use chrono::{DateTime, Utc};
use std::collections::HashSet;

/// A value count rule's settings and windows.
#[derive(Debug)]
pub struct ValueCount {
    field: String,
    group_by: Vec<String>,
    threshold: u64,
    window_secs: u64,
    /// What a checkpoint saves.
    pub groups: Groups,
}

impl ValueCount {
    /// Returns a value count kind with no events counted yet.
    pub fn new(field: &str, group_by: &[String], threshold: u64, window_secs: u64) -> ValueCount {
        ValueCount {
            field: field.to_owned(),
            group_by: group_by.to_vec(),
            threshold,
            window_secs,
            groups: Groups::default(),
        }
    }

    /// Counts a selected event with the field; returns the alert of a full window.
    pub fn advance(&mut self, event: &EventRecord) -> Vec<Hit> {
        let Some(value) = field_text(&event.document, &self.field) else {
            return Vec::new();
        };
        let threshold = self.threshold;
        self.groups.push(
            event,
            &self.group_by,
            Some(value.into_boxed_str()),
            self.window_secs,
            |events| {
                let distinct: HashSet<&str> =
                    events.iter().filter_map(|(_, _, v)| v.as_deref()).collect();
                distinct.len() as u64 >= threshold
            },
        )
    }

    /// Lets go of the least recently active groups beyond `cap`.
    pub fn cap(&mut self, cap: usize) -> u64 {
        self.groups.cap(cap)
    }

    /// How many groups it remembers.
    pub fn remembered(&self) -> usize {
        self.groups.len()
    }

    /// Lets go of events the window has passed, given the newest event's time.
    pub fn sweep(&mut self, horizon: impl Fn(u64) -> DateTime<Utc>) {
        self.groups.sweep(horizon(self.window_secs));
    }
}
