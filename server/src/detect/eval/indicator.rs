//! The indicator kind: an alert when a field holds a value of a watchlist.

use super::hit::Hit;
use super::record::EventRecord;
use crate::event::path::field_values;
use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

/// An indicator rule's field and its watchlist's values.
#[derive(Debug)]
pub struct Indicator {
    field: String,
    watchlist: Arc<HashSet<String>>,
}

impl Indicator {
    /// Returns an indicator kind matching `field` against `watchlist`.
    pub fn new(field: &str, watchlist: Arc<HashSet<String>>) -> Indicator {
        Indicator {
            field: field.to_owned(),
            watchlist,
        }
    }

    /// Returns the alert of a selected event whose field (any element of
    /// an array) is on the watchlist.
    pub fn advance(&self, event: &EventRecord) -> Vec<Hit> {
        let values = &self.watchlist;
        let hit = field_values(&event.document, &self.field)
            .into_iter()
            .find(|v| values.contains(v) || values.contains(&v.to_lowercase()));
        match hit {
            Some(value) => vec![Hit::single(
                event,
                BTreeMap::from([(self.field.clone(), value)]),
            )],
            None => Vec::new(),
        }
    }
}
