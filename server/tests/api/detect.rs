//! The detection matcher agrees with search: for a corpus of varied events
//! stored through ingest, every query — hand-picked edge cases and hundreds
//! of generated combinations — selects the same events in memory as the
//! compiled SQL selects in Postgres.

use crate::helpers::{TestApp, ingest_key, new_client, spawn_app};
use app::search::{Hit, SearchRequest};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::collections::BTreeSet;
use vigil::detect::{EventView, Matcher};

const BASE: &str = "2026-11-29T10:00:00Z";

/// A date field written as shippers write it: UTC, another zone, a
/// fraction, not a date at all, epoch milliseconds as a number.
fn created(i: usize) -> Value {
    let at =
        chrono::DateTime::parse_from_rfc3339(BASE).unwrap() + chrono::Duration::minutes(i as i64);
    let utc = at.with_timezone(&chrono::Utc);
    match i % 5 {
        0 => json!(utc.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
        1 => json!(
            utc.with_timezone(&chrono::FixedOffset::east_opt(3600).unwrap())
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        ),
        2 => json!(utc.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)),
        3 => json!("not-a-date"),
        _ => json!(utc.timestamp_millis()),
    }
}

/// Forty events whose fields vary in presence, type, case and shape.
fn corpus() -> Vec<Value> {
    let base = chrono::DateTime::parse_from_rfc3339(BASE).unwrap();
    let hosts = [
        json!("web01"),
        json!("web02"),
        json!("WEB03"),
        json!("db01"),
        json!(" padded "),
        Value::Null,
    ];
    let ips = [
        json!("10.1.2.3"),
        json!("10.200.0.9"),
        json!("192.168.1.20"),
        json!("2001:db8::1"),
        json!("10.0.0.5:443"),
        json!("not-an-ip"),
        json!(["10.9.9.9", "10.8.8.8"]),
    ];
    let users = [
        json!("root"),
        json!("admin"),
        json!("Root"),
        Value::Null,
        json!(42),
    ];
    let categories = [
        json!("Authentication"),
        json!("network"),
        json!("PROCESS"),
        json!(["authentication", "iam"]),
    ];
    let messages = [
        json!("Failed password for root from 10.1.2.3"),
        json!("Accepted publickey for admin"),
        json!("100% done"),
        json!("under_score and back\\slash"),
        json!("  spaced message  "),
        json!(7),
    ];
    let tags = [
        json!(["ssh", "prod"]),
        json!("single"),
        json!([]),
        json!(["Prod", 5]),
    ];
    let codes = [
        json!(200),
        json!(404),
        json!(500),
        json!(503),
        json!("500"),
        json!(1.5),
        Value::Null,
    ];
    (0..40)
        .map(|i: usize| {
            let mut event = json!({
                "@timestamp": (base + chrono::Duration::minutes(i as i64)).to_rfc3339(),
                "event": {
                    "category": categories[i % 4],
                    "outcome": if i.is_multiple_of(3) { "FAILURE" } else { "success" },
                    "created": created(i),
                },
                "http": {"response": {"status_code": codes[i % 7]}},
                "ratio": (i as f64) / 8.0,
            });
            let object = event.as_object_mut().unwrap();
            if !hosts[i % 6].is_null() {
                object.insert("host".into(), json!({"name": hosts[i % 6]}));
            }
            object.insert("source".into(), json!({"ip": ips[i % 7]}));
            object.insert("client".into(), json!({"address": ips[(i + 3) % 7]}));
            if i % 5 != 3 {
                object.insert("user".into(), json!({"name": users[i % 5]}));
            }
            if i % 6 != 5 {
                object.insert("message".into(), messages[i % 6].clone());
            }
            if i % 4 != 2 {
                object.insert("tags".into(), tags[i % 4].clone());
            }
            match i % 3 {
                0 => {
                    object.insert(
                        "labels".into(),
                        json!({"env": if i.is_multiple_of(2) { "prod" } else { "dev" }}),
                    );
                }
                1 => {
                    object.insert("labels.env".into(), json!("literal"));
                }
                _ => {}
            }
            if i.is_multiple_of(2) {
                object.insert(
                    "process".into(),
                    json!({"args": ["-c", format!("id {i}")], "pid": i}),
                );
            }
            event
        })
        .collect()
}

/// Leaves covering every operator on columns, documents, arrays and absences.
const LEAVES: &[&str] = &[
    "host.name:web01",
    "host.name:web*",
    "host.name:WEB0?",
    "host.name:*",
    "host.name:padded",
    "host.name:[db TO web02]",
    "host.name>web01",
    "event.category:authentication",
    "event.category:AUTH*",
    "event.category:iam",
    "event.category:*",
    "event.outcome:failure",
    "event.outcome:FAILURE",
    "event.outcome<t",
    "source.ip:10.0.0.0/8",
    "source.ip:10.1.2.3",
    "source.ip:2001:db8::/32",
    "source.ip:10.*",
    "source.ip:[10.0.0.0 TO 10.255.255.255]",
    "source.ip>192.168.0.0",
    "source.ip:*",
    "source.ip:10.9.9.9",
    "source.ip:not-an-ip",
    "user.name:root",
    "user.name:Root",
    "user.name:*",
    "user.name:42",
    "user.name>=a",
    "password",
    "\"failed password\"",
    "fail*",
    "message:*done*",
    "message:100%",
    "under_score",
    "under?score",
    "back\\\\slash",
    "message:*",
    "message:spaced*",
    "message:7",
    "message>B",
    "tags:ssh",
    "tags:pr*",
    "tags:*",
    "tags:[a TO q]",
    "tags:single",
    "tags:5",
    "tags:Prod",
    "http.response.status_code>=500",
    "http.response.status_code:500",
    "http.response.status_code:[200 TO 404}",
    "http.response.status_code<300",
    "http.response.status_code:*",
    "http.response.status_code:5*",
    "http.response.status_code:1.5",
    "http.response.status_code>\"4\"",
    "labels.env:prod",
    "labels.env:literal",
    "labels.env:*",
    "labels.env:[a TO m]",
    "process.args:-c",
    "process.args:id*",
    "process.args:*",
    "process.pid>10",
    "process.pid:[4 TO 8]",
    "ratio>1",
    "ratio:1.5",
    "ratio:[0.5 TO 2}",
    "ratio:0",
    "@timestamp>=2026-11-29T10:05:00Z",
    "@timestamp:[2026-11-29T10:00:00Z TO 2026-11-29T10:10:00Z}",
    "@timestamp:2026-11-29T10:07:00Z",
    "@timestamp:2026-11-29",
    "@timestamp:2026-11-28",
    "@timestamp>=2026-11-29T10:05",
    "@timestamp>2026-11-29T10:05",
    "@timestamp<=2026-11-29T10:05",
    "@timestamp<2026-11-29T10:05:00",
    "@timestamp:[2026-11-29T10:05 TO 2026-11-29T10:09}",
    "@timestamp:{2026-11-29T10 TO *]",
    "@timestamp:1795946700000",
    "@timestamp:2026-11-29T11:05:00+01:00||/h",
    "@timestamp<=now",
    "@timestamp>now-30d/d",
    // Typed ranges on document fields: numbers in strings, addresses,
    // arrays by element; networks on any field.
    "client.address:10.0.0.0/8",
    "client.address:2001:db8::/32",
    "client.address:[10.0.0.0 TO 10.255.255.255]",
    "client.address>192.168.0.0",
    "client.address:[10.8.0.0 TO 10.8.255.255]",
    "client.address<10.8.8.9",
    "http.response.status_code:[400 TO 500]",
    "http.response.status_code>1e2",
    "process.args:[-c TO -d]",
    "process.args>=id",
    "labels.env>=m",
    // A date field stored only in the document compares as times.
    "event.created>=2026-11-29T10:05",
    "event.created<2026-11-29T10:10:00Z",
    "event.created:2026-11-29",
    "event.created:[2026-11-29T10:05 TO 2026-11-29T10:20}",
    "event.created>now-30d",
    "event.created:*",
    // Lucene's field wildcards: any field under the prefix, at any depth.
    "host.*:web01",
    "http.*:500",
    "http.*:\"500\"",
    "process.*:-c",
    "labels.*:prod",
    "source.*:10.1.2.3",
    "client.*:10.9.9.9",
    "event.*:FAILURE",
    "event.*:iam",
    "NOT host.*:web01",
    // Lucene's forms.
    "_exists_:labels.env",
    "http.response.status_code:>=500",
    "user.name:/r.*t/",
    "host.name:/web0[12]/",
    "message:/.*done/",
    "tags:/pr.*/",
    "process.args:/id\\ [0-9]/",
    "!user.name:root",
    "+host.name:web01",
    "*",
    "missing.field:*",
    "missing.field:x",
    // Modifiers, as Sigma rules use them.
    "host.name|i:WEB01",
    "host.name|contains:eb",
    "host.name|startswith|cased:W",
    "host.name|endswith:01",
    "event.category|contains:AUTH",
    "host.name|in:probe-list",
    "source.ip|in:probe-list",
    "user.name|in:probe-list",
    "tags|in:probe-list",
    "labels.env|in:probe-list",
    "process.args|in:probe-list",
    "http.response.status_code|in:probe-list",
    "message|in:probe-list",
    "missing.field|in:probe-list",
    "host.name|in:no-such-list",
    "message|contains|in:probe-list",
    "host.name|contains|in:probe-list",
    "user.name|contains|in:probe-list",
    "process.args|contains|in:probe-list",
    "source.ip|contains|in:probe-list",
    "tags|contains|in:probe-list",
    "message|contains|in:no-such-list",
    "@timestamp|hour:10",
    "@timestamp|minute:7",
    "@timestamp|minute:59",
    "@timestamp|day:29",
    "@timestamp|week:48",
    "@timestamp|month:11",
    "@timestamp|year:2026",
    "event.category|cased|startswith:auth",
    "event.outcome|i:Failure",
    "source.ip|cidr:10.0.0.0/8",
    "source.ip|contains:.2.",
    "source.ip|cidr:2001:db8::/32",
    "source.ip|cidr:10.9.9.9",
    "client.address|cidr:10.0.0.0/8",
    "client.address|cidr:2001:db8::/32",
    "client.address|i:NOT-AN-IP",
    "user.name|i:ROOT",
    "user.name|re:\"^r.*t$\"",
    "user.name|re|i:\"^R\"",
    "user.name|contains:4",
    "message|contains:PASSWORD",
    "message|endswith:done",
    "message|re:\"[0-9]+%\"",
    "message|contains|cased:Fail",
    "message|contains:\"back\\\\slash\"",
    "message|contains:under_s*e",
    "tags|i:prod",
    "tags|contains:s",
    "tags|re:\"^[0-9]$\"",
    "http.response.status_code|startswith:5",
    "http.response.status_code|re:\"^5\"",
    "http.response.status_code|i:1.5",
    "labels.env|i:PROD",
    "labels.env|contains:i",
    "process.args|contains:ID",
    "process.args|endswith|cased:\" 4\"",
    "process.args|re:\"^id [0-9]$\"",
    "@timestamp|startswith:\"2026-11-29T10:0\"",
    "event.id|contains:-",
    "user.name|fieldref:user.name",
    "host.name|fieldref|cased:labels.env",
    "event.outcome|fieldref:event.outcome",
    "missing.field|contains:x",
    "ratio|startswith:0.",
    "ratio|re:\"5$\"",
    // ORs of "contains" on one text, searched for in one pass.
    "(message|contains:fail OR message|contains:DONE OR message|contains:under_)",
    "(process.args|contains:ID OR process.args|contains:-c)",
    "(password OR done OR score)",
    "(host.name|contains:EB OR host.name|contains|cased:EB OR tags|contains:PR OR tags|contains:ss)",
];

/// A small deterministic generator (xorshift), so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[(self.next() % items.len() as u64) as usize]
    }

    fn query(&mut self, depth: u32) -> String {
        let choice = if depth == 0 { 0 } else { self.next() % 5 };
        match choice {
            0 | 1 => self.pick(LEAVES).to_owned(),
            2 => format!("({} AND {})", self.query(depth - 1), self.query(depth - 1)),
            3 => format!("({} OR {})", self.query(depth - 1), self.query(depth - 1)),
            _ => format!("NOT {}", self.query(depth - 1)),
        }
    }
}

async fn search(app: &TestApp, query: &str) -> Vec<Hit> {
    let request = SearchRequest {
        query: query.into(),
        from: Some("2026-11-29T09:00:00Z".into()),
        to: Some("2026-11-29T11:00:00Z".into()),
        limit: Some(1000),
        ..SearchRequest::default()
    };
    app.search(&request).await.hits
}

#[tokio::test]
async fn the_matcher_selects_what_search_selects() {
    let app = spawn_app().await;
    app.login_as_admin().await;
    let key = ingest_key(&app, "corpus").await;
    let response = new_client()
        .post(app.url("/api/v1/events"))
        .bearer_auth(key)
        .json(&corpus())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let answer: Value = response.json().await.unwrap();
    assert_eq!(answer["accepted"], 40, "{answer}");

    let all = search(&app, "").await;
    assert_eq!(all.len(), 40);
    // A watchlist for `|in:` (values are stored trimmed and in lower case).
    let values = [
        "web01",
        " Padded ",
        "WEB03",
        "root",
        "10.1.2.3",
        "2001:DB8::1",
        "42",
        "prod",
        "-c",
        "500",
    ];
    let created: Value = app
        .post_json(
            "/api/v1/watchlists",
            &json!({"slug": "probe-list", "name": "Probe list"}),
        )
        .await
        .json()
        .await
        .unwrap();
    let response = app
        .post_json(
            &format!(
                "/api/v1/watchlists/{}/entries",
                created["id"].as_str().unwrap()
            ),
            &json!({"values": values}),
        )
        .await;
    assert_eq!(
        response.status(),
        StatusCode::OK,
        "{}",
        response.text().await.unwrap()
    );
    let lists = vigil::detect::matcher::Lists::from([(
        "probe-list".to_owned(),
        std::sync::Arc::new(
            values
                .iter()
                .map(|v| app::watchlists::normalize_value(v).unwrap())
                .collect(),
        ),
    )]);
    let mut queries: Vec<String> = LEAVES.iter().map(|l| (*l).to_owned()).collect();
    let mut rng = Rng(0x5eed_1234_abcd_0001);
    queries.extend((0..300).map(|_| rng.query(3)));

    let mut disagreements = Vec::new();
    for query in &queries {
        let parsed = app::query::parse(query).unwrap_or_else(|e| panic!("{query}: {e}"));
        let clock = app::query::time::Clock::utc(chrono::Utc::now());
        let resolved = app::query::time::resolve(&parsed, &clock).unwrap();
        let matcher = Matcher::with_lists(&resolved, &lists);
        let in_memory: BTreeSet<uuid::Uuid> = all
            .iter()
            .filter(|hit| {
                matcher.matches(&EventView {
                    timestamp: hit.timestamp,
                    id: hit.id,
                    document: &hit.event,
                })
            })
            .map(|hit| hit.id)
            .collect();
        let in_sql: BTreeSet<uuid::Uuid> = search(&app, query).await.iter().map(|h| h.id).collect();
        if query.contains('|') && !query.contains(' ') {
            eprintln!("DBG {query}: {} {}", in_memory.len(), in_sql.len());
        }
        if in_memory != in_sql {
            disagreements.push(format!(
                "{query}: matcher {} events, SQL {} (only matcher: {:?}, only SQL: {:?})",
                in_memory.len(),
                in_sql.len(),
                in_memory.difference(&in_sql).count(),
                in_sql.difference(&in_memory).count(),
            ));
        }
    }
    let broken = app
        .post_json(
            "/api/v1/search",
            &SearchRequest {
                query: "x:1 AND y|re:\"(\"".into(),
                ..SearchRequest::default()
            },
        )
        .await;
    let error = crate::helpers::assert_error(broken, StatusCode::BAD_REQUEST, "bad_query").await;
    assert!(
        error.message.contains("regular expression"),
        "{}",
        error.message
    );
    assert_eq!(error.details.unwrap()["position"], 9);

    assert!(
        disagreements.is_empty(),
        "{} of {} queries disagree:\n{}",
        disagreements.len(),
        queries.len(),
        disagreements.join("\n")
    );
}
