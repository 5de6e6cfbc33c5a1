//! A single-pass reader of JSON objects for the ingest hot path: it checks
//! the whole text against RFC 8259 and returns the top-level members as text
//! slices, or says that the text must take the fully parsed path.
//!
//! After the pass-through change, reading structure through serde_json
//! (`RawValue` members, a separate safety scan) was a third of the server's
//! remaining CPU per event. This does both in one pass over the bytes with no
//! per-value calls. It is deliberately conservative: anything it does not
//! accept — malformed text, escaped keys, `\u0000`, lone surrogates, nesting
//! deeper than [`MAX_DEPTH`], numbers with extreme exponents or digit runs —
//! goes to serde_json, which reports errors and cleans what jsonb would
//! refuse. Accepting only what serde_json accepts identically is checked by
//! a differential property test.

use std::borrow::Cow;

/// Nesting deeper than this goes through the full parser (whose limit is 128).
pub const MAX_DEPTH: usize = 100;
/// Exponents and digit runs beyond this go through the full parser, so that
/// Postgres's `numeric` never sees a number it refuses (its limit is 1000) and
/// every number read back fits an f64.
pub const MAX_DIGITS: usize = 300;

/// One member of an object: its key and the JSON text of its value.
pub type Member<'a> = (Cow<'a, str>, &'a str);

/// Where the readers put an object's members, in order.
pub trait Members<'a> {
    /// Adds a member at the end.
    fn push_member(&mut self, key: &'a str, text: &'a str);
    /// Takes out the earlier member named `key` (a repeated key keeps its
    /// last value, as serde_json and jsonb do).
    fn remove_member(&mut self, key: &str);
}

impl<'a> Members<'a> for Vec<Member<'a>> {
    fn push_member(&mut self, key: &'a str, text: &'a str) {
        self.push((Cow::Borrowed(key), text));
    }

    fn remove_member(&mut self, key: &str) {
        self.retain(|(k, _)| k != key);
    }
}

/// Returns the members of the JSON object `text` (surrounding whitespace
/// allowed), or None when it must be parsed fully instead.
pub fn object_members(text: &str) -> Option<Vec<Member<'_>>> {
    let mut members = Vec::with_capacity(16);
    read_object(text, &mut members)?;
    Some(members)
}

/// [`object_members`] into `members`; None (with `members` partly filled)
/// when the text must be parsed fully instead.
pub fn read_object<'a>(text: &'a str, members: &mut impl Members<'a>) -> Option<()> {
    let mut scanner = Scanner {
        bytes: text.as_bytes(),
        text,
        at: 0,
    };
    scanner.skip_whitespace();
    scanner.top_object(members, Scanner::value)?;
    scanner.skip_whitespace();
    (scanner.at == scanner.bytes.len()).then_some(())
}

/// [`object_members`] for text inside a document that it has already
/// accepted: values are skipped without being checked again, which makes
/// splitting a nested object several times cheaper. Escaped keys still
/// return None (the caller parses those fully).
pub fn valid_object_members(text: &str) -> Option<Vec<Member<'_>>> {
    let mut members = Vec::with_capacity(8);
    read_valid_object(text, &mut members)?;
    Some(members)
}

/// [`valid_object_members`] into `members`.
pub fn read_valid_object<'a>(text: &'a str, members: &mut impl Members<'a>) -> Option<()> {
    let mut scanner = Scanner {
        bytes: text.as_bytes(),
        text,
        at: 0,
    };
    scanner.skip_whitespace();
    scanner.top_object(members, |scanner, _| scanner.skip_valid_value())
}

/// Which of 64 buckets a key falls in, to skip the search for an earlier
/// member with the same key when no earlier key shares its bucket.
fn key_bucket(key: &str) -> u64 {
    let bytes = key.as_bytes();
    let first = bytes.first().copied().unwrap_or(0) as usize;
    let last = bytes.last().copied().unwrap_or(0) as usize;
    1 << ((bytes.len() * 7 + first * 3 + last) % 64)
}

/// Strings up to this long are scanned byte by byte, longer ones with memchr.
const SHORT_STRING: usize = 24;

/// The bytes that stop a run of plain string content.
const STRING_STOP: [bool; 256] = {
    let mut table = [false; 256];
    let mut byte = 0;
    while byte < 0x20 {
        table[byte] = true;
        byte += 1;
    }
    table[b'"' as usize] = true;
    table[b'\\' as usize] = true;
    table
};

struct Scanner<'a> {
    bytes: &'a [u8],
    text: &'a str,
    at: usize,
}

impl<'a> Scanner<'a> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    fn skip_whitespace(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.at += 1;
        }
    }

    fn eat(&mut self, byte: u8) -> Option<()> {
        (self.peek() == Some(byte)).then(|| self.at += 1)
    }

    /// The top-level object, collecting its members; a repeated key keeps
    /// its last value, as serde_json and jsonb do.
    fn top_object(
        &mut self,
        members: &mut impl Members<'a>,
        value: impl Fn(&mut Self, usize) -> Option<()>,
    ) -> Option<()> {
        self.eat(b'{')?;
        let mut seen = 0u64;
        self.skip_whitespace();
        if self.eat(b'}').is_some() {
            return Some(());
        }
        loop {
            self.skip_whitespace();
            let key = self.plain_key()?;
            self.skip_whitespace();
            self.eat(b':')?;
            self.skip_whitespace();
            let start = self.at;
            value(self, 1)?;
            let value = &self.text[start..self.at];
            let bucket = key_bucket(key);
            if seen & bucket != 0 {
                members.remove_member(key);
            }
            seen |= bucket;
            members.push_member(key, value);
            self.skip_whitespace();
            match self.peek()? {
                b',' => self.at += 1,
                b'}' => {
                    self.at += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    /// A key without escapes (keys with escapes take the full path).
    fn plain_key(&mut self) -> Option<&'a str> {
        self.eat(b'"')?;
        let start = self.at;
        let end = self.string_stop()?;
        if self.bytes[end] != b'"' {
            return None;
        }
        self.at = end + 1;
        Some(&self.text[start..end])
    }

    /// Where the string content from here stops: at its closing quote, a
    /// backslash or a raw control character (None at the end of the text).
    fn string_stop(&self) -> Option<usize> {
        // Most keys and values are short: a table walk finds their end
        // before memchr would have set up.
        let bytes = self.bytes.get(self.at..)?;
        let short = bytes.len().min(SHORT_STRING);
        if let Some(i) = bytes[..short].iter().position(|b| STRING_STOP[*b as usize]) {
            return Some(self.at + i);
        }
        let offset = memchr::memchr2(b'"', b'\\', &bytes[short..])? + short;
        // Raw control characters are rare; checking the run for them
        // is cheaper than stopping at every one.
        match bytes[short..offset].iter().position(|b| *b < 0x20) {
            Some(i) => Some(self.at + short + i),
            None => Some(self.at + offset),
        }
    }

    /// Any value at nesting `depth` (the top-level object is depth 1).
    fn value(&mut self, depth: usize) -> Option<()> {
        match self.peek()? {
            b'{' => self.object(depth + 1),
            b'[' => self.array(depth + 1),
            b'"' => self.string(),
            b't' => self.literal(b"true"),
            b'f' => self.literal(b"false"),
            b'n' => self.literal(b"null"),
            b'-' | b'0'..=b'9' => self.number(),
            _ => None,
        }
    }

    /// Skips a value known to be valid JSON: strings by their quotes,
    /// containers by counting brackets outside strings.
    fn skip_valid_value(&mut self) -> Option<()> {
        let mut depth = 0usize;
        loop {
            match *self.bytes.get(self.at)? {
                b'"' => {
                    self.at += 1;
                    loop {
                        let offset = memchr::memchr2(b'"', b'\\', &self.bytes[self.at..])?;
                        self.at += offset;
                        if self.bytes[self.at] == b'"' {
                            self.at += 1;
                            break;
                        }
                        self.at += 2;
                    }
                }
                b'{' | b'[' => {
                    depth += 1;
                    self.at += 1;
                }
                b'}' | b']' => {
                    // At depth 0 this closes the enclosing object: a scalar ended.
                    if depth == 0 {
                        return Some(());
                    }
                    depth -= 1;
                    self.at += 1;
                }
                b',' | b' ' | b'\t' | b'\n' | b'\r' if depth == 0 => return Some(()),
                _ => self.at += 1,
            }
            if depth == 0 && matches!(self.bytes[self.at - 1], b'"' | b'}' | b']') {
                return Some(());
            }
        }
    }

    fn literal(&mut self, word: &[u8]) -> Option<()> {
        self.bytes[self.at..]
            .starts_with(word)
            .then(|| self.at += word.len())
    }

    fn object(&mut self, depth: usize) -> Option<()> {
        if depth > MAX_DEPTH {
            return None;
        }
        self.eat(b'{')?;
        self.skip_whitespace();
        if self.eat(b'}').is_some() {
            return Some(());
        }
        loop {
            self.skip_whitespace();
            self.plain_key()?;
            self.skip_whitespace();
            self.eat(b':')?;
            self.skip_whitespace();
            self.value(depth)?;
            self.skip_whitespace();
            match self.peek()? {
                b',' => self.at += 1,
                b'}' => {
                    self.at += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    fn array(&mut self, depth: usize) -> Option<()> {
        if depth > MAX_DEPTH {
            return None;
        }
        self.eat(b'[')?;
        self.skip_whitespace();
        if self.eat(b']').is_some() {
            return Some(());
        }
        loop {
            self.skip_whitespace();
            self.value(depth)?;
            self.skip_whitespace();
            match self.peek()? {
                b',' => self.at += 1,
                b']' => {
                    self.at += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    /// A string: no raw control characters, valid escapes, no `\u0000` and
    /// no unpaired surrogates (jsonb refuses both).
    fn string(&mut self) -> Option<()> {
        self.eat(b'"')?;
        loop {
            self.at = self.string_stop()?;
            match self.bytes[self.at] {
                b'"' => {
                    self.at += 1;
                    return Some(());
                }
                b'\\' => self.escape()?,
                _ => return None,
            }
        }
    }

    fn escape(&mut self) -> Option<()> {
        self.at += 1;
        match self.peek()? {
            b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => {
                self.at += 1;
                Some(())
            }
            b'u' => {
                self.at += 1;
                let code = self.hex4()?;
                match code {
                    0 | 0xDC00..=0xDFFF => None,
                    0xD800..=0xDBFF => {
                        // Only a high surrogate followed by a low one is a character.
                        self.eat(b'\\')?;
                        self.eat(b'u')?;
                        let low = self.hex4()?;
                        (0xDC00..=0xDFFF).contains(&low).then_some(())
                    }
                    _ => Some(()),
                }
            }
            _ => None,
        }
    }

    fn hex4(&mut self) -> Option<u16> {
        let digits = self.bytes.get(self.at..self.at + 4)?;
        let mut code = 0u16;
        for digit in digits {
            code = code * 16 + (*digit as char).to_digit(16)? as u16;
        }
        self.at += 4;
        Some(code)
    }

    /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?` within [`MAX_DIGITS`].
    fn number(&mut self) -> Option<()> {
        self.eat(b'-');
        let integer = self.digits();
        if integer == 0 || (integer > 1 && self.bytes[self.at - integer] == b'0') {
            return None;
        }
        let mut fraction = 0;
        if self.eat(b'.').is_some() {
            fraction = self.digits();
            if fraction == 0 {
                return None;
            }
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.at += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.at += 1;
            }
            let start = self.at;
            let count = self.digits();
            if count == 0 || count > 3 {
                return None;
            }
            let exponent: usize = self.text[start..self.at].parse().ok()?;
            if exponent + integer + fraction > MAX_DIGITS {
                return None;
            }
        }
        (integer + fraction <= MAX_DIGITS).then_some(())
    }

    fn digits(&mut self) -> usize {
        let start = self.at;
        while let Some(b'0'..=b'9') = self.peek() {
            self.at += 1;
        }
        self.at - start
    }
}

/// The lines of `body`, found with a vectorised search (a byte-by-byte
/// split was 2 % of ingest CPU); the last may lack its newline.
pub(crate) fn ndjson_lines(body: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut start = 0;
    let mut ends = memchr::memchr_iter(b'\n', body).chain(std::iter::once(body.len()));
    std::iter::from_fn(move || {
        let end = ends.next()?;
        let line = body.get(start..end)?;
        start = end + 1;
        Some(line)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::{Map, Value};

    fn members_as_map(members: &[Member<'_>]) -> Map<String, Value> {
        members
            .iter()
            .map(|(k, v)| (k.to_string(), serde_json::from_str(v).unwrap()))
            .collect()
    }

    #[test]
    fn members_are_the_top_level_keys_with_their_text() {
        let text =
            " {\"a\" : {\"x\":[1, 2.5e3, -0.0]}, \"b\":\"t\\\"q\\u00e9\",\"a\":null,\"c\":true}\n";
        let members = object_members(text).unwrap();
        let keys: Vec<&str> = members.iter().map(|(k, _)| k.as_ref()).collect();
        assert_eq!(keys, ["b", "a", "c"]);
        assert_eq!(members[0].1, "\"t\\\"q\\u00e9\"");
        assert_eq!(members[1].1, "null");
        assert_eq!(object_members("{}").unwrap().len(), 0);
        let nested = valid_object_members(members[1].1);
        assert!(nested.is_none(), "null is not an object");
        let inner = valid_object_members(r#"{"x":[1,{"y":"]}"}],"z" : "a\"}","w":-1.5e3 ,"v":{}}"#)
            .unwrap();
        let inner: Vec<(&str, &str)> = inner.iter().map(|(k, v)| (k.as_ref(), *v)).collect();
        assert_eq!(
            inner,
            [
                ("x", r#"[1,{"y":"]}"}]"#),
                ("z", r#""a\"}""#),
                ("w", "-1.5e3"),
                ("v", "{}")
            ]
        );
    }

    #[test]
    fn what_it_does_not_take_goes_to_the_full_parser() {
        for text in [
            "[1]",
            "\"s\"",
            "",
            "{",
            "{\"a\":1,}",
            "{\"a\":1} x",
            "{\"a\":01}",
            "{\"a\":1.}",
            "{\"a\":.5}",
            "{\"a\":+1}",
            "{\"a\":1e}",
            "{\"a\":1e400}",
            "{\"a\":tru}",
            "{\"a\":\"nul \\u0000\"}",
            "{\"a\":\"lone \\ud800 x\"}",
            "{\"a\":\"lone \\udc00\"}",
            "{\"a\":\"reversed \\udc00\\ud800\"}",
            "{\"a\":\"bad \\x\"}",
            "{\"a\":\"short \\u12\"}",
            "{\"a\":\"raw\ttab\"}",
            "{\"a\":\"raw\nnewline\"}",
            "{\"k\\\"ey\":1}",
            "{'a':1}",
            "{\"a\":NaN}",
            "{\"a\" 1}",
        ] {
            assert!(object_members(text).is_none(), "{text:?}");
        }
        let deep = format!("{{\"a\":{}1{}}}", "[".repeat(100), "]".repeat(100));
        assert!(object_members(&deep).is_none());
        let fine = format!("{{\"a\":{}1{}}}", "[".repeat(99), "]".repeat(99));
        assert!(object_members(&fine).is_some());
        let long = format!("{{\"a\":{}}}", "9".repeat(301));
        assert!(object_members(&long).is_none());
        assert!(object_members("{\"a\":\"pair \\ud83d\\ude00\"}").is_some());
    }

    /// JSON-ish text: valid documents and mutations of them.
    fn jsonish() -> impl Strategy<Value = String> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            any::<f64>()
                .prop_filter("finite", |f| f.is_finite())
                .prop_map(Value::from),
            "[a-z\"\\\\/\u{e9}\u{1F600}\t ]{0,8}".prop_map(Value::from),
        ];
        let value = leaf.prop_recursive(4, 32, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
                prop::collection::btree_map("[a-c]{1,2}", inner, 0..4)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        });
        let object = prop::collection::btree_map("[a-d]{1,2}", value, 0..5)
            .prop_map(|m| Value::Object(m.into_iter().collect()).to_string());
        let noise = prop_oneof![
            Just(String::new()),
            Just("\\u0000".to_owned()),
            Just("\\ud800".to_owned()),
            Just("1e999".to_owned()),
            Just("\"".to_owned()),
            Just("\\".to_owned()),
            Just(",".to_owned()),
            Just("}".to_owned()),
            Just("]".to_owned()),
            Just("0".to_owned()),
            Just(" ".to_owned()),
            "[\\x00-\\x7f]{1,3}",
        ];
        (
            object,
            any::<prop::sample::Index>(),
            any::<prop::sample::Index>(),
            noise,
        )
            .prop_map(|(text, at, cut, noise)| {
                if noise.is_empty() {
                    return text;
                }
                let mut chars: Vec<char> = text.chars().collect();
                let at = at.index(chars.len() + 1);
                let cut = cut.index(3).min(chars.len() - at.min(chars.len()));
                chars.splice(at..at + cut, noise.chars());
                chars.into_iter().collect()
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4000))]

        /// Whatever the scanner takes, serde_json reads the same way.
        #[test]
        fn it_accepts_only_what_serde_reads_identically(text in jsonish()) {
            if let Some(members) = object_members(&text) {
                let parsed: Value = serde_json::from_str(&text)
                    .map_err(|e| TestCaseError::fail(format!("serde refused {text:?}: {e}")))?;
                prop_assert_eq!(Value::Object(members_as_map(&members)), parsed);
            }
        }

        /// Splitting an accepted document's nested objects without checking
        /// them again gives what serde_json reads.
        #[test]
        fn nested_objects_split_as_serde_reads_them(text in jsonish()) {
            fn check(members: &[Member<'_>]) -> Result<(), TestCaseError> {
                for (_, value) in members {
                    if value.starts_with('{') {
                        let inner = valid_object_members(value)
                            .ok_or_else(|| TestCaseError::fail(format!("not split: {value}")))?;
                        let parsed: Value = serde_json::from_str(value).unwrap();
                        prop_assert_eq!(Value::Object(members_as_map(&inner)), parsed);
                        check(&inner)?;
                    }
                }
                Ok(())
            }
            if let Some(members) = object_members(&text) {
                check(&members)?;
            }
        }

        /// Valid documents without the refused cases are taken, not sent away.
        #[test]
        fn it_takes_ordinary_documents(value in prop::collection::btree_map("[a-d]{1,2}", "[a-z ]{0,8}", 0..5)) {
            let text = serde_json::to_string(&value).unwrap();
            prop_assert!(object_members(&text).is_some(), "{}", text);
        }
    }
}
