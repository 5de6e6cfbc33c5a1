//! From a parsed query to a parameterised SQL condition over `events e`.
//!
//! Only fixed fragments and `$n` placeholders are ever written into the SQL:
//! every value and every field path travels as a bound parameter, so no query
//! text reaches the statement. Fields with a column (`host.name`,
//! `source.ip`, `@timestamp`, …) use it and its index; any other field is read
//! from the stored document by path, where a dotted name is tried both as
//! nested objects and as one literal key.
//!
//! Leaves are plain comparisons, so the planner can use the columns' indexes.
//! Under `NOT` the operand becomes `coalesce(…, false)`: SQL's NULL would
//! otherwise make `NOT host.name:web01` skip events that have no host at all,
//! which is not what an analyst means. Elsewhere NULL already acts as false
//! (AND, OR and WHERE are monotone in it).

use crate::event::columns::{Column, column};
use crate::event::params::Param;
use crate::event::text::network;
use app::query::{Bound, Operator, PatternPart, Query, Term, Test};
use chrono::{DateTime, Utc};
use std::net::IpAddr;

/// Returns a compiled condition: SQL over the alias `e`, and its parameters,
/// numbered from the `first` placeholder given to [`compile`].
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    /// The boolean SQL expression.
    pub sql: String,
    /// The values of `$first`, `$first + 1`, …
    pub params: Vec<Param>,
}

/// Compiles `query`; its placeholders start at `$first`.
pub fn compile(query: &Query, first: usize) -> Condition {
    let mut builder = Builder {
        sql: String::new(),
        params: Vec::new(),
        first,
    };
    builder.query(query);
    Condition {
        sql: builder.sql,
        params: builder.params,
    }
}

struct Builder {
    sql: String,
    params: Vec<Param>,
    first: usize,
}

impl Builder {
    /// Adds a parameter and returns its placeholder.
    fn param(&mut self, param: Param) -> String {
        self.params.push(param);
        format!("${}", self.first + self.params.len() - 1)
    }

    fn query(&mut self, query: &Query) {
        match query {
            Query::All => self.sql.push_str("TRUE"),
            Query::And(parts) | Query::Or(parts) => {
                let joiner = if matches!(query, Query::And(_)) {
                    " AND "
                } else {
                    " OR "
                };
                self.sql.push('(');
                for (i, part) in parts.iter().enumerate() {
                    if i > 0 {
                        self.sql.push_str(joiner);
                    }
                    self.query(part);
                }
                self.sql.push(')');
            }
            Query::Not(inner) => {
                self.sql.push_str("NOT coalesce(");
                self.query(inner);
                self.sql.push_str(", false)");
            }
            Query::Text(term) => {
                let leaf = self.contains("e.message", term);
                self.leaf(&leaf);
            }
            Query::AnyField { prefix, term } => {
                // Every value under the prefix, at any depth: a JSON path,
                // built from the field name's checked parts and bound as a
                // parameter like the value it looks for.
                let (path, vars) = any_field_path(prefix, term);
                let p = self.param(Param::Text(path));
                let v = self.param(Param::Text(vars));
                self.leaf(&format!(
                    "jsonb_path_exists(e.payload, {p}::jsonpath, {v}::jsonb)"
                ));
            }
            Query::Field { field, test } => {
                let leaf = match column(field) {
                    Some(column) => self.column_test(field, column, test),
                    None => self.document_test(field, test),
                };
                self.leaf(&leaf);
            }
        }
    }

    fn leaf(&mut self, predicate: &str) {
        self.sql.push('(');
        self.sql.push_str(predicate);
        self.sql.push(')');
    }

    /// `expr` contains the term, case-insensitive.
    fn contains(&mut self, expr: &str, term: &Term) -> String {
        let pattern = format!("%{}%", like_pattern(term));
        let p = self.param(Param::Text(pattern));
        format!("{expr} ILIKE {p}")
    }

    /// `expr` equals the term, or matches it as a pattern.
    fn text_matches(&mut self, expr: &str, term: &Term, lower: bool) -> String {
        let fold = |text: String| if lower { text.to_lowercase() } else { text };
        match term {
            Term::Pattern(_) => {
                let p = self.param(Param::Text(fold(like_pattern(term))));
                format!("{expr} LIKE {p}")
            }
            Term::Word(text) | Term::Phrase(text) => {
                let p = self.param(Param::Text(fold(text.clone())));
                format!("{expr} = {p}")
            }
        }
    }

    fn column_test(&mut self, field: &str, column: Column, test: &Test) -> String {
        match (column, test) {
            (_, Test::Compare { op, term, cased }) => self.compare(field, *op, term, *cased),
            (Column::Tags, Test::Exists) => "cardinality(e.tags) > 0".to_owned(),
            (Column::Message, Test::Exists) => "e.message IS NOT NULL".to_owned(),
            (Column::Text(name) | Column::Lower(name) | Column::Inet(name), Test::Exists) => {
                format!("e.{name} IS NOT NULL")
            }
            (Column::Time | Column::Id, Test::Exists) => "TRUE".to_owned(),
            (Column::Message, Test::Matches { term }) => self.contains("e.message", term),
            (Column::Text(name), Test::Matches { term }) => {
                self.text_matches(&format!("e.{name}"), term, false)
            }
            (Column::Lower(name), Test::Matches { term }) => {
                self.text_matches(&format!("e.{name}"), term, true)
            }
            (Column::Tags, Test::Matches { term }) => match term {
                Term::Pattern(_) => {
                    let p = self.param(Param::Text(like_pattern(term)));
                    format!("EXISTS (SELECT 1 FROM unnest(e.tags) AS tag WHERE tag LIKE {p})")
                }
                Term::Word(text) | Term::Phrase(text) => {
                    let p = self.param(Param::Text(text.clone()));
                    format!("{p} = ANY(e.tags)")
                }
            },
            (Column::Inet(name), Test::Matches { term }) => self.address(name, term),
            (Column::Time, Test::Matches { term }) => match parse_time(&term.text()) {
                Some(time) => {
                    let p = self.param(Param::Time(time));
                    format!("e.ts = {p}")
                }
                None => "FALSE".to_owned(),
            },
            (Column::Id, Test::Matches { term }) => match uuid::Uuid::parse_str(&term.text()) {
                Ok(id) => {
                    let p = self.param(Param::Uuid(id));
                    format!("e.id = {p}")
                }
                Err(_) => "FALSE".to_owned(),
            },
            (column, Test::Range { lower, upper }) => {
                let mut parts = Vec::new();
                for (bound, below) in [(lower, false), (upper, true)] {
                    if let Some(bound) = bound {
                        parts.push(self.column_bound(column, bound, below));
                    }
                }
                if parts.is_empty() {
                    self.column_test(field, column, &Test::Exists)
                } else {
                    parts.join(" AND ")
                }
            }
        }
    }

    fn address(&mut self, name: &str, term: &Term) -> String {
        let text = term.text();
        if let Term::Pattern(_) = term {
            let p = self.param(Param::Text(like_pattern(term)));
            return format!("host(e.{name}) LIKE {p}");
        }
        if let Ok(address) = text.parse::<IpAddr>() {
            let p = self.param(Param::Net(ipnet::IpNet::from(address)));
            return format!("e.{name} = {p}");
        }
        match text.parse::<ipnet::IpNet>() {
            Ok(network) => {
                let p = self.param(Param::Net(network));
                format!("e.{name} <<= {p}")
            }
            // Not an address: no event's address equals it.
            Err(_) => "FALSE".to_owned(),
        }
    }

    fn column_bound(&mut self, column: Column, bound: &Bound, below: bool) -> String {
        let operator = comparison(bound, below);
        match column {
            Column::Time => match parse_time(&bound.value) {
                Some(time) => {
                    let p = self.param(Param::Time(time));
                    format!("e.ts {operator} {p}")
                }
                None => "FALSE".to_owned(),
            },
            Column::Inet(name) => match bound.value.parse::<IpAddr>() {
                Ok(address) => {
                    let p = self.param(Param::Net(ipnet::IpNet::from(address)));
                    format!("e.{name} {operator} {p}")
                }
                Err(_) => "FALSE".to_owned(),
            },
            Column::Id => match uuid::Uuid::parse_str(&bound.value) {
                Ok(id) => {
                    let p = self.param(Param::Uuid(id));
                    format!("e.id {operator} {p}")
                }
                Err(_) => "FALSE".to_owned(),
            },
            Column::Text(name) | Column::Lower(name) => {
                let value = if matches!(column, Column::Lower(_)) {
                    bound.value.to_lowercase()
                } else {
                    bound.value.clone()
                };
                let p = self.param(Param::Text(value));
                format!("e.{name} {operator} {p}")
            }
            Column::Message => {
                let p = self.param(Param::Text(bound.value.clone()));
                format!("e.message {operator} {p}")
            }
            Column::Tags => {
                let p = self.param(Param::Text(bound.value.clone()));
                format!("EXISTS (SELECT 1 FROM unnest(e.tags) AS tag WHERE tag {operator} {p})")
            }
        }
    }

    /// A modifier comparison (`field|contains:x`, `|re`, `|cidr`, …): true
    /// when one of the field's values passes. A column gives its one value;
    /// a document field each element of an array, or its one scalar, as text.
    fn compare(&mut self, field: &str, op: Operator, term: &Term, cased: bool) -> String {
        if op.time_part_range().is_some() {
            // The parser allows time parts on @timestamp only, with a number.
            let Ok(value) = term.text().parse::<f64>() else {
                return "FALSE".to_owned();
            };
            let part = match op {
                Operator::Minute => "minute",
                Operator::Hour => "hour",
                Operator::Day => "day",
                Operator::Week => "week",
                Operator::Month => "month",
                _ => "year",
            };
            let p = self.param(Param::Number(value));
            return format!("extract({part} FROM e.ts AT TIME ZONE 'UTC') = {p}");
        }
        if op == Operator::Cidr {
            let Some(network) = network(&term.text()) else {
                return "FALSE".to_owned();
            };
            if let Some(Column::Inet(name)) = column(field) {
                let p = self.param(Param::Net(network));
                return format!("e.{name} <<= {p}");
            }
        }
        let predicate = |builder: &mut Builder, x: &str| -> String {
            match op {
                Operator::Equals
                | Operator::Contains
                | Operator::StartsWith
                | Operator::EndsWith => {
                    let core = like_pattern(term);
                    let pattern = match op {
                        Operator::Contains => format!("%{core}%"),
                        Operator::StartsWith => format!("{core}%"),
                        Operator::EndsWith => format!("%{core}"),
                        _ => core,
                    };
                    let p = builder.param(Param::Text(pattern));
                    let like = if cased { "LIKE" } else { "ILIKE" };
                    format!("{x} {like} {p}")
                }
                Operator::Regex => {
                    let p = builder.param(Param::Text(term.text()));
                    let operator = if cased { "~" } else { "~*" };
                    format!("{x} {operator} {p}")
                }
                Operator::Cidr => match network(&term.text()) {
                    Some(network) => {
                        let p = builder.param(Param::Net(network));
                        format!("vigil_inet({x}) <<= {p}")
                    }
                    None => "FALSE".to_owned(),
                },
                // Handled above: they read the event time, not a text.
                Operator::Minute
                | Operator::Hour
                | Operator::Day
                | Operator::Week
                | Operator::Month
                | Operator::Year => "FALSE".to_owned(),
                Operator::ContainsInList => {
                    let p = builder.param(Param::Text(term.text()));
                    format!(
                        "EXISTS (SELECT 1 FROM watchlist_entries we JOIN watchlists w \
                         ON w.id = we.watchlist_id WHERE w.slug = {p} \
                         AND strpos(lower({x}), we.value) > 0)"
                    )
                }
                Operator::InList => {
                    let p = builder.param(Param::Text(term.text()));
                    format!(
                        "lower(btrim({x})) IN (SELECT we.value FROM watchlist_entries we \
                         JOIN watchlists w ON w.id = we.watchlist_id WHERE w.slug = {p})"
                    )
                }
                Operator::FieldRef => {
                    let other = builder.scalar_text(&term.text());
                    if cased {
                        format!("{x} = {other}")
                    } else {
                        format!("lower({x}) = lower({other})")
                    }
                }
            }
        };
        match column(field) {
            Some(Column::Text(name) | Column::Lower(name)) => predicate(self, &format!("e.{name}")),
            Some(Column::Message) => predicate(self, "e.message"),
            Some(Column::Inet(name)) => predicate(self, &format!("host(e.{name})")),
            Some(Column::Tags) => {
                let inner = predicate(self, "tag");
                format!("EXISTS (SELECT 1 FROM unnest(e.tags) AS tag WHERE {inner})")
            }
            Some(Column::Time | Column::Id) | None => {
                let value = self.document_value(field);
                let inner = predicate(self, "item");
                format!(
                    "EXISTS (SELECT 1 FROM jsonb_array_elements_text(CASE WHEN jsonb_typeof({value}) = 'array' \
                     THEN {value} ELSE jsonb_build_array({value}) END) AS item WHERE {inner})"
                )
            }
        }
    }

    /// One text for `field` (what `|fieldref` compares with): the column, or
    /// the document's value as text (an array or object as its JSON).
    fn scalar_text(&mut self, field: &str) -> String {
        match column(field) {
            Some(Column::Text(name) | Column::Lower(name)) => format!("e.{name}"),
            Some(Column::Message) => "e.message".to_owned(),
            Some(Column::Inet(name)) => format!("host(e.{name})"),
            Some(Column::Tags | Column::Time | Column::Id) | None => {
                let value = self.document_value(field);
                format!("({value} #>> '{{}}')")
            }
        }
    }

    /// The document's value at `field`: nested objects, else a literal dotted key.
    fn document_value(&mut self, field: &str) -> String {
        let path = self.param(Param::Path(field.split('.').map(str::to_owned).collect()));
        if field.contains('.') {
            let literal = self.param(Param::Text(field.to_owned()));
            format!("coalesce(e.payload #> {path}, e.payload -> {literal})")
        } else {
            format!("(e.payload #> {path})")
        }
    }

    fn document_test(&mut self, field: &str, test: &Test) -> String {
        if let Test::Compare { op, term, cased } = test {
            return self.compare(field, *op, term, *cased);
        }
        let value = self.document_value(field);
        match test {
            Test::Compare { .. } | Test::Exists => format!("jsonb_typeof({value}) <> 'null'"),
            Test::Matches { term } => match term {
                Term::Pattern(_) => {
                    let p = self.param(Param::Text(like_pattern(term)));
                    // A scalar matches by its text; an array when an element does.
                    format!(
                        "(({value} #>> '{{}}') LIKE {p} OR (jsonb_typeof({value}) = 'array' AND \
                         EXISTS (SELECT 1 FROM jsonb_array_elements_text({value}) AS item WHERE item LIKE {p})))"
                    )
                }
                Term::Word(text) | Term::Phrase(text) => {
                    let p = self.param(Param::Text(text.clone()));
                    // `@>` finds a string among an array's elements too.
                    let equal =
                        format!("(({value} #>> '{{}}') = {p} OR {value} @> to_jsonb({p}::text))");
                    // A network (`related.ip:81.2.69.0/24`) also holds the
                    // addresses in it, as on an address column.
                    if matches!(term, Term::Word(_)) && cidr_term(text) {
                        let within = self.compare(field, Operator::Cidr, term, false);
                        format!("({equal} OR {within})")
                    } else {
                        equal
                    }
                }
            },
            Test::Range { lower, upper } => {
                // Each bound's value decides how the field compares with
                // it: as a number (a number, or a string holding one, as
                // shippers send them), an address, or text. An array
                // satisfies the range when one element does.
                // For each bound, its test of a JSON number, of a string
                // and of anything else; `@x` stands for the value tested
                // (the field's one value, or each element of its array).
                let (mut numbers, mut strings, mut others) = (Vec::new(), Vec::new(), Vec::new());
                for (bound, below) in [(lower, false), (upper, true)] {
                    let Some(bound) = bound else { continue };
                    let operator = comparison(bound, below);
                    let text = "(@x #>> '{}')";
                    match RangeType::of(&bound.value) {
                        RangeType::Number(number) => {
                            let p = self.param(Param::Number(number));
                            numbers.push(format!("@x::numeric {operator} {p}::numeric"));
                            strings.push(format!(
                                "(CASE WHEN {text} ~ '{NUMERIC_TEXT}' THEN {text}::numeric END) {operator} {p}::numeric"
                            ));
                            others.push("NULL".to_owned());
                        }
                        RangeType::Time(time) => {
                            let p = self.param(Param::Time(time));
                            numbers.push("NULL".to_owned());
                            strings.push(format!(
                                "(CASE WHEN {text} ~ '{TIME_TEXT}' THEN vigil_timestamptz({text}) END) {operator} {p}"
                            ));
                            others.push("NULL".to_owned());
                        }
                        RangeType::Address(address) => {
                            let p = self.param(Param::Net(ipnet::IpNet::from(address)));
                            numbers.push("NULL".to_owned());
                            strings.push(format!("host(vigil_inet({text}))::inet {operator} {p}"));
                            others.push("NULL".to_owned());
                        }
                        RangeType::Text => {
                            let p = self.param(Param::Text(bound.value.clone()));
                            let test = format!("{text} {operator} {p}");
                            numbers.push(test.clone());
                            strings.push(test.clone());
                            others.push(test);
                        }
                    }
                }
                if numbers.is_empty() {
                    format!("jsonb_typeof({value}) <> 'null'")
                } else {
                    // One CASE on the value's type: a number is read from
                    // the document twice (type, value), as a plain
                    // comparison would; an array is searched by element.
                    let typed = |x: &str, array: &str| {
                        format!(
                            "(CASE jsonb_typeof({x}){array} WHEN 'number' THEN {} WHEN 'string' THEN {} ELSE {} END)",
                            numbers.join(" AND ").replace("@x", x),
                            strings.join(" AND ").replace("@x", x),
                            others.join(" AND ").replace("@x", x),
                        )
                    };
                    let elements = format!(
                        " WHEN 'array' THEN EXISTS (SELECT 1 FROM jsonb_array_elements({value}) AS item WHERE {})",
                        typed("item", "")
                    );
                    typed(&value, &elements)
                }
            }
        }
    }
}

/// Returns how to read a field's values of one event `e` as text.
#[derive(Debug, Clone, PartialEq)]
pub enum FieldValues {
    /// One value per event (NULL when absent): an expression.
    Scalar(Condition),
    /// Any number of values per event: a subquery yielding one row per value
    /// (an array's elements each), and one NULL row when the event has none.
    Rows(Condition),
}

/// Returns how to read `field`; placeholders start at `$first`.
pub fn field_values(field: &str, first: usize) -> FieldValues {
    let mut builder = Builder {
        sql: String::new(),
        params: Vec::new(),
        first,
    };
    let scalar = |sql: String| {
        FieldValues::Scalar(Condition {
            sql,
            params: Vec::new(),
        })
    };
    match column(field) {
        Some(Column::Time) => scalar("e.ts::text".to_owned()),
        Some(Column::Id) => scalar("e.id::text".to_owned()),
        Some(Column::Message) => scalar("e.message".to_owned()),
        Some(Column::Text(name) | Column::Lower(name)) => scalar(format!("e.{name}")),
        Some(Column::Inet(name)) => scalar(format!("host(e.{name})")),
        Some(Column::Tags) => FieldValues::Rows(Condition {
            sql: "SELECT unnest(CASE WHEN cardinality(e.tags) = 0 THEN ARRAY[NULL]::text[] ELSE e.tags END)"
                .to_owned(),
            params: Vec::new(),
        }),
        None => {
            let value = builder.document_value(field);
            FieldValues::Rows(Condition {
                sql: format!(
                    "SELECT item FROM jsonb_array_elements_text(CASE WHEN jsonb_typeof({value}) = 'array' \
                     THEN {value} ELSE jsonb_build_array({value}) END) AS item"
                ),
                params: builder.params,
            })
        }
    }
}

/// The JSON path and its variables that find `term` under `prefix`
/// (`host.*:web01`): members by name through objects (and, as the path's
/// lax mode does, one level of arrays), then every value below at any
/// depth, equal to the text or — when the term is a number — the number.
pub fn any_field_path(prefix: &str, term: &Term) -> (String, String) {
    // Field names hold letters, digits, `_`, `@`, `-` and dots only
    // (`is_field_name`): quoting each part needs no escapes.
    let members: String = prefix
        .split('.')
        .map(|part| format!(".\"{part}\""))
        .collect();
    let text = term.text();
    let (filter, vars) = match crate::event::text::finite_number(&text) {
        Some(n) => ("@ == $s || @ == $n", serde_json::json!({"s": text, "n": n})),
        None => ("@ == $s", serde_json::json!({"s": text})),
    };
    (
        format!("lax ${members}.**{{1 to last}} ? ({filter})"),
        vars.to_string(),
    )
}

/// A string holding a number, as both Postgres and Rust read one alike:
/// optional blanks and sign, digits with an optional point, a short
/// exponent (a long one would overflow Postgres' numeric).
pub const NUMERIC_TEXT: &str =
    r"^[ \t]*[-+]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][-+]?[0-9]{1,3})?[ \t]*$";

/// A string holding an RFC 3339 time with its zone, as both Postgres and
/// Rust read one alike (seconds below 60, at most microseconds).
pub const TIME_TEXT: &str = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-5][0-9](\.[0-9]{1,6})?(Z|[+-][0-9]{2}:[0-9]{2})$";

/// How a document field compares with a range bound, by the bound's value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum RangeType {
    /// A finite number: numbers and numeric strings compare numerically.
    Number(f64),
    /// An RFC 3339 time (what times of date fields resolve to): strings
    /// holding one compare as times.
    Time(DateTime<Utc>),
    /// An address: strings holding addresses compare as addresses.
    Address(IpAddr),
    /// Anything else: the value's text compares by code point.
    Text,
}

impl RangeType {
    /// The type `bound` gives a comparison.
    pub fn of(bound: &str) -> RangeType {
        if let Some(number) = crate::event::text::finite_number(bound) {
            return RangeType::Number(number);
        }
        // A time field's bounds are resolved to RFC 3339 before this.
        if let Ok(time) = DateTime::parse_from_rfc3339(bound) {
            return RangeType::Time(time.with_timezone(&Utc));
        }
        match bound.parse::<IpAddr>() {
            Ok(address) => RangeType::Address(address),
            Err(_) => RangeType::Text,
        }
    }
}

/// Says whether an unquoted value names a network (`10.0.0.0/8`), which
/// then also matches the addresses inside it.
pub fn cidr_term(text: &str) -> bool {
    text.contains('/') && text.parse::<ipnet::IpNet>().is_ok()
}

fn comparison(bound: &Bound, below: bool) -> &'static str {
    match (below, bound.inclusive) {
        (false, true) => ">=",
        (false, false) => ">",
        (true, true) => "<=",
        (true, false) => "<",
    }
}

fn parse_time(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// The term as a LIKE pattern: `%`, `_` and `\` escaped, `*` → `%`, `?` → `_`.
fn like_pattern(term: &Term) -> String {
    let escape = |text: &str, out: &mut String| {
        for c in text.chars() {
            if matches!(c, '%' | '_' | '\\') {
                out.push('\\');
            }
            out.push(c);
        }
    };
    let mut out = String::new();
    match term {
        Term::Word(text) | Term::Phrase(text) => escape(text, &mut out),
        Term::Pattern(parts) => {
            for part in parts {
                match part {
                    PatternPart::Literal(text) => escape(text, &mut out),
                    PatternPart::AnyChars => out.push('%'),
                    PatternPart::AnyChar => out.push('_'),
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use app::query::parse;
    use proptest::prelude::*;

    fn compiled(text: &str) -> Condition {
        compile(&parse(text).unwrap(), 3)
    }

    #[test]
    fn columns_are_used_where_fields_have_them() {
        let c = compiled("host.name:web01 AND source.ip:10.0.0.0/8");
        assert_eq!(c.sql, "((e.host_name = $3) AND (e.source_ip <<= $4))");
        assert_eq!(c.params[0], Param::Text("web01".into()));
        assert_eq!(c.params[1], Param::Net("10.0.0.0/8".parse().unwrap()));
    }

    #[test]
    fn other_fields_are_read_from_the_document_by_parameterised_path() {
        let c = compiled("http.response.status_code>=500");
        assert!(c.sql.contains("e.payload #> $3"), "{}", c.sql);
        assert!(c.sql.contains("e.payload -> $4"), "{}", c.sql);
        assert_eq!(
            c.params[0],
            Param::Path(vec!["http".into(), "response".into(), "status_code".into()])
        );
        assert_eq!(c.params[2], Param::Number(500.0));
    }

    #[test]
    fn free_text_and_patterns_become_escaped_like_patterns() {
        let c = compiled("\"100% sure\" process.name:power*_x");
        assert_eq!(c.params[0], Param::Text("%100\\% sure%".into()));
        assert_eq!(c.params[1], Param::Text("power%\\_x".into()));
        let lower = compiled("event.outcome:FAILURE");
        assert_eq!(lower.params[0], Param::Text("failure".into()));
    }

    #[test]
    fn negation_keeps_events_without_the_field() {
        assert_eq!(
            compiled("NOT user.name:root").sql,
            "NOT coalesce((e.user_name = $3), false)"
        );
    }

    #[test]
    fn values_that_cannot_match_compile_to_false() {
        assert!(compiled("source.ip:not-an-address").sql.contains("FALSE"));
        assert!(compiled("event.id:nope").sql.contains("FALSE"));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1000))]

        /// Whatever the analyst types, the SQL holds none of it.
        #[test]
        fn compiled_sql_never_contains_query_text(
            words in prop::collection::vec("[A-Za-z][A-Za-z0-9]{5,9}", 1..5),
            operators in prop::collection::vec(0usize..6, 1..5),
        ) {
            let mut text = String::new();
            for (i, word) in words.iter().enumerate() {
                let piece = match operators[i % operators.len()] {
                    0 => word.clone(),
                    1 => format!("\"{word} {word}\""),
                    2 => format!("{word}.{word}:{word}*"),
                    3 => format!("NOT {word}:[{word} TO *]"),
                    4 => format!("message:{word} OR tags:{word}"),
                    _ => format!("{word}>={word}"),
                };
                text.push_str(&piece);
                text.push(' ');
            }
            let query = parse(&text).map_err(|e| TestCaseError::fail(format!("{text}: {e}")))?;
            let condition = compile(&query, 1);
            for word in &words {
                prop_assert!(!condition.sql.contains(word.as_str()), "{} in {}", word, condition.sql);
            }
        }
    }
}
