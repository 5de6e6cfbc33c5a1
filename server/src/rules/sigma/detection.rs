//! Sigma detections as queries: conditions over named selections, items
//! with their modifiers, field names mapped to ECS where Sigma's taxonomy
//! and the log source say so.

use app::query::{Bound, Operator, PatternPart, Query, Term, Test};
use rsigma_parser::value::{SigmaString, SigmaValue, SpecialChar, StringPart};
use rsigma_parser::{
    ConditionExpr, Detection, DetectionItem, LogSource, Modifier, Quantifier, SelectorPattern,
    SigmaRule,
};

pub fn condition_query(expr: &ConditionExpr, rule: &SigmaRule) -> Result<Query, String> {
    Ok(match expr {
        ConditionExpr::And(parts) => and(parts
            .iter()
            .map(|p| condition_query(p, rule))
            .collect::<Result<_, _>>()?),
        ConditionExpr::Or(parts) => or(parts
            .iter()
            .map(|p| condition_query(p, rule))
            .collect::<Result<_, _>>()?),
        ConditionExpr::Not(inner) => Query::Not(Box::new(condition_query(inner, rule)?)),
        ConditionExpr::Identifier(name) => {
            let detection = rule.detection.named.get(name).ok_or_else(|| {
                format!("the condition names '{name}', which the detection does not define")
            })?;
            detection_query(detection, rule)?
        }
        ConditionExpr::Selector {
            quantifier,
            pattern,
        } => {
            let mut names: Vec<&String> = rule
                .detection
                .named
                .keys()
                .filter(|name| match pattern {
                    SelectorPattern::Them => !name.starts_with('_'),
                    SelectorPattern::Pattern(glob) => glob_matches(glob, name),
                })
                .collect();
            names.sort();
            if names.is_empty() {
                return Err(format!("'{quantifier} of {pattern}' selects no detection"));
            }
            let parts = names
                .into_iter()
                .map(|name| detection_query(&rule.detection.named[name], rule))
                .collect::<Result<Vec<_>, _>>()?;
            match quantifier {
                Quantifier::Any => or(parts),
                Quantifier::All => and(parts),
                Quantifier::Count(1) => or(parts),
                Quantifier::Count(n) => {
                    return Err(format!(
                        "'{n} of {pattern}' (at least {n} of several) is not supported; use '1 of' or 'all of'"
                    ));
                }
            }
        }
    })
}

/// `selection_*` against a detection name (`*` is the only wildcard).
///
/// Matched greedily with one backtracking point, in time proportional to
/// the two lengths' product at worst: an imported rule is outside input,
/// and a recursive match took exponential time on `sel***…***ection_*`
/// (found by the sigma_import fuzz target).
pub fn glob_matches(glob: &str, name: &str) -> bool {
    let glob: Vec<char> = glob.chars().collect();
    let name: Vec<char> = name.chars().collect();
    let (mut g, mut n) = (0, 0);
    // Where the last `*` was, and how much of the name it has taken so far.
    let mut star: Option<(usize, usize)> = None;
    while n < name.len() {
        if glob.get(g) == Some(&'*') {
            g += 1;
            star = Some((g, n));
        } else if glob.get(g) == Some(&name[n]) {
            g += 1;
            n += 1;
        } else if let Some((after, taken)) = star {
            // Let the last `*` take one more character and try again.
            g = after;
            n = taken + 1;
            star = Some((after, taken + 1));
        } else {
            return false;
        }
    }
    glob[g..].iter().all(|c| *c == '*')
}

pub fn detection_query(detection: &Detection, rule: &SigmaRule) -> Result<Query, String> {
    Ok(match detection {
        Detection::AllOf(items) => and(items
            .iter()
            .map(|item| item_query(item, &rule.logsource))
            .collect::<Result<_, _>>()?),
        Detection::AnyOf(parts) => or(parts
            .iter()
            .map(|d| detection_query(d, rule))
            .collect::<Result<_, _>>()?),
        Detection::And(parts) => and(parts
            .iter()
            .map(|d| detection_query(d, rule))
            .collect::<Result<_, _>>()?),
        Detection::Keywords(values) => or(values.iter().map(keyword).collect::<Result<_, _>>()?),
        Detection::ArrayMatch { .. } | Detection::Conditional { .. } => {
            return Err("array matching blocks (field[any] / field[all]) are not supported".into());
        }
    })
}

/// A keyword: the value anywhere in the message, case-insensitive.
pub fn keyword(value: &SigmaValue) -> Result<Query, String> {
    let term = match value {
        SigmaValue::String(text) => term(text),
        SigmaValue::Integer(n) => Term::Word(n.to_string()),
        SigmaValue::Float(f) => Term::Word(f.to_string()),
        SigmaValue::Bool(b) => Term::Word(b.to_string()),
        SigmaValue::Null => return Err("a null keyword matches nothing".into()),
    };
    Ok(Query::Text(term))
}

/// A Sigma string as a query term: plain text, or a wildcard pattern.
pub fn term(text: &SigmaString) -> Term {
    if !text.contains_wildcards() {
        return Term::Phrase(text.as_plain().unwrap_or_default());
    }
    let pattern = Term::Pattern(
        text.parts
            .iter()
            .map(|part| match part {
                StringPart::Plain(text) => PatternPart::Literal(text.clone()),
                StringPart::Special(SpecialChar::WildcardMulti) => PatternPart::AnyChars,
                StringPart::Special(SpecialChar::WildcardSingle) => PatternPart::AnyChar,
            })
            .collect(),
    );
    // The parser's form of a term, so that printing and parsing agree.
    match Query::Text(pattern).normalized() {
        Query::Text(term) => term,
        _ => Term::Phrase(String::new()),
    }
}

pub fn check_field(name: &str) -> Result<(), String> {
    if app::query::is_field_name(name) {
        Ok(())
    } else {
        Err(format!(
            "the field name '{name}' has characters Vigil's field names cannot hold"
        ))
    }
}

/// Sigma's web server field names, as Vigil's access-log parser names them.
pub fn mapped_field(name: &str, logsource: &LogSource) -> String {
    let web = logsource.category.as_deref() == Some("webserver")
        || matches!(logsource.service.as_deref(), Some("apache" | "nginx"));
    if web {
        let ecs = match name {
            "cs-method" => Some("http.request.method"),
            "cs-uri-query" | "cs-uri-stem" | "c-uri" | "cs-uri" => Some("url.original"),
            "cs-referer" | "cs-referrer" => Some("http.request.referrer"),
            "cs-user-agent" | "c-useragent" => Some("user_agent.original"),
            "sc-status" => Some("http.response.status_code"),
            "c-ip" | "clientip" => Some("source.ip"),
            "cs-username" => Some("user.name"),
            _ => None,
        };
        if let Some(ecs) = ecs {
            return ecs.to_owned();
        }
    }
    name.to_owned()
}

pub fn item_query(item: &DetectionItem, logsource: &LogSource) -> Result<Query, String> {
    let modifiers = &item.field.modifiers;
    let all = modifiers.contains(&Modifier::All);
    let Some(name) = &item.field.name else {
        // Keywords with modifiers: only `all` changes their meaning.
        if let Some(other) = modifiers.iter().find(|m| **m != Modifier::All) {
            return Err(format!(
                "keywords with the modifier {other:?} are not supported"
            ));
        }
        let parts = item.values.iter().map(keyword).collect::<Result<_, _>>()?;
        return Ok(if all { and(parts) } else { or(parts) });
    };
    check_field(name)?;
    let field = mapped_field(name, logsource);
    if item.values.is_empty() {
        return Err(format!("'{name}' lists no values"));
    }
    let parts = item
        .values
        .iter()
        .map(|value| value_query(&field, modifiers, value))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(if all { and(parts) } else { or(parts) })
}

/// `field|hour: 9` and the other timestamp modifiers: a part of the event's
/// time. Only the fields ingest takes the event time from qualify, since
/// the part is read from `@timestamp`.
pub fn time_part(field: &str, op: Operator, value: &SigmaValue) -> Result<Query, String> {
    if !crate::ingest::timestamp::TIME_FIELDS.contains(&field) {
        return Err(format!(
            "'{field}|{}' reads a time Vigil does not keep as the event time (only {})",
            op.modifier(),
            crate::ingest::timestamp::TIME_FIELDS.join(", ")
        ));
    }
    let number = match value {
        SigmaValue::Integer(n) => Some(*n),
        SigmaValue::String(text) => text.original.trim().parse().ok(),
        _ => None,
    };
    let range = op.time_part_range().unwrap_or(0..=0);
    let Some(number) = number.filter(|n| range.contains(n)) else {
        return Err(format!(
            "'{field}|{}' takes a whole number from {} to {}",
            op.modifier(),
            range.start(),
            range.end()
        ));
    };
    Ok(Query::Field {
        field: "@timestamp".to_owned(),
        test: Test::Compare {
            op,
            term: Term::Word(number.to_string()),
            cased: false,
        },
    })
}

/// `field|expand: '%name%'`: the placeholder's values are the watchlist
/// of that name (in lower case), so the value is a watchlist membership —
/// which stays current as the list changes, where pySigma copies values in.
pub fn expand(field: &str, modifiers: &[Modifier], value: &SigmaValue) -> Result<Query, String> {
    if let Some(other) = modifiers
        .iter()
        .find(|m| !matches!(m, Modifier::Expand | Modifier::Neq))
    {
        return Err(format!(
            "'expand' together with {other:?} is not supported: a placeholder becomes a watchlist membership"
        ));
    }
    let name = match value {
        SigmaValue::String(text) => text
            .original
            .strip_prefix('%')
            .and_then(|rest| rest.strip_suffix('%'))
            .filter(|name| !name.is_empty() && !name.contains('%')),
        _ => None,
    };
    let Some(name) = name else {
        return Err(format!(
            "'{field}|expand' is supported for a whole-value placeholder ('%name%'), which becomes the watchlist of that name"
        ));
    };
    let slug = name.to_lowercase();
    if !app::rules::is_slug(&slug) {
        return Err(format!(
            "placeholder '%{name}%' cannot name a watchlist (letters, digits, _ and - only)"
        ));
    }
    Ok(Query::Field {
        field: field.to_owned(),
        test: Test::Compare {
            op: Operator::InList,
            term: Term::Word(slug),
            cased: false,
        },
    })
}

pub fn value_query(
    field: &str,
    modifiers: &[Modifier],
    value: &SigmaValue,
) -> Result<Query, String> {
    let has = |m: Modifier| modifiers.contains(&m);
    for (modifier, op) in [
        (Modifier::Minute, Operator::Minute),
        (Modifier::Hour, Operator::Hour),
        (Modifier::Day, Operator::Day),
        (Modifier::Week, Operator::Week),
        (Modifier::Month, Operator::Month),
        (Modifier::Year, Operator::Year),
    ] {
        if has(modifier) {
            return time_part(field, op, value);
        }
    }
    for unsupported in [Modifier::Utf16be] {
        if has(unsupported) {
            return Err(format!("the modifier {unsupported:?} is not supported"));
        }
    }
    let field_test = |test: Test| Query::Field {
        field: field.to_owned(),
        test,
    };
    let exists = || field_test(Test::Exists);
    if has(Modifier::Expand) {
        return expand(field, modifiers, value).map(|query| {
            if has(Modifier::Neq) {
                Query::Not(Box::new(query))
            } else {
                query
            }
        });
    }
    if has(Modifier::Exists) {
        return match value {
            SigmaValue::Bool(true) => Ok(exists()),
            SigmaValue::Bool(false) => Ok(Query::Not(Box::new(exists()))),
            _ => Err(format!("'{field}|exists' takes true or false")),
        };
    }
    let negate = |query: Query| {
        if has(Modifier::Neq) {
            Query::Not(Box::new(query))
        } else {
            query
        }
    };
    for (modifier, lower) in [
        (Modifier::Gt, Some(false)),
        (Modifier::Gte, Some(true)),
        (Modifier::Lt, None),
        (Modifier::Lte, None),
    ] {
        if has(modifier) {
            let number = match value {
                SigmaValue::Integer(n) => n.to_string(),
                SigmaValue::Float(f) => f.to_string(),
                _ => return Err(format!("'{field}|{modifier:?}' needs a number")),
            };
            let inclusive = matches!(modifier, Modifier::Gte | Modifier::Lte);
            let bound = Some(Bound {
                value: number,
                inclusive,
            });
            let test = if lower.is_some() {
                Test::Range {
                    lower: bound,
                    upper: None,
                }
            } else {
                Test::Range {
                    lower: None,
                    upper: bound,
                }
            };
            return Ok(field_test(test));
        }
    }
    let text = match value {
        SigmaValue::Null => return Ok(negate(Query::Not(Box::new(exists())))),
        SigmaValue::Integer(n) => {
            return Ok(negate(field_test(Test::Matches {
                term: Term::Word(n.to_string()),
            })));
        }
        SigmaValue::Float(f) => {
            return Ok(negate(field_test(Test::Matches {
                term: Term::Word(f.to_string()),
            })));
        }
        SigmaValue::Bool(b) => {
            return Ok(negate(field_test(Test::Matches {
                term: Term::Word(b.to_string()),
            })));
        }
        SigmaValue::String(text) => text,
    };
    let cased = has(Modifier::Cased);
    if has(Modifier::Re) {
        let mut pattern = text.original.clone();
        for (modifier, flag) in [(Modifier::Multiline, "m"), (Modifier::DotAll, "s")] {
            if has(modifier) {
                pattern = format!("(?{flag}){pattern}");
            }
        }
        return Ok(negate(field_test(Test::Compare {
            op: Operator::Regex,
            term: Term::Phrase(pattern),
            cased: !has(Modifier::IgnoreCase),
        })));
    }
    if has(Modifier::Cidr) {
        return Ok(negate(field_test(Test::Compare {
            op: Operator::Cidr,
            term: Term::Word(text.original.clone()),
            cased: false,
        })));
    }
    if has(Modifier::FieldRef) {
        check_field(&text.original)?;
        return Ok(negate(field_test(Test::Compare {
            op: Operator::FieldRef,
            term: Term::Word(text.original.clone()),
            cased,
        })));
    }
    let op = if has(Modifier::Contains) {
        Operator::Contains
    } else if has(Modifier::StartsWith) {
        Operator::StartsWith
    } else if has(Modifier::EndsWith) {
        Operator::EndsWith
    } else {
        Operator::Equals
    };
    let encoded = has(Modifier::Base64) || has(Modifier::Base64Offset);
    let alternatives: Vec<Term> = if encoded || has(Modifier::Wide) || has(Modifier::Utf16) {
        if text.contains_wildcards() {
            return Err(
                "wildcards inside an encoded value (base64, wide) cannot be matched".into(),
            );
        }
        let plain = text.as_plain().unwrap_or_default();
        let bytes: Vec<u8> = if has(Modifier::Wide) {
            plain.encode_utf16().flat_map(u16::to_le_bytes).collect()
        } else if has(Modifier::Utf16) {
            [0xFF, 0xFE]
                .into_iter()
                .chain(plain.encode_utf16().flat_map(u16::to_le_bytes))
                .collect()
        } else {
            plain.into_bytes()
        };
        if has(Modifier::Base64Offset) {
            base64_offsets(&bytes)
                .into_iter()
                .map(Term::Phrase)
                .collect()
        } else if has(Modifier::Base64) {
            vec![Term::Phrase(base64(&bytes))]
        } else {
            return Err("'wide' without 'base64' or 'base64offset' is not supported".into());
        }
    } else if has(Modifier::WindAsh) {
        windash(text)?
    } else {
        vec![term(text)]
    };
    // A base64 offset variant is a fragment: it is searched for inside the value.
    let op = if has(Modifier::Base64Offset) && op == Operator::Equals {
        Operator::Contains
    } else {
        op
    };
    let parts = alternatives
        .into_iter()
        .map(|term| {
            if op == Operator::Equals && cased {
                field_test(Test::Matches { term })
            } else {
                field_test(Test::Compare { op, term, cased })
            }
        })
        .collect();
    Ok(negate(or(parts)))
}

/// Every dash variant Windows command lines accept for `-` and `/` at the
/// start of an option.
pub fn windash(text: &SigmaString) -> Result<Vec<Term>, String> {
    const DASHES: [char; 5] = ['-', '/', '\u{2013}', '\u{2014}', '\u{2015}'];
    let mut variants: Vec<Vec<StringPart>> = vec![Vec::new()];
    for part in &text.parts {
        match part {
            StringPart::Plain(plain) => {
                let mut chunks: Vec<Vec<String>> = vec![vec![String::new()]];
                let chars: Vec<char> = plain.chars().collect();
                for (i, c) in chars.iter().enumerate() {
                    let option_start =
                        (*c == '-' || *c == '/') && (i == 0 || chars[i - 1].is_whitespace());
                    if option_start {
                        chunks.push(DASHES.iter().map(|d| d.to_string()).collect());
                        chunks.push(vec![String::new()]);
                    } else if let Some(last) = chunks.last_mut() {
                        for text in last.iter_mut() {
                            text.push(*c);
                        }
                    }
                }
                let mut expanded: Vec<String> = vec![String::new()];
                for chunk in chunks {
                    expanded = expanded
                        .iter()
                        .flat_map(|prefix| chunk.iter().map(move |c| format!("{prefix}{c}")))
                        .collect();
                    if expanded.len() > MAX_EXPANSIONS {
                        return Err(format!(
                            "'windash' on '{}' expands into more than {MAX_EXPANSIONS} variants",
                            text.original
                        ));
                    }
                }
                variants = variants
                    .into_iter()
                    .flat_map(|v| {
                        expanded.iter().map(move |e| {
                            let mut v = v.clone();
                            v.push(StringPart::Plain(e.clone()));
                            v
                        })
                    })
                    .collect();
            }
            special => {
                for v in &mut variants {
                    v.push(special.clone());
                }
            }
        }
    }
    Ok(variants
        .into_iter()
        .map(|parts| {
            let original = String::new();
            term(&SigmaString { parts, original })
        })
        .collect())
}

pub const BASE64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

pub fn base64(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(BASE64[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// The three fragments the value's base64 contains at any byte offset (as
/// pySigma computes them: the value shifted by 0, 1 and 2 bytes, encoded,
/// with the characters that depend on the neighbouring bytes cut off).
pub fn base64_offsets(bytes: &[u8]) -> Vec<String> {
    const START: [usize; 3] = [0, 2, 3];
    const END: [usize; 3] = [0, 3, 2];
    (0..3)
        .map(|i| {
            let shifted: Vec<u8> = std::iter::repeat_n(b' ', i)
                .chain(bytes.iter().copied())
                .collect();
            let encoded = base64(&shifted);
            let end = encoded.len().saturating_sub(END[(bytes.len() + i) % 3]);
            encoded.get(START[i]..end).unwrap_or_default().to_owned()
        })
        .collect()
}

/// The most alternatives one value may expand into (`windash`).
pub const MAX_EXPANSIONS: usize = 256;

pub fn and(parts: Vec<Query>) -> Query {
    Query::And(parts).normalized()
}

pub fn or(parts: Vec<Query>) -> Query {
    Query::Or(parts).normalized()
}
