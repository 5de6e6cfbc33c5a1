//! `POST /api/v1/rules/test` on real sshd logs: the alerts a rule raises,
//! the events its condition matches (the same as search finds once the
//! events are stored), and clear errors for broken rules and events.

use crate::helpers::{assert_error, ingest_key, new_client, spawn_app};
use app::rules::RuleTestResponse;
use app::search::{SearchRequest, SearchResponse};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::collections::HashSet;

/// The loghub OpenSSH lines as MozDef's shippers sent them (`summary`,
/// `hostname`, `processname`), dated in 2025.
fn sshd_events() -> Vec<Value> {
    let log = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared/data/loghub/OpenSSH/OpenSSH_2k.log"
    ))
    .unwrap();
    log.lines()
        .filter_map(|line| {
            // `Dec 10 06:55:46 LabSZ sshd[24200]: message`
            let (stamp, rest) = line.split_at_checked(15)?;
            let time = chrono::NaiveDateTime::parse_from_str(
                &format!("2025 {stamp}"),
                "%Y %b %e %H:%M:%S",
            )
            .ok()?;
            let (host, rest) = rest.trim_start().split_once(' ')?;
            let (_, message) = rest.split_once(": ")?;
            Some(json!({
                "utctimestamp": time.and_utc().to_rfc3339(),
                "hostname": host,
                "processname": "sshd",
                "summary": message,
                "category": "syslog",
            }))
        })
        .collect()
}

fn brute_force_rule() -> Value {
    json!({
        "slug": "bruteforce_ssh",
        "name": "SSH brute force",
        "severity": "high",
        "query": "process.name:sshd AND event.outcome:failure",
        "kind": "threshold",
        "group_by": ["source.ip"],
        "threshold": 10,
        "window_secs": 600,
        "summary": "{count} failed SSH logins from {source.ip}",
    })
}

#[tokio::test]
async fn a_threshold_rule_on_real_sshd_logs_raises_sound_alerts() {
    let app = spawn_app().await;
    app.login_as_admin().await;
    let events = sshd_events();
    assert!(events.len() > 1900, "the log parsed: {}", events.len());

    let response = app
        .post_json(
            "/api/v1/rules/test",
            &json!({"rule": brute_force_rule(), "events": events}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let answer: RuleTestResponse = response.json().await.unwrap();
    assert!(!answer.alerts.is_empty(), "brute force in the log is found");

    // Every alert: ten or more failures of one address within ten minutes, each event once.
    let mut used = HashSet::new();
    for alert in &answer.alerts {
        assert!(alert.events.len() >= 10, "{alert:?}");
        assert!(alert.window_end - alert.window_start <= chrono::Duration::minutes(10));
        let ip = &alert.group["source.ip"];
        assert_eq!(
            alert.summary,
            format!("{} failed SSH logins from {ip}", alert.events.len())
        );
        for index in &alert.events {
            assert!(used.insert(*index), "event {index} in two alerts");
            let summary = events[*index]["summary"].as_str().unwrap();
            assert!(summary.contains(ip.as_str()), "{summary} belongs to {ip}");
        }
    }

    // The rule's condition matches exactly what search finds once the events are stored.
    let key = ingest_key(&app, "sshd").await;
    let stored = new_client()
        .post(app.url("/api/v1/events"))
        .bearer_auth(key)
        .json(&events)
        .send()
        .await
        .unwrap();
    assert_eq!(stored.status(), StatusCode::OK);
    let request = SearchRequest {
        query: "process.name:sshd AND event.outcome:failure".into(),
        // Ingest keeps events a year old at their receive time (and flags them).
        from: Some("now-1h".into()),
        limit: Some(1),
        ..SearchRequest::default()
    };
    let found: SearchResponse = app
        .post_json("/api/v1/search", &request)
        .await
        .json()
        .await
        .unwrap();
    assert!(found.total_is_exact);
    assert_eq!(answer.matches, found.total);
}

#[tokio::test]
async fn suppression_and_the_clock_shape_what_a_test_raises() {
    let app = spawn_app().await;
    app.login_as_admin().await;
    let events = sshd_events();
    let mut rule = brute_force_rule();
    rule["suppression"] = json!({"group_by": ["source.ip"], "duration_secs": 86_400});
    let with: RuleTestResponse = app
        .post_json(
            "/api/v1/rules/test",
            &json!({"rule": rule, "events": events}),
        )
        .await
        .json()
        .await
        .unwrap();
    let without: RuleTestResponse = app
        .post_json(
            "/api/v1/rules/test",
            &json!({"rule": brute_force_rule(), "events": events}),
        )
        .await
        .json()
        .await
        .unwrap();
    let addresses: HashSet<&String> = without
        .alerts
        .iter()
        .map(|a| &a.group["source.ip"])
        .collect();
    assert!(with.alerts.len() < without.alerts.len());
    assert_eq!(
        with.alerts.len() as u64 + with.suppressed,
        without.alerts.len() as u64
    );
    assert!(with.alerts.len() >= addresses.len().min(1));

    // The clock before every event: nothing has happened yet.
    let early: RuleTestResponse = app
        .post_json(
            "/api/v1/rules/test",
            &json!({"rule": brute_force_rule(), "events": events, "now": "2024-01-01T00:00:00Z"}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(early.matches, 0);
    assert!(early.alerts.is_empty());

    // An absence rule over the same log: the host fell silent after its last line.
    let absence = json!({"slug": "deadman", "name": "Host went silent", "severity": "medium",
        "query": "process.name:sshd", "kind": "absence", "group_by": ["host.name"], "period_secs": 3600,
        "summary": "no sshd events from {host.name}"});
    let later: RuleTestResponse = app
        .post_json(
            "/api/v1/rules/test",
            &json!({"rule": absence, "events": events, "now": "2025-12-31T00:00:00Z"}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(later.alerts.len(), 1);
    assert_eq!(later.alerts[0].summary, "no sshd events from LabSZ");
}

#[tokio::test]
async fn broken_rules_and_events_are_clear_400s() {
    let app = spawn_app().await;
    app.login_as_admin().await;
    let mut rule = brute_force_rule();
    rule["query"] = json!("process.name:(");
    rule["threshold"] = json!(0);
    let response = app
        .post_json("/api/v1/rules/test", &json!({"rule": rule, "events": []}))
        .await;
    let error = assert_error(response, StatusCode::BAD_REQUEST, "validation_failed").await;
    let errors = &error.details.unwrap()["errors"];
    assert_eq!(errors[0]["field"], "query");
    assert_eq!(errors[0]["position"], 14);
    assert_eq!(errors[1]["field"], "threshold");

    let response = app
        .post_json(
            "/api/v1/rules/test",
            &json!({"rule": brute_force_rule(), "events": [{"message": "ok"}, 42]}),
        )
        .await;
    let error = assert_error(response, StatusCode::BAD_REQUEST, "validation_failed").await;
    assert_eq!(error.details.unwrap()["index"], 1);

    let response = app
        .post_json(
            "/api/v1/rules/test",
            &json!({"rule": brute_force_rule(), "events": [], "sigma": "title: x"}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);

    let mut regex = brute_force_rule();
    regex["query"] = json!("message|re:\"(unclosed\"");
    let response = app
        .post_json(
            "/api/v1/rules/test",
            &json!({"rule": regex, "events": [{"message": "x"}]}),
        )
        .await;
    let error = assert_error(response, StatusCode::BAD_REQUEST, "validation_failed").await;
    assert!(
        error.message.contains("regular expression"),
        "{}",
        error.message
    );

    // A shipper's key may ingest, not test rules.
    let key = ingest_key(&app, "shipper").await;
    let response = new_client()
        .post(app.url("/api/v1/rules/test"))
        .bearer_auth(key)
        .json(&json!({"rule": brute_force_rule(), "events": []}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
}
