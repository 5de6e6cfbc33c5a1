//! Wildcard patterns over text: compiled into literal pieces found by
//! substring search, so matching never backtracks exponentially.

use app::query::{PatternPart, Term};

/// A wildcard pattern over a whole text (SQL's `LIKE`), optionally
/// case-insensitive (`ILIKE`: text and pattern compared in lower case).
///
/// Patterns with `*` only (nearly all of them: equality, contains,
/// startswith, endswith) are matched as literal pieces with substring
/// search, without allocating; ASCII text is compared case-insensitively in
/// place. Patterns with `?` take the general path.
#[derive(Debug, Clone)]
pub struct Pattern {
    steps: Vec<Step>,
    pub fold_case: bool,
    /// The `*`-separated literal pieces, when there is no `?`.
    pub pieces: Option<Pieces>,
}

#[derive(Debug, Clone, PartialEq)]
enum Step {
    Char(char),
    AnyChar,
    AnyChars,
}

/// `first*middle*…*last`: `first` anchored at the start unless the
/// pattern starts with `*`, `last` at the end unless it ends with `*`.
#[derive(Debug, Clone)]
pub struct Pieces {
    pub first: Option<String>,
    pub middle: Vec<String>,
    pub last: Option<String>,
    /// No `*` at all: the whole text equals `first`.
    pub exact: bool,
    /// Every piece is ASCII.
    pub ascii: bool,
}

impl Pattern {
    /// The term over the whole text.
    pub fn exact(term: &Term, fold_case: bool) -> Pattern {
        let mut steps = Vec::new();
        let literal = |text: &str, steps: &mut Vec<Step>| {
            for c in text.chars() {
                if fold_case {
                    steps.extend(c.to_lowercase().map(Step::Char));
                } else {
                    steps.push(Step::Char(c));
                }
            }
        };
        match term {
            Term::Word(text) | Term::Phrase(text) => literal(text, &mut steps),
            Term::Pattern(parts) => {
                for part in parts {
                    match part {
                        PatternPart::Literal(text) => literal(text, &mut steps),
                        PatternPart::AnyChars => steps.push(Step::AnyChars),
                        PatternPart::AnyChar => steps.push(Step::AnyChar),
                    }
                }
            }
        }
        Pattern::build(steps, fold_case)
    }

    /// The term anywhere in the text, case-insensitive.
    pub fn contains(term: &Term) -> Pattern {
        Pattern::exact(term, true).with_stars(true, true)
    }

    /// The pattern with `*` added at the front and/or the back.
    pub fn with_stars(self, front: bool, back: bool) -> Pattern {
        let mut steps = self.steps;
        if front {
            steps.insert(0, Step::AnyChars);
        }
        if back {
            steps.push(Step::AnyChars);
        }
        Pattern::build(steps, self.fold_case)
    }

    fn build(mut steps: Vec<Step>, fold_case: bool) -> Pattern {
        steps.dedup_by(|a, b| *a == Step::AnyChars && *b == Step::AnyChars);
        let pieces = (!steps.contains(&Step::AnyChar)).then(|| {
            let mut texts: Vec<String> = vec![String::new()];
            for step in &steps {
                match step {
                    Step::Char(c) => texts.last_mut().into_iter().for_each(|t| t.push(*c)),
                    _ => texts.push(String::new()),
                }
            }
            let exact = texts.len() == 1;
            let starts_open = steps.first() == Some(&Step::AnyChars);
            let ends_open = steps.last() == Some(&Step::AnyChars);
            let last = if exact || ends_open {
                None
            } else {
                texts.pop()
            };
            let first = if starts_open {
                None
            } else {
                Some(texts.remove(0))
            };
            let middle: Vec<String> = texts.into_iter().filter(|t| !t.is_empty()).collect();
            let ascii = first
                .iter()
                .chain(&middle)
                .chain(&last)
                .all(|t| t.is_ascii());
            Pieces {
                first,
                middle,
                last,
                exact,
                ascii,
            }
        });
        Pattern {
            steps,
            fold_case,
            pieces,
        }
    }

    pub fn matches(&self, text: &str) -> bool {
        match &self.pieces {
            Some(pieces) if !self.fold_case => pieces.matches(text.as_bytes(), false),
            // ASCII pieces can only meet ASCII bytes of the text, whose case
            // folds in place — unless the text holds one of the two
            // characters whose lower case is ASCII (Kelvin sign, dotted I).
            Some(pieces) if pieces.ascii && (text.is_ascii() || !folds_into_ascii(text)) => {
                pieces.matches(text.as_bytes(), true)
            }
            Some(pieces) => pieces.matches(text.to_lowercase().as_bytes(), false),
            None if self.fold_case => {
                let lower: Vec<char> = text.chars().flat_map(char::to_lowercase).collect();
                self.matches_chars(&lower)
            }
            None => {
                let chars: Vec<char> = text.chars().collect();
                self.matches_chars(&chars)
            }
        }
    }

    /// Greedy matching with one backtrack point (the last `*`): linear in
    /// practice, O(text × pattern) at worst, never exponential.
    pub fn matches_chars(&self, text: &[char]) -> bool {
        let steps = &self.steps;
        let (mut s, mut t) = (0, 0);
        let mut star: Option<(usize, usize)> = None;
        while t < text.len() {
            match steps.get(s) {
                Some(Step::Char(c)) if *c == text[t] => {
                    s += 1;
                    t += 1;
                }
                Some(Step::AnyChar) => {
                    s += 1;
                    t += 1;
                }
                Some(Step::AnyChars) => {
                    star = Some((s, t));
                    s += 1;
                }
                _ => match star {
                    Some((star_step, star_text)) => {
                        s = star_step + 1;
                        t = star_text + 1;
                        star = Some((star_step, star_text + 1));
                    }
                    None => return false,
                },
            }
        }
        steps[s..].iter().all(|step| *step == Step::AnyChars)
    }
}

impl Pieces {
    /// Matches `text` (bytes of a str); with `ascii_fold`, the text is ASCII
    /// and the pieces are in lower case.
    fn matches(&self, text: &[u8], ascii_fold: bool) -> bool {
        let same = |a: &[u8], b: &[u8]| {
            if ascii_fold {
                a.eq_ignore_ascii_case(b)
            } else {
                a == b
            }
        };
        if self.exact {
            return self
                .first
                .as_ref()
                .is_some_and(|first| same(text, first.as_bytes()));
        }
        let mut start = 0;
        let mut end = text.len();
        if let Some(first) = &self.first {
            let first = first.as_bytes();
            if text.len() < first.len() || !same(&text[..first.len()], first) {
                return false;
            }
            start = first.len();
        }
        if let Some(last) = &self.last {
            let last = last.as_bytes();
            if end - start < last.len() || !same(&text[end - last.len()..], last) {
                return false;
            }
            end -= last.len();
        }
        for piece in &self.middle {
            match find(&text[start..end], piece.as_bytes(), ascii_fold) {
                Some(at) => start += at + piece.len(),
                None => return false,
            }
        }
        true
    }
}

/// Says whether lower-casing `text` would turn a non-ASCII character into
/// ASCII (U+212A KELVIN SIGN → `k`, U+0130 → `i` and a combining dot).
pub fn folds_into_ascii(text: &str) -> bool {
    text.contains(['\u{212A}', '\u{130}'])
}

/// The first position of `needle` in `haystack`; with `ascii_fold`, the
/// needle is lower case and ASCII letters match either case.
fn find(haystack: &[u8], needle: &[u8], ascii_fold: bool) -> Option<usize> {
    if !ascii_fold {
        return memchr::memmem::find(haystack, needle);
    }
    let (&head, rest) = needle.split_first()?;
    let last_start = haystack.len().checked_sub(needle.len())?;
    let upper = head.to_ascii_uppercase();
    let mut at = 0;
    while at <= last_start {
        let offset = memchr::memchr2(head, upper, &haystack[at..=last_start])?;
        let candidate = at + offset;
        if haystack[candidate + 1..candidate + needle.len()].eq_ignore_ascii_case(rest) {
            return Some(candidate);
        }
        at = candidate + 1;
    }
    None
}
