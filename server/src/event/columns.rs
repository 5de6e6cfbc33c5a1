//! The fields stored in columns of their own (the rest live in the document).

/// How a field is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Column {
    /// A text column compared as is.
    Text(&'static str),
    /// A text column holding lower case: values are lower-cased to match.
    Lower(&'static str),
    /// The message: contains, case-insensitive.
    Message,
    /// An `inet` column.
    Inet(&'static str),
    /// `ts`.
    Time,
    /// `id`.
    Id,
    /// `tags`, a text array.
    Tags,
}

/// The column holding `field`, if it has one.
pub fn column(field: &str) -> Option<Column> {
    Some(match field {
        "@timestamp" => Column::Time,
        "event.id" => Column::Id,
        "event.category" => Column::Lower("category"),
        "event.outcome" => Column::Lower("outcome"),
        "log.level" => Column::Lower("log_level"),
        "event.action" => Column::Text("action"),
        "host.name" => Column::Text("host_name"),
        "user.name" => Column::Text("user_name"),
        "process.name" => Column::Text("process_name"),
        "source.ip" => Column::Inet("source_ip"),
        "destination.ip" => Column::Inet("destination_ip"),
        "message" => Column::Message,
        "tags" => Column::Tags,
        _ => return None,
    })
}

/// Says whether `field` is stored in a column of its own (and indexed or
/// carried by the time index).
pub fn is_column(field: &str) -> bool {
    column(field).is_some()
}
