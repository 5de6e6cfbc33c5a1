//! Watchlists: named sets of values that indicator rules match fields
//! against, and the CSV format they are imported from.
//!
//! The CSV reader is here so the browser can show an import's mistakes
//! before sending it: one value per line (first column), an optional note
//! (second column), RFC 4180 quoting, an optional header line (`value`,
//! `indicator`, `ioc`). A bad line is reported with its number and never
//! stops the good lines around it.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The longest value, in characters.
pub const MAX_VALUE: usize = 1024;
/// The longest note, in characters.
pub const MAX_NOTE: usize = 1000;
/// The most entries one import adds.
pub const MAX_IMPORT: usize = 100_000;

/// A stored watchlist.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Watchlist {
    pub id: crate::ids::WatchlistId,
    pub slug: String,
    pub name: String,
    pub description: String,
    /// How many values it holds.
    pub entries: i64,
    pub created_at: DateTime<Utc>,
    pub created_by: Option<String>,
    pub updated_at: DateTime<Utc>,
}

/// The body of `POST /api/v1/watchlists` and `PUT …/{id}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct WatchlistRequest {
    pub slug: String,
    pub name: String,
    #[serde(default)]
    pub description: String,
}

impl WatchlistRequest {
    /// Returns the field at fault and why, when the request breaks a rule.
    pub fn validate(&self) -> Result<(), (&'static str, String)> {
        if !crate::rules::is_slug(&self.slug) {
            return Err((
                "slug",
                "use 1 to 80 lower-case letters, digits, '_' or '-', starting with a letter or digit"
                    .into(),
            ));
        }
        let name = self.name.trim().chars().count();
        if name == 0 || name > 200 {
            return Err(("name", "a name of 1 to 200 characters is needed".into()));
        }
        if self.description.chars().count() > 10_000 {
            return Err(("description", "at most 10,000 characters".into()));
        }
        Ok(())
    }
}

/// One value of a watchlist.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct WatchlistEntry {
    pub value: String,
    #[serde(default)]
    pub note: String,
    pub added_at: DateTime<Utc>,
    pub added_by: Option<String>,
}

/// The body of `POST /api/v1/watchlists/{id}/entries`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct EntriesRequest {
    pub values: Vec<String>,
    #[serde(default)]
    pub note: String,
}

/// A line of an import that was not taken.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct LineError {
    /// 1-based.
    pub line: usize,
    pub message: String,
}

/// The answer of an import or of adding entries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ImportResponse {
    /// Values new to the list.
    pub added: usize,
    /// Values it held already (their notes are updated).
    pub existing: usize,
    pub errors: Vec<LineError>,
}

/// A value as stored and matched: trimmed, lower case.
pub fn normalize_value(value: &str) -> Result<String, String> {
    let value = value.trim();
    if value.is_empty() {
        return Err("the value is empty".into());
    }
    if value.chars().count() > MAX_VALUE {
        return Err(format!("the value is longer than {MAX_VALUE} characters"));
    }
    if value.chars().any(char::is_control) {
        return Err("the value holds a control character".into());
    }
    Ok(value.to_lowercase())
}

/// Reads watchlist CSV: the (value, note) of every good line, and the
/// mistake of every bad one.
pub fn parse_csv(text: &str) -> (Vec<(String, String)>, Vec<LineError>) {
    let (mut rows, mut errors) = (Vec::new(), Vec::new());
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut records = Records {
        chars: text.chars().peekable(),
        line: 1,
    };
    let mut first = true;
    while let Some((line, record)) = records.next_record() {
        let fields = match record {
            Ok(fields) => fields,
            Err(message) => {
                errors.push(LineError { line, message });
                continue;
            }
        };
        if fields.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        let is_header = first
            && matches!(
                fields[0].trim().to_lowercase().as_str(),
                "value" | "indicator" | "ioc"
            );
        first = false;
        if is_header {
            continue;
        }
        if fields.len() > 2 {
            errors.push(LineError {
                line,
                message: format!(
                    "{} columns; a line is a value and an optional note",
                    fields.len()
                ),
            });
            continue;
        }
        let note = fields
            .get(1)
            .map(|n| n.trim().to_owned())
            .unwrap_or_default();
        if note.chars().count() > MAX_NOTE {
            errors.push(LineError {
                line,
                message: format!("the note is longer than {MAX_NOTE} characters"),
            });
            continue;
        }
        match normalize_value(&fields[0]) {
            Ok(value) => rows.push((value, note)),
            Err(message) => errors.push(LineError { line, message }),
        }
    }
    (rows, errors)
}

struct Records<I: Iterator<Item = char>> {
    chars: std::iter::Peekable<I>,
    line: usize,
}

impl<I: Iterator<Item = char>> Records<I> {
    /// The next record and the line it starts on; a broken record is
    /// skipped to the end of its line.
    fn next_record(&mut self) -> Option<(usize, Result<Vec<String>, String>)> {
        self.chars.peek()?;
        let start = self.line;
        let mut fields = vec![String::new()];
        let mut quoted = false;
        let mut at_field_start = true;
        loop {
            let Some(c) = self.chars.next() else {
                if quoted {
                    return Some((start, Err("a quote is never closed".into())));
                }
                return Some((start, Ok(fields)));
            };
            match (quoted, c) {
                (true, '"') if self.chars.peek() == Some(&'"') => {
                    self.chars.next();
                    fields.last_mut()?.push('"');
                }
                (true, '"') => {
                    quoted = false;
                    // Only a separator or the end of the line may follow.
                    if !matches!(self.chars.peek(), None | Some(',' | '\n' | '\r')) {
                        self.skip_line();
                        return Some((start, Err("text after a closing quote".into())));
                    }
                }
                (true, '\n') => {
                    self.line += 1;
                    fields.last_mut()?.push('\n');
                }
                (true, c) => fields.last_mut()?.push(c),
                (false, '"') if at_field_start => {
                    quoted = true;
                    at_field_start = false;
                    continue;
                }
                (false, '"') => {
                    self.skip_line();
                    return Some((start, Err("a quote inside an unquoted value".into())));
                }
                (false, ',') => {
                    fields.push(String::new());
                    at_field_start = true;
                    continue;
                }
                (false, '\r') if self.chars.peek() == Some(&'\n') => {}
                (false, '\n') => {
                    self.line += 1;
                    return Some((start, Ok(fields)));
                }
                (false, c) => fields.last_mut()?.push(c),
            }
            at_field_start = false;
        }
    }

    fn skip_line(&mut self) {
        for c in self.chars.by_ref() {
            if c == '\n' {
                self.line += 1;
                break;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn good_lines_are_kept_and_bad_ones_named() {
        let csv = "value,note\r\n198.51.100.7,C2 from report\n\"Evil.Example.com\",\"said \"\"hi\"\"\"\n,empty\nx,y,z\n\"open\n\"bad\"x,1\nok\"no\n  ab  \n";
        let (rows, errors) = parse_csv(csv);
        assert_eq!(
            rows,
            vec![
                ("198.51.100.7".to_owned(), "C2 from report".to_owned()),
                ("evil.example.com".to_owned(), "said \"hi\"".to_owned()),
                ("ab".to_owned(), String::new()),
            ]
        );
        let lines: Vec<(usize, &str)> = errors
            .iter()
            .map(|e| (e.line, e.message.as_str()))
            .collect();
        assert_eq!(
            lines,
            [
                (4, "the value is empty"),
                (5, "3 columns; a line is a value and an optional note"),
                (6, "text after a closing quote"),
                (8, "a quote inside an unquoted value"),
            ]
        );
        let (_, unclosed) = parse_csv("a\n\"b");
        assert_eq!(
            unclosed,
            [LineError {
                line: 2,
                message: "a quote is never closed".into()
            }]
        );
    }

    #[test]
    fn requests_are_checked() {
        let ok = WatchlistRequest {
            slug: "bad-ips".into(),
            name: "Bad IPs".into(),
            description: String::new(),
        };
        assert!(ok.validate().is_ok());
        let bad = WatchlistRequest {
            slug: "Bad IPs".into(),
            ..ok
        };
        assert_eq!(bad.validate().unwrap_err().0, "slug");
        assert!(normalize_value("a\u{0}b").is_err());
        assert_eq!(
            normalize_value(&"x".repeat(MAX_VALUE + 1)).unwrap_err(),
            "the value is longer than 1024 characters"
        );
    }

    proptest! {
        /// Any text reads without a panic; every line is either taken or named.
        #[test]
        fn any_text_reads(text in "[a-z,\"\\r\\n \\u{0}é]{0,60}") {
            let (rows, errors) = parse_csv(&text);
            let lines = text.split('\n').count();
            for error in &errors {
                prop_assert!(error.line >= 1 && error.line <= lines, "{error:?}");
            }
            for (value, _) in rows {
                prop_assert!(normalize_value(&value).is_ok());
            }
        }

        /// Values written as CSV read back as written.
        #[test]
        fn written_values_read_back(values in prop::collection::vec("[a-zA-Z0-9.:/\\-\"', ]{1,12}", 1..8)) {
            let csv: String = values
                .iter()
                .map(|v| format!("\"{}\"\n", v.replace('"', "\"\"")))
                .collect();
            let (rows, errors) = parse_csv(&csv);
            let expected: Vec<String> = values.iter().filter_map(|v| normalize_value(v).ok()).collect();
            let read: Vec<String> = rows.into_iter().map(|(v, _)| v).collect();
            prop_assert_eq!(read, expected);
            // Blank lines are skipped, not mistakes.
            let bad = values.iter().filter(|v| !v.trim().is_empty() && normalize_value(v).is_err()).count();
            prop_assert_eq!(errors.len(), bad);
        }
    }
}
