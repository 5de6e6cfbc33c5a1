//! From query text to a [`Query`], or a positioned error; never a panic.

use super::ast::{Bound, Operator, PatternPart, Query, Term, Test};
use super::lex::{Comparison, Kind, Token, describe, is_operator_word, lex};
use super::lucene::lucene_regex;
pub use super::problem::{QueryError, Warning};

/// The longest query accepted, in characters.
pub const MAX_LENGTH: usize = 10_000;
/// The deepest nesting of groups and `NOT`s accepted.
pub const MAX_DEPTH: usize = 64;

/// A parsed query and the warnings about how it was read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parsed {
    /// The query.
    pub query: Query,
    /// In order of position.
    pub warnings: Vec<Warning>,
}

/// Parses `text`; an empty or blank query is [`Query::All`].
pub fn parse(text: &str) -> Result<Query, QueryError> {
    parse_with_warnings(text).map(|parsed| parsed.query)
}

/// Parses `text`, also saying where it was read in a way that may surprise.
pub fn parse_with_warnings(text: &str) -> Result<Parsed, QueryError> {
    let length = text.chars().count();
    if length > MAX_LENGTH {
        return Err(QueryError {
            position: MAX_LENGTH,
            message: format!(
                "the query is longer than {MAX_LENGTH} characters (for a long list of values, use a watchlist: field|in:slug)"
            ),
        });
    }
    // Postgres text cannot hold NUL, so no stored event contains one; a
    // query with one would fail in the database, not match nothing.
    if let Some(position) = text.chars().position(|c| c == '\0') {
        return Err(QueryError {
            position,
            message: "the query contains a NUL character, which no event can contain".into(),
        });
    }
    let (tokens, warnings) = lex(text)?;
    let mut parser = Parser {
        tokens,
        at: 0,
        depth: 0,
        warnings,
        implicit_warned: false,
    };
    if parser.peek().kind == Kind::End {
        return Ok(Parsed {
            query: Query::All,
            warnings: Vec::new(),
        });
    }
    let query = parser.or_expr()?;
    let next = parser.peek();
    if next.kind != Kind::End {
        return Err(parser.unexpected(next, "AND, OR or the end of the query"));
    }
    let query = query.normalized();
    // Written out in canonical form (implicit ANDs spelled, field groups
    // distributed) a query can grow several times: what is accepted must
    // print to text that is accepted too — shared links, saved rules.
    if query.to_string().chars().count() > MAX_LENGTH {
        return Err(QueryError {
            position: length,
            message: format!(
                "the query is longer than {MAX_LENGTH} characters when written out in full (for a long list of values, use a watchlist: field|in:slug)"
            ),
        });
    }
    let mut warnings = parser.warnings;
    warnings.sort_by_key(|w| w.position);
    Ok(Parsed { query, warnings })
}

struct Parser {
    tokens: Vec<Token>,
    at: usize,
    depth: usize,
    warnings: Vec<Warning>,
    /// Whether terms side by side were already warned about (once is enough).
    implicit_warned: bool,
}

impl Parser {
    fn peek(&self) -> Token {
        self.tokens[self.at.min(self.tokens.len() - 1)].clone()
    }

    fn advance(&mut self) -> Token {
        let token = self.peek();
        if self.at < self.tokens.len() - 1 {
            self.at += 1;
        }
        token
    }

    fn unexpected(&self, token: Token, expected: &str) -> QueryError {
        QueryError {
            position: token.position,
            message: format!("expected {expected}, found {}", describe(&token.kind)),
        }
    }

    fn deeper(&mut self, position: usize) -> Result<(), QueryError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(QueryError {
                position,
                message: format!("the query nests deeper than {MAX_DEPTH} levels"),
            });
        }
        Ok(())
    }

    fn or_expr(&mut self) -> Result<Query, QueryError> {
        let mut parts = vec![self.and_expr()?];
        while self.peek().kind == Kind::Or {
            self.advance();
            parts.push(self.and_expr()?);
        }
        Ok(if parts.len() == 1 {
            parts.remove(0)
        } else {
            Query::Or(parts)
        })
    }

    fn and_expr(&mut self) -> Result<Query, QueryError> {
        let mut parts = vec![self.unary()?];
        loop {
            match self.peek().kind {
                Kind::And => {
                    self.advance();
                    parts.push(self.unary()?);
                }
                // Terms side by side must all match.
                Kind::Word(_)
                | Kind::Phrase(_)
                | Kind::Open
                | Kind::Not
                | Kind::Minus
                | Kind::Plus => {
                    let position = self.peek().position;
                    let part = self.unary()?;
                    let fielded = |q: &Query| !matches!(q, Query::Text(_) | Query::All);
                    if !self.implicit_warned
                        && (fielded(&part) || parts.last().is_some_and(fielded))
                    {
                        self.implicit_warned = true;
                        self.warnings.push(Warning {
                            position,
                            message: "terms side by side are read as AND: KQL wants an operator here and Lucene would read OR; write AND or OR".into(),
                        });
                    }
                    parts.push(part);
                }
                _ => break,
            }
        }
        Ok(if parts.len() == 1 {
            parts.remove(0)
        } else {
            Query::And(parts)
        })
    }

    fn unary(&mut self) -> Result<Query, QueryError> {
        let token = self.peek();
        if token.kind == Kind::Plus {
            self.advance();
            return self.primary();
        }
        if matches!(token.kind, Kind::Not | Kind::Minus) {
            self.advance();
            self.deeper(token.position)?;
            let inner = self.unary()?;
            self.depth -= 1;
            return Ok(Query::Not(Box::new(inner)));
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<Query, QueryError> {
        let token = self.advance();
        match token.kind {
            Kind::Open => {
                self.deeper(token.position)?;
                if self.peek().kind == Kind::Close {
                    return Err(QueryError {
                        position: token.position,
                        message: "empty parentheses".into(),
                    });
                }
                let inner = self.or_expr()?;
                let close = self.advance();
                if close.kind != Kind::Close {
                    return Err(self.unexpected(close, "')' to close the group"));
                }
                self.depth -= 1;
                Ok(inner)
            }
            Kind::Phrase(text) => Ok(Query::Text(Term::Phrase(text))),
            // `*` and `*:*` are everything, as in Kibana.
            Kind::Word(parts) if parts == [PatternPart::AnyChars] => {
                if self.peek().kind == Kind::Colon {
                    self.advance();
                    let value = self.advance();
                    if value.kind != Kind::Word(vec![PatternPart::AnyChars]) {
                        return Err(QueryError {
                            position: token.position,
                            message: "'*' is not a field name: *:* means every event".into(),
                        });
                    }
                }
                Ok(Query::All)
            }
            Kind::Word(parts)
                if parts == [PatternPart::Literal("_exists_".into())]
                    && self.peek().kind == Kind::Colon =>
            {
                self.advance();
                let name = self.advance();
                match name.kind {
                    Kind::Word(parts) => Ok(Query::Field {
                        field: field_name(&parts, name.position)?,
                        test: Test::Exists,
                    }),
                    other => Err(self.unexpected(
                        Token {
                            kind: other,
                            position: name.position,
                        },
                        "a field name after '_exists_:'",
                    )),
                }
            }
            // Lucene's field wildcard: `host.*:web01`.
            Kind::Word(parts)
                if self.peek().kind == Kind::Colon && wildcard_prefix(&parts).is_some() =>
            {
                let prefix = wildcard_prefix(&parts).unwrap_or_default().to_owned();
                let prefix = field_name(&[PatternPart::Literal(prefix)], token.position)?;
                self.advance();
                let value = self.peek();
                match value.kind {
                    Kind::Word(ref v) if v == &[PatternPart::AnyChars] => {
                        self.advance();
                        Ok(Query::Field {
                            field: prefix,
                            test: Test::Exists,
                        })
                    }
                    Kind::Word(_) | Kind::Phrase(_) => match self.term()?.normalized() {
                        Term::Pattern(_) => Err(QueryError {
                            position: value.position,
                            message: format!(
                                "a field wildcard takes a whole value: {prefix}.* with a wildcard value is not supported"
                            ),
                        }),
                        term => Ok(Query::AnyField { prefix, term }),
                    },
                    _ => Err(self.unexpected(value, &format!("a value after '{prefix}.*:'"))),
                }
            }
            Kind::Word(parts) => match self.peek().kind {
                Kind::Colon => {
                    let (field, modifiers) = field_spec(&parts, token.position)?;
                    let field = self.elasticsearch_field(field, token.position);
                    self.advance();
                    self.field_value(field, modifiers)
                }
                Kind::Compare(comparison) => {
                    let (field, modifiers) = field_spec(&parts, token.position)?;
                    if modifiers.is_some() {
                        return Err(QueryError {
                            position: token.position,
                            message: "modifiers go with ':', not with a comparison".into(),
                        });
                    }
                    let field = self.elasticsearch_field(field, token.position);
                    self.advance();
                    self.comparison(field, comparison, token.position)
                }
                _ => Ok(Query::Text(Term::Pattern(parts))),
            },
            other => Err(self.unexpected(
                Token {
                    kind: other,
                    position: token.position,
                },
                "a search term, a field or '('",
            )),
        }
    }

    /// Elasticsearch's metadata fields, which Vigil's events do not have.
    fn elasticsearch_field(&mut self, field: String, position: usize) -> String {
        match field.as_str() {
            "_id" => {
                self.warnings.push(Warning {
                    position,
                    message: "_id is Elasticsearch's document id: read as event.id, Vigil's".into(),
                });
                "event.id".into()
            }
            "_index" => {
                self.warnings.push(Warning {
                    position,
                    message: "_index is Elasticsearch's: Vigil has no indices, and no event has this field; use event.dataset or data_stream.dataset".into(),
                });
                field
            }
            _ => field,
        }
    }

    /// After `field >=` (or Lucene's `field:>=`): the bound.
    fn comparison(
        &mut self,
        field: String,
        comparison: Comparison,
        position: usize,
    ) -> Result<Query, QueryError> {
        let value = self.bound_value(&field)?.ok_or_else(|| QueryError {
            position,
            message: "a comparison needs a value, not *".into(),
        })?;
        let (lower, upper) = match comparison {
            Comparison::Greater => (
                Some(Bound {
                    value,
                    inclusive: false,
                }),
                None,
            ),
            Comparison::GreaterOrEqual => (
                Some(Bound {
                    value,
                    inclusive: true,
                }),
                None,
            ),
            Comparison::Less => (
                None,
                Some(Bound {
                    value,
                    inclusive: false,
                }),
            ),
            Comparison::LessOrEqual => (
                None,
                Some(Bound {
                    value,
                    inclusive: true,
                }),
            ),
        };
        Ok(Query::Field {
            field,
            test: Test::Range { lower, upper },
        })
    }

    /// After `field:`: a value, `*`, a range, or a list of values; with
    /// modifiers, a value or a list of values.
    fn field_value(
        &mut self,
        field: String,
        modifiers: Option<(Operator, bool)>,
    ) -> Result<Query, QueryError> {
        let token = self.peek();
        if let Some(modifiers) = modifiers {
            return match token.kind {
                Kind::Word(_) | Kind::Phrase(_) => {
                    let term = self.term()?;
                    compared(field, modifiers, term, token.position)
                }
                Kind::Open => {
                    self.advance();
                    let list = self.value_or(&field, Some(modifiers))?;
                    let close = self.advance();
                    if close.kind != Kind::Close {
                        return Err(self.unexpected(close, "OR, AND or ')' in the list of values"));
                    }
                    Ok(list)
                }
                _ => Err(self.unexpected(token, &format!("a value after '{field}|…:'"))),
            };
        }
        match token.kind {
            Kind::Word(ref parts) if parts == &[PatternPart::AnyChars] => {
                self.advance();
                Ok(Query::Field {
                    field,
                    test: Test::Exists,
                })
            }
            Kind::Compare(comparison) => {
                self.advance();
                self.comparison(field, comparison, token.position)
            }
            Kind::Regex(ref text) => {
                self.advance();
                let pattern = lucene_regex(text, token.position, &mut self.warnings)?;
                Ok(Query::Field {
                    field,
                    test: Test::Compare {
                        op: Operator::Regex,
                        term: Term::Phrase(pattern),
                        cased: true,
                    },
                })
            }
            Kind::Word(_) | Kind::Phrase(_) => {
                let mut term = self.term()?;
                if let Term::Pattern(parts) = &mut term {
                    // KQL reads an unquoted value on over spaces, up to an
                    // operator, a bracket or the next `field:`.
                    let mut joined = false;
                    while let Kind::Word(next) = self.peek().kind {
                        let after = &self.tokens[(self.at + 1).min(self.tokens.len() - 1)];
                        if matches!(after.kind, Kind::Colon | Kind::Compare(_)) {
                            break;
                        }
                        self.advance();
                        parts.push(PatternPart::Literal(" ".into()));
                        parts.extend(next);
                        joined = true;
                    }
                    if joined {
                        let value = Term::Pattern(parts.clone()).normalized();
                        self.warnings.push(Warning {
                            position: token.position,
                            message: format!(
                                "read as one value, {field}:{}, as KQL reads words after a field; Lucene would search the later words on their own (write AND between them for that)",
                                Term::Phrase(value.text())
                            ),
                        });
                    }
                }
                time_value(&field, &term, token.position)?;
                Ok(Query::Field {
                    field,
                    test: Test::Matches { term },
                })
            }
            Kind::OpenInclusive | Kind::OpenExclusive => self.range(field),
            Kind::Open => {
                self.advance();
                let list = self.value_or(&field, None)?;
                let close = self.advance();
                if close.kind != Kind::Close {
                    return Err(self.unexpected(close, "OR, AND or ')' in the list of values"));
                }
                Ok(list)
            }
            _ => Err(self.unexpected(token, &format!("a value after '{field}:'"))),
        }
    }

    fn value_or(
        &mut self,
        field: &str,
        modifiers: Option<(Operator, bool)>,
    ) -> Result<Query, QueryError> {
        let mut parts = vec![self.value_and(field, modifiers)?];
        while self.peek().kind == Kind::Or {
            self.advance();
            parts.push(self.value_and(field, modifiers)?);
        }
        Ok(if parts.len() == 1 {
            parts.remove(0)
        } else {
            Query::Or(parts)
        })
    }

    fn value_and(
        &mut self,
        field: &str,
        modifiers: Option<(Operator, bool)>,
    ) -> Result<Query, QueryError> {
        let mut parts = vec![self.list_value(field, modifiers)?];
        loop {
            match self.peek().kind {
                Kind::And => {
                    self.advance();
                    parts.push(self.list_value(field, modifiers)?);
                }
                Kind::Word(_) | Kind::Phrase(_) => {
                    let token = self.peek();
                    return Err(QueryError {
                        position: token.position,
                        message: "put OR or AND between the values of a list".into(),
                    });
                }
                _ => break,
            }
        }
        Ok(if parts.len() == 1 {
            parts.remove(0)
        } else {
            Query::And(parts)
        })
    }

    fn list_value(
        &mut self,
        field: &str,
        modifiers: Option<(Operator, bool)>,
    ) -> Result<Query, QueryError> {
        let token = self.peek();
        // `tags:(ssh AND NOT test)`: NOT inside a list negates one value.
        if matches!(token.kind, Kind::Not | Kind::Minus) {
            self.advance();
            self.deeper(token.position)?;
            let inner = self.list_value(field, modifiers)?;
            self.depth -= 1;
            return Ok(Query::Not(Box::new(inner)));
        }
        if let Some(modifiers) = modifiers {
            return match token.kind {
                Kind::Word(_) | Kind::Phrase(_) => {
                    let term = self.term()?;
                    compared(field.to_owned(), modifiers, term, token.position)
                }
                _ => Err(self.unexpected(token, "a value")),
            };
        }
        match token.kind {
            Kind::Word(ref parts) if parts == &[PatternPart::AnyChars] => {
                self.advance();
                Ok(Query::Field {
                    field: field.to_owned(),
                    test: Test::Exists,
                })
            }
            Kind::Word(_) | Kind::Phrase(_) => {
                let term = self.term()?;
                time_value(field, &term, token.position)?;
                Ok(Query::Field {
                    field: field.to_owned(),
                    test: Test::Matches { term },
                })
            }
            _ => Err(self.unexpected(token, "a value")),
        }
    }

    fn term(&mut self) -> Result<Term, QueryError> {
        let token = self.advance();
        match token.kind {
            Kind::Word(parts) => Ok(Term::Pattern(parts)),
            Kind::Phrase(text) => Ok(Term::Phrase(text)),
            other => Err(self.unexpected(
                Token {
                    kind: other,
                    position: token.position,
                },
                "a value",
            )),
        }
    }

    /// A range bound: a word or phrase, or `*` (open, returned as None).
    fn bound_value(&mut self, field: &str) -> Result<Option<String>, QueryError> {
        let token = self.advance();
        let checked = |text: String| {
            time_value(field, &Term::Word(text.clone()), token.position).map(|()| Some(text))
        };
        match token.kind {
            Kind::Word(parts) if parts == [PatternPart::AnyChars] => Ok(None),
            Kind::Word(parts) => match Term::Pattern(parts).normalized() {
                Term::Word(text) => checked(text),
                _ => Err(QueryError {
                    position: token.position,
                    message: "wildcards cannot be range bounds".into(),
                }),
            },
            Kind::Phrase(text) => checked(text),
            other => Err(self.unexpected(
                Token {
                    kind: other,
                    position: token.position,
                },
                "a range bound (a value or *)",
            )),
        }
    }

    fn range(&mut self, field: String) -> Result<Query, QueryError> {
        let open = self.advance();
        let lower_inclusive = open.kind == Kind::OpenInclusive;
        let lower = self.bound_value(&field)?;
        let to = self.advance();
        if to.kind != Kind::To {
            return Err(self.unexpected(to, "TO between the bounds"));
        }
        let upper = self.bound_value(&field)?;
        let close = self.advance();
        let upper_inclusive = match close.kind {
            Kind::CloseInclusive => true,
            Kind::CloseExclusive => false,
            _ => return Err(self.unexpected(close, "']' or '}' to close the range")),
        };
        Ok(Query::Field {
            field,
            test: Test::Range {
                lower: lower.map(|value| Bound {
                    value,
                    inclusive: lower_inclusive,
                }),
                upper: upper.map(|value| Bound {
                    value,
                    inclusive: upper_inclusive,
                }),
            },
        })
    }
}

/// The prefix of Lucene's field wildcard (`host.` + `*` gives `host`).
fn wildcard_prefix(parts: &[PatternPart]) -> Option<&str> {
    match parts {
        [PatternPart::Literal(prefix), PatternPart::AnyChars] => prefix.strip_suffix('.'),
        _ => None,
    }
}

/// Returns whether `name` may name a field: letters, digits, `_`, `@`, `-`
/// and dots between non-empty parts, not starting with `-`, not an operator.
pub fn is_field_name(name: &str) -> bool {
    !name.is_empty()
        && !is_operator_word(name)
        && name.len() <= 200
        && name.split('.').all(|part| {
            !part.is_empty()
                && part
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '@' | '-'))
        })
        && !name.starts_with('-')
}

/// The field's name and, when modifiers follow it (`field|contains|cased`),
/// the comparison they name and whether case matters.
fn field_spec(
    parts: &[PatternPart],
    position: usize,
) -> Result<(String, Option<(Operator, bool)>), QueryError> {
    let [PatternPart::Literal(word)] = parts else {
        return field_name(parts, position).map(|name| (name, None));
    };
    let Some((name, modifiers)) = word.split_once('|') else {
        return field_name(parts, position).map(|name| (name, None));
    };
    let name = field_name(&[PatternPart::Literal(name.to_owned())], position)?;
    let (mut op, mut case): (Option<Operator>, Option<bool>) = (None, None);
    let mut at = position + name.chars().count() + 1;
    for modifier in modifiers.split('|') {
        let error = |message: String| QueryError {
            position: at,
            message,
        };
        let named = match modifier {
            "contains" => Some(Operator::Contains),
            "startswith" => Some(Operator::StartsWith),
            "endswith" => Some(Operator::EndsWith),
            "re" => Some(Operator::Regex),
            "cidr" => Some(Operator::Cidr),
            "fieldref" => Some(Operator::FieldRef),
            "in" => Some(Operator::InList),
            "minute" => Some(Operator::Minute),
            "hour" => Some(Operator::Hour),
            "day" => Some(Operator::Day),
            "week" => Some(Operator::Week),
            "month" => Some(Operator::Month),
            "year" => Some(Operator::Year),
            "i" | "cased" => None,
            other => {
                return Err(error(format!(
                    "unknown modifier '{other}' (contains, startswith, endswith, re, cidr, fieldref, in, minute, hour, day, week, month, year, i, cased)"
                )));
            }
        };
        match named {
            // A list of values to contain: `|contains|in`.
            Some(Operator::InList) if op == Some(Operator::Contains) => {
                op = Some(Operator::ContainsInList);
            }
            Some(_) if op.is_some() => {
                return Err(error(format!("'{modifier}' after another comparison")));
            }
            Some(named) => op = Some(named),
            None if case.is_some() => {
                return Err(error("'i' and 'cased' go once, not both".into()));
            }
            None => case = Some(modifier == "cased"),
        }
        at += modifier.chars().count() + 1;
    }
    let op = op.unwrap_or(Operator::Equals);
    if op.time_part_range().is_some() && name != "@timestamp" {
        return Err(QueryError {
            position,
            message: format!(
                "'{}' reads the event time: write @timestamp|{}",
                op.modifier(),
                op.modifier()
            ),
        });
    }
    let listed = matches!(op, Operator::InList | Operator::ContainsInList);
    if (listed || op.time_part_range().is_some()) && case.is_some() {
        return Err(QueryError {
            position: position + name.chars().count() + 1,
            message: format!("'{}' takes no 'i' or 'cased'", op.modifier()),
        });
    }
    let cased = case.unwrap_or(op.cased_by_default());
    if op == Operator::Equals && cased {
        // `field|cased:x` is plain `field:x`.
        return Ok((name, None));
    }
    Ok((name, Some((op, cased))))
}

/// A [`Test::Compare`] of `field`, checking what the operator needs of its value.
fn compared(
    field: String,
    (op, cased): (Operator, bool),
    term: Term,
    position: usize,
) -> Result<Query, QueryError> {
    let term = term.normalized();
    let error = |message: &str| QueryError {
        position,
        message: message.into(),
    };
    match op {
        Operator::Regex | Operator::Cidr | Operator::FieldRef
            if matches!(term, Term::Pattern(_)) =>
        {
            return Err(error(
                "quote the value: wildcards mean nothing to re, cidr and fieldref",
            ));
        }
        _ if op.time_part_range().is_some_and(|range| {
            !term
                .text()
                .parse::<i64>()
                .is_ok_and(|n| range.contains(&n) && !matches!(term, Term::Pattern(_)))
        }) =>
        {
            let range = op.time_part_range().unwrap_or(0..=0);
            return Err(error(&format!(
                "{} takes a whole number from {} to {}",
                op.modifier(),
                range.start(),
                range.end()
            )));
        }
        Operator::InList | Operator::ContainsInList if !crate::slug::is_slug(&term.text()) => {
            return Err(error(
                "in needs a watchlist's slug (lower-case letters, digits, _ and -)",
            ));
        }
        Operator::Cidr
            if term.text().parse::<ipnet::IpNet>().is_err()
                && term.text().parse::<std::net::IpAddr>().is_err() =>
        {
            return Err(error("cidr needs a network like 10.0.0.0/8"));
        }
        Operator::FieldRef if !is_field_name(&term.text()) => {
            return Err(error("fieldref needs a field name"));
        }
        _ => {}
    }
    Ok(Query::Field {
        field,
        test: Test::Compare { op, term, cased },
    })
}

fn field_name(parts: &[PatternPart], position: usize) -> Result<String, QueryError> {
    match parts {
        [PatternPart::Literal(name)] if is_field_name(name) => Ok(name.clone()),
        _ => Err(QueryError {
            position,
            message: format!(
                "'{}' is not a field name (letters, digits, _, @, - and dots)",
                Term::Pattern(parts.to_vec()).text()
            ),
        }),
    }
}

/// Checks a value of a time field: a time as [`super::time`] reads them,
/// never a wildcard (before, `@timestamp:yesterday` quietly matched nothing).
fn time_value(field: &str, term: &Term, position: usize) -> Result<(), QueryError> {
    if !super::time::is_time_field(field) {
        return Ok(());
    }
    match term.clone().normalized() {
        Term::Pattern(_) => Err(QueryError {
            position,
            message:
                "wildcards do not apply to times: write @timestamp:2026-12 for a month, or a range"
                    .into(),
        }),
        Term::Word(text) | Term::Phrase(text) => {
            super::time::check(&text).map_err(|e| QueryError {
                position,
                message: e.to_string(),
            })
        }
    }
}
