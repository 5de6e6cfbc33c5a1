//! An event as the evaluator sees it: its id, time and document.

use crate::detect::matcher::EventView;
use chrono::{DateTime, Utc};
use serde_json::Value;

/// An event as the evaluator sees it.
#[derive(Debug, Clone)]
pub struct EventRecord {
    /// The event id.
    pub id: uuid::Uuid,
    /// `@timestamp`.
    pub timestamp: DateTime<Utc>,
    /// The stored document.
    pub document: Value,
}

impl EventRecord {
    /// Returns the view a matcher reads.
    pub fn view(&self) -> EventView<'_> {
        EventView {
            timestamp: self.timestamp,
            id: self.id,
            document: &self.document,
        }
    }
}
