//! From query text to a [`Query`], or a positioned error; never a panic.

use super::ast::{Bound, Operator, PatternPart, Query, Term, Test};
use serde::{Deserialize, Serialize};

/// The longest query accepted, in characters.
pub const MAX_LENGTH: usize = 10_000;
/// The deepest nesting of groups and `NOT`s accepted.
pub const MAX_DEPTH: usize = 64;

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

/// Parses `text`; an empty or blank query is [`Query::All`].
pub fn parse(text: &str) -> Result<Query, QueryError> {
    let length = text.chars().count();
    if length > MAX_LENGTH {
        return Err(QueryError {
            position: MAX_LENGTH,
            message: format!("the query is longer than {MAX_LENGTH} characters"),
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
    let tokens = lex(text)?;
    let mut parser = Parser {
        tokens,
        at: 0,
        depth: 0,
    };
    if parser.peek().kind == Kind::End {
        return Ok(Query::All);
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
                "the query is longer than {MAX_LENGTH} characters when written out in full"
            ),
        });
    }
    Ok(query)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Comparison {
    Greater,
    GreaterOrEqual,
    Less,
    LessOrEqual,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Kind {
    Open,
    Close,
    OpenInclusive,
    CloseInclusive,
    OpenExclusive,
    CloseExclusive,
    Colon,
    Compare(Comparison),
    And,
    Or,
    Not,
    To,
    Minus,
    /// An unquoted word: its pieces, and whether it is a bare operator word.
    Word(Vec<PatternPart>),
    Phrase(String),
    End,
}

#[derive(Debug, Clone)]
struct Token {
    kind: Kind,
    /// Character index of the token's start.
    position: usize,
}

fn describe(kind: &Kind) -> String {
    match kind {
        Kind::Open => "'('".into(),
        Kind::Close => "')'".into(),
        Kind::OpenInclusive => "'['".into(),
        Kind::CloseInclusive => "']'".into(),
        Kind::OpenExclusive => "'{'".into(),
        Kind::CloseExclusive => "'}'".into(),
        Kind::Colon => "':'".into(),
        Kind::Compare(_) => "a comparison".into(),
        Kind::And => "AND".into(),
        Kind::Or => "OR".into(),
        Kind::Not => "NOT".into(),
        Kind::To => "TO".into(),
        Kind::Minus => "'-'".into(),
        Kind::Word(parts) => format!("'{}'", Term::Pattern(parts.clone()).text()),
        Kind::Phrase(text) => format!("\"{text}\""),
        Kind::End => "the end of the query".into(),
    }
}

/// Characters that end an unquoted word (unless escaped). Where a value is
/// expected a colon does not, so times and IPv6 addresses need no quotes.
fn ends_word(c: char, value: bool) -> bool {
    c.is_whitespace()
        || matches!(c, '(' | ')' | '[' | ']' | '{' | '}' | '"' | '<' | '>')
        || (c == ':' && !value)
}

fn lex(text: &str) -> Result<Vec<Token>, QueryError> {
    let chars: Vec<char> = text.chars().collect();
    let mut tokens: Vec<Token> = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        let position = i;
        let single = match c {
            '(' => Some(Kind::Open),
            ')' => Some(Kind::Close),
            '[' => Some(Kind::OpenInclusive),
            ']' => Some(Kind::CloseInclusive),
            '{' => Some(Kind::OpenExclusive),
            '}' => Some(Kind::CloseExclusive),
            ':' => Some(Kind::Colon),
            _ => None,
        };
        if let Some(kind) = single {
            tokens.push(Token { kind, position });
            i += 1;
            continue;
        }
        if c == '<' || c == '>' {
            let or_equal = chars.get(i + 1) == Some(&'=');
            let comparison = match (c, or_equal) {
                ('>', true) => Comparison::GreaterOrEqual,
                ('>', false) => Comparison::Greater,
                ('<', true) => Comparison::LessOrEqual,
                _ => Comparison::Less,
            };
            tokens.push(Token {
                kind: Kind::Compare(comparison),
                position,
            });
            i += if or_equal { 2 } else { 1 };
            continue;
        }
        if c == '"' {
            let mut phrase = String::new();
            i += 1;
            loop {
                match chars.get(i) {
                    None => {
                        return Err(QueryError {
                            position,
                            message: "this quote is never closed".into(),
                        });
                    }
                    Some('"') => {
                        i += 1;
                        break;
                    }
                    Some('\\') => match chars.get(i + 1) {
                        Some(next) => {
                            phrase.push(*next);
                            i += 2;
                        }
                        None => {
                            return Err(QueryError {
                                position: i,
                                message: "a backslash at the end escapes nothing".into(),
                            });
                        }
                    },
                    Some(other) => {
                        phrase.push(*other);
                        i += 1;
                    }
                }
            }
            tokens.push(Token {
                kind: Kind::Phrase(phrase),
                position,
            });
            continue;
        }
        // `-` before a term negates it, except where a value is expected.
        let value_expected = matches!(
            tokens.last().map(|t| &t.kind),
            Some(
                Kind::Colon
                    | Kind::Compare(_)
                    | Kind::To
                    | Kind::OpenInclusive
                    | Kind::OpenExclusive
            )
        );
        if c == '-' && !value_expected && chars.get(i + 1).is_some_and(|next| !next.is_whitespace())
        {
            tokens.push(Token {
                kind: Kind::Minus,
                position,
            });
            i += 1;
            continue;
        }
        let mut parts: Vec<PatternPart> = Vec::new();
        let mut literal = String::new();
        let mut escaped_any = false;
        while let Some(&c) = chars.get(i) {
            if ends_word(c, value_expected) {
                break;
            }
            match c {
                '\\' => {
                    let Some(next) = chars.get(i + 1) else {
                        return Err(QueryError {
                            position: i,
                            message: "a backslash at the end escapes nothing".into(),
                        });
                    };
                    literal.push(*next);
                    escaped_any = true;
                    i += 2;
                    continue;
                }
                '*' | '?' => {
                    if !literal.is_empty() {
                        parts.push(PatternPart::Literal(std::mem::take(&mut literal)));
                    }
                    parts.push(if c == '*' {
                        PatternPart::AnyChars
                    } else {
                        PatternPart::AnyChar
                    });
                }
                _ => literal.push(c),
            }
            i += 1;
        }
        if !literal.is_empty() {
            parts.push(PatternPart::Literal(literal));
        }
        let keyword = match (&parts[..], escaped_any) {
            ([PatternPart::Literal(word)], false) => operator(word),
            _ => None,
        };
        tokens.push(Token {
            kind: keyword.unwrap_or(Kind::Word(parts)),
            position,
        });
    }
    tokens.push(Token {
        kind: Kind::End,
        position: chars.len(),
    });
    Ok(tokens)
}

struct Parser {
    tokens: Vec<Token>,
    at: usize,
    depth: usize,
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
                Kind::Word(_) | Kind::Phrase(_) | Kind::Open | Kind::Not | Kind::Minus => {
                    parts.push(self.unary()?);
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
            Kind::Word(parts) => match self.peek().kind {
                Kind::Colon => {
                    let (field, modifiers) = field_spec(&parts, token.position)?;
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
                    self.advance();
                    let value = self.bound_value()?.ok_or_else(|| QueryError {
                        position: token.position,
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
            Kind::Word(_) | Kind::Phrase(_) => {
                let term = self.term()?;
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
            Kind::Word(_) | Kind::Phrase(_) => Ok(Query::Field {
                field: field.to_owned(),
                test: Test::Matches { term: self.term()? },
            }),
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
    fn bound_value(&mut self) -> Result<Option<String>, QueryError> {
        let token = self.advance();
        match token.kind {
            Kind::Word(parts) if parts == [PatternPart::AnyChars] => Ok(None),
            Kind::Word(parts) => match Term::Pattern(parts).normalized() {
                Term::Word(text) => Ok(Some(text)),
                _ => Err(QueryError {
                    position: token.position,
                    message: "wildcards cannot be range bounds".into(),
                }),
            },
            Kind::Phrase(text) => Ok(Some(text)),
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
        let lower = self.bound_value()?;
        let to = self.advance();
        if to.kind != Kind::To {
            return Err(self.unexpected(to, "TO between the bounds"));
        }
        let upper = self.bound_value()?;
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

/// The operator an unescaped, unquoted word is. `and`, `or` and `not` are
/// operators in any case, as in KQL (Kibana's default language), where
/// Lucene wants capitals: lowercase ones read as words matched `or` inside
/// "for" and answered plausibly wrong. The literal word needs quotes or a
/// backslash. A range's `TO` is Lucene's, capitals only.
fn operator(word: &str) -> Option<Kind> {
    match word {
        "&&" => Some(Kind::And),
        "||" => Some(Kind::Or),
        "TO" => Some(Kind::To),
        _ if word.eq_ignore_ascii_case("and") => Some(Kind::And),
        _ if word.eq_ignore_ascii_case("or") => Some(Kind::Or),
        _ if word.eq_ignore_ascii_case("not") => Some(Kind::Not),
        _ => None,
    }
}

/// Returns whether `word`, unquoted and unescaped, would be read as an
/// operator (`AND`, `or`, `Not`, `TO`, `&&`, `||`).
pub fn is_operator_word(word: &str) -> bool {
    operator(word).is_some()
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
