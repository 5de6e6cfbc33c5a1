//! Regular expressions in queries and rules: linear-time, size-bounded,
//! and refused with a message when they do not compile. Rules run them in
//! Rust; searches hand them to Postgres, whose engine reads some syntax
//! differently (`\b` is a backspace there) and backtracks: a search's
//! expressions are held to the subset both read alike, without nested
//! repetition.

use app::query::{Operator, Query, Test};

/// The largest compiled regular expression a rule may hold.
const REGEX_SIZE_LIMIT: usize = 1 << 20;

/// Returns why the query cannot be run, when one of its regular
/// expressions does not compile.
pub fn check(query: &Query) -> Result<(), String> {
    each_regex(query, &|pattern, cased| {
        regex(pattern, cased)
            .map(|_| ())
            .map_err(|e| format!("not a usable regular expression: {e}"))
    })
}

/// As [`check`], and also refuses what Postgres would read otherwise or
/// run slowly: for queries Postgres runs (search).
pub fn check_for_postgres(query: &Query) -> Result<(), String> {
    check(query)?;
    each_regex(query, &|pattern, _| postgres_subset(pattern))
}

fn each_regex(
    query: &Query,
    test: &dyn Fn(&str, bool) -> Result<(), String>,
) -> Result<(), String> {
    match query {
        Query::And(parts) | Query::Or(parts) => {
            parts.iter().try_for_each(|part| each_regex(part, test))
        }
        Query::Not(inner) => each_regex(inner, test),
        Query::Field {
            test:
                Test::Compare {
                    op: Operator::Regex,
                    term,
                    cased,
                },
            ..
        } => test(&term.text(), *cased),
        _ => Ok(()),
    }
}

/// Refuses syntax Postgres reads differently from Rust (or not at all) and
/// nested repetition, which Postgres' backtracking engine can take
/// exponential time over.
fn postgres_subset(pattern: &str) -> Result<(), String> {
    use regex_syntax::ast::{AssertionKind, Ast, LiteralKind, parse::Parser};
    let ast = Parser::new()
        .parse(pattern)
        .map_err(|e| format!("not a usable regular expression: {e}"))?;
    fn walk(ast: &Ast, in_repetition: bool) -> Result<(), String> {
        let refuse = |what: &str| {
            Err(format!(
                "{what} is not supported in search regular expressions (Postgres runs them)"
            ))
        };
        match ast {
            Ast::Empty(_) | Ast::Dot(_) | Ast::ClassPerl(_) | Ast::ClassBracketed(_) => Ok(()),
            Ast::Literal(literal) => match literal.kind {
                LiteralKind::Verbatim | LiteralKind::Meta | LiteralKind::Superfluous => Ok(()),
                _ => refuse("an escape such as \\x, \\u or \\0"),
            },
            Ast::Assertion(assertion) => match assertion.kind {
                AssertionKind::StartLine | AssertionKind::EndLine => Ok(()),
                _ => refuse("a word boundary or text anchor (\\b, \\B, \\A, \\z)"),
            },
            Ast::ClassUnicode(_) => refuse("a Unicode class (\\p{…})"),
            Ast::Flags(_) => refuse("an inline flag such as (?i)"),
            Ast::Repetition(repetition) => {
                if in_repetition {
                    return refuse("a repetition inside a repetition, such as (a+)+,");
                }
                walk(&repetition.ast, true)
            }
            Ast::Group(group) => match &group.kind {
                regex_syntax::ast::GroupKind::CaptureIndex(_)
                | regex_syntax::ast::GroupKind::NonCapturing(_) => walk(&group.ast, in_repetition),
                regex_syntax::ast::GroupKind::CaptureName { .. } => refuse("a named group"),
            },
            Ast::Alternation(alternation) => alternation
                .asts
                .iter()
                .try_for_each(|ast| walk(ast, in_repetition)),
            Ast::Concat(concat) => concat
                .asts
                .iter()
                .try_for_each(|ast| walk(ast, in_repetition)),
        }
    }
    walk(&ast, false)
}

/// Compiles a rule's or query's regular expression: linear-time matching,
/// bounded size.
pub fn regex(pattern: &str, cased: bool) -> Result<regex::Regex, regex::Error> {
    regex::RegexBuilder::new(pattern)
        .case_insensitive(!cased)
        .size_limit(REGEX_SIZE_LIMIT)
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_regexes_keep_to_what_postgres_reads_alike() {
        for ok in [
            "admin",
            ".*admin.*",
            "^/wp-(login|admin)\\.php$",
            "[a-f0-9]{32}",
            "\\d+\\.\\d+",
            "a+?b",
        ] {
            assert_eq!(postgres_subset(ok), Ok(()), "{ok}");
        }
        for bad in [
            "\\bword\\b",
            "(a+)+$",
            "(?i)admin",
            "\\p{L}+",
            "(?P<x>a)",
            "\\x41",
        ] {
            assert!(postgres_subset(bad).is_err(), "{bad}");
        }
    }
}
