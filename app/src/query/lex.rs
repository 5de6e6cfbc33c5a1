//! From query text to tokens: words with their wildcards and escapes,
//! phrases, brackets, comparisons and operators; Lucene's `/regex/` after a
//! field; its fuzzy, proximity and boost suffixes refused by name.

use super::ast::{PatternPart, Term};
use super::problem::{QueryError, Warning};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Comparison {
    Greater,
    GreaterOrEqual,
    Less,
    LessOrEqual,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Kind {
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
    /// `+x`: Lucene's "required", which a term already is.
    Plus,
    /// `/…/` after `field:`: a Lucene regular expression, as written.
    Regex(String),
    /// An unquoted word: its pieces, and whether it is a bare operator word.
    Word(Vec<PatternPart>),
    Phrase(String),
    End,
}

#[derive(Debug, Clone)]
pub(super) struct Token {
    pub(super) kind: Kind,
    /// Character index of the token's start.
    pub(super) position: usize,
}

pub(super) fn describe(kind: &Kind) -> String {
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
        Kind::Plus => "'+'".into(),
        Kind::Regex(text) => format!("/{text}/"),
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

pub(super) fn lex(text: &str) -> Result<(Vec<Token>, Vec<Warning>), QueryError> {
    let chars: Vec<char> = text.chars().collect();
    let mut tokens: Vec<Token> = Vec::new();
    let mut warnings: Vec<Warning> = Vec::new();
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
            let (phrase, end, kept) = phrase(&chars, i)?;
            // A regular expression keeps its backslashes on purpose.
            let regex_value = matches!(
                tokens.iter().rev().take(2).map(|t| &t.kind).collect::<Vec<_>>()[..],
                [Kind::Colon, Kind::Word(parts)]
                    if matches!(&parts[..], [PatternPart::Literal(spec)] if spec.contains("|re"))
            );
            if let Some(at) = kept.filter(|_| !regex_value) {
                warnings.push(Warning {
                    position: at,
                    message: format!(
                        "the backslash before '{}' is kept, as KQL reads it (Lucene would drop it); write \\\\ for a backslash to say so",
                        chars.get(at + 1).copied().unwrap_or(' ')
                    ),
                });
            }
            tokens.push(Token {
                kind: Kind::Phrase(phrase),
                position,
            });
            i = end;
            continue;
        }
        let previous = tokens.last().map(|t| &t.kind);
        // `-` before a term negates it, except where a value is expected.
        let value_expected = matches!(
            previous,
            Some(
                Kind::Colon
                    | Kind::Compare(_)
                    | Kind::To
                    | Kind::OpenInclusive
                    | Kind::OpenExclusive
            )
        );
        // Lucene's `/regex/` after `field:`, when a slash closes it where a
        // word would end; otherwise `/var/log` is a path like any value.
        if c == '/'
            && matches!(previous, Some(Kind::Colon))
            && let Some(end) = regex_end(&chars, i)
        {
            tokens.push(Token {
                kind: Kind::Regex(chars[i + 1..end].iter().collect()),
                position,
            });
            i = end + 1;
            continue;
        }
        let next_is_term = chars.get(i + 1).is_some_and(|next| !next.is_whitespace());
        if matches!(c, '-' | '!' | '+') && !value_expected && next_is_term && chars[i + 1] != '=' {
            tokens.push(Token {
                kind: if c == '+' { Kind::Plus } else { Kind::Minus },
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
                '~' | '^' => {
                    if let Some(error) = lucene_suffix(&chars, i, position, value_expected) {
                        return Err(error);
                    }
                    literal.push(c);
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
        if let ([PatternPart::Literal(word)], false) = (&parts[..], escaped_any)
            && matches!(word.as_str(), "=" | "==" | "!=" | "!")
        {
            return Err(QueryError {
                position,
                message: format!(
                    "'{word}' is not an operator here: write field:value, NOT field:value, or field >= value"
                ),
            });
        }
        tokens.push(Token {
            kind: keyword.unwrap_or(Kind::Word(parts)),
            position,
        });
    }
    tokens.push(Token {
        kind: Kind::End,
        position: chars.len(),
    });
    Ok((tokens, warnings))
}

/// A quoted phrase starting at `start`: its text, the index after it, and
/// where a backslash was kept. As in KQL, `\"` and `\\` are escapes and a
/// backslash before anything else is itself (`"C:\Windows"`).
fn phrase(chars: &[char], start: usize) -> Result<(String, usize, Option<usize>), QueryError> {
    let mut phrase = String::new();
    let mut kept = None;
    let mut i = start + 1;
    loop {
        match chars.get(i) {
            None => {
                return Err(QueryError {
                    position: start,
                    message: "this quote is never closed".into(),
                });
            }
            Some('"') => return Ok((phrase, i + 1, kept)),
            Some('\\') => match chars.get(i + 1) {
                Some(next @ ('"' | '\\')) => {
                    phrase.push(*next);
                    i += 2;
                }
                Some(_) => {
                    kept.get_or_insert(i);
                    phrase.push('\\');
                    i += 1;
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
}

/// Where the `/…/` regular expression starting at `start` closes: an
/// unescaped slash followed by the end of a word. It holds no unescaped
/// space (write `\ ` or `[ ]`), so `path:/ OR x:/` stays two paths.
fn regex_end(chars: &[char], start: usize) -> Option<usize> {
    let mut i = start + 1;
    while i < chars.len() {
        match chars[i] {
            '\\' => i += 2,
            c if c.is_whitespace() => return None,
            '/' => {
                let ends = chars
                    .get(i + 1)
                    .is_none_or(|c| c.is_whitespace() || matches!(c, ')'));
                return (ends && i > start + 1).then_some(i);
            }
            _ => i += 1,
        }
    }
    None
}

/// Lucene's fuzzy (`root~`, `root~2`), proximity (`"a b"~3`) and boost
/// (`^2`) suffixes: Vigil matches exactly and does not rank, so each is
/// refused by name rather than searched for as text. A `~` or `^` inside
/// a word is the character.
fn lucene_suffix(chars: &[char], at: usize, word_start: usize, value: bool) -> Option<QueryError> {
    let mut end = at + 1;
    while chars
        .get(end)
        .is_some_and(|c| c.is_ascii_digit() || *c == '.')
    {
        end += 1;
    }
    let suffix_ends = chars.get(end).is_none_or(|c| ends_word(*c, value));
    if !suffix_ends {
        return None;
    }
    let after = if at == word_start && at > 0 {
        chars.get(at - 1)
    } else {
        None
    };
    let message = match (chars[at], after) {
        ('~', Some('"')) => "proximity search (\"…\"~N) is not supported: search for the phrase, or for each word with AND".to_owned(),
        ('~', _) => format!(
            "fuzzy search (~) is not supported: match exactly or with wildcards (root*); to search for the text, escape it ({}) or quote it",
            if at == word_start { "\\~".to_owned() } else { "x\\~".to_owned() }
        ),
        ('^', _) if end == at + 1 => return None,
        _ => "boosting (^N) only ranks results, and Vigil does not rank: leave it out (escape it, \\^, to search for the text)".to_owned(),
    };
    Some(QueryError {
        position: at,
        message,
    })
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
pub(super) fn is_operator_word(word: &str) -> bool {
    operator(word).is_some()
}
