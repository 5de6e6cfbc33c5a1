//! What a rule kind hands back when events complete an alert, and the group
//! keys every grouped kind reads.

use super::record::EventRecord;
use crate::event::path::field_text;
use chrono::{DateTime, Utc};
use serde_json::Value;
use std::collections::BTreeMap;

/// An event as a stateful kind remembers it: its time and id.
pub type Seen = (DateTime<Utc>, uuid::Uuid);

/// Events that complete an alert, before it is written up.
#[derive(Debug)]
pub struct Hit {
    /// The contributing events, oldest first.
    pub events: Vec<Seen>,
    /// The first contributing event's time (absence: the last one seen).
    pub start: DateTime<Utc>,
    /// The last contributing event's time (absence: when silence was noticed).
    pub end: DateTime<Utc>,
    /// The group's field values.
    pub group: BTreeMap<String, String>,
    /// Values for the summary beyond fields (`{distance_km}`).
    pub facts: BTreeMap<&'static str, String>,
}

impl Hit {
    /// Returns the alert of spent events (time order).
    pub fn spent(events: Vec<Seen>, group: BTreeMap<String, String>) -> Hit {
        Hit {
            start: events.first().map(|(t, _)| *t).unwrap_or_default(),
            end: events.last().map(|(t, _)| *t).unwrap_or_default(),
            events,
            group,
            facts: BTreeMap::new(),
        }
    }

    /// Returns the alert of one event.
    pub fn single(event: &EventRecord, group: BTreeMap<String, String>) -> Hit {
        Hit {
            events: vec![(event.timestamp, event.id)],
            start: event.timestamp,
            end: event.timestamp,
            group,
            facts: BTreeMap::new(),
        }
    }
}

/// Returns the group key of an event and its values by field; None when a
/// field is missing.
pub fn group_key(
    document: &Value,
    fields: &[String],
) -> Option<(String, BTreeMap<String, String>)> {
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

/// Returns a combination of values as remembered: joined by U+001F.
pub fn combination(values: &BTreeMap<String, String>) -> String {
    values
        .values()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .join("\u{1f}")
}
