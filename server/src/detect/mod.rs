//! Detection: rules evaluated against events as they are committed.
//!
//! This first part is the matcher that single-event conditions compile to;
//! the rule model, the engine and alerts build on it.

pub mod eval;
pub mod handlers;
pub mod matcher;

pub use matcher::{EventView, Matcher};
