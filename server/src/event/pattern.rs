//! Regular expressions in queries and rules: linear-time, size-bounded,
//! and refused with a message when they do not compile.

use app::query::{Operator, Query, Test};

/// The largest compiled regular expression a rule may hold.
const REGEX_SIZE_LIMIT: usize = 1 << 20;

/// Returns why the query cannot be run, when one of its regular
/// expressions does not compile.
pub fn check(query: &Query) -> Result<(), String> {
    match query {
        Query::And(parts) | Query::Or(parts) => parts.iter().try_for_each(check),
        Query::Not(inner) => check(inner),
        Query::Field {
            test:
                Test::Compare {
                    op: Operator::Regex,
                    term,
                    cased,
                },
            ..
        } => regex(&term.text(), *cased)
            .map(|_| ())
            .map_err(|e| format!("not a usable regular expression: {e}")),
        _ => Ok(()),
    }
}

/// Compiles a rule's or query's regular expression: linear-time matching,
/// bounded size.
pub fn regex(pattern: &str, cased: bool) -> Result<regex::Regex, regex::Error> {
    regex::RegexBuilder::new(pattern)
        .case_insensitive(!cased)
        .size_limit(REGEX_SIZE_LIMIT)
        .build()
}
