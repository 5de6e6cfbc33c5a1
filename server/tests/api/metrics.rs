//! `GET /metrics`: who may scrape it, and that what happens shows in it.

use crate::helpers::{ADMIN_PASSWORD, spawn_app};
use app::api_keys::{ApiKeyScope, CreateApiKeyRequest, CreatedApiKey};
use reqwest::StatusCode;
use serde_json::json;

/// Returns the sum of the samples of `name` whose labels include every
/// `labels` pair. The recorder is process-wide and other tests run beside
/// this one, so tests compare deltas, and at least (not exactly) what they did.
fn sample(body: &str, name: &str, labels: &[(&str, &str)]) -> f64 {
    body.lines()
        .filter(|line| !line.starts_with('#'))
        .filter_map(|line| {
            let (series, value) = line.rsplit_once(' ')?;
            let (metric, rest) = series.split_once('{').unwrap_or((series, "}"));
            if metric != name {
                return None;
            }
            let wanted = labels
                .iter()
                .all(|(k, v)| rest.contains(&format!("{k}=\"{v}\"")));
            wanted.then(|| value.parse::<f64>().ok()).flatten()
        })
        .sum()
}

#[tokio::test]
async fn a_metrics_key_scrapes_and_what_happens_is_counted() {
    let app = spawn_app().await;
    app.login_as_admin().await;
    let created: CreatedApiKey = app
        .post_json(
            "/api/v1/api-keys",
            &CreateApiKeyRequest {
                name: "prometheus".into(),
                scopes: vec![ApiKeyScope::Metrics],
                expires_in_days: None,
            },
        )
        .await
        .json()
        .await
        .unwrap();
    let scrape = || async {
        let response = crate::helpers::new_client()
            .get(app.url("/metrics"))
            .bearer_auth(&created.key)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert!(
            response.headers()[reqwest::header::CONTENT_TYPE]
                .to_str()
                .unwrap()
                .starts_with("text/plain; version=0.0.4")
        );
        response.text().await.unwrap()
    };
    let before = scrape().await;

    let ingest = crate::helpers::ingest_key(&app, "shipper").await;
    let response = app
        .client
        .post(app.url("/api/v1/events"))
        .bearer_auth(&ingest)
        .json(&json!([{"message": "kept"}, {"message": "kept too"}, 7]))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    app.login_response("admin", "wrong password").await;
    app.login_response("admin", ADMIN_PASSWORD).await;

    let after = scrape().await;
    let delta = |name: &str, labels: &[(&str, &str)]| {
        sample(&after, name, labels) - sample(&before, name, labels)
    };
    let accepted = [("kind", "api_key"), ("outcome", "accepted")];
    assert!(delta("vigil_ingest_events_total", &accepted) >= 2.0);
    let rejected = [("kind", "api_key"), ("outcome", "rejected")];
    assert!(delta("vigil_ingest_events_total", &rejected) >= 1.0);
    let not_an_object = [("reason", "not_an_object")];
    assert!(delta("vigil_ingest_rejections_total", &not_an_object) >= 1.0);
    assert_eq!(delta("vigil_logins_total", &[("outcome", "failure")]), 1.0);
    assert!(delta("vigil_logins_total", &[("outcome", "success")]) >= 1.0);
    let route = [
        ("route", "/api/v1/events"),
        ("method", "POST"),
        ("status", "200"),
    ];
    assert!(delta("vigil_http_requests_total", &route) >= 1.0);
    assert!(after.contains("vigil_http_request_duration_seconds_bucket{"));
    assert!(after.contains("vigil_ingest_commit_seconds_bucket{"));
    // Read at scrape time, from this app's own state and database.
    for gauge in [
        "vigil_ingest_queue_events",
        "vigil_ingest_queue_bytes",
        "vigil_audit_records",
        "vigil_detection_lag_events",
        "vigil_rules_broken",
    ] {
        assert!(after.contains(&format!("\n{gauge} ")), "{gauge} missing");
    }
    assert!(sample(&after, "vigil_audit_records", &[]) >= 4.0);
    assert_eq!(
        sample(
            &after,
            "vigil_db_connections",
            &[("budget", "exports"), ("state", "max")]
        ),
        4.0
    );
    assert!(after.contains("vigil_events_partition_rows{day=\""));
    // Every metric is described.
    assert!(after.contains("# HELP vigil_ingest_events_total "));
}

#[tokio::test]
async fn metrics_need_their_own_permission() {
    let app = spawn_app().await;
    let anonymous = crate::helpers::new_client()
        .get(app.url("/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    app.login_as_admin().await;
    let ingest = crate::helpers::ingest_key(&app, "shipper").await;
    let with_ingest_key = crate::helpers::new_client()
        .get(app.url("/metrics"))
        .bearer_auth(&ingest)
        .send()
        .await
        .unwrap();
    assert_eq!(with_ingest_key.status(), StatusCode::FORBIDDEN);
    let (viewer, _) = app.sign_in_as(app::BuiltinRole::Viewer).await;
    let as_viewer = viewer.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(as_viewer.status(), StatusCode::FORBIDDEN);
    let as_admin = app.get("/metrics").await;
    assert_eq!(as_admin.status(), StatusCode::OK);
}

#[tokio::test]
async fn each_rule_reports_its_events_time_and_memory() {
    let app = crate::helpers::spawn_app_with(
        vigil::http::routes::api_routes(),
        &[("VIGIL_DETECTION", "true")],
    )
    .await;
    app.login_as_admin().await;
    // A slug of its own: the recorder is shared with the other tests.
    app.create_rule(json!({
        "slug": "metrics_probe_burst", "name": "Metrics probe", "severity": "low",
        "query": "event.action:metrics_probe", "kind": "threshold",
        "group_by": ["source.ip"], "threshold": 100, "window_secs": 600,
    }))
    .await;
    let key = crate::helpers::ingest_key(&app, "shipper").await;
    let mut events: Vec<serde_json::Value> = ["192.0.2.1", "192.0.2.2", "192.0.2.3", "192.0.2.1"]
        .iter()
        .map(|ip| json!({"event": {"action": "metrics_probe"}, "source": {"ip": ip}}))
        .collect();
    events.push(json!({"event": {"action": "something_else"}}));
    app.post_events(&key, &events).await;
    app.settled().await;
    let body = app.get("/metrics").await.text().await.unwrap();
    let rule = [("rule", "metrics_probe_burst")];
    assert_eq!(sample(&body, "vigil_rule_events_tested_total", &rule), 5.0);
    assert_eq!(sample(&body, "vigil_rule_events_matched_total", &rule), 4.0);
    assert!(sample(&body, "vigil_rule_evaluation_nanoseconds_total", &rule) > 0.0);
    // Three addresses, three groups.
    assert_eq!(sample(&body, "vigil_rule_state_entries", &rule), 3.0);
}
