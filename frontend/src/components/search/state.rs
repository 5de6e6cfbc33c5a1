//! What the explorer shows, kept in the URL
//! (`/search?q=…&from=…&to=…&tz=…&sort=…`) so a link reproduces the view, and
//! helpers to read event documents as text.

use crate::url::encode;
use leptos::prelude::*;
use leptos_router::NavigateOptions;
use leptos_router::hooks::{use_navigate, use_query_map};
use serde_json::Value;

/// The commonly used time ranges: (label, `from`, `to`), as Kibana offers them.
pub const QUICK_RANGES: &[(&str, &str, &str)] = &[
    ("Today", "now/d", "now/d"),
    ("This week", "now/w", "now/w"),
    ("This month", "now/M", "now/M"),
    ("This year", "now/y", "now/y"),
    ("Yesterday", "now-1d/d", "now-1d/d"),
    ("Last 15 minutes", "now-15m", "now"),
    ("Last hour", "now-1h", "now"),
    ("Last 4 hours", "now-4h", "now"),
    ("Last 24 hours", "now-24h", "now"),
    ("Last 7 days", "now-7d", "now"),
    ("Last 30 days", "now-30d", "now"),
    ("Last 90 days", "now-90d", "now"),
];

/// The label of a range: its quick name, or the two ends as written.
pub fn range_label(from: &str, to: &str) -> String {
    QUICK_RANGES
        .iter()
        .find(|(_, f, t)| *f == from && *t == to)
        .map_or_else(
            || format!("{from} → {to}"),
            |(label, _, _)| (*label).to_owned(),
        )
}

/// The result columns shown unless the URL names others (`cols=a,b`).
pub const DEFAULT_COLUMNS: &[&str] = &[
    "host.name",
    "source.ip",
    "user.name",
    "event.action",
    "message",
];
/// The most columns a view shows.
pub const MAX_COLUMNS: usize = 20;

/// Returns the explorer's applied state, read from and written to the URL.
#[derive(Clone, Copy)]
pub struct ExplorerState {
    /// The applied query text.
    pub query: Memo<String>,
    /// The range start as typed (`now-24h`, RFC 3339).
    pub from: Memo<String>,
    /// The range end as typed.
    pub to: Memo<String>,
    /// The time zone dates and rounding are read in: `UTC` or an offset (`+01:00`).
    pub zone: Memo<String>,
    /// Newest first unless the URL says `sort=asc`.
    pub sort: Memo<app::search::SortOrder>,
    /// The result columns (field names), in order.
    pub columns: Memo<Vec<String>>,
    /// Bumped to run the same search again.
    pub runs: RwSignal<u64>,
    /// The URL to go to next; followed by the effect [`ExplorerState::from_url`] installs.
    target: RwSignal<Option<String>>,
}

impl ExplorerState {
    /// Reads the state from the current URL.
    pub fn from_url() -> ExplorerState {
        let params = use_query_map();
        let read = move |name: &'static str, default: &'static str| {
            Memo::new(move |_| {
                params
                    .read()
                    .get(name)
                    .filter(|v| !v.trim().is_empty())
                    .unwrap_or_else(|| default.to_owned())
            })
        };
        let target = RwSignal::new(None::<String>);
        let navigate = use_navigate();
        Effect::new(move |_| {
            if let Some(url) = target.get() {
                navigate(&url, NavigateOptions::default());
            }
        });
        ExplorerState {
            query: Memo::new(move |_| params.read().get("q").unwrap_or_default()),
            from: read("from", "now-24h"),
            to: read("to", "now"),
            zone: Memo::new(move |_| {
                params
                    .read()
                    .get("tz")
                    .filter(|z| app::query::time::zone(z).is_some())
                    .unwrap_or_else(|| "UTC".to_owned())
            }),
            sort: Memo::new(move |_| match params.read().get("sort").as_deref() {
                Some("asc") => app::search::SortOrder::Asc,
                _ => app::search::SortOrder::Desc,
            }),
            columns: Memo::new(move |_| {
                let listed: Vec<String> = params
                    .read()
                    .get("cols")
                    .unwrap_or_default()
                    .split(',')
                    .map(str::trim)
                    .filter(|f| app::query::is_field_name(f))
                    .take(MAX_COLUMNS)
                    .map(str::to_owned)
                    .collect();
                if listed.is_empty() {
                    DEFAULT_COLUMNS.iter().map(|c| (*c).to_owned()).collect()
                } else {
                    listed
                }
            }),
            runs: RwSignal::new(0),
            target,
        }
    }

    /// Shows `query` over `from`..`to`: a new URL (so back goes to the previous search).
    pub fn apply(&self, query: &str, from: &str, to: &str) {
        let same = self.query.get_untracked() == query
            && self.from.get_untracked() == from
            && self.to.get_untracked() == to;
        if same {
            self.runs.update(|n| *n += 1);
            return;
        }
        self.go(View {
            query: query.to_owned(),
            from: from.to_owned(),
            to: to.to_owned(),
            ..self.view()
        });
    }

    /// Reads dates and rounding in `zone` from now on (`UTC` or an offset).
    pub fn set_zone(&self, zone: &str) {
        self.go(View {
            zone: zone.to_owned(),
            ..self.view()
        });
    }

    /// Shows the oldest or the newest events first.
    pub fn set_sort(&self, sort: app::search::SortOrder) {
        self.go(View {
            sort,
            ..self.view()
        });
    }

    /// The request's `time_zone`: none for UTC, the default.
    pub fn time_zone(&self) -> Option<String> {
        Some(self.zone.get()).filter(|z| z != "UTC")
    }

    /// The path of this view with other ends of the range (for links with
    /// absolute times).
    pub fn path_with_range(&self, from: &str, to: &str) -> String {
        View {
            from: from.to_owned(),
            to: to.to_owned(),
            ..self.view()
        }
        .url()
    }

    /// Shows `columns` in the results, the search unchanged.
    pub fn set_columns(&self, columns: Vec<String>) {
        self.go(View {
            columns,
            ..self.view()
        });
    }

    /// Adds `field` as the last column, or removes it when shown.
    pub fn toggle_column(&self, field: &str) {
        let mut columns = self.columns.get_untracked();
        if let Some(at) = columns.iter().position(|c| c == field) {
            columns.remove(at);
        } else if columns.len() < MAX_COLUMNS {
            columns.push(field.to_owned());
        }
        self.set_columns(columns);
    }

    /// Moves `field` one place left.
    pub fn move_column_left(&self, field: &str) {
        let mut columns = self.columns.get_untracked();
        if let Some(at) = columns.iter().position(|c| c == field).filter(|at| *at > 0) {
            columns.swap(at, at - 1);
            self.set_columns(columns);
        }
    }

    /// What is shown now, as the URL holds it.
    fn view(&self) -> View {
        View {
            query: self.query.get_untracked(),
            from: self.from.get_untracked(),
            to: self.to.get_untracked(),
            columns: self.columns.get_untracked(),
            zone: self.zone.get_untracked(),
            sort: self.sort.get_untracked(),
        }
    }

    fn go(&self, view: View) {
        self.target.set(Some(view.url()));
    }
}

/// Everything the explorer's URL holds.
struct View {
    query: String,
    from: String,
    to: String,
    columns: Vec<String>,
    zone: String,
    sort: app::search::SortOrder,
}

impl View {
    fn url(&self) -> String {
        let mut url = format!(
            "/search?q={}&from={}&to={}",
            encode(&self.query),
            encode(&self.from),
            encode(&self.to)
        );
        if self
            .columns
            .iter()
            .map(String::as_str)
            .ne(DEFAULT_COLUMNS.iter().copied())
        {
            url.push_str("&cols=");
            url.push_str(&encode(&self.columns.join(",")));
        }
        if self.zone != "UTC" {
            url.push_str("&tz=");
            url.push_str(&encode(&self.zone));
        }
        if self.sort == app::search::SortOrder::Asc {
            url.push_str("&sort=asc");
        }
        url
    }
}

/// Returns the explorer URL that shows exactly one event.
pub fn event_link(hit: &app::search::Hit) -> String {
    let moment =
        |t: chrono::DateTime<chrono::Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    format!(
        "/search?q={}&from={}&to={}",
        encode(&format!("event.id:{}", hit.id)),
        encode(&moment(hit.timestamp)),
        encode(&moment(hit.timestamp + chrono::Duration::microseconds(1)))
    )
}

/// Returns the value at a dotted path of a document (nested objects, or a
/// literal dotted key) as display text; arrays are joined with ", ".
pub fn text_at(document: &Value, path: &str) -> Option<String> {
    match lookup(document, path)? {
        Value::Null => None,
        value => Some(display(value)),
    }
}

/// A value as display text: strings bare, arrays joined with ", ", the rest as JSON.
pub fn display(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Array(items) => items.iter().map(display).collect::<Vec<_>>().join(", "),
        other => other.to_string(),
    }
}

fn lookup<'a>(value: &'a Value, path: &str) -> Option<&'a Value> {
    let object = value.as_object()?;
    if let Some(found) = object.get(path) {
        return Some(found);
    }
    let (head, rest) = path.split_once('.')?;
    lookup(object.get(head)?, rest)
}

/// Returns every leaf of a document as (dotted path, display text), sorted by path.
pub fn flatten(document: &Value) -> Vec<(String, String)> {
    let mut out = Vec::new();
    walk(document, String::new(), &mut out);
    out.sort();
    out
}

fn walk(value: &Value, prefix: String, out: &mut Vec<(String, String)>) {
    match value {
        Value::Object(map) if !map.is_empty() => {
            for (key, inner) in map {
                let path = if prefix.is_empty() {
                    key.clone()
                } else {
                    format!("{prefix}.{key}")
                };
                walk(inner, path, out);
            }
        }
        other => out.push((prefix, display(other))),
    }
}

/// Returns `query` with the characters `start..cursor` replaced by
/// `inserted`, and the cursor position after it.
pub fn splice(query: &str, start: usize, cursor: usize, inserted: &str) -> (String, usize) {
    let chars: Vec<char> = query.chars().collect();
    let cursor = cursor.min(chars.len());
    let before: String = chars[..start.min(cursor)].iter().collect();
    let after: String = chars[cursor..].iter().collect();
    let position = before.chars().count() + inserted.chars().count();
    (format!("{before}{inserted}{after}"), position)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn documents_read_as_text_by_path() {
        let doc =
            json!({"host": {"name": "web01"}, "user.name": "root", "tags": ["a", 1], "n": null});
        assert_eq!(text_at(&doc, "host.name").as_deref(), Some("web01"));
        assert_eq!(text_at(&doc, "user.name").as_deref(), Some("root"));
        assert_eq!(text_at(&doc, "tags").as_deref(), Some("a, 1"));
        assert_eq!(text_at(&doc, "n"), None);
        assert_eq!(
            flatten(&doc),
            vec![
                ("host.name".to_owned(), "web01".to_owned()),
                ("n".to_owned(), "null".to_owned()),
                ("tags".to_owned(), "a, 1".to_owned()),
                ("user.name".to_owned(), "root".to_owned()),
            ]
        );
        assert_eq!(
            splice("x:1 AND sou rest", 8, 11, "source.ip:"),
            ("x:1 AND source.ip: rest".into(), 18)
        );
    }
}
