//! A query compiled once into a predicate over one event in memory, with the
//! meaning [`crate::search::compile`] gives it in SQL: the same query finds
//! the same events whether the explorer searches stored events or a
//! detection rule watches them arrive.
//!
//! Everything a leaf needs is prepared at compile time (lower-cased terms,
//! wildcard programs, parsed networks, times and numbers), so matching an
//! event does no parsing of the query and allocates only where a value has
//! to be lower-cased. Each rule's meaning for a field mirrors SQL's:
//! fields with a column read the value the column holds (trimmed text, the
//! first element of an array, lower case for `event.category`,
//! `event.outcome` and `log.level`), other fields read the document by path
//! (nested objects, else one literal dotted key), arrays matching by element.
//! Text compares by code point, as the `C.UTF-8` collation of Vigil's
//! database does.

mod pattern;

pub use pattern::folds_into_ascii;

use self::pattern::Pattern;
use crate::event::columns::{Column, column};
use crate::event::path::value_lookup;
use crate::event::pattern::regex;
use crate::event::text::{finite_number, network, numeric, parse_ip, rfc3339_time, scalar_text};
use crate::search::compile::{RangeType, cidr_term};
use app::query::{Bound, Operator, Query, Term, Test};
use chrono::{DateTime, Utc};
use serde_json::Value;
use std::borrow::Cow;
use std::cmp::Ordering;
use std::collections::{HashMap, HashSet};
use std::net::IpAddr;
use std::sync::Arc;

/// The parts of an event a matcher reads.
#[derive(Debug, Clone, Copy)]
pub struct EventView<'a> {
    /// `@timestamp`.
    pub timestamp: DateTime<Utc>,
    /// `event.id`.
    pub id: uuid::Uuid,
    /// The stored document.
    pub document: &'a Value,
}

/// Watchlists by slug: their values, trimmed and in lower case, as stored.
pub type Lists = HashMap<String, Arc<HashSet<String>>>;

/// A compiled query.
#[derive(Debug, Clone)]
pub struct Matcher {
    root: Node,
}

impl Matcher {
    /// Compiles `query`; a `field|in:` list matches nothing.
    pub fn new(query: &Query) -> Matcher {
        Matcher::with_lists(query, &Lists::new())
    }

    /// Compiles `query` with the values of the watchlists it reads (a list
    /// not given is empty).
    pub fn with_lists(query: &Query, lists: &Lists) -> Matcher {
        Matcher {
            root: Node::compile(query, lists),
        }
    }

    /// Says whether `event` satisfies the query.
    pub fn matches(&self, event: &EventView<'_>) -> bool {
        self.root.eval(event)
    }
}

#[derive(Debug, Clone)]
enum Node {
    All,
    Nothing,
    And(Vec<Node>),
    Or(Vec<Node>),
    Not(Box<Node>),
    /// The message contains the pattern (case-insensitive).
    MessageLike(Pattern),
    /// A field stored in a column of its own: read as ingest fills the column.
    Column {
        field: String,
        column: Column,
        test: ColumnTest,
    },
    Document {
        path: String,
        test: DocumentTest,
    },
    /// A modifier comparison: true when one of the field's texts passes.
    Compare {
        field: String,
        source: Source,
        test: CompareTest,
    },
    /// `prefix.*:value`: a value under the prefix equals the text or number
    /// (as search's JSON path reads it: see `any_field_path`).
    AnyField {
        prefix: Vec<String>,
        text: String,
        number: Option<f64>,
    },
    /// A part of the event's time (UTC) equals the value (`@timestamp|hour:9`).
    TimePart {
        op: Operator,
        value: i64,
    },
    /// Several "contains" of one text (the message when `field` is None),
    /// OR-ed: searched for together in one pass.
    ContainsAny {
        field: Option<String>,
        source: Source,
        any: ContainsAny,
    },
}

/// Literals searched for at once (Aho-Corasick), with the patterns they
/// came from for texts the one-pass search cannot fold exactly.
#[derive(Debug, Clone)]
struct ContainsAny {
    automaton: aho_corasick::AhoCorasick,
    patterns: Vec<Pattern>,
    fold_case: bool,
}

impl ContainsAny {
    fn matches(&self, text: &str) -> bool {
        if self.fold_case && !text.is_ascii() && folds_into_ascii(text) {
            return self.patterns.iter().any(|p| p.matches(text));
        }
        self.automaton.is_match(text)
    }
}

/// The literal of a pattern that is "contains one ASCII literal", and
/// whether it folds case.
fn contains_literal(pattern: &Pattern) -> Option<(&str, bool)> {
    let pieces = pattern.pieces.as_ref()?;
    match (&pieces.first, pieces.middle.as_slice(), &pieces.last) {
        (None, [literal], None) if pieces.ascii && !pieces.exact => {
            Some((literal.as_str(), pattern.fold_case))
        }
        _ => None,
    }
}

/// The text a "contains" reads: the field (the message when None), its
/// column, and whether case folds.
type TextKey = (Option<String>, Option<Column>, bool);

/// Replaces, in the parts of an OR, every group of two or more "contains"
/// tests of the same text by one search for all their literals.
fn merge_contains(parts: Vec<Node>) -> Node {
    let mut groups: Vec<(TextKey, Vec<usize>)> = Vec::new();
    for (index, part) in parts.iter().enumerate() {
        let key = match part {
            Node::MessageLike(pattern) => {
                contains_literal(pattern).map(|(_, fold)| (None, None, fold))
            }
            Node::Compare {
                field,
                source,
                test: CompareTest::Like(pattern),
            } => contains_literal(pattern).map(|(_, fold)| {
                let column = match source {
                    Source::Column(column) => Some(*column),
                    Source::Document => None,
                };
                (Some(field.clone()), column, fold)
            }),
            _ => None,
        };
        let Some(key) = key else { continue };
        match groups.iter_mut().find(|(k, _)| *k == key) {
            Some((_, members)) => members.push(index),
            None => groups.push((key, vec![index])),
        }
    }
    let mut merged: Vec<Option<Node>> = parts.into_iter().map(Some).collect();
    let mut out = Vec::new();
    for ((field, column, fold_case), members) in groups {
        if members.len() < 2 {
            continue;
        }
        let patterns: Vec<Pattern> = members
            .iter()
            .filter_map(|i| match merged[*i].take() {
                Some(Node::MessageLike(pattern)) => Some(pattern),
                Some(Node::Compare {
                    test: CompareTest::Like(pattern),
                    ..
                }) => Some(pattern),
                _ => None,
            })
            .collect();
        let literals: Vec<&str> = patterns
            .iter()
            .filter_map(|p| contains_literal(p).map(|(literal, _)| literal))
            .collect();
        let automaton = aho_corasick::AhoCorasick::builder()
            .ascii_case_insensitive(fold_case)
            .build(&literals);
        let any = match automaton {
            Ok(automaton) => ContainsAny {
                automaton,
                patterns,
                fold_case,
            },
            // Too large to build: keep testing them one by one.
            Err(_) => {
                out.extend(patterns.into_iter().map(|pattern| match &field {
                    None => Node::MessageLike(pattern),
                    Some(field) => Node::Compare {
                        field: field.clone(),
                        source: column.map_or(Source::Document, Source::Column),
                        test: CompareTest::Like(pattern),
                    },
                }));
                continue;
            }
        };
        out.push(Node::ContainsAny {
            source: column.map_or(Source::Document, Source::Column),
            field,
            any,
        });
    }
    out.extend(merged.into_iter().flatten());
    if out.len() == 1 {
        out.pop().unwrap_or(Node::Nothing)
    } else {
        Node::Or(out)
    }
}

/// Where a modifier comparison reads the field's texts (as SQL does).
#[derive(Debug, Clone, Copy)]
enum Source {
    /// The column's one text (lower case for the lower-cased columns).
    Column(Column),
    /// Each element of an array, or the one scalar, of the document.
    Document,
}

#[derive(Debug, Clone)]
enum CompareTest {
    Like(Pattern),
    Regex(regex::Regex),
    Within(ipnet::IpNet),
    /// On the watchlist (its values in lower case).
    OnList(Arc<HashSet<String>>),
    /// Contains one of the watchlist's values (none: an empty list).
    ContainsListed(Option<Arc<aho_corasick::AhoCorasick>>),
    /// Equal to the text of another field.
    FieldRef {
        other: String,
        cased: bool,
    },
}

#[derive(Debug, Clone)]
enum ColumnTest {
    Exists,
    /// Text equal to (or, for a pattern, like) the term.
    Text(TextTest),
    /// An address equal to, inside, or like the term.
    Address(AddressTest),
    TimeEquals(DateTime<Utc>),
    IdEquals(uuid::Uuid),
    /// Every bound holds.
    Range(Vec<(RangeValue, Ordering, bool)>),
}

#[derive(Debug, Clone)]
enum TextTest {
    Equals(String),
    Like(Pattern),
}

#[derive(Debug, Clone)]
enum AddressTest {
    Equals(IpAddr),
    Within(ipnet::IpNet),
    Like(Pattern),
}

/// A range bound's value, parsed for the column it applies to; `None`
/// where it cannot be (no event matches then, as in SQL's `FALSE`).
#[derive(Debug, Clone)]
enum RangeValue {
    Text(String),
    Address(IpAddr),
    Time(DateTime<Utc>),
    Id(uuid::Uuid),
    Number(f64),
    Invalid,
}

#[derive(Debug, Clone)]
enum DocumentTest {
    Exists,
    /// The text, and the integer it is when written canonically (so that a
    /// number in the document compares without being formatted).
    Equals(String, Option<i64>),
    Like(Pattern),
    Range(Vec<(RangeValue, Ordering, bool)>),
}

impl Node {
    fn compile(query: &Query, lists: &Lists) -> Node {
        let each = |parts: &[Query]| -> Vec<Node> {
            parts.iter().map(|p| Node::compile(p, lists)).collect()
        };
        match query {
            Query::All => Node::All,
            Query::And(parts) => Node::And(each(parts)),
            Query::Or(parts) => merge_contains(each(parts)),
            Query::Not(inner) => Node::Not(Box::new(Node::compile(inner, lists))),
            Query::Text(term) => Node::MessageLike(Pattern::contains(term)),
            Query::AnyField { prefix, term } => {
                let text = term.text();
                Node::AnyField {
                    prefix: prefix.split('.').map(str::to_owned).collect(),
                    number: finite_number(&text),
                    text,
                }
            }
            Query::Field {
                field,
                test: Test::Compare { op, term, cased },
            } => compile_compare(field, *op, term, *cased, lists),
            Query::Field { field, test } => match column(field) {
                Some(column) => compile_column(field, column, test, lists),
                None => {
                    let document = Node::Document {
                        path: field.clone(),
                        test: compile_document(test),
                    };
                    // A network also holds the addresses in it (as SQL's).
                    match test {
                        Test::Matches {
                            term: term @ Term::Word(text),
                        } if cidr_term(text) => Node::Or(vec![
                            document,
                            compile_compare(field, Operator::Cidr, term, false, lists),
                        ]),
                        _ => document,
                    }
                }
            },
        }
    }

    fn eval(&self, event: &EventView<'_>) -> bool {
        match self {
            Node::All => true,
            Node::Nothing => false,
            Node::And(parts) => parts.iter().all(|p| p.eval(event)),
            Node::Or(parts) => parts.iter().any(|p| p.eval(event)),
            Node::Not(inner) => !inner.eval(event),
            Node::MessageLike(pattern) => {
                column_text(event.document, "message").is_some_and(|m| pattern.matches(&m))
            }
            Node::Column {
                field,
                column,
                test,
            } => eval_column(field, *column, test, event),
            Node::Document { path, test } => eval_document(path, test, event.document),
            Node::Compare {
                field,
                source,
                test,
            } => eval_compare(field, *source, test, event.document),
            Node::TimePart { op, value } => time_part(*op, event.timestamp) == Some(*value),
            Node::AnyField {
                prefix,
                text,
                number,
            } => any_field(event.document, prefix, text, *number),
            Node::ContainsAny { field, source, any } => match field {
                None => column_text(event.document, "message").is_some_and(|m| any.matches(&m)),
                Some(field) => for_texts(field, *source, event.document, |text| any.matches(text)),
            },
        }
    }
}

/// Whether a value under `prefix` equals `text` or `number`, read as
/// Postgres' lax JSON path `$.a.b.**{1 to last} ? (@ == $s || @ == $n)`:
/// each member step goes into objects, and into the objects of an array
/// one level deep; then every value below, array elements included.
fn any_field(document: &Value, prefix: &[String], text: &str, number: Option<f64>) -> bool {
    let mut current: Vec<&Value> = vec![document];
    for key in prefix {
        let mut next = Vec::new();
        for value in current {
            match value {
                Value::Object(map) => next.extend(map.get(key)),
                Value::Array(items) => next.extend(
                    items
                        .iter()
                        .filter_map(|item| item.as_object().and_then(|m| m.get(key))),
                ),
                _ => {}
            }
        }
        current = next;
    }
    fn below(value: &Value, text: &str, number: Option<f64>) -> bool {
        let children: Box<dyn Iterator<Item = &Value>> = match value {
            Value::Object(map) => Box::new(map.values()),
            Value::Array(items) => Box::new(items.iter()),
            _ => return false,
        };
        for child in children {
            let equal = match child {
                Value::String(s) => s == text,
                Value::Number(n) => number.is_some_and(|wanted| n.as_f64() == Some(wanted)),
                _ => false,
            };
            if equal || below(child, text, number) {
                return true;
            }
        }
        false
    }
    current.into_iter().any(|value| below(value, text, number))
}

/// A part of `time` (UTC) as search's `extract` reads it; None for an
/// operator that is not a time part.
fn time_part(op: Operator, time: DateTime<Utc>) -> Option<i64> {
    use chrono::{Datelike, Timelike};
    Some(match op {
        Operator::Minute => i64::from(time.minute()),
        Operator::Hour => i64::from(time.hour()),
        Operator::Day => i64::from(time.day()),
        Operator::Week => i64::from(time.iso_week().week()),
        Operator::Month => i64::from(time.month()),
        Operator::Year => i64::from(time.year()),
        _ => return None,
    })
}

fn compile_compare(field: &str, op: Operator, term: &Term, cased: bool, lists: &Lists) -> Node {
    if op.time_part_range().is_some() {
        // The parser allows time parts on @timestamp only, with a number.
        return match term.text().parse() {
            Ok(value) => Node::TimePart { op, value },
            Err(_) => Node::Nothing,
        };
    }
    let test = match op {
        // Returned above.
        Operator::Minute
        | Operator::Hour
        | Operator::Day
        | Operator::Week
        | Operator::Month
        | Operator::Year => return Node::Nothing,
        Operator::InList => {
            CompareTest::OnList(lists.get(&term.text()).cloned().unwrap_or_default())
        }
        Operator::ContainsInList => {
            let values: Vec<&String> = lists
                .get(&term.text())
                .map(|values| values.iter().collect())
                .unwrap_or_default();
            let automaton = (!values.is_empty())
                .then(|| {
                    aho_corasick::AhoCorasick::builder()
                        .ascii_case_insensitive(true)
                        .build(values)
                        .ok()
                })
                .flatten();
            CompareTest::ContainsListed(automaton.map(Arc::new))
        }
        Operator::Equals | Operator::Contains | Operator::StartsWith | Operator::EndsWith => {
            CompareTest::Like(Pattern::exact(term, !cased).with_stars(
                matches!(op, Operator::Contains | Operator::EndsWith),
                matches!(op, Operator::Contains | Operator::StartsWith),
            ))
        }
        Operator::Regex => match regex(&term.text(), cased) {
            Ok(regex) => CompareTest::Regex(regex),
            Err(_) => return Node::Nothing,
        },
        Operator::Cidr => match network(&term.text()) {
            Some(network) => CompareTest::Within(network),
            None => return Node::Nothing,
        },
        Operator::FieldRef => CompareTest::FieldRef {
            other: term.text(),
            cased,
        },
    };
    let source = match column(field) {
        Some(
            column @ (Column::Text(_)
            | Column::Lower(_)
            | Column::Message
            | Column::Inet(_)
            | Column::Tags),
        ) => Source::Column(column),
        Some(Column::Time | Column::Id) | None => Source::Document,
    };
    Node::Compare {
        field: field.to_owned(),
        source,
        test,
    }
}

fn eval_compare(field: &str, source: Source, test: &CompareTest, document: &Value) -> bool {
    if let (CompareTest::Within(network), Source::Column(Column::Inet(_))) = (test, source) {
        return column_text(document, field)
            .and_then(|text| parse_ip(&text))
            .is_some_and(|address| network.contains(&address));
    }
    // The other field's text, read once however many texts this field has.
    let reference = match test {
        CompareTest::FieldRef { other, cased } => match reference_text(document, other) {
            Some(text) if *cased => Some(text),
            Some(text) => Some(Cow::Owned(text.to_lowercase())),
            None => return false,
        },
        _ => None,
    };
    let passes = |text: &str| match test {
        CompareTest::Like(pattern) => pattern.matches(text),
        CompareTest::Regex(regex) => regex.is_match(text),
        CompareTest::Within(wanted) => network(text).is_some_and(|inner| wanted.contains(&inner)),
        CompareTest::ContainsListed(automaton) => automaton.as_ref().is_some_and(|automaton| {
            // The values are in lower case; the automaton folds ASCII only.
            if text.is_ascii() {
                automaton.is_match(text)
            } else {
                automaton.is_match(&text.to_lowercase())
            }
        }),
        CompareTest::OnList(values) => {
            let text = text.trim();
            if text.bytes().any(|b| b.is_ascii_uppercase()) || !text.is_ascii() {
                values.contains(&text.to_lowercase())
            } else {
                values.contains(text)
            }
        }
        CompareTest::FieldRef { cased, .. } => reference.as_deref().is_some_and(|wanted| {
            if *cased {
                text == wanted
            } else {
                text.to_lowercase() == wanted
            }
        }),
    };
    for_texts(field, source, document, passes)
}

/// Says whether `passes` holds for one of the field's texts, read from its
/// column or the document as SQL reads them for a modifier comparison.
fn for_texts(field: &str, source: Source, document: &Value, passes: impl Fn(&str) -> bool) -> bool {
    match source {
        Source::Column(Column::Lower(_)) => {
            column_text(document, field).is_some_and(|t| passes(&t.to_lowercase()))
        }
        Source::Column(Column::Inet(_)) => column_text(document, field)
            .and_then(|t| parse_ip(&t))
            .is_some_and(|address| passes(&address.to_string())),
        Source::Column(Column::Tags) => tag_list(document).iter().any(|t| passes(t)),
        Source::Column(_) => column_text(document, field).is_some_and(|t| passes(&t)),
        Source::Document => match document_value(document, field) {
            Some(Value::Array(items)) => items.iter().filter_map(json_text).any(|t| passes(&t)),
            Some(value) => json_text(value).is_some_and(|t| passes(&t)),
            None => false,
        },
    }
}

/// The one text of a field that `|fieldref` compares with: its column, or
/// the document's value as text.
fn reference_text<'v>(document: &'v Value, field: &str) -> Option<Cow<'v, str>> {
    match column(field) {
        Some(Column::Text(_) | Column::Message) => column_text(document, field),
        Some(Column::Lower(_)) => {
            column_text(document, field).map(|t| Cow::Owned(t.to_lowercase()))
        }
        Some(Column::Inet(_)) => column_text(document, field)
            .and_then(|t| parse_ip(&t))
            .map(|address| Cow::Owned(address.to_string())),
        Some(Column::Tags | Column::Time | Column::Id) | None => {
            json_text(document_value(document, field)?)
        }
    }
}

fn compile_column(field: &str, column: Column, test: &Test, lists: &Lists) -> Node {
    let test = match (column, test) {
        (_, Test::Compare { op, term, cased }) => {
            return compile_compare(field, *op, term, *cased, lists);
        }
        (_, Test::Exists) => ColumnTest::Exists,
        (Column::Message, Test::Matches { term }) => {
            return Node::MessageLike(Pattern::contains(term));
        }
        (Column::Text(_) | Column::Tags, Test::Matches { term }) => {
            ColumnTest::Text(text_test(term, false))
        }
        (Column::Lower(_), Test::Matches { term }) => ColumnTest::Text(text_test(term, true)),
        (Column::Inet(_), Test::Matches { term }) => {
            let text = term.text();
            ColumnTest::Address(if let Term::Pattern(_) = term {
                AddressTest::Like(Pattern::exact(term, false))
            } else if let Ok(address) = text.parse::<IpAddr>() {
                AddressTest::Equals(address)
            } else if let Ok(network) = text.parse::<ipnet::IpNet>() {
                AddressTest::Within(network)
            } else {
                return Node::Nothing;
            })
        }
        (Column::Time, Test::Matches { term }) => match parse_time(&term.text()) {
            Some(time) => ColumnTest::TimeEquals(time),
            None => return Node::Nothing,
        },
        (Column::Id, Test::Matches { term }) => match uuid::Uuid::parse_str(&term.text()) {
            Ok(id) => ColumnTest::IdEquals(id),
            Err(_) => return Node::Nothing,
        },
        (column, Test::Range { lower, upper }) => {
            let bounds = range_bounds(lower, upper, |bound| match column {
                Column::Time => {
                    parse_time(&bound.value).map_or(RangeValue::Invalid, RangeValue::Time)
                }
                Column::Inet(_) => bound
                    .value
                    .parse::<IpAddr>()
                    .map_or(RangeValue::Invalid, RangeValue::Address),
                Column::Id => {
                    uuid::Uuid::parse_str(&bound.value).map_or(RangeValue::Invalid, RangeValue::Id)
                }
                Column::Lower(_) => RangeValue::Text(bound.value.to_lowercase()),
                Column::Text(_) | Column::Message | Column::Tags => {
                    RangeValue::Text(bound.value.clone())
                }
            });
            if bounds.is_empty() {
                ColumnTest::Exists
            } else {
                ColumnTest::Range(bounds)
            }
        }
    };
    Node::Column {
        field: field.to_owned(),
        column,
        test,
    }
}

fn text_test(term: &Term, lower: bool) -> TextTest {
    match term {
        Term::Pattern(_) => TextTest::Like(Pattern::exact(term, lower)),
        Term::Word(text) | Term::Phrase(text) => TextTest::Equals(if lower {
            text.to_lowercase()
        } else {
            text.clone()
        }),
    }
}

/// (value, the ordering it must not be on the wrong side of, inclusive)
fn range_bounds(
    lower: &Option<Bound>,
    upper: &Option<Bound>,
    parse: impl Fn(&Bound) -> RangeValue,
) -> Vec<(RangeValue, Ordering, bool)> {
    let mut bounds = Vec::new();
    if let Some(bound) = lower {
        bounds.push((parse(bound), Ordering::Greater, bound.inclusive));
    }
    if let Some(bound) = upper {
        bounds.push((parse(bound), Ordering::Less, bound.inclusive));
    }
    bounds
}

/// Says whether `ordering` (of the value against the bound) satisfies it.
fn within(ordering: Option<Ordering>, wanted: Ordering, inclusive: bool) -> bool {
    match ordering {
        Some(Ordering::Equal) => inclusive,
        Some(other) => other == wanted,
        None => false,
    }
}

fn compile_document(test: &Test) -> DocumentTest {
    match test {
        // Compiled by `compile_compare` before this is reached.
        Test::Compare { .. } | Test::Exists => DocumentTest::Exists,
        Test::Matches { term } => match term {
            Term::Pattern(_) => DocumentTest::Like(Pattern::exact(term, false)),
            Term::Word(text) | Term::Phrase(text) => {
                let integer = text.parse::<i64>().ok().filter(|n| n.to_string() == *text);
                DocumentTest::Equals(text.clone(), integer)
            }
        },
        Test::Range { lower, upper } => {
            let bounds = range_bounds(lower, upper, |bound| match RangeType::of(&bound.value) {
                RangeType::Number(number) => RangeValue::Number(number),
                RangeType::Time(time) => RangeValue::Time(time),
                RangeType::Address(address) => RangeValue::Address(address),
                RangeType::Text => RangeValue::Text(bound.value.clone()),
            });
            if bounds.is_empty() {
                DocumentTest::Exists
            } else {
                DocumentTest::Range(bounds)
            }
        }
    }
}

/// The text a column holds for `field`, read from the document as ingest
/// derives it (borrowed when it is a string already).
pub(crate) fn column_text<'v>(document: &'v Value, field: &str) -> Option<Cow<'v, str>> {
    match value_lookup(document.as_object()?, field)? {
        Value::String(text) => {
            let trimmed = text.trim();
            (!trimmed.is_empty()).then_some(Cow::Borrowed(trimmed))
        }
        other => scalar_text(other).map(Cow::Owned),
    }
}

fn eval_column(field: &str, column: Column, test: &ColumnTest, event: &EventView<'_>) -> bool {
    let document = event.document;
    match column {
        Column::Time => match test {
            ColumnTest::Exists => true,
            ColumnTest::TimeEquals(time) => event.timestamp == *time,
            ColumnTest::Range(bounds) => bounds.iter().all(|(value, wanted, inclusive)| {
                let ordering = match value {
                    RangeValue::Time(time) => Some(event.timestamp.cmp(time)),
                    _ => None,
                };
                within(ordering, *wanted, *inclusive)
            }),
            _ => false,
        },
        Column::Id => match test {
            ColumnTest::Exists => true,
            ColumnTest::IdEquals(id) => event.id == *id,
            ColumnTest::Range(bounds) => bounds.iter().all(|(value, wanted, inclusive)| {
                let ordering = match value {
                    RangeValue::Id(id) => Some(event.id.cmp(id)),
                    _ => None,
                };
                within(ordering, *wanted, *inclusive)
            }),
            _ => false,
        },
        Column::Tags => {
            let tags = tag_list(document);
            match test {
                ColumnTest::Exists => !tags.is_empty(),
                ColumnTest::Text(text) => tags.iter().any(|tag| text.matches(tag)),
                ColumnTest::Range(bounds) => tags.iter().any(|tag| text_in_range(tag, bounds)),
                _ => false,
            }
        }
        Column::Inet(_) => {
            let Some(address) = column_text(document, field).and_then(|t| parse_ip(&t)) else {
                return false;
            };
            match test {
                ColumnTest::Exists => true,
                ColumnTest::Address(AddressTest::Equals(wanted)) => address == *wanted,
                ColumnTest::Address(AddressTest::Within(network)) => network.contains(&address),
                ColumnTest::Address(AddressTest::Like(pattern)) => {
                    pattern.matches(&address.to_string())
                }
                ColumnTest::Range(bounds) => bounds.iter().all(|(value, wanted, inclusive)| {
                    let ordering = match value {
                        RangeValue::Address(bound) => Some(address.cmp(bound)),
                        _ => None,
                    };
                    within(ordering, *wanted, *inclusive)
                }),
                _ => false,
            }
        }
        Column::Text(_) | Column::Lower(_) => {
            let Some(mut text) = column_text(document, field) else {
                return false;
            };
            if matches!(column, Column::Lower(_)) {
                text = Cow::Owned(text.to_lowercase());
            }
            match test {
                ColumnTest::Exists => true,
                ColumnTest::Text(test) => test.matches(&text),
                ColumnTest::Range(bounds) => text_in_range(&text, bounds),
                _ => false,
            }
        }
        Column::Message => {
            let Some(text) = column_text(document, "message") else {
                return false;
            };
            match test {
                ColumnTest::Exists => true,
                ColumnTest::Range(bounds) => text_in_range(&text, bounds),
                _ => false,
            }
        }
    }
}

impl TextTest {
    fn matches(&self, text: &str) -> bool {
        match self {
            TextTest::Equals(wanted) => text == wanted,
            TextTest::Like(pattern) => pattern.matches(text),
        }
    }
}

fn text_in_range(text: &str, bounds: &[(RangeValue, Ordering, bool)]) -> bool {
    bounds.iter().all(|(value, wanted, inclusive)| {
        let ordering = match value {
            RangeValue::Text(bound) => Some(text.cmp(bound.as_str())),
            _ => None,
        };
        within(ordering, *wanted, *inclusive)
    })
}

/// The `tags` column: each scalar of the list (or the one scalar).
fn tag_list(document: &Value) -> Vec<String> {
    match document.as_object().and_then(|o| value_lookup(o, "tags")) {
        Some(Value::Array(items)) => items.iter().filter_map(scalar_text).collect(),
        Some(other) => scalar_text(other).into_iter().collect(),
        None => Vec::new(),
    }
}

/// A document field's value: by nested objects, else one literal dotted key
/// (as SQL's `coalesce(payload #> path, payload -> field)`).
fn document_value<'v>(document: &'v Value, path: &str) -> Option<&'v Value> {
    let mut value = document;
    let mut nested = true;
    for key in path.split('.') {
        match value.as_object().and_then(|o| o.get(key)) {
            Some(inner) => value = inner,
            None => {
                nested = false;
                break;
            }
        }
    }
    if nested {
        return Some(value);
    }
    if path.contains('.') {
        document.as_object()?.get(path)
    } else {
        None
    }
}

/// A value as SQL's `#>> '{}'` writes it: strings bare, the rest as JSON.
fn json_text(value: &Value) -> Option<Cow<'_, str>> {
    match value {
        Value::Null => None,
        Value::String(text) => Some(Cow::Borrowed(text)),
        Value::Number(number) => Some(Cow::Owned(number.to_string())),
        other => Some(Cow::Owned(other.to_string())),
    }
}

fn eval_document(path: &str, test: &DocumentTest, document: &Value) -> bool {
    let Some(value) = document_value(document, path) else {
        return false;
    };
    if value.is_null() {
        return false;
    }
    match test {
        DocumentTest::Exists => true,
        DocumentTest::Equals(wanted, integer) => {
            if let (Value::Number(number), Some(integer)) = (value, integer)
                && number.is_i64()
            {
                return number.as_i64() == Some(*integer);
            }
            json_text(value).is_some_and(|text| text == wanted.as_str())
                || matches!(value, Value::Array(items) if items.iter().any(|i| i.as_str() == Some(wanted)))
        }
        DocumentTest::Like(pattern) => {
            json_text(value).is_some_and(|text| pattern.matches(&text))
                || matches!(value, Value::Array(items)
                    if items.iter().filter_map(json_text).any(|text| pattern.matches(&text)))
        }
        // One element (or the one scalar) satisfies every bound, each
        // compared as its value's type says (as SQL's typed range).
        DocumentTest::Range(bounds) => {
            let in_range = |item: &Value| {
                bounds.iter().all(|(bound, wanted, inclusive)| {
                    let ordering = match bound {
                        RangeValue::Number(number) => match item {
                            Value::Number(n) => n.as_f64(),
                            Value::String(text) => numeric(text),
                            _ => None,
                        }
                        .and_then(|v| v.partial_cmp(number)),
                        RangeValue::Address(address) => item
                            .as_str()
                            .and_then(network)
                            .map(|n| n.addr().cmp(address)),
                        RangeValue::Time(time) => {
                            item.as_str().and_then(rfc3339_time).map(|t| t.cmp(time))
                        }
                        RangeValue::Text(bound) => {
                            json_text(item).map(|text| text.as_ref().cmp(bound.as_str()))
                        }
                        _ => None,
                    };
                    within(ordering, *wanted, *inclusive)
                })
            };
            match value {
                Value::Array(items) => items.iter().any(in_range),
                scalar => in_range(scalar),
            }
        }
    }
}

fn parse_time(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

#[cfg(test)]
mod tests;
