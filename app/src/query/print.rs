//! From a [`Query`] back to text, in canonical form: `parse(q.to_string())`
//! gives `q` again (for queries in the parser's normalised form).

use super::ast::{Bound, Operator, PatternPart, Query, Term, Test};
use std::fmt::{self, Write};

impl fmt::Display for Query {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Query::All => Ok(()),
            Query::And(parts) => joined(f, parts, " AND ", |q| matches!(q, Query::Or(_))),
            Query::Or(parts) => joined(f, parts, " OR ", |_| false),
            Query::Not(inner) => {
                f.write_str("NOT ")?;
                grouped(f, inner, matches!(**inner, Query::And(_) | Query::Or(_)))
            }
            Query::Text(term) => write!(f, "{term}"),
            Query::AnyField { prefix, term } => write!(f, "{prefix}.*:{term}"),
            Query::Field { field, test } => match test {
                Test::Exists => write!(f, "{field}:*"),
                Test::Matches { term } => write!(f, "{field}:{term}"),
                Test::Compare { op, term, cased } => {
                    write!(f, "{field}")?;
                    if *op != Operator::Equals {
                        write!(f, "|{}", op.modifier())?;
                    }
                    if *op == Operator::Equals || *cased != op.cased_by_default() {
                        f.write_str(if *cased { "|cased" } else { "|i" })?;
                    }
                    write!(f, ":{term}")
                }
                Test::Range { lower, upper } => {
                    let open = if lower.as_ref().is_none_or(|b| b.inclusive) {
                        '['
                    } else {
                        '{'
                    };
                    let close = if upper.as_ref().is_none_or(|b| b.inclusive) {
                        ']'
                    } else {
                        '}'
                    };
                    write!(f, "{field}:{open}")?;
                    bound(f, lower.as_ref())?;
                    f.write_str(" TO ")?;
                    bound(f, upper.as_ref())?;
                    f.write_char(close)
                }
            },
        }
    }
}

fn joined(
    f: &mut fmt::Formatter<'_>,
    parts: &[Query],
    separator: &str,
    needs_group: impl Fn(&Query) -> bool,
) -> fmt::Result {
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            f.write_str(separator)?;
        }
        grouped(f, part, needs_group(part))?;
    }
    Ok(())
}

fn grouped(f: &mut fmt::Formatter<'_>, query: &Query, group: bool) -> fmt::Result {
    if *query == Query::All {
        // Only the whole query may be empty text.
        f.write_char('*')
    } else if group {
        write!(f, "({query})")
    } else {
        write!(f, "{query}")
    }
}

fn bound(f: &mut fmt::Formatter<'_>, bound: Option<&Bound>) -> fmt::Result {
    match bound {
        None => f.write_char('*'),
        Some(bound) => write_word(f, &bound.value, true),
    }
}

impl fmt::Display for Term {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Term::Phrase(text) => {
                f.write_char('"')?;
                for c in text.chars() {
                    if matches!(c, '"' | '\\') {
                        f.write_char('\\')?;
                    }
                    f.write_char(c)?;
                }
                f.write_char('"')
            }
            Term::Word(text) => write_word(f, text, true),
            // The leading literal decides the slash; later ones may hold the closing one.
            Term::Pattern(parts)
                if matches!(parts.first(), Some(PatternPart::Literal(t)) if t.starts_with('/'))
                    && matches!(parts.last(), Some(PatternPart::Literal(t)) if t.ends_with('/'))
                    && self.text().len() > 2 =>
            {
                f.write_str("\\/")?;
                for (i, part) in parts.iter().enumerate() {
                    match part {
                        PatternPart::Literal(text) => {
                            let text = if i == 0 { &text[1..] } else { text.as_str() };
                            if !text.is_empty() {
                                write_word(f, text, false)?;
                            }
                        }
                        PatternPart::AnyChars => f.write_char('*')?,
                        PatternPart::AnyChar => f.write_char('?')?,
                    }
                }
                Ok(())
            }
            Term::Pattern(parts) => {
                for (i, part) in parts.iter().enumerate() {
                    match part {
                        PatternPart::Literal(text) => write_word(f, text, i == 0)?,
                        PatternPart::AnyChars => f.write_char('*')?,
                        PatternPart::AnyChar => f.write_char('?')?,
                    }
                }
                Ok(())
            }
        }
    }
}

/// Writes literal text as (part of) an unquoted word, escaping what the
/// lexer would otherwise read as syntax; `first` says it starts the word.
fn write_word(f: &mut fmt::Formatter<'_>, text: &str, first: bool) -> fmt::Result {
    if text.is_empty() {
        // Only a phrase can be empty.
        return f.write_str("\"\"");
    }
    // Operators, and the comparisons Vigil refuses as operators (`=`, `!=`).
    let lead_escaped =
        first && (super::lex::is_operator_word(text) || matches!(text, "=" | "==" | "!=" | "!"));
    if lead_escaped {
        f.write_char('\\')?;
    }
    // A leading slash closed by another at the end would read as Lucene's
    // `/regex/` after a field (the printer never escapes a later slash).
    let regex_like = first && text.len() > 2 && text.starts_with('/') && text.ends_with('/');
    for (i, c) in text.chars().enumerate() {
        let special = c.is_whitespace()
            || matches!(
                c,
                '\\' | '('
                    | ')'
                    | '['
                    | ']'
                    | '{'
                    | '}'
                    | ':'
                    | '"'
                    | '*'
                    | '?'
                    | '<'
                    | '>'
                    | '~'
                    | '^'
            )
            || (first && i == 0 && !lead_escaped && matches!(c, '-' | '!' | '+'))
            || (regex_like && i == 0);
        if special {
            f.write_char('\\')?;
        }
        f.write_char(c)?;
    }
    Ok(())
}
