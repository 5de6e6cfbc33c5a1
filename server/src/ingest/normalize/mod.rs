//! Turning whatever a shipper sent into one event: ECS fields for what Vigil
//! understands, every input field kept.
//!
//! The stored document (`payload`) is the input object with Elastic Common
//! Schema fields added where they are absent (`@timestamp`, `event.*`,
//! `host.name`, `source.ip`, …). Input fields keep their names, so Sigma
//! rules can still say `Image` or `CommandLine`. When an ECS object would land
//! on a key that holds a scalar (a Logstash-style `"host": "web01"`), the scalar
//! moves to `vigil.original.<key>`; nothing is dropped. The hot fields are then
//! read back from the document into table columns, so the two never disagree.
//!
//! Recognised shapes: ECS/Beats documents, MozDef events (`summary`,
//! `hostname`, `details.*`, `utctimestamp`), Windows event log exports in nested
//! form (`Event.System` / `Event.EventData`, flattened to the field names Sigma
//! uses) and flat form (OTRF recordings: `EventID`, `Channel`, `Image`, …).

mod derive;

use self::derive::{
    Derived, derive_common, derive_from_message, derive_mozdef, derive_windows,
    flatten_windows_export, is_mozdef,
};
use super::fields::Fields;
use super::timestamp::{TIME_FIELDS, parse_timestamp, parse_timestamp_text};
use crate::event::text::{parse_ip, scalar_text};
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Map, Value};
use std::borrow::Cow;
use std::cell::RefCell;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;
use uuid::Uuid;

/// Returns one normalised event, ready to store.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// Vigil's id for the event (time-ordered UUIDv7).
    pub id: Uuid,
    /// `@timestamp`: when it happened (or when received, see `vigil.flags`).
    pub ts: DateTime<Utc>,
    /// `event.ingested`.
    pub ingested_at: DateTime<Utc>,
    /// The API key or listener that delivered it.
    pub source_id: Option<Uuid>,
    /// `event.category` (the first, when several).
    pub category: Option<String>,
    /// `event.action`.
    pub action: Option<String>,
    /// `event.outcome`: success, failure or unknown.
    pub outcome: Option<String>,
    /// `log.level`, lowercase.
    pub log_level: Option<String>,
    /// `host.name`.
    pub host_name: Option<String>,
    /// `source.ip`.
    pub source_ip: Option<IpAddr>,
    /// `destination.ip`.
    pub destination_ip: Option<IpAddr>,
    /// `user.name`.
    pub user_name: Option<String>,
    /// `process.name`.
    pub process_name: Option<String>,
    /// `message`.
    pub message: Option<String>,
    /// `tags`.
    pub tags: Vec<String>,
    /// The whole document, as JSON text.
    pub payload: String,
    /// The shipper's id for the document (Elasticsearch `_id`): a second
    /// document with the same id from the same source is not stored again.
    pub document_id: Option<String>,
}

impl Event {
    /// Returns the stored document parsed (tests and the occasional reader).
    pub fn document(&self) -> Value {
        serde_json::from_str(&self.payload).unwrap_or(Value::Null)
    }
}

/// Returns why an item was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    /// A stable code (`not_an_object`, `invalid_json`, `too_large`).
    pub code: &'static str,
    /// What was wrong.
    pub message: String,
}

/// Returns where and when events arrive.
#[derive(Debug, Clone)]
pub struct IngestContext {
    /// The delivering API key or listener.
    pub source_id: Option<Uuid>,
    /// What kind of source delivers.
    pub source_kind: app::ingest::SourceKind,
    /// Its name, stored in `vigil.source`.
    pub source_name: String,
    /// The receive time.
    pub received_at: DateTime<Utc>,
    /// Geo-IP databases for `source.geo` / `destination.geo`, when configured.
    pub geo: Option<super::GeoIp>,
}

/// Returns the normaliser's rules: how event times are judged, and how
/// large one event may be.
#[derive(Debug, Clone, Copy)]
pub struct IngestPolicy {
    /// Events older than this are kept at their receive time (and flagged).
    pub max_age: Duration,
    /// Events further ahead than this are kept at their receive time (and flagged).
    pub max_future: Duration,
    /// An event's JSON text larger than this is refused (`too_large`).
    pub max_event_bytes: usize,
}

impl Default for IngestPolicy {
    fn default() -> Self {
        IngestPolicy {
            max_age: Duration::from_secs(90 * 24 * 3600),
            max_future: Duration::from_secs(24 * 3600),
            max_event_bytes: 1024 * 1024,
        }
    }
}

/// Returns the event for the JSON text of one document, or why it cannot be one.
pub fn normalize_text(
    text: &str,
    ctx: &IngestContext,
    policy: IngestPolicy,
) -> Result<Event, Rejection> {
    normalize_text_with(text, ctx, policy, Vec::new())
}

/// As [`normalize_text`], also setting `annotations` (paths under `vigil.`).
pub fn normalize_text_with(
    text: &str,
    ctx: &IngestContext,
    policy: IngestPolicy,
    annotations: Vec<(&'static str, Value)>,
) -> Result<Event, Rejection> {
    let invalid = |e: serde_json::Error| Rejection {
        code: "invalid_json",
        message: format!("invalid json: {e}"),
    };
    if text.len() > policy.max_event_bytes {
        return Err(Rejection {
            code: "too_large",
            message: format!(
                "the event is {} bytes; at most {} are accepted",
                text.len(),
                policy.max_event_bytes
            ),
        });
    }
    match Fields::scan(text) {
        Some(fields) => Ok(normalize_fields(
            fields,
            text.len(),
            ctx,
            policy,
            annotations,
        )),
        // Not an object, malformed, or text jsonb would refuse: parse fully,
        // which cleans it or says what is wrong.
        None => {
            let doc: Value = serde_json::from_str(text).map_err(invalid)?;
            normalize_with(doc, ctx, policy, annotations)
        }
    }
}

/// Returns the event for `doc`, or why it cannot be one.
pub fn normalize(
    doc: Value,
    ctx: &IngestContext,
    policy: IngestPolicy,
) -> Result<Event, Rejection> {
    normalize_with(doc, ctx, policy, Vec::new())
}

fn normalize_with(
    doc: Value,
    ctx: &IngestContext,
    policy: IngestPolicy,
    annotations: Vec<(&'static str, Value)>,
) -> Result<Event, Rejection> {
    let Value::Object(mut fields) = doc else {
        return Err(Rejection {
            code: "not_an_object",
            message: format!("an event must be a JSON object, not {}", kind_of(&doc)),
        });
    };
    replace_nul_characters(&mut fields);
    Ok(normalize_fields(
        Fields::from_map(fields),
        1024,
        ctx,
        policy,
        annotations,
    ))
}

fn normalize_fields(
    mut fields: Fields<'_>,
    size_hint: usize,
    ctx: &IngestContext,
    policy: IngestPolicy,
    annotations: Vec<(&'static str, Value)>,
) -> Event {
    let mut derived = Derived::default();

    flatten_windows_export(&mut fields);
    if is_mozdef(&fields) {
        derive_mozdef(&fields, &mut derived);
    }
    if fields.contains_key("EventID") {
        derive_windows(&fields, &mut derived);
    }
    derive_common(&fields, &mut derived);
    derive_from_message(&mut fields, &mut derived);

    let (ts, time_flag, original_time) = event_time(&fields, ctx.received_at, policy);
    let id = event_id(ts);
    let mut doc = Document {
        fields,
        moved: Vec::new(),
    };
    let mut flags: Vec<Value> = Vec::new();
    if let Some(flag) = time_flag {
        flags.push(Value::from(flag));
    }
    doc.put("@timestamp", Value::from(rfc3339_micros(ts)), true);
    doc.put(
        "event.ingested",
        Value::from(rfc3339_micros(ctx.received_at)),
        true,
    );
    doc.put("event.id", Value::from(uuid_text(id)), false);
    for (path, value) in derived.values {
        doc.put(path, value, false);
    }
    if let Some(geo) = &ctx.geo {
        enrich_geo(&mut doc, geo);
    }
    if !derived.tags.is_empty() {
        let mut tags = tags_of(&doc.fields);
        for tag in derived.tags {
            if !tags.contains(&tag) {
                tags.push(tag);
            }
        }
        doc.fields.insert("tags", Value::from(tags));
    }
    doc.put(
        "vigil.source.name",
        Value::from(ctx.source_name.clone()),
        true,
    );
    if let Some(source) = ctx.source_id {
        doc.put("vigil.source.id", Value::from(uuid_text(source)), true);
    }
    if let Some(original) = original_time {
        doc.put("vigil.original_timestamp", original, true);
    }
    for (path, value) in annotations {
        doc.put(path, value, true);
    }
    if !doc.moved.is_empty() {
        flags.push(Value::from("renamed_conflicting_fields"));
    }
    if !flags.is_empty() {
        // Flags set before normalisation (by the syslog parser) are kept.
        let mut all: Vec<Value> = doc
            .fields
            .get_path("vigil.flags")
            .and_then(|flags| flags.as_array().cloned())
            .unwrap_or_default();
        all.extend(flags);
        doc.put("vigil.flags", Value::from(all), true);
    }

    let fields = doc.fields;
    let mut payload = Vec::with_capacity(size_hint + 384);
    fields.write_json(&mut payload);
    Event {
        id,
        ts,
        ingested_at: ctx.received_at,
        source_id: ctx.source_id,
        category: text_at(&fields, "event.category").map(lowercase),
        action: text_at(&fields, "event.action"),
        outcome: text_at(&fields, "event.outcome").map(lowercase),
        log_level: text_at(&fields, "log.level").map(lowercase),
        host_name: text_at(&fields, "host.name"),
        source_ip: ip_at(&fields, "source.ip"),
        destination_ip: ip_at(&fields, "destination.ip"),
        user_name: text_at(&fields, "user.name"),
        process_name: text_at(&fields, "process.name"),
        message: text_at(&fields, "message"),
        tags: tags_of(&fields),
        // Both halves are UTF-8: the sender's text and serde_json's output.
        payload: String::from_utf8(payload)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()),
        document_id: None,
    }
}

/// `text` in lower case; without a copy when it already is (the usual case).
fn lowercase(text: String) -> String {
    if text
        .bytes()
        .any(|b| b.is_ascii_uppercase() || !b.is_ascii())
    {
        text.to_lowercase()
    } else {
        text
    }
}

/// `2026-11-29T12:00:00.000000Z`, as chrono's `to_rfc3339_opts(Micros, true)`
/// writes it for years 0–9999, at a fraction of its cost (it runs twice per event).
fn rfc3339_micros(ts: DateTime<Utc>) -> String {
    use chrono::{Datelike, Timelike};
    let year = ts.year();
    if !(0..=9999).contains(&year) {
        return ts.to_rfc3339_opts(SecondsFormat::Micros, true);
    }
    let mut out = [0u8; 27];
    let mut put = |at: usize, width: usize, mut n: u32| {
        for i in (0..width).rev() {
            out[at + i] = b'0' + (n % 10) as u8;
            n /= 10;
        }
    };
    put(0, 4, year as u32);
    put(5, 2, ts.month());
    put(8, 2, ts.day());
    put(11, 2, ts.hour());
    put(14, 2, ts.minute());
    put(17, 2, ts.second());
    // A leap second shows as nanoseconds past 1e9; chrono prints it as 60.
    let nanos = ts.nanosecond();
    let (second_bump, micros) = (nanos / 1_000_000_000, nanos % 1_000_000_000 / 1000);
    if second_bump > 0 {
        put(17, 2, ts.second() + second_bump);
    }
    put(20, 6, micros);
    out[4] = b'-';
    out[7] = b'-';
    out[10] = b'T';
    out[13] = b':';
    out[16] = b':';
    out[19] = b'.';
    out[26] = b'Z';
    String::from_utf8_lossy(&out).into_owned()
}

/// Per-thread state of [`event_id`]: a SplitMix64 stream, the last
/// millisecond used and the counter within it.
struct IdState {
    random: u64,
    millis: u64,
    counter: u64,
}

thread_local! {
    static ID_STATE: RefCell<IdState> = RefCell::new(IdState {
        random: seed(),
        millis: 0,
        counter: 0,
    });
}

fn seed() -> u64 {
    let mut bytes = [0u8; 8];
    // Without the OS generator, the clock still gives each thread its own stream.
    if getrandom::fill(&mut bytes).is_err() {
        let nanos = Utc::now().timestamp_nanos_opt().unwrap_or_default() as u64;
        bytes = nanos.to_le_bytes();
    }
    u64::from_le_bytes(bytes)
}

impl IdState {
    fn next_random(&mut self) -> u64 {
        self.random = self.random.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.random;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

/// A UUIDv7 (RFC 9562) whose timestamp is the event's own time, in Unix
/// milliseconds: an id alone then names its day partition and its place in
/// the time index, so `GET /api/v1/events/{id}` needs nothing else. Then a
/// 42-bit counter that starts at a random value for each new millisecond (ids
/// of one thread for one millisecond are strictly increasing) and 32 random
/// bits; ids from different threads differ by their random bits.
/// `Uuid::now_v7` asked the kernel for randomness on every event, 2 % of
/// ingest CPU; this draws from a per-thread SplitMix64 stream seeded once.
fn event_id(ts: DateTime<Utc>) -> Uuid {
    const COUNTER_BITS: u32 = 42;
    ID_STATE.with(|state| {
        let mut state = state.borrow_mut();
        let millis = (ts.timestamp_millis().max(0) as u64) & 0xFFFF_FFFF_FFFF;
        if millis == state.millis && (state.counter + 1) >> COUNTER_BITS == 0 {
            state.counter += 1;
        } else {
            state.millis = millis;
            // Start in the lower half so the counter has room to grow.
            state.counter = state.next_random() >> (64 - COUNTER_BITS + 1);
        }
        let random = state.next_random() & 0xFFFF_FFFF;
        let bits = (u128::from(millis) << 80)
            | (0x7u128 << 76)
            | (u128::from(state.counter >> 30) << 64)
            | (0b10u128 << 62)
            | (u128::from(state.counter & 0x3FFF_FFFF) << 32)
            | u128::from(random);
        Uuid::from_u128(bits)
    })
}

/// `id` as `to_string` writes it, without the formatting machinery.
fn uuid_text(id: Uuid) -> String {
    id.hyphenated()
        .encode_lower(&mut Uuid::encode_buffer())
        .to_owned()
}

/// Returns the event time (to the millisecond) an event id carries.
pub fn time_of_id(id: Uuid) -> Option<DateTime<Utc>> {
    let millis = (id.as_u128() >> 80) as i64;
    (id.get_version_num() == 7)
        .then(|| DateTime::from_timestamp_millis(millis))
        .flatten()
}

/// Postgres text and jsonb cannot hold U+0000; it becomes U+FFFD rather than
/// failing the whole batch the event travels in.
fn replace_nul_characters(fields: &mut Map<String, Value>) {
    if fields.keys().any(|k| k.contains('\0')) {
        let old = std::mem::take(fields);
        for (key, value) in old {
            fields.insert(key.replace('\0', "\u{FFFD}"), value);
        }
    }
    for value in fields.values_mut() {
        replace_nul_in_value(value);
    }
}

fn replace_nul_in_value(value: &mut Value) {
    match value {
        Value::String(text) if text.contains('\0') => *text = text.replace('\0', "\u{FFFD}"),
        Value::Object(inner) => replace_nul_characters(inner),
        Value::Array(items) => items.iter_mut().for_each(replace_nul_in_value),
        _ => {}
    }
}

fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Adds ECS `geo` and `as` objects for public source and destination
/// addresses; what the shipper already sent under them wins.
fn enrich_geo(doc: &mut Document<'_>, geo: &super::GeoIp) {
    const SIDES: [(&str, &str, &str); 2] = [
        ("source.ip", "source.geo", "source.as"),
        ("destination.ip", "destination.geo", "destination.as"),
    ];
    for (ip_path, geo_path, as_path) in SIDES {
        let Some(located) = ip_at(&doc.fields, ip_path).and_then(|ip| geo.lookup(ip)) else {
            continue;
        };
        if let Some(json) = &located.geo_json {
            doc.put_shared(geo_path, json);
        }
        if let Some(json) = &located.as_json {
            doc.put_shared(as_path, json);
        }
    }
}

fn text_at(fields: &Fields<'_>, path: &str) -> Option<String> {
    fields.text_at(path).map(Cow::into_owned)
}

fn ip_at(fields: &Fields<'_>, path: &str) -> Option<IpAddr> {
    parse_ip(&fields.text_at(path)?)
}

/// The event's `tags` as a list (see [`string_list`]), read straight from
/// the sender's text when it is a list of plain strings.
fn tags_of(fields: &Fields<'_>) -> Vec<String> {
    if let Some(text) = fields.text_of("tags")
        && let Some(items) = super::fields::string_items(text)
    {
        return items
            .iter()
            .map(|tag| tag.trim())
            .filter(|tag| !tag.is_empty())
            .map(str::to_owned)
            .collect();
    }
    string_list(fields.get("tags"))
}

fn string_list(value: Option<&Value>) -> Vec<String> {
    match value {
        Some(Value::Array(items)) => items.iter().filter_map(scalar_text).collect(),
        Some(other) => scalar_text(other).into_iter().collect(),
        None => Vec::new(),
    }
}

/// The segments of one of Vigil's own dotted paths (at most eight), split
/// without allocating: the keys they add borrow the path.
fn path_segments(path: &'static str) -> Option<([&'static str; 8], usize)> {
    let mut buffer = [""; 8];
    let mut count = 0;
    let mut rest = Some(path);
    while let Some(remaining) = rest {
        let (segment, tail) = match crate::event::path::split_dot(remaining) {
            Some((segment, tail)) => (segment, Some(tail)),
            None => (remaining, None),
        };
        *buffer.get_mut(count)? = segment;
        count += 1;
        rest = tail;
    }
    Some((buffer, count))
}

/// The document being built, with the collision rule for dotted paths.
struct Document<'a> {
    fields: Fields<'a>,
    moved: Vec<String>,
}

impl Document<'_> {
    /// Sets `path` to `value`; `overwrite` replaces an existing value, otherwise an
    /// existing non-blank value wins. A scalar in the way of an object moves to
    /// `vigil.original.<prefix>`.
    fn put(&mut self, path: &'static str, value: Value, overwrite: bool) {
        if !overwrite && self.fields.has_value_at(path) {
            return;
        }
        let Some((buffer, count)) = path_segments(path) else {
            return;
        };
        let segments = &buffer[..count];
        let Some((last, parents)) = segments.split_last() else {
            return;
        };
        // Objects all the way down: set the member, leaving its siblings as text.
        if let Some(target) = self.fields.object_at(parents) {
            target.insert(*last, value);
            return;
        }
        let Some((first, inner)) = parents.split_first() else {
            self.fields.insert(path, value);
            return;
        };
        let mut displaced: Vec<(String, Value)> = Vec::new();
        let top = self
            .fields
            .get_or_insert_with(first, || Value::Object(Map::new()));
        if !top.is_object() {
            displaced.push((
                (*first).to_owned(),
                std::mem::replace(top, Value::Object(Map::new())),
            ));
        }
        let mut current = top
            .as_object_mut()
            .expect("an object was just ensured at this key");
        for (i, segment) in inner.iter().enumerate() {
            if current.get(*segment).is_some_and(|v| !v.is_object())
                && let Some(old) = current.insert((*segment).to_owned(), Value::Object(Map::new()))
            {
                displaced.push((segments[..=i + 1].join("."), old));
            }
            current = current
                .entry((*segment).to_owned())
                .or_insert_with(|| Value::Object(Map::new()))
                .as_object_mut()
                .expect("an object was just ensured at this key");
        }
        current.insert((*last).to_owned(), value);
        for (prefix, old) in displaced {
            self.moved.push(prefix.clone());
            self.stash_original(prefix, old);
        }
    }

    /// Sets `path` to shared JSON text unless it has a value (as `put`
    /// without overwriting), without parsing the text where it can.
    fn put_shared(&mut self, path: &'static str, json: &Arc<str>) {
        if self.fields.has_value_at(path) {
            return;
        }
        let Some((buffer, count)) = path_segments(path) else {
            return;
        };
        let Some((last, parents)) = buffer[..count].split_last() else {
            return;
        };
        match self.fields.object_at(parents) {
            Some(target) => target.insert_shared(*last, Arc::clone(json)),
            // A scalar in the way: the general path moves it aside.
            None => {
                if let Ok(value) = serde_json::from_str(json) {
                    self.put(path, value, false);
                }
            }
        }
    }

    fn stash_original(&mut self, path: String, value: Value) {
        let vigil = self
            .fields
            .get_or_insert_with("vigil", || Value::Object(Map::new()));
        if !vigil.is_object() {
            *vigil = Value::Object(Map::new());
        }
        if let Some(vigil) = vigil.as_object_mut() {
            let original = vigil
                .entry("original")
                .or_insert_with(|| Value::Object(Map::new()));
            if let Some(original) = original.as_object_mut() {
                original.insert(path, value);
            }
        }
    }
}

/// Picks the event time: the first parseable time field, within the policy's
/// range; otherwise the receive time with a flag and the original kept.
/// An event this much older than its arrival is flagged `arrived_late`.
const LATE_AFTER_HOURS: i64 = 24;

/// An event dated further ahead of its arrival than this is flagged.
const FUTURE_AFTER_MINUTES: i64 = 5;

fn event_time(
    fields: &Fields<'_>,
    received: DateTime<Utc>,
    policy: IngestPolicy,
) -> (DateTime<Utc>, Option<&'static str>, Option<Value>) {
    let mut unparsed: Option<Value> = None;
    for field in TIME_FIELDS {
        // Time fields are top-level names, so no path lookup is needed.
        if !fields.contains_key(field) {
            continue;
        }
        // Strings, the usual shape, are read without a `Value` being built.
        let parsed = match fields.str_at(field) {
            Some(text) => parse_timestamp_text(&text, received),
            None => fields
                .get(field)
                .and_then(|raw| parse_timestamp(raw, received)),
        };
        let raw = || fields.get(field).cloned().unwrap_or_default();
        let Some(ts) = parsed else {
            unparsed.get_or_insert_with(raw);
            continue;
        };
        let oldest = received - chrono::Duration::from_std(policy.max_age).unwrap_or_default();
        let newest = received + chrono::Duration::from_std(policy.max_future).unwrap_or_default();
        if ts < oldest || ts > newest {
            return (received, Some("timestamp_out_of_range"), Some(raw()));
        }
        // Kept at its time, but a pipeline that delivers day-old events is
        // worth knowing about (MozDef's old_events alert reads this).
        if received - ts > chrono::Duration::hours(LATE_AFTER_HOURS) {
            return (ts, Some("arrived_late"), None);
        }
        // Kept at its time too, flagged: detection judges it at its arrival
        // (see `detect::engine::FUTURE_SKEW`).
        if ts - received > chrono::Duration::minutes(FUTURE_AFTER_MINUTES) {
            return (ts, Some("from_the_future"), None);
        }
        return (ts, None, None);
    }
    match unparsed {
        Some(raw) => (received, Some("timestamp_unparsed"), Some(raw)),
        None => (received, Some("timestamp_missing"), None),
    }
}

// --- Windows event log exports ------------------------------------------------

#[cfg(test)]
mod tests;
