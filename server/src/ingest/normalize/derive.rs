//! ECS fields derived from what shippers send: Windows event exports,
//! MozDef's format, sshd and access-log lines, and common aliases. Each
//! value is applied only where the event does not already hold one.

use crate::event::text::{number_of, parse_ip, scalar_text};
use crate::ingest::fields::Fields;
use crate::ingest::parsers;
use crate::ingest::timestamp::TIME_FIELDS;
use serde_json::{Map, Value};

/// ECS values derived from recognised input fields, applied where absent.
#[derive(Debug, Default)]
pub struct Derived {
    pub values: Vec<(&'static str, Value)>,
    pub tags: Vec<String>,
}

impl Derived {
    pub fn get(&self, path: &str) -> Option<&Value> {
        self.values.iter().find(|(p, _)| *p == path).map(|(_, v)| v)
    }

    pub fn set(&mut self, path: &'static str, value: Option<Value>) {
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

/// Flattens `{"Event": {"System": …, "EventData": …}}` into top-level fields
/// named as Sigma expects: EventData and System children by name, XML
/// attributes as `<Element>_<Attribute>` (`Provider_Name`, `TimeCreated_SystemTime`).
pub fn flatten_windows_export(fields: &mut Fields<'_>) {
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

pub fn derive_windows(fields: &Fields<'_>, derived: &mut Derived) {
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

pub fn is_mozdef(fields: &Fields<'_>) -> bool {
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

pub fn derive_mozdef(fields: &Fields<'_>, derived: &mut Derived) {
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
pub fn derive_from_message(fields: &mut Fields<'_>, derived: &mut Derived) {
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
        for (path, value) in parsers::sshd_fields(&message) {
            derived.set(path, Some(value));
        }
    } else if !fields.contains_key("http")
        && let Some((found, time)) = parsers::access_log_fields(&message)
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
pub fn derive_common(fields: &Fields<'_>, derived: &mut Derived) {
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
