//! What the parser says about a query: an error that stops it, or a
//! warning on how it was read; both with a character position.

use serde::{Deserialize, Serialize};

/// Returned when query text cannot be parsed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[error("{message} (at character {position})")]
pub struct QueryError {
    /// Where the problem is: a character index (not a byte offset) into the text.
    pub position: usize,
    /// What is wrong, for a person.
    pub message: String,
}

/// Something read in a way the analyst may not have meant, where Kibana's
/// two languages (KQL and Lucene) disagree or a name looks mistaken: the
/// query runs, and the warning says how it was read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Warning {
    /// Where: a character index into the query text.
    pub position: usize,
    /// How the query was read, and how to write it to say otherwise.
    pub message: String,
}
