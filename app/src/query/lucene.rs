//! Lucene's regular expressions (`field:/…/`) in the syntax Rust's and
//! Postgres' engines read alike.

use super::problem::{QueryError, Warning};

/// Lucene's regular expression (`field:/…/`), which matches the whole
/// value, as the linear-time syntax both Rust and Postgres read alike:
/// anchored, escapes made literal (Lucene's `\d` is the letter d), the
/// optional operators (`~ & @ # < >`) refused by name.
pub(super) fn lucene_regex(
    text: &str,
    position: usize,
    warnings: &mut Vec<Warning>,
) -> Result<String, QueryError> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::from("^(?:");
    let mut in_class = false;
    let mut i = 0;
    let literal = |c: char, out: &mut String| {
        if c.is_ascii_punctuation() && c != '_' {
            out.push('\\');
        }
        out.push(c);
    };
    while i < chars.len() {
        let c = chars[i];
        let at = position + 1 + i;
        match c {
            '\\' => {
                let Some(&next) = chars.get(i + 1) else {
                    return Err(QueryError {
                        position: at,
                        message: "a backslash at the end escapes nothing".into(),
                    });
                };
                if matches!(next, 'd' | 'w' | 's' | 'D' | 'W' | 'S' | 'b' | 'B') {
                    warnings.push(Warning {
                        position: at,
                        message: format!(
                            "Lucene reads \\{next} as the letter {next}, not a class: write [0-9], [a-zA-Z0-9_] or [ ] for those"
                        ),
                    });
                }
                literal(next, &mut out);
                i += 2;
                continue;
            }
            _ if in_class => match c {
                ']' => {
                    in_class = false;
                    out.push(']');
                }
                '^' if chars[i - 1] == '[' => out.push('^'),
                '-' => out.push('-'),
                _ => literal(c, &mut out),
            },
            '[' => {
                in_class = true;
                out.push('[');
                // `[]` is no class in either engine.
                if chars.get(i + 1) == Some(&']') {
                    return Err(QueryError {
                        position: at,
                        message: "an empty character class []".into(),
                    });
                }
            }
            '"' => {
                let Some(close) = chars[i + 1..].iter().position(|&q| q == '"') else {
                    return Err(QueryError {
                        position: at,
                        message: "this quote inside the regular expression is never closed".into(),
                    });
                };
                out.push_str("(?:");
                chars[i + 1..i + 1 + close]
                    .iter()
                    .for_each(|&q| literal(q, &mut out));
                out.push(')');
                i += close + 2;
                continue;
            }
            '.' | '*' | '+' | '?' | '|' | '(' | ')' | '{' | '}' => out.push(c),
            '~' | '&' | '@' | '#' | '<' | '>' => {
                return Err(QueryError {
                    position: at,
                    message: format!(
                        "Lucene's optional regular expression operator '{c}' is not supported: escape it (\\{c}) to match the character"
                    ),
                });
            }
            _ => literal(c, &mut out),
        }
        i += 1;
    }
    if in_class {
        return Err(QueryError {
            position: position + 1 + chars.len(),
            message: "the character class '[' is never closed".into(),
        });
    }
    out.push_str(")$");
    Ok(out)
}
