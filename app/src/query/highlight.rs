//! Query text split into coloured spans for the query bar, and what the
//! cursor is in (a field name or a field's value) for completion. Unlike the
//! parser this never fails: half-typed text is the normal case here.

use serde::{Deserialize, Serialize};

/// What a span of query text is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub enum SpanKind {
    /// Whitespace.
    Space,
    /// A field name before `:` or a comparison.
    Field,
    /// `AND`, `OR`, `NOT`, `TO`, `&&`, `||` and the `-` of a negation.
    Operator,
    /// A field's value (a word, a pattern, a range bound).
    Value,
    /// A quoted phrase, quotes included.
    Phrase,
    /// A free-text word.
    Text,
    /// `( ) [ ] { } :` and comparisons.
    Punctuation,
}

/// A run of characters `start..end` (character indexes) of one kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Span {
    pub start: usize,
    pub end: usize,
    pub kind: SpanKind,
}

/// Splits `text` into spans covering every character, in order.
pub fn highlight(text: &str) -> Vec<Span> {
    let chars: Vec<char> = text.chars().collect();
    let mut spans: Vec<Span> = Vec::new();
    // Whether a value comes next (after `:`, a comparison, `TO`, `[`, `{`).
    let mut value_next = false;
    // Per open parenthesis: whether it holds a field's values (`field:(a OR b)`).
    let mut groups: Vec<bool> = Vec::new();
    let mut i = 0;
    let push = |spans: &mut Vec<Span>, start: usize, end: usize, kind: SpanKind| {
        spans.push(Span { start, end, kind });
    };
    while i < chars.len() {
        let c = chars[i];
        let start = i;
        if c.is_whitespace() {
            while i < chars.len() && chars[i].is_whitespace() {
                i += 1;
            }
            push(&mut spans, start, i, SpanKind::Space);
            continue;
        }
        match c {
            '(' => {
                groups.push(value_next);
                value_next = false;
                push(&mut spans, start, i + 1, SpanKind::Punctuation);
                i += 1;
                continue;
            }
            ')' => {
                groups.pop();
                value_next = false;
                push(&mut spans, start, i + 1, SpanKind::Punctuation);
                i += 1;
                continue;
            }
            '[' | '{' | ':' => {
                value_next = true;
                push(&mut spans, start, i + 1, SpanKind::Punctuation);
                i += 1;
                continue;
            }
            ']' | '}' => {
                value_next = false;
                push(&mut spans, start, i + 1, SpanKind::Punctuation);
                i += 1;
                continue;
            }
            '<' | '>' => {
                i += if chars.get(i + 1) == Some(&'=') { 2 } else { 1 };
                value_next = true;
                push(&mut spans, start, i, SpanKind::Punctuation);
                continue;
            }
            '"' => {
                i += 1;
                while i < chars.len() {
                    match chars[i] {
                        '\\' => i += 2,
                        '"' => {
                            i += 1;
                            break;
                        }
                        _ => i += 1,
                    }
                }
                i = i.min(chars.len());
                value_next = false;
                push(&mut spans, start, i, SpanKind::Phrase);
                continue;
            }
            _ => {}
        }
        let in_values = groups.last().copied().unwrap_or(false);
        let value_here = value_next || in_values;
        if c == '-' && !value_here && chars.get(i + 1).is_some_and(|n| !n.is_whitespace()) {
            push(&mut spans, start, i + 1, SpanKind::Operator);
            i += 1;
            continue;
        }
        while i < chars.len() {
            let c = chars[i];
            if c == '\\' {
                i += 2;
                continue;
            }
            let ends = c.is_whitespace()
                || matches!(c, '(' | ')' | '[' | ']' | '{' | '}' | '"' | '<' | '>')
                || (c == ':' && !value_next);
            if ends {
                break;
            }
            i += 1;
        }
        i = i.min(chars.len());
        let word: String = chars[start..i].iter().collect();
        let kind = if super::lex::is_operator_word(&word) {
            SpanKind::Operator
        } else if !value_here && matches!(chars.get(i), Some(':' | '<' | '>')) {
            SpanKind::Field
        } else if value_here {
            SpanKind::Value
        } else {
            SpanKind::Text
        };
        // `TO` keeps a range's second bound a value.
        value_next = word == "TO";
        push(&mut spans, start, i, kind);
    }
    spans
}

/// What the cursor is completing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Completing {
    /// A field name: the word's start and its text so far.
    Field { start: usize, prefix: String },
    /// A value of `field`: the value's start and its text so far (quotes left out).
    Value {
        field: String,
        start: usize,
        prefix: String,
    },
}

/// Returns what the text before `cursor` (a character index) is completing.
pub fn completing(text: &str, cursor: usize) -> Option<Completing> {
    let chars: Vec<char> = text.chars().collect();
    let cursor = cursor.min(chars.len());
    let spans = highlight(&chars[..cursor].iter().collect::<String>());
    let last = spans.last()?;
    let word: String = chars[last.start..cursor].iter().collect();
    match last.kind {
        SpanKind::Text | SpanKind::Field => {
            let is_name = word
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '@' | '-'));
            is_name.then_some(Completing::Field {
                start: last.start,
                prefix: word,
            })
        }
        SpanKind::Value | SpanKind::Punctuation | SpanKind::Phrase => {
            let (start, prefix) = match last.kind {
                SpanKind::Punctuation if word == ":" => (cursor, String::new()),
                SpanKind::Value => (last.start, word),
                SpanKind::Phrase if !word.ends_with('"') || word.len() == 1 => {
                    (last.start, word.trim_start_matches('"').to_owned())
                }
                _ => return None,
            };
            // The field is the Field span before the colon.
            let before: Vec<&Span> = spans
                .iter()
                .filter(|s| s.end <= start && s.kind != SpanKind::Space)
                .collect();
            match before.as_slice() {
                [.., field, colon]
                    if field.kind == SpanKind::Field && colon.kind == SpanKind::Punctuation =>
                {
                    let colon_text: String = chars[colon.start..colon.end].iter().collect();
                    (colon_text == ":").then(|| Completing::Value {
                        field: chars[field.start..field.end].iter().collect(),
                        start,
                        prefix,
                    })
                }
                _ => None,
            }
        }
        _ => None,
    }
}

/// A value as query text: bare when the parser reads it back as the same
/// word, quoted otherwise.
pub fn value_text(value: &str) -> String {
    let plain = !value.is_empty()
        && value.chars().all(|c| {
            !c.is_whitespace()
                && !matches!(
                    c,
                    '(' | ')' | '[' | ']' | '{' | '}' | '"' | '<' | '>' | '\\' | '*' | '?'
                )
        })
        && !super::lex::is_operator_word(value)
        && !value.starts_with(['-', ':'])
        // Whatever else the lexer reads as syntax (`~`, `^`, `/…/`, `!=`).
        && super::parse(&format!("f:{value}")).is_ok_and(|query| {
            query
                == super::Query::Field {
                    field: "f".into(),
                    test: super::Test::Matches {
                        term: super::Term::Word(value.to_owned()),
                    },
                }
        });
    if plain {
        value.to_owned()
    } else {
        super::Term::Phrase(value.to_owned()).to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn kinds(text: &str) -> Vec<(String, SpanKind)> {
        let chars: Vec<char> = text.chars().collect();
        highlight(text)
            .into_iter()
            .filter(|s| s.kind != SpanKind::Space)
            .map(|s| (chars[s.start..s.end].iter().collect(), s.kind))
            .collect()
    }

    #[test]
    fn spans_name_what_each_part_is() {
        use SpanKind::*;
        let spans = kinds(
            "host.name:web01 AND -user.name:(root OR admin) \"failed pw\" x>=3 ip:2001:db8::1 s:[1 TO 5}",
        );
        let expected: Vec<(String, SpanKind)> = [
            ("host.name", Field),
            (":", Punctuation),
            ("web01", Value),
            ("AND", Operator),
            ("-", Operator),
            ("user.name", Field),
            (":", Punctuation),
            ("(", Punctuation),
            ("root", Value),
            ("OR", Operator),
            ("admin", Value),
            (")", Punctuation),
            ("\"failed pw\"", Phrase),
            ("x", Field),
            (">=", Punctuation),
            ("3", Value),
            ("ip", Field),
            (":", Punctuation),
            ("2001:db8::1", Value),
            ("s", Field),
            (":", Punctuation),
            ("[", Punctuation),
            ("1", Value),
            ("TO", Operator),
            ("5", Value),
            ("}", Punctuation),
        ]
        .into_iter()
        .map(|(t, k)| (t.to_owned(), k))
        .collect();
        assert_eq!(spans, expected);
        assert_eq!(kinds("root"), [("root".to_owned(), Text)]);
        assert_eq!(kinds("\"open"), [("\"open".to_owned(), Phrase)]);
    }

    #[test]
    fn the_cursor_completes_a_field_or_its_value() {
        assert_eq!(
            completing("a AND host.na", 13),
            Some(Completing::Field {
                start: 6,
                prefix: "host.na".into()
            })
        );
        assert_eq!(
            completing("host.name:", 10),
            Some(Completing::Value {
                field: "host.name".into(),
                start: 10,
                prefix: String::new()
            })
        );
        assert_eq!(
            completing("x:1 host.name:we rest", 16),
            Some(Completing::Value {
                field: "host.name".into(),
                start: 14,
                prefix: "we".into()
            })
        );
        assert_eq!(
            completing("user.name:\"ad", 13),
            Some(Completing::Value {
                field: "user.name".into(),
                start: 10,
                prefix: "ad".into()
            })
        );
        assert_eq!(completing("a ", 2), None);
        assert_eq!(completing("x:\"done\"", 8), None);
        assert_eq!(completing("(a)", 3), None);
    }

    #[test]
    fn values_are_quoted_only_when_needed() {
        assert_eq!(value_text("web01"), "web01");
        assert_eq!(value_text("10.0.0.1"), "10.0.0.1");
        assert_eq!(value_text("failed password"), "\"failed password\"");
        assert_eq!(value_text("a\"b"), "\"a\\\"b\"");
        assert_eq!(value_text("OR"), "\"OR\"");
        assert_eq!(value_text("or"), "\"or\"");
        assert_eq!(value_text("Not"), "\"Not\"");
        assert_eq!(value_text("-5"), "\"-5\"");
        assert_eq!(value_text(""), "\"\"");
    }

    proptest! {
        /// Spans cover the text exactly, in order, whatever it is.
        #[test]
        fn spans_cover_any_text(text in "\\PC{0,40}|[a-z:()\\[\\]{}\"*<>= \\\\-]{0,40}") {
            let spans = highlight(&text);
            let mut at = 0;
            for span in &spans {
                prop_assert_eq!(span.start, at);
                prop_assert!(span.end > span.start);
                at = span.end;
            }
            prop_assert_eq!(at, text.chars().count());
            for cursor in 0..=text.chars().count() {
                let _ = completing(&text, cursor);
            }
        }

        /// A completed value reads back as the same value.
        #[test]
        fn completed_values_parse_back(value in "\\PC{0,12}") {
            let query = format!("f:{}", value_text(&value));
            let parsed = super::super::parse(&query)
                .map_err(|e| TestCaseError::fail(format!("{query}: {e}")))?;
            let expected = super::super::Query::Field {
                field: "f".into(),
                test: super::super::Test::Matches {
                    term: if value_text(&value).starts_with('"') {
                        super::super::Term::Phrase(value.clone())
                    } else {
                        super::super::Term::Word(value.clone())
                    },
                },
            };
            prop_assert_eq!(parsed, expected);
        }
    }
}
