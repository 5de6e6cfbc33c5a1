//! The parsed form of a query.

use serde::{Deserialize, Serialize};

/// Returns a parsed query.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case", tag = "op", content = "args")]
pub enum Query {
    /// Everything (the empty query).
    All,
    /// Every part matches (two or more parts, none itself an `And`).
    And(Vec<Query>),
    /// Some part matches (two or more parts, none itself an `Or`).
    Or(Vec<Query>),
    /// The part does not match.
    Not(Box<Query>),
    /// Free text: the message contains the term (case-insensitive).
    Text(Term),
    /// Lucene's field wildcard, `prefix.*:value`: some field under `prefix`,
    /// at any depth (array elements included), equals the value exactly.
    AnyField {
        /// The fields' common prefix, without the `.*`.
        prefix: String,
        /// A word or phrase (no wildcards).
        term: Term,
    },
    /// A test of one field.
    Field {
        /// An ECS name or stored field path, dots into nested objects.
        field: String,
        /// What the field must satisfy.
        test: Test,
    },
}

impl Query {
    /// The fields the query reads (a `|fieldref`'s other field too), each
    /// once, in order of appearance.
    pub fn fields(&self) -> Vec<String> {
        fn walk(query: &Query, out: &mut Vec<String>) {
            let mut add = |name: &str| {
                if !out.iter().any(|f| f == name) {
                    out.push(name.to_owned());
                }
            };
            match query {
                Query::And(parts) | Query::Or(parts) => parts.iter().for_each(|p| walk(p, out)),
                Query::Not(inner) => walk(inner, out),
                Query::Field { field, test } => {
                    add(field);
                    if let Test::Compare {
                        op: Operator::FieldRef,
                        term,
                        ..
                    } = test
                    {
                        add(&term.text());
                    }
                }
                Query::All | Query::Text(_) | Query::AnyField { .. } => {}
            }
        }
        let mut out = Vec::new();
        walk(self, &mut out);
        out
    }

    /// The slugs of the watchlists the query reads (`field|in:slug`), each
    /// once, in order of appearance.
    pub fn watchlists(&self) -> Vec<String> {
        fn walk(query: &Query, out: &mut Vec<String>) {
            match query {
                Query::And(parts) | Query::Or(parts) => parts.iter().for_each(|p| walk(p, out)),
                Query::Not(inner) => walk(inner, out),
                Query::Field {
                    test:
                        Test::Compare {
                            op: Operator::InList | Operator::ContainsInList,
                            term,
                            ..
                        },
                    ..
                } => {
                    let slug = term.text();
                    if !out.contains(&slug) {
                        out.push(slug);
                    }
                }
                Query::All | Query::Text(_) | Query::AnyField { .. } | Query::Field { .. } => {}
            }
        }
        let mut out = Vec::new();
        walk(self, &mut out);
        out
    }
}

/// Returns what a field must satisfy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Test {
    /// The field is present (`field:*`).
    Exists,
    /// The field equals the term, matches its pattern, or — for an address
    /// field and a term like `10.0.0.0/8` — lies in the network.
    Matches {
        /// The value, phrase or pattern.
        term: Term,
    },
    /// The field lies between the bounds; an absent bound is open.
    Range {
        /// The lower bound.
        lower: Option<Bound>,
        /// The upper bound.
        upper: Option<Bound>,
    },
    /// A comparison named by modifiers after the field, as Sigma writes
    /// them: `field|contains:x`, `field|i:x`, `field|re:"…"`,
    /// `field|cidr:10.0.0.0/8`, `field|fieldref:other`.
    Compare {
        /// How the field's value is compared.
        op: Operator,
        /// The value (wildcards allowed except for `re`, `cidr`, `fieldref`).
        term: Term,
        /// Whether letter case matters.
        cased: bool,
    },
}

/// Returns how a [`Test::Compare`] compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Operator {
    /// The whole value (`|i`: `field:x` without regard to case).
    Equals,
    /// `|contains`.
    Contains,
    /// `|startswith`.
    StartsWith,
    /// `|endswith`.
    EndsWith,
    /// `|re`: a regular expression found in the value (linear-time syntax).
    Regex,
    /// `|cidr`: the value is an address inside the network.
    Cidr,
    /// `|fieldref`: the value equals the value of the field named by the term.
    FieldRef,
    /// `|in`: the value is on the watchlist whose slug is the term (always
    /// without regard to case, as watchlists match).
    InList,
    /// `|contains|in`: the value contains one of the watchlist's values
    /// (without regard to case): `message|contains|in:iocs`.
    ContainsInList,
    /// `@timestamp|minute:30`: a part of the event's time (UTC) equals the
    /// number. Sigma's timestamp modifiers; only the event time has them.
    Minute,
    /// `|hour` (0–23, UTC).
    Hour,
    /// `|day`: of the month (1–31).
    Day,
    /// `|week`: the ISO 8601 week of the year (1–53).
    Week,
    /// `|month` (1–12).
    Month,
    /// `|year`.
    Year,
}

impl Operator {
    /// The modifier that names it.
    pub fn modifier(self) -> &'static str {
        match self {
            Operator::Equals => "i",
            Operator::Contains => "contains",
            Operator::StartsWith => "startswith",
            Operator::EndsWith => "endswith",
            Operator::Regex => "re",
            Operator::Cidr => "cidr",
            Operator::FieldRef => "fieldref",
            Operator::InList => "in",
            Operator::ContainsInList => "contains|in",
            Operator::Minute => "minute",
            Operator::Hour => "hour",
            Operator::Day => "day",
            Operator::Week => "week",
            Operator::Month => "month",
            Operator::Year => "year",
        }
    }

    /// For a time part, the values it can take.
    pub fn time_part_range(self) -> Option<std::ops::RangeInclusive<i64>> {
        match self {
            Operator::Minute => Some(0..=59),
            Operator::Hour => Some(0..=23),
            Operator::Day => Some(1..=31),
            Operator::Week => Some(1..=53),
            Operator::Month => Some(1..=12),
            Operator::Year => Some(1..=9999),
            _ => None,
        }
    }

    /// Whether case matters unless `|i` or `|cased` says otherwise: only
    /// regular expressions are case-sensitive by default, as in Sigma.
    pub fn cased_by_default(self) -> bool {
        matches!(self, Operator::Regex)
    }
}

/// Returns one end of a range.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Bound {
    /// The bound's value (numbers compare as numbers, anything else as text or time).
    pub value: String,
    /// Whether the bound itself is in the range.
    pub inclusive: bool,
}

/// Returns a value as written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case", tag = "kind", content = "value")]
pub enum Term {
    /// A quoted phrase: exact text, no wildcards.
    Phrase(String),
    /// An unquoted word without wildcards (escapes resolved).
    Word(String),
    /// An unquoted word with `*` or `?`.
    Pattern(Vec<PatternPart>),
}

/// Returns a piece of a wildcard pattern.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case", tag = "kind", content = "value")]
pub enum PatternPart {
    /// Literal text.
    Literal(String),
    /// `*`: any run of characters, maybe none.
    AnyChars,
    /// `?`: exactly one character.
    AnyChar,
}

impl Term {
    /// Returns the text a phrase or word stands for (a pattern's literal pieces joined).
    pub fn text(&self) -> String {
        match self {
            Term::Phrase(text) | Term::Word(text) => text.clone(),
            Term::Pattern(parts) => parts
                .iter()
                .map(|p| match p {
                    PatternPart::Literal(text) => text.as_str(),
                    PatternPart::AnyChars => "*",
                    PatternPart::AnyChar => "?",
                })
                .collect(),
        }
    }
}

impl Query {
    /// Returns the query with nested `And`s and `Or`s flattened, single-part
    /// groups unwrapped and adjacent literals of patterns merged: the form
    /// the parser produces.
    pub fn normalized(self) -> Query {
        match self {
            Query::And(parts) => group(parts, true),
            Query::Or(parts) => group(parts, false),
            Query::Not(inner) => Query::Not(Box::new(inner.normalized())),
            Query::Text(term) => match term.normalized() {
                // `*` alone is every event, as in Kibana.
                Term::Pattern(parts) if parts == [PatternPart::AnyChars] => Query::All,
                term => Query::Text(term),
            },
            Query::Field { field, test } => Query::Field {
                field,
                test: match test {
                    Test::Matches { term } => Test::Matches {
                        term: term.normalized(),
                    },
                    Test::Compare { op, term, cased } => Test::Compare {
                        op,
                        term: term.normalized(),
                        cased,
                    },
                    other => other,
                },
            },
            Query::AnyField { prefix, term } => Query::AnyField {
                prefix,
                term: term.normalized(),
            },
            Query::All => Query::All,
        }
    }
}

fn group(parts: Vec<Query>, and: bool) -> Query {
    let mut flat = Vec::with_capacity(parts.len());
    for part in parts.into_iter().map(Query::normalized) {
        match (part, and) {
            (Query::And(inner), true) | (Query::Or(inner), false) => flat.extend(inner),
            (Query::All, true) => {}
            (Query::All, false) => return Query::All,
            (other, _) => flat.push(other),
        }
    }
    match flat.len() {
        0 => Query::All,
        1 => flat.pop().unwrap_or(Query::All),
        _ if and => Query::And(flat),
        _ => Query::Or(flat),
    }
}

impl Term {
    pub(crate) fn normalized(self) -> Term {
        match self {
            Term::Pattern(parts) => {
                let mut merged: Vec<PatternPart> = Vec::with_capacity(parts.len());
                for part in parts {
                    match (merged.last_mut(), part) {
                        (_, PatternPart::Literal(text)) if text.is_empty() => {}
                        (Some(PatternPart::Literal(previous)), PatternPart::Literal(text)) => {
                            previous.push_str(&text);
                        }
                        (_, part) => merged.push(part),
                    }
                }
                if merged.iter().all(|p| matches!(p, PatternPart::Literal(_))) {
                    Term::Word(Term::Pattern(merged).text())
                } else {
                    Term::Pattern(merged)
                }
            }
            other => other,
        }
    }
}
