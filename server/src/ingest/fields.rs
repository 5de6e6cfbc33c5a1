//! An incoming event as a lazily parsed JSON object: each value stays the
//! sender's JSON text until normalisation reads or changes it.
//!
//! Most of an event passes through ingest untouched (the message, URLs, user
//! agents, command lines). Parsing all of it into a `serde_json::Value` and
//! serialising it again was two thirds of the server's CPU per event, so the
//! stored document is written from the original text for every value that
//! normalisation did not change. An object is split into its members (still
//! text) when a path reaches into it, and a leaf is parsed when read; adding
//! a member to an object keeps its other members as text.
//!
//! Text is passed through only when Postgres's `jsonb` is certain to accept
//! it exactly as `serde_json` would: [`needs_full_parse`] sends documents with
//! `\u0000`, lone surrogates, deep nesting or extreme numbers down the
//! fully-parsed path, which cleans or refuses them as before.

use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;
use serde_json::{Map, Value};
use std::borrow::Cow;
use std::cell::OnceCell;
use std::fmt;

/// Nesting deeper than this goes through the full parser (whose limit is 128).
const MAX_RAW_DEPTH: usize = 100;
/// Exponents and digit runs beyond this go through the full parser, so that
/// Postgres's `numeric` never sees a number it refuses (its limit is 1000).
const MAX_RAW_DIGITS: usize = 300;

/// A JSON object whose members are parsed on demand.
#[derive(Debug, Default)]
pub struct Fields<'a> {
    entries: Vec<Entry<'a>>,
}

#[derive(Debug)]
struct Entry<'a> {
    key: Cow<'a, str>,
    node: Node<'a>,
}

#[derive(Debug)]
enum Node<'a> {
    /// The sender's text, unchanged; parsed (whole, or into members when it is
    /// an object) only when asked.
    Text {
        text: &'a str,
        members: OnceCell<Option<Fields<'a>>>,
        value: OnceCell<Value>,
    },
    /// An object with changed members; the others are still text.
    Object {
        fields: Fields<'a>,
        value: OnceCell<Value>,
    },
    /// A value set or changed whole.
    Value(Value),
}

impl<'a> Node<'a> {
    fn text(text: &'a str) -> Node<'a> {
        Node::Text {
            text,
            members: OnceCell::new(),
            value: OnceCell::new(),
        }
    }

    /// The value whole; parsed (or assembled) once.
    fn value(&self) -> &Value {
        match self {
            Node::Text { text, value, .. } => value.get_or_init(|| parse_valid(text)),
            Node::Object { fields, value } => value.get_or_init(|| fields.to_value()),
            Node::Value(value) => value,
        }
    }

    /// The members, when this is an object held as text or in parts.
    fn members(&self) -> Option<&Fields<'a>> {
        match self {
            Node::Text { text, members, .. } => members
                .get_or_init(|| {
                    text.starts_with('{')
                        .then(|| Fields::from_text(text).ok())
                        .flatten()
                })
                .as_ref(),
            Node::Object { fields, .. } => Some(fields),
            Node::Value(_) => None,
        }
    }

    /// The members, to change: an object held as text is split into parts.
    fn members_mut(&mut self) -> Option<&mut Fields<'a>> {
        if matches!(self, Node::Text { .. }) {
            self.members()?;
            let Node::Text { members, .. } = self else {
                unreachable!("matched above");
            };
            let fields = members.take().flatten()?;
            *self = Node::Object {
                fields,
                value: OnceCell::new(),
            };
        }
        match self {
            Node::Object { fields, value } => {
                // Whatever was assembled before is about to be stale.
                value.take();
                Some(fields)
            }
            _ => None,
        }
    }

    /// The value, to change whole.
    fn value_mut(&mut self) -> &mut Value {
        if !matches!(self, Node::Value(_)) {
            let value = match std::mem::replace(self, Node::Value(Value::Null)) {
                Node::Text { text, value, .. } => {
                    value.into_inner().unwrap_or_else(|| parse_valid(text))
                }
                Node::Object { fields, .. } => fields.to_value(),
                Node::Value(value) => value,
            };
            *self = Node::Value(value);
        }
        match self {
            Node::Value(value) => value,
            _ => unreachable!("made a value above"),
        }
    }

    fn into_value(mut self) -> Value {
        std::mem::take(self.value_mut())
    }

    /// The first byte of the value's JSON text, which tells its kind.
    fn first_byte(&self) -> u8 {
        match self {
            Node::Text { text, .. } => text.bytes().next().unwrap_or(b'n'),
            Node::Object { .. } => b'{',
            Node::Value(Value::String(_)) => b'"',
            Node::Value(Value::Null) => b'n',
            Node::Value(Value::Object(_)) => b'{',
            Node::Value(_) => b'?',
        }
    }

    fn write_json(&self, out: &mut Vec<u8>) {
        match self {
            Node::Text { text, .. } => out.extend_from_slice(text.as_bytes()),
            Node::Object { fields, .. } => fields.write_json(out),
            // Writing a Value into a Vec cannot fail: keys are strings and
            // numbers are finite.
            Node::Value(value) => {
                let _ = serde_json::to_writer(&mut *out, value);
            }
        }
    }
}

impl<'a> Fields<'a> {
    /// Reads a JSON object's members from `text`, borrowing their text.
    /// Callers check [`needs_full_parse`] first.
    pub fn from_text(text: &'a str) -> Result<Fields<'a>, serde_json::Error> {
        serde_json::from_str(text)
    }

    /// Wraps an already-parsed object; every value will be serialised.
    pub fn from_map(map: Map<String, Value>) -> Fields<'a> {
        Fields {
            entries: map
                .into_iter()
                .map(|(key, value)| Entry {
                    key: Cow::Owned(key),
                    node: Node::Value(value),
                })
                .collect(),
        }
    }

    fn position(&self, key: &str) -> Option<usize> {
        self.entries.iter().position(|e| e.key == key)
    }

    fn node(&self, key: &str) -> Option<&Node<'a>> {
        self.entries.iter().find(|e| e.key == key).map(|e| &e.node)
    }

    /// Returns the value of member `key`.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.node(key).map(Node::value)
    }

    /// Returns the value of member `key`, to be changed whole.
    pub fn get_mut(&mut self, key: &str) -> Option<&mut Value> {
        let i = self.position(key)?;
        Some(self.entries[i].node.value_mut())
    }

    /// Says whether `key` is present, without parsing its value.
    pub fn contains_key(&self, key: &str) -> bool {
        self.position(key).is_some()
    }

    /// Says whether the value at `key` is a string, without parsing it.
    pub fn is_string(&self, key: &str) -> bool {
        self.node(key).is_some_and(|n| n.first_byte() == b'"')
    }

    /// Says whether the value at `key` is null, without parsing it.
    pub fn is_null(&self, key: &str) -> bool {
        self.node(key).is_some_and(|n| n.first_byte() == b'n')
    }

    /// Returns the value at a dotted path: a literal key with dots
    /// (`"host.name": …`) first, then nested objects, at every level.
    pub fn get_path(&self, path: &str) -> Option<&Value> {
        if let Some(node) = self.node(path) {
            return Some(node.value());
        }
        let (head, rest) = path.split_once('.')?;
        let node = self.node(head)?;
        match node.members() {
            Some(members) => members.get_path(rest),
            None => value_lookup(node.value().as_object()?, rest),
        }
    }

    /// Returns the object at the path `parents`, creating missing objects;
    /// None (having changed nothing) when a value in the way is not an object.
    pub fn object_at(&mut self, parents: &[&str]) -> Option<&mut Fields<'a>> {
        let Some((first, rest)) = parents.split_first() else {
            return Some(self);
        };
        let i = match self.position(first) {
            Some(i) => i,
            None => {
                self.entries.push(Entry {
                    key: Cow::Owned((*first).to_owned()),
                    node: Node::Object {
                        fields: Fields::default(),
                        value: OnceCell::new(),
                    },
                });
                self.entries.len() - 1
            }
        };
        let node = &mut self.entries[i].node;
        if let Node::Value(Value::Object(_)) = node {
            let Node::Value(Value::Object(map)) = std::mem::replace(node, Node::Value(Value::Null))
            else {
                unreachable!("matched above");
            };
            *node = Node::Object {
                fields: Fields::from_map(map),
                value: OnceCell::new(),
            };
        }
        node.members_mut()?.object_at(rest)
    }

    /// Sets `key`, returning the value it replaces.
    pub fn insert(&mut self, key: impl Into<Cow<'a, str>>, value: Value) -> Option<Value> {
        let key = key.into();
        match self.position(&key) {
            Some(i) => {
                Some(std::mem::replace(&mut self.entries[i].node, Node::Value(value)).into_value())
            }
            None => {
                self.entries.push(Entry {
                    key,
                    node: Node::Value(value),
                });
                None
            }
        }
    }

    /// Sets `key` unless it is present.
    pub fn insert_absent(&mut self, key: impl Into<Cow<'a, str>>, value: Value) {
        let key = key.into();
        if !self.contains_key(&key) {
            self.insert(key, value);
        }
    }

    /// Returns the value at `key`, inserting `default()` first when absent.
    pub fn get_or_insert_with(&mut self, key: &str, default: impl FnOnce() -> Value) -> &mut Value {
        let i = match self.position(key) {
            Some(i) => i,
            None => {
                self.entries.push(Entry {
                    key: Cow::Owned(key.to_owned()),
                    node: Node::Value(default()),
                });
                self.entries.len() - 1
            }
        };
        self.entries[i].node.value_mut()
    }

    /// Takes `key` out.
    pub fn remove(&mut self, key: &str) -> Option<Value> {
        let i = self.position(key)?;
        Some(self.entries.remove(i).node.into_value())
    }

    /// Returns the keys, in input order.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.entries.iter().map(|e| e.key.as_ref())
    }

    /// Writes the object as JSON text: unchanged values as the sender wrote them.
    pub fn write_json(&self, out: &mut Vec<u8>) {
        out.push(b'{');
        for (i, entry) in self.entries.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            write_str(out, &entry.key);
            out.push(b':');
            entry.node.write_json(out);
        }
        out.push(b'}');
    }

    /// Returns the whole object as a `Value`.
    pub fn to_value(&self) -> Value {
        Value::Object(
            self.entries
                .iter()
                .map(|e| (e.key.clone().into_owned(), e.node.value().clone()))
                .collect(),
        )
    }
}

/// Parses text that was validated when the document was read; a number
/// beyond f64 (let through by [`needs_full_parse`]) reads as null.
fn parse_valid(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or(Value::Null)
}

fn value_lookup<'v>(object: &'v Map<String, Value>, path: &str) -> Option<&'v Value> {
    if let Some(value) = object.get(path) {
        return Some(value);
    }
    let (head, rest) = path.split_once('.')?;
    value_lookup(object.get(head)?.as_object()?, rest)
}

fn write_str(out: &mut Vec<u8>, text: &str) {
    let plain = text.bytes().all(|b| b >= 0x20 && b != b'"' && b != b'\\');
    if plain {
        out.push(b'"');
        out.extend_from_slice(text.as_bytes());
        out.push(b'"');
    } else {
        let _ = serde_json::to_writer(&mut *out, text);
    }
}

impl<'de: 'a, 'a> serde::Deserialize<'de> for Fields<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(FieldsVisitor(std::marker::PhantomData))
    }
}

struct FieldsVisitor<'a>(std::marker::PhantomData<&'a ()>);

impl<'de: 'a, 'a> Visitor<'de> for FieldsVisitor<'a> {
    type Value = Fields<'a>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<Fields<'a>, M::Error> {
        let mut entries: Vec<Entry<'a>> = Vec::with_capacity(map.size_hint().unwrap_or(16));
        while let Some(Key(key)) = map.next_key()? {
            let raw: &'de RawValue = map.next_value()?;
            // A repeated key keeps its last value, as serde_json and jsonb do.
            entries.retain(|e| e.key != key);
            entries.push(Entry {
                key,
                node: Node::text(raw.get()),
            });
        }
        Ok(Fields { entries })
    }
}

struct Key<'a>(Cow<'a, str>);

impl<'de: 'a, 'a> serde::Deserialize<'de> for Key<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string key")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v.to_owned())))
            }
        }
        deserializer.deserialize_str(KeyVisitor)
    }
}

/// Says whether `text` must be parsed fully (and cleaned) rather than passed
/// through: it is not an object, or holds `\u0000` or a lone surrogate (jsonb
/// refuses both), nests deeper than [`MAX_RAW_DEPTH`], or has a number with an
/// extreme exponent or digit count. Malformed text also answers true, so the
/// full parser reports the error.
pub fn needs_full_parse(text: &str) -> bool {
    let bytes = text.as_bytes();
    let start = bytes.iter().position(|b| !b.is_ascii_whitespace());
    if start.is_none_or(|i| bytes[i] != b'{') {
        return true;
    }
    let mut depth = 0usize;
    let mut digits = 0usize;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                // Inside a string: jump between quotes and backslashes.
                i += 1;
                loop {
                    let Some(offset) = memchr::memchr2(b'"', b'\\', &bytes[i..]) else {
                        return true;
                    };
                    i += offset;
                    if bytes[i] == b'"' {
                        break;
                    }
                    match bytes.get(i + 1) {
                        Some(b'u') => {
                            let Some(code) = bytes
                                .get(i + 2..i + 6)
                                .and_then(|h| std::str::from_utf8(h).ok())
                                .and_then(|h| u16::from_str_radix(h, 16).ok())
                            else {
                                return true;
                            };
                            if code == 0 || (0xDC00..=0xDFFF).contains(&code) {
                                return true;
                            }
                            if (0xD800..=0xDBFF).contains(&code) {
                                // Only a high surrogate followed by a low one is a character.
                                let low = bytes
                                    .get(i + 6..i + 12)
                                    .filter(|next| next.starts_with(b"\\u"))
                                    .and_then(|next| std::str::from_utf8(&next[2..]).ok())
                                    .and_then(|h| u16::from_str_radix(h, 16).ok());
                                if !low.is_some_and(|low| (0xDC00..=0xDFFF).contains(&low)) {
                                    return true;
                                }
                                i += 6;
                            }
                            i += 6;
                        }
                        Some(_) => i += 2,
                        None => return true,
                    }
                }
                digits = 0;
            }
            b'{' | b'[' => {
                depth += 1;
                if depth > MAX_RAW_DEPTH {
                    return true;
                }
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            b'0'..=b'9' => {
                digits += 1;
                if digits > MAX_RAW_DIGITS {
                    return true;
                }
            }
            b'e' | b'E' if digits > 0 => {
                // An exponent: its digits follow, perhaps after a sign.
                let mut j = i + 1;
                if matches!(bytes.get(j), Some(b'+' | b'-')) {
                    j += 1;
                }
                let run = bytes[j..].iter().take_while(|b| b.is_ascii_digit()).count();
                let exponent = std::str::from_utf8(&bytes[j..j + run])
                    .ok()
                    .and_then(|e| e.parse::<usize>().ok());
                if exponent.is_none_or(|e| e + digits > MAX_RAW_DIGITS) {
                    return true;
                }
                i = j + run;
                digits = 0;
                continue;
            }
            b'.' => {}
            _ => digits = 0,
        }
        i += 1;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn unchanged_values_keep_their_text_and_changed_ones_are_serialised() {
        let text = r#"{"a": {"x" : 1.50}, "b":[1, 2], "c":"t\"q"}"#;
        assert!(!needs_full_parse(text));
        let mut fields = Fields::from_text(text).unwrap();
        assert_eq!(fields.get("a"), Some(&json!({"x": 1.5})));
        fields
            .get_mut("b")
            .unwrap()
            .as_array_mut()
            .unwrap()
            .push(json!(3));
        fields.insert("d", json!(true));
        let mut out = Vec::new();
        fields.write_json(&mut out);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            r#"{"a":{"x" : 1.50},"b":[1,2,3],"c":"t\"q","d":true}"#
        );
    }

    #[test]
    fn nested_paths_are_read_from_the_text() {
        let text = r#"{"host":{"name":"a","os":{"type":"linux"},"name":"b"},"log.level":"x","log":{"level":"y"},"s":"t"}"#;
        let fields = Fields::from_text(text).unwrap();
        assert_eq!(fields.get_path("host.name"), Some(&json!("b")));
        assert_eq!(fields.get_path("host.os.type"), Some(&json!("linux")));
        assert_eq!(fields.get_path("log.level"), Some(&json!("x")));
        assert_eq!(fields.get_path("host.missing"), None);
        assert_eq!(fields.get_path("s.t"), None);
        assert!(fields.is_string("s") && !fields.is_string("host") && !fields.is_string("nope"));
        assert!(Fields::from_text(r#"{"n":null}"#).unwrap().is_null("n"));
        let dotted = Fields::from_text(r#"{"a":{"b.c":1,"b":{"c":2}}}"#).unwrap();
        assert_eq!(dotted.get_path("a.b.c"), Some(&json!(1)));
    }

    #[test]
    fn members_are_added_to_objects_keeping_the_rest_as_text() {
        let mut fields =
            Fields::from_text(r#"{"event":{"kind" : "x","id":"old"},"s":"t","m":{"a":[1]}}"#)
                .unwrap();
        fields
            .object_at(&["event"])
            .unwrap()
            .insert("id", json!("new"));
        fields
            .object_at(&["event"])
            .unwrap()
            .insert("ingested", json!("now"));
        fields
            .object_at(&["new", "deep"])
            .unwrap()
            .insert("k", json!(1));
        assert!(fields.object_at(&["s"]).is_none(), "not an object");
        assert!(fields.object_at(&["s", "x"]).is_none());
        fields.get("m");
        fields.object_at(&["m"]).unwrap().insert("b", json!(2));
        assert_eq!(fields.get_path("event.id"), Some(&json!("new")));
        assert_eq!(fields.get_path("m.b"), Some(&json!(2)));
        let mut out = Vec::new();
        fields.write_json(&mut out);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            r#"{"event":{"kind":"x","id":"new","ingested":"now"},"s":"t","m":{"a":[1],"b":2},"new":{"deep":{"k":1}}}"#
        );
        assert_eq!(
            fields.get("event"),
            Some(&json!({"kind": "x", "id": "new", "ingested": "now"}))
        );
    }

    #[test]
    fn repeated_keys_keep_the_last_value() {
        let fields = Fields::from_text(r#"{"a":1,"b":2,"a":3}"#).unwrap();
        assert_eq!(fields.keys().collect::<Vec<_>>(), ["b", "a"]);
        assert_eq!(fields.get("a"), Some(&json!(3)));
    }

    #[test]
    fn escaped_keys_are_unescaped_and_written_back_escaped() {
        let fields = Fields::from_text(r#"{"a\"b\\c\n":1}"#).unwrap();
        assert_eq!(fields.keys().next(), Some("a\"b\\c\n"));
        let mut out = Vec::new();
        fields.write_json(&mut out);
        let back: Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(back, json!({"a\"b\\c\n": 1}));
    }

    #[test]
    fn removal_and_absent_insertion() {
        let mut fields = Fields::from_text(r#"{"a":1,"b":2}"#).unwrap();
        assert_eq!(fields.remove("a"), Some(json!(1)));
        fields.insert_absent("b", json!(9));
        fields.insert_absent("c", json!(3));
        assert_eq!(fields.to_value(), json!({"b": 2, "c": 3}));
    }

    #[test]
    fn text_that_jsonb_or_serde_would_treat_differently_is_parsed_fully() {
        for text in [
            r#"["not an object"]"#,
            r#""text""#,
            "",
            r#"{"a":"nul \u0000 here"}"#,
            r#"{"a":"lone \ud800 surrogate"}"#,
            r#"{"a":"lone \uDC00 surrogate"}"#,
            r#"{"a":"reversed \udc00\ud800 pair"}"#,
            r#"{"a":"high then text \ud800abcdef"}"#,
            r#"{"a":1e400}"#,
            r#"{"a":-2.5E+301}"#,
            r#"{"a":"unterminated}"#,
            r#"{"a":"bad \u12"}"#,
        ] {
            assert!(needs_full_parse(text), "{text}");
        }
        let deep = format!("{{\"a\":{}{}}}", "[".repeat(101), "]".repeat(101));
        assert!(needs_full_parse(&deep));
        let long = format!("{{\"a\":{}}}", "9".repeat(301));
        assert!(needs_full_parse(&long));
    }

    #[test]
    fn ordinary_text_passes_through() {
        for text in [
            r#" {"a":"C:\\Users\\u0000x","b":"\u00e9\ud83d\ude00","c":1.5e10,"d":true,"e":null}"#,
            r#"{"message":"exe 1e999 in a string","n":[-0.5e-3, 12]}"#,
        ] {
            assert!(!needs_full_parse(text), "{text}");
            let fields = Fields::from_text(text).unwrap();
            let mut out = Vec::new();
            fields.write_json(&mut out);
            let expected: Value = serde_json::from_str(text).unwrap();
            assert_eq!(serde_json::from_slice::<Value>(&out).unwrap(), expected);
        }
        let deep = format!("{{\"a\":{}{}}}", "[".repeat(99), "]".repeat(99));
        assert!(!needs_full_parse(&deep));
    }

    #[test]
    fn malformed_objects_fail_to_read() {
        for text in [r#"{"a":}"#, r#"{"a":1"#, r#"{"a":1} x"#, r#"{"a":tru}"#] {
            assert!(Fields::from_text(text).is_err(), "{text}");
        }
    }
}
