//! What an event's fields mean, wherever an event is read: a value at a
//! dotted path, a value as the text a column holds, the fields that have
//! columns, the parameters a compiled condition binds, and which regular
//! expressions are allowed. Ingest, search and detection import it; it
//! imports none of them, so the three agree on one meaning.

pub mod columns;
pub mod params;
pub mod path;
pub mod pattern;
pub mod text;
