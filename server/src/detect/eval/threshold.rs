//! The threshold kind: `threshold` matching events of one group within a
//! sliding window.

use super::hit::Hit;
use super::record::EventRecord;
use super::window::Groups;
use chrono::{DateTime, Utc};

/// A threshold rule's settings and windows.
#[derive(Debug)]
pub struct Threshold {
    group_by: Vec<String>,
    threshold: u64,
    window_secs: u64,
    /// What a checkpoint saves.
    pub groups: Groups,
}

impl Threshold {
    /// Returns a threshold kind with no events counted yet.
    pub fn new(group_by: &[String], threshold: u64, window_secs: u64) -> Threshold {
        Threshold {
            group_by: group_by.to_vec(),
            threshold,
            window_secs,
            groups: Groups::default(),
        }
    }

    /// Counts a selected event; returns the alert of a full window.
    pub fn advance(&mut self, event: &EventRecord) -> Vec<Hit> {
        let threshold = self.threshold;
        self.groups
            .push(event, &self.group_by, None, self.window_secs, |events| {
                events.len() as u64 >= threshold
            })
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
