//! The detection runtime: rules evaluated against committed events.
//!
//! [`matcher`] runs one query on one event with search's exact meaning;
//! [`eval`] runs a whole rule (every kind, with its state); [`set`] sends
//! each event only to the rules that can match it; [`engine`] runs the
//! enabled rules over committed events, in commit order, and stores their
//! alerts exactly once; [`repo`] holds its SQL. It serves no HTTP: rules,
//! alerts and watchlists have their own features, which import it.

pub mod engine;
pub mod eval;
pub mod matcher;
pub mod repo;
pub mod set;

pub use matcher::{EventView, Matcher};
