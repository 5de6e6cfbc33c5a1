//! The absence kind: an alert once per silence, when a group (or the rule,
//! if ungrouped) has had no matching event for `period_secs`. Time alone
//! raises it, so it is the one kind the clock moves.

use super::hit::{Hit, group_key};
use super::record::EventRecord;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};

/// An absence rule's view of one group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Silence {
    values: BTreeMap<String, String>,
    /// The last matching event's time.
    last: DateTime<Utc>,
    /// Whether the silence since then was already reported.
    reported: bool,
}

/// What an absence rule remembers: what a checkpoint saves.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Silences {
    /// Per group: the last matching event's time, and whether its silence
    /// was already reported.
    last_seen: HashMap<String, Silence>,
    /// When evaluation began (an ungrouped rule counts silence from it).
    started: DateTime<Utc>,
}

/// An absence rule's settings and what it has seen.
#[derive(Debug)]
pub struct Absence {
    group_by: Vec<String>,
    period_secs: u64,
    /// What a checkpoint saves.
    pub silences: Silences,
}

impl Absence {
    /// Returns an absence kind whose evaluation began at `started`.
    pub fn new(group_by: &[String], period_secs: u64, started: DateTime<Utc>) -> Absence {
        Absence {
            group_by: group_by.to_vec(),
            period_secs,
            silences: Silences {
                last_seen: HashMap::new(),
                started,
            },
        }
    }

    /// Takes a selected event: its group is not silent. Raises nothing.
    pub fn advance(&mut self, event: &EventRecord) -> Vec<Hit> {
        if let Some((key, values)) = group_key(&event.document, &self.group_by) {
            let silence = self.silences.last_seen.entry(key).or_insert(Silence {
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

    /// How many groups it watches.
    pub fn remembered(&self) -> usize {
        self.silences.last_seen.len()
    }

    /// Lets go of the longest-silent groups beyond `cap` (their silence has
    /// long been reported).
    pub fn cap(&mut self, cap: usize) -> u64 {
        super::cap::trim(&mut self.silences.last_seen, cap, |silence| {
            Some(silence.last)
        })
    }

    /// Moves the clock to `now`: the silences that reached the period.
    pub fn tick(&mut self, now: DateTime<Utc>) -> Vec<Hit> {
        let grouped = !self.group_by.is_empty();
        let period = Duration::seconds(self.period_secs as i64);
        let Silences { last_seen, started } = &mut self.silences;
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
        let mut hits = Vec::new();
        for key in keys {
            let Some(silence) = last_seen.get_mut(&key) else {
                continue;
            };
            if !silence.reported && now - silence.last >= period {
                silence.reported = true;
                hits.push(Hit {
                    events: Vec::new(),
                    start: silence.last,
                    end: now,
                    group: silence.values.clone(),
                    facts: BTreeMap::new(),
                });
            }
        }
        hits
    }
}
