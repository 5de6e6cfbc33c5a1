//! Detection: rules evaluated against events.
//!
//! [`matcher`] runs one query on one event with search's exact meaning;
//! [`eval`] runs a whole rule (every kind, with its state); [`set`] sends
//! each event only to the rules that can match it; [`sigma`] turns
//! Sigma YAML into rules, [`mozdef`] MozDef's generic alerts; [`rules`] stores them with their versions; [`watchlists`] holds the values
//! indicator rules match;
//! [`handlers`] serves `POST /api/v1/rules/test`; [`engine`] runs the
//! enabled rules over committed events and stores their alerts, which
//! [`alerts`] serves.

pub mod alerts;
pub mod engine;
pub mod eval;
pub mod handlers;
pub mod matcher;
pub mod mozdef;
pub mod packs;
pub mod rules;
pub mod set;
pub mod sigma;
pub mod sigma_export;
pub mod watchlists;

pub use matcher::{EventView, Matcher};
