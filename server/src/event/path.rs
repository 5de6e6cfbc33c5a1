//! Dotted paths into an event document: a literal key with dots first,
//! then nested objects, at every level (as Elasticsearch and jsonb read them).

use super::text::scalar_text;
use serde_json::{Map, Value};

/// `path.split_once('.')` for the short paths of event fields, where a
/// plain loop beats the searcher's setup.
pub fn split_dot(path: &str) -> Option<(&str, &str)> {
    let at = path.bytes().position(|b| b == b'.')?;
    Some((&path[..at], &path[at + 1..]))
}

/// Returns the value at a dotted path of a parsed object: a literal key with
/// dots first, then nested objects, at every level (as `ingest::fields::Fields::get_path`).
pub fn value_lookup<'v>(object: &'v Map<String, Value>, path: &str) -> Option<&'v Value> {
    if let Some(value) = object.get(path) {
        return Some(value);
    }
    let (head, rest) = split_dot(path)?;
    value_lookup(object.get(head)?.as_object()?, rest)
}

/// The text of a field as columns read it (trimmed, first of an array).
pub fn field_text(document: &Value, field: &str) -> Option<String> {
    scalar_text(value_lookup(document.as_object()?, field)?)
}

/// Every text of a field: each element of an array, or the one scalar.
pub fn field_values(document: &Value, field: &str) -> Vec<String> {
    match document.as_object().and_then(|o| value_lookup(o, field)) {
        Some(Value::Array(items)) => items.iter().filter_map(scalar_text).collect(),
        Some(other) => scalar_text(other).into_iter().collect(),
        None => Vec::new(),
    }
}
