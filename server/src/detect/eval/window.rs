//! Sliding windows per group, shared by the threshold and value count kinds.
//!
//! An alert fires when the events of one group within `window_secs` of each
//! other make the window full; those events are then spent, so the next
//! alert needs a fresh set. Events missing a group-by field are not counted
//! (as Elastic does); a late event (older than its group's newest by more
//! than the window) can no longer complete a window.

use super::hit::{Hit, Seen, group_key};
use super::record::EventRecord;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet, VecDeque};

/// A counted event: time, id, and a value count's value.
pub type Counted = (DateTime<Utc>, uuid::Uuid, Option<Box<str>>);

/// One group's counted events, in time order. The group's values are not
/// kept: they are in its key, and every event of the group carries them.
/// Lean on purpose: this is most of a busy threshold rule's memory
/// (docs/benchmarks.md).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Group {
    events: VecDeque<Counted>,
}

/// Every group's window, by group key.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Groups(HashMap<String, Group>);

impl Groups {
    /// Returns how many groups are remembered.
    #[allow(clippy::len_without_is_empty)]
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Adds the event (events without the group's fields are not counted);
    /// returns the alert of a window it makes full.
    pub fn push(
        &mut self,
        event: &EventRecord,
        group_by: &[String],
        value: Option<Box<str>>,
        window_secs: u64,
        full: impl Fn(&[Counted]) -> bool,
    ) -> Vec<Hit> {
        let Some((key, values)) = group_key(&event.document, group_by) else {
            return Vec::new();
        };
        let group = self.0.entry(key.clone()).or_default();
        let window = Duration::seconds(window_secs as i64);
        match window_push(group, event, value, window, full) {
            Some(spent) => {
                let hit = Hit::spent(spent, values);
                if group.events.is_empty() {
                    self.0.remove(&key);
                }
                vec![hit]
            }
            None => Vec::new(),
        }
    }

    /// Lets go of the least recently active groups beyond `cap`; returns how many.
    pub fn cap(&mut self, cap: usize) -> u64 {
        super::cap::trim(&mut self.0, cap, |group| {
            group.events.back().map(|(t, _, _)| *t)
        })
    }

    /// Lets go of events older than `oldest`, and of groups left empty.
    pub fn sweep(&mut self, oldest: DateTime<Utc>) {
        self.0.retain(|_, group| {
            while group.events.front().is_some_and(|(t, _, _)| *t < oldest) {
                group.events.pop_front();
            }
            !group.events.is_empty()
        });
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
) -> Option<Vec<Seen>> {
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
            let spent: Vec<Seen> = events[start..end]
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
