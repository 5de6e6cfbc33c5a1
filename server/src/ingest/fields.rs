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
//! it exactly as `serde_json` would: the top level is read by
//! [`super::scan::object_members`], which sends documents with `\u0000`, lone
//! surrogates, deep nesting or extreme numbers down the fully parsed path.

use crate::event::path::{split_dot, value_lookup};
use crate::event::text::scalar_str;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;
use serde_json::{Map, Value};
use std::borrow::Cow;
use std::cell::OnceCell;
use std::fmt;
use std::sync::Arc;

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
    /// JSON text written once and shared between events (geo-IP objects):
    /// written as is, parsed only when read.
    Shared {
        text: Arc<str>,
        value: OnceCell<Value>,
    },
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
            Node::Shared { text, value } => value.get_or_init(|| parse_valid(text)),
        }
    }

    /// The members, when this is an object held as text or in parts.
    fn members(&self) -> Option<&Fields<'a>> {
        match self {
            Node::Text { text, members, .. } => members
                .get_or_init(|| {
                    text.starts_with('{')
                        .then(|| Fields::from_valid_text(text).ok())
                        .flatten()
                })
                .as_ref(),
            Node::Object { fields, .. } => Some(fields),
            Node::Value(_) | Node::Shared { .. } => None,
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
                Node::Shared { text, value } => {
                    value.into_inner().unwrap_or_else(|| parse_valid(&text))
                }
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
            Node::Shared { text, .. } => text.bytes().next().unwrap_or(b'n'),
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
            Node::Shared { text, .. } => out.extend_from_slice(text.as_bytes()),
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
    /// Reads a JSON object's members from `text`, borrowing their text. The
    /// caller vouches that the text is safe to pass through (it was read by
    /// [`super::scan::object_members`], or is part of text that was).
    pub fn from_text(text: &'a str) -> Result<Fields<'a>, serde_json::Error> {
        match Fields::scan(text) {
            Some(fields) => Ok(fields),
            // Escaped keys, for one, are left to serde_json.
            None => serde_json::from_str(text),
        }
    }

    /// Reads the members of the JSON object `text` with
    /// [`super::scan::read_object`]; None when it must be parsed fully.
    pub fn scan(text: &'a str) -> Option<Fields<'a>> {
        // Room for the members normalisation adds (`event.ingested`,
        // `vigil`, …) without moving every entry to a larger vector.
        let mut fields = Fields {
            entries: Vec::with_capacity(20),
        };
        super::scan::read_object(text, &mut fields)?;
        Some(fields)
    }

    /// [`Fields::from_text`] for a value inside text that was read that way
    /// (every [`Node::Text`]): it is not checked again.
    fn from_valid_text(text: &'a str) -> Result<Fields<'a>, serde_json::Error> {
        let mut fields = Fields {
            entries: Vec::with_capacity(12),
        };
        match super::scan::read_valid_object(text, &mut fields) {
            Some(()) => Ok(fields),
            None => serde_json::from_str(text),
        }
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
        self.entries.iter().position(|e| same_key(&e.key, key))
    }

    fn node(&self, key: &str) -> Option<&Node<'a>> {
        self.entries
            .iter()
            .find(|e| same_key(&e.key, key))
            .map(|e| &e.node)
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

    /// The sender's JSON text of member `key`, when it is unchanged.
    pub fn text_of(&self, key: &str) -> Option<&'a str> {
        match self.node(key)? {
            Node::Text { text, .. } => Some(text),
            _ => None,
        }
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
        match self.find_path(path)? {
            Found::Node(node) => Some(node.value()),
            Found::Value(value) => Some(value),
        }
    }

    /// What [`Fields::get_path`] finds, without parsing a leaf held as text.
    fn find_path(&self, path: &str) -> Option<Found<'_, 'a>> {
        if let Some(node) = self.node(path) {
            return Some(Found::Node(node));
        }
        let (head, rest) = split_dot(path)?;
        let node = self.node(head)?;
        match node.members() {
            Some(members) => members.find_path(rest),
            None => value_lookup(node.value().as_object()?, rest).map(Found::Value),
        }
    }

    /// The string at a dotted path, borrowed from the sender's text when it
    /// has no escapes (most do): columns and parsers read these without a
    /// `Value` being built. None for anything but a string.
    pub fn str_at(&self, path: &str) -> Option<Cow<'_, str>> {
        match self.find_path(path)? {
            Found::Node(Node::Text { text, .. }) => match plain_string(text) {
                Some(inner) => Some(Cow::Borrowed(inner)),
                None if text.starts_with('"') => unescape(text)
                    .or_else(|| serde_json::from_str::<String>(text).ok())
                    .map(Cow::Owned),
                None => None,
            },
            Found::Node(node) => node.value().as_str().map(Cow::Borrowed),
            Found::Value(value) => value.as_str().map(Cow::Borrowed),
        }
    }

    /// The value at a dotted path as a column holds it (see [`scalar_str`]),
    /// borrowed from the sender's text when it is a string without escapes.
    pub fn text_at(&self, path: &str) -> Option<Cow<'_, str>> {
        let value = match self.find_path(path)? {
            // A plain string, or the first item of an ECS list
            // (`event.category: ["web"]`), as the sender wrote it.
            Found::Node(Node::Text { text, .. })
                if let Some(plain) = plain_string(text).or_else(|| first_plain_item(text)) =>
            {
                let trimmed = plain.trim();
                return (!trimmed.is_empty()).then_some(Cow::Borrowed(trimmed));
            }
            Found::Node(node) => node.value(),
            Found::Value(value) => value,
        };
        scalar_str(value)
    }

    /// Says whether the value at a dotted path is there and not blank (null,
    /// or a string of whitespace), parsing only what it must.
    pub fn has_value_at(&self, path: &str) -> bool {
        let value = match self.find_path(path) {
            None => return false,
            Some(Found::Node(Node::Text { text, .. })) if !text.starts_with('"') => {
                return !text.starts_with('n');
            }
            Some(Found::Node(Node::Text { text, .. })) if let Some(plain) = plain_string(text) => {
                return !plain.trim().is_empty();
            }
            Some(Found::Node(node)) => node.value(),
            Some(Found::Value(value)) => value,
        };
        match value {
            Value::Null => false,
            Value::String(s) => !s.trim().is_empty(),
            _ => true,
        }
    }

    /// Returns the object at the path `parents`, creating missing objects;
    /// None (having changed nothing) when a value in the way is not an object.
    pub fn object_at(&mut self, parents: &[&'a str]) -> Option<&mut Fields<'a>> {
        let Some((first, rest)) = parents.split_first() else {
            return Some(self);
        };
        let i = match self.position(first) {
            Some(i) => i,
            None => {
                self.entries.push(Entry {
                    key: Cow::Borrowed(first),
                    node: Node::Object {
                        fields: Fields::default(),
                        value: OnceCell::new(),
                    },
                });
                self.entries.len() - 1
            }
        };
        let node = &mut self.entries[i].node;
        if let Node::Shared { .. } = node {
            node.value_mut();
        }
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

    /// Sets `key` to JSON text shared between events (valid JSON, written
    /// by `serde_json`), returning nothing: what it replaces is dropped.
    pub fn insert_shared(&mut self, key: impl Into<Cow<'a, str>>, text: Arc<str>) {
        let key = key.into();
        let node = Node::Shared {
            text,
            value: OnceCell::new(),
        };
        match self.position(&key) {
            Some(i) => self.entries[i].node = node,
            None => self.entries.push(Entry { key, node }),
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

/// `a == b`, rejecting most differing keys of one length by their first and
/// last bytes: normalisation looks up some sixty names per event, and a
/// library compare per same-length key was 4 % of ingest CPU.
fn same_key(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    a.len() == b.len() && a.first() == b.first() && a.last() == b.last() && a == b
}

/// Where a dotted path led: a member (perhaps still text), or a value
/// inside one that was parsed whole.
enum Found<'f, 'a> {
    Node(&'f Node<'a>),
    Value(&'f Value),
}

/// The contents of a JSON string without escapes, which are its text as is.
fn plain_string(text: &str) -> Option<&str> {
    let inner = text.strip_prefix('"')?.strip_suffix('"')?;
    (!inner.bytes().any(|b| b == b'\\')).then_some(inner)
}

/// The first item of a JSON array when it is a string without escapes.
fn first_plain_item(text: &str) -> Option<&str> {
    let rest = text
        .strip_prefix('[')?
        .trim_start_matches([' ', '\t', '\n', '\r']);
    let inner = rest.strip_prefix('"')?;
    let end = inner.bytes().position(|b| b == b'"' || b == b'\\')?;
    inner[end..].starts_with('"').then(|| &inner[..end])
}

/// Reads a JSON string literal (quotes included) from text already
/// validated: what serde_json reads, without its per-call machinery. None
/// for anything unexpected (the caller then asks serde_json).
pub fn unescape(text: &str) -> Option<String> {
    let mut rest = text.strip_prefix('"')?.strip_suffix('"')?;
    let mut out = String::with_capacity(rest.len());
    while let Some(at) = rest.bytes().position(|b| b == b'\\') {
        out.push_str(&rest[..at]);
        let escape = rest.as_bytes().get(at + 1)?;
        let simple = match escape {
            b'"' => Some('"'),
            b'\\' => Some('\\'),
            b'/' => Some('/'),
            b'b' => Some('\u{8}'),
            b'f' => Some('\u{c}'),
            b'n' => Some('\n'),
            b'r' => Some('\r'),
            b't' => Some('\t'),
            _ => None,
        };
        if let Some(c) = simple {
            out.push(c);
            rest = &rest[at + 2..];
            continue;
        }
        if *escape != b'u' {
            return None;
        }
        let code = hex4(rest.get(at + 2..at + 6)?)?;
        let (c, used) = if (0xD800..0xDC00).contains(&code) {
            // A high surrogate is only a character with the low one after it.
            let low = hex4(rest.get(at + 6..at + 12)?.strip_prefix("\\u")?)?;
            if !(0xDC00..0xE000).contains(&low) {
                return None;
            }
            let c = char::from_u32(0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00))?;
            (c, 12)
        } else {
            (char::from_u32(code)?, 6)
        };
        out.push(c);
        rest = &rest[at + used..];
    }
    out.push_str(rest);
    Some(out)
}

fn hex4(digits: &str) -> Option<u32> {
    if digits.len() != 4 || !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u32::from_str_radix(digits, 16).ok()
}

/// The items of a JSON array of strings, from text already validated;
/// None when it is not an array or an item is not a string.
pub fn string_items(text: &str) -> Option<Vec<Cow<'_, str>>> {
    let bytes = text.as_bytes();
    let mut at = text.strip_prefix('[').map(|_| 1)?;
    let skip_space = |mut at: usize| {
        while bytes
            .get(at)
            .is_some_and(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
        {
            at += 1;
        }
        at
    };
    let mut items = Vec::new();
    at = skip_space(at);
    if bytes.get(at) == Some(&b']') {
        return Some(items);
    }
    loop {
        if bytes.get(at) != Some(&b'"') {
            return None;
        }
        let start = at;
        at += 1;
        loop {
            match bytes.get(at)? {
                b'"' => break,
                b'\\' => at += 2,
                _ => at += 1,
            }
        }
        let item = &text[start..=at];
        items.push(match plain_string(item) {
            Some(plain) => Cow::Borrowed(plain),
            None => Cow::Owned(unescape(item)?),
        });
        at = skip_space(at + 1);
        match bytes.get(at)? {
            b',' => at = skip_space(at + 1),
            b']' => return Some(items),
            _ => return None,
        }
    }
}

/// Parses text that was validated when the document was read; a number
/// beyond f64 (let through by [`needs_full_parse`]) reads as null.
fn parse_valid(text: &str) -> Value {
    // Most values read are short plain strings, small integers and literals:
    // building them directly skips serde's per-call setup.
    if let Some(inner) = plain_string(text) {
        return Value::String(inner.to_owned());
    }
    if text.starts_with('"')
        && let Some(string) = unescape(text)
    {
        return Value::String(string);
    }
    match text.as_bytes() {
        b"true" => return Value::Bool(true),
        b"false" => return Value::Bool(false),
        b"null" => return Value::Null,
        [b'1'..=b'9', rest @ ..] if rest.len() < 18 && rest.iter().all(u8::is_ascii_digit) => {
            if let Ok(n) = text.parse::<u64>() {
                return Value::from(n);
            }
        }
        _ => {}
    }
    serde_json::from_str(text).unwrap_or(Value::Null)
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

impl<'a> super::scan::Members<'a> for Fields<'a> {
    fn push_member(&mut self, key: &'a str, text: &'a str) {
        self.entries.push(Entry {
            key: Cow::Borrowed(key),
            node: Node::text(text),
        });
    }

    fn remove_member(&mut self, key: &str) {
        self.entries.retain(|e| e.key != key);
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn unchanged_values_keep_their_text_and_changed_ones_are_serialised() {
        let text = r#"{"a": {"x" : 1.50}, "b":[1, 2], "c":"t\"q"}"#;
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
    fn strings_and_column_text_are_read_without_building_values() {
        let fields = Fields::from_text(
            r#"{"a":{"b":" x ","e":"q\"t","n":5,"z":null,"w":"  ","l":["f",2],"t":true}}"#,
        )
        .unwrap();
        assert!(matches!(fields.str_at("a.b"), Some(Cow::Borrowed(" x "))));
        assert_eq!(fields.str_at("a.e").as_deref(), Some("q\"t"));
        assert_eq!(fields.str_at("a.n"), None);
        assert!(matches!(fields.text_at("a.b"), Some(Cow::Borrowed("x"))));
        assert_eq!(fields.text_at("a.e").as_deref(), Some("q\"t"));
        assert_eq!(fields.text_at("a.n").as_deref(), Some("5"));
        assert!(matches!(fields.text_at("a.l"), Some(Cow::Borrowed("f"))));
        let lists =
            Fields::from_text(r#"{"a":[ " x"],"b":["\\q"],"c":[""],"d":[],"e":[1]}"#).unwrap();
        assert!(matches!(lists.text_at("a"), Some(Cow::Borrowed("x"))));
        assert_eq!(lists.text_at("b").as_deref(), Some("\\q"));
        assert_eq!((lists.text_at("c"), lists.text_at("d")), (None, None));
        assert_eq!(lists.text_at("e").as_deref(), Some("1"));
        assert_eq!(fields.text_at("a.t").as_deref(), Some("true"));
        assert_eq!(fields.text_at("a.w"), None);
        assert_eq!(fields.text_at("a.z"), None);
        assert_eq!(fields.text_at("a"), None, "objects are not column text");
        assert!(fields.has_value_at("a.b") && fields.has_value_at("a.n"));
        assert!(fields.has_value_at("a.e") && fields.has_value_at("a.l"));
        assert!(!fields.has_value_at("a.z") && !fields.has_value_at("a.w"));
        assert!(!fields.has_value_at("a.missing") && !fields.has_value_at("b"));
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
    fn values_read_directly_equal_what_serde_reads() {
        for text in [
            "\"plain\"",
            "\"\"",
            "\"esc\\\"aped\"",
            "\"\\u00e9\"",
            "true",
            "false",
            "null",
            "0",
            "7",
            "123456789012345678",
            "18446744073709551615",
            "-5",
            "1.5",
            "[1]",
            "{\"a\":1}",
        ] {
            let expected: Value = serde_json::from_str(text).unwrap();
            assert_eq!(parse_valid(text), expected, "{text}");
        }
    }

    #[test]
    fn strings_and_string_lists_read_as_serde_reads_them() {
        for text in [
            r#""""#,
            r#""plain""#,
            r#""C:\\Windows\\system32\\cmd.exe""#,
            r#""q\"\/\b\f\n\r\t""#,
            r#""\u00e9\u4e2d \ud83d\ude00 end""#,
        ] {
            let expected: String = serde_json::from_str(text).unwrap();
            assert_eq!(unescape(text).as_deref(), Some(expected.as_str()), "{text}");
        }
        for broken in [r#""\ud83d""#, r#""\ud83d\u0041""#, r#""\x""#, r#""\u12""#] {
            assert_eq!(unescape(broken), None, "{broken}");
        }
        for text in [r#"[]"#, r#"[ "a" , "b\"c", "" ]"#, r#"["\\"]"#] {
            let expected: Vec<String> = serde_json::from_str(text).unwrap();
            let items: Vec<String> = string_items(text)
                .unwrap()
                .into_iter()
                .map(Cow::into_owned)
                .collect();
            assert_eq!(items, expected, "{text}");
        }
        for not_strings in [r#"["a", 1]"#, r#"[null]"#, r#""a""#, r#"{"a":["b"]}"#] {
            assert_eq!(string_items(not_strings), None, "{not_strings}");
        }
    }

    proptest::proptest! {
        #[test]
        fn strings_read_back_what_serde_writes(
            items in proptest::collection::vec(proptest::prelude::any::<String>(), 0..4)
        ) {
            for item in &items {
                let text = serde_json::to_string(item).unwrap();
                proptest::prop_assert_eq!(unescape(&text), Some(item.clone()));
            }
            let text = serde_json::to_string(&items).unwrap();
            let read: Vec<String> = string_items(&text)
                .unwrap()
                .into_iter()
                .map(Cow::into_owned)
                .collect();
            proptest::prop_assert_eq!(read, items);
        }
    }

    #[test]
    fn shared_text_is_written_as_is_and_read_when_asked() {
        let mut fields = Fields::from_text(r#"{"source":{"ip":"81.2.69.142"}}"#).unwrap();
        let geo: Arc<str> = r#"{"city_name":"London","location":{"lat":51.5,"lon":-0.1}}"#.into();
        fields
            .object_at(&["source"])
            .unwrap()
            .insert_shared("geo", Arc::clone(&geo));
        assert_eq!(
            fields.get_path("source.geo.city_name"),
            Some(&json!("London"))
        );
        assert_eq!(
            fields.text_at("source.geo.city_name").as_deref(),
            Some("London")
        );
        let mut out = Vec::new();
        fields.write_json(&mut out);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            format!(r#"{{"source":{{"ip":"81.2.69.142","geo":{geo}}}}}"#)
        );
        // Reaching into it to change a member makes it an object of its own.
        fields
            .object_at(&["source", "geo"])
            .unwrap()
            .insert("city_name", json!("Londres"));
        assert_eq!(
            fields.get_path("source.geo.location.lat"),
            Some(&json!(51.5))
        );
        assert_eq!(
            fields.get_path("source.geo.city_name"),
            Some(&json!("Londres"))
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
    fn malformed_objects_fail_to_read() {
        for text in [r#"{"a":}"#, r#"{"a":1"#, r#"{"a":1} x"#, r#"{"a":tru}"#] {
            assert!(Fields::from_text(text).is_err(), "{text}");
        }
    }
}
