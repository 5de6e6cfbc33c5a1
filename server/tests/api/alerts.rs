//! The engine end to end: rules stored through the API run on events
//! posted through ingest, their alerts appear within seconds, and analysts
//! list, read and triage them.

use crate::helpers::{TestApp, assert_error, geoip_databases, ingest_key, spawn_app_with};
use app::alerts::{AlertDetail, AlertStatus};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::Duration;

async fn detecting_app() -> TestApp {
    spawn_app_with(
        vigil::http::routes::api_routes(),
        &[("VIGIL_DETECTION", "true")],
    )
    .await
}

fn failure(ip: &str, user: &str) -> Value {
    json!({"message": format!("Failed password for {user} from {ip}"),
           "event": {"outcome": "failure", "action": "ssh_login"},
           "source": {"ip": ip}, "user": {"name": user}})
}

#[tokio::test]
async fn rules_raise_alerts_on_ingested_events_and_analysts_triage_them() {
    let app = detecting_app().await;
    let key = ingest_key(&app, "shipper").await;
    app.create_rule(
        json!({"slug": "ssh_burst", "name": "SSH burst", "severity": "high",
               "tactics": ["TA0006"], "techniques": ["T1110"],
               "query": "event.action:ssh_login AND event.outcome:failure",
               "kind": "threshold", "group_by": ["source.ip"], "threshold": 3, "window_secs": 600,
               "summary": "{count} failed logins from {source.ip}"}),
    )
    .await;
    let marker = app.create_rule(
        json!({"slug": "marker", "name": "Marker seen", "severity": "low", "query": "event.action:marker", "kind": "query"}),
    )
    .await;

    let mut events: Vec<Value> = (0..7)
        .map(|i| failure("10.0.0.1", &format!("u{i}")))
        .collect();
    events.extend((0..2).map(|i| failure("10.0.0.2", &format!("u{i}"))));
    events.push(
        json!({"message": "marker", "event": {"action": "marker"}, "host": {"name": "web-01"}}),
    );
    app.post_events(&key, &events).await;

    app.wait_for_alerts("?rule=ssh_burst", 2).await;
    app.wait_for_alerts("?rule=marker", 1).await;
    app.settled().await;
    // Seven failures from one address are two full windows of three; two
    // from the other are none.
    let burst = app.alerts("?rule=ssh_burst").await.alerts;
    assert_eq!(burst.len(), 2, "{burst:?}");
    for alert in &burst {
        assert_eq!(alert.group["source.ip"], "10.0.0.1");
        assert_eq!(alert.event_count, 3);
        assert_eq!(alert.summary, "3 failed logins from 10.0.0.1");
        assert_eq!(alert.severity, app::rules::Severity::High);
        assert_eq!(alert.techniques, ["T1110"]);
        assert_eq!(alert.status, AlertStatus::Open);
    }
    let first = burst[1].id;

    // The alert with the events behind it.
    let detail: AlertDetail = app
        .get(&format!("/api/v1/alerts/{first}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(detail.events.len(), 3);
    for event in &detail.events {
        let document = event.document.as_ref().expect("the event is stored");
        assert_eq!(document["source"]["ip"], "10.0.0.1");
    }
    assert!(detail.activity.is_empty());

    // Triage: acknowledge, assign and comment at once; then close.
    let response = app
        .client
        .patch(app.url(&format!("/api/v1/alerts/{first}")))
        .json(&json!({"status": "acknowledged", "assignee": "admin", "comment": "looking"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let updated: app::alerts::Alert = response.json().await.unwrap();
    assert_eq!(updated.status, AlertStatus::Acknowledged);
    assert_eq!(updated.assignee.unwrap().username, "admin");
    let patch = |body: Value| {
        app.client
            .patch(app.url(&format!("/api/v1/alerts/{first}")))
            .json(&body)
            .send()
    };
    assert_error(
        patch(json!({"status": "closed"})).await.unwrap(),
        StatusCode::BAD_REQUEST,
        "validation_failed",
    )
    .await;
    assert_error(
        patch(json!({"assignee": "nobody-here"})).await.unwrap(),
        StatusCode::BAD_REQUEST,
        "validation_failed",
    )
    .await;
    assert_error(
        patch(json!({"status": "done"})).await.unwrap(),
        StatusCode::BAD_REQUEST,
        "bad_request",
    )
    .await;
    let closed = patch(json!({"status": "closed", "resolution": "false_positive"}))
        .await
        .unwrap();
    assert_eq!(closed.status(), StatusCode::OK);
    let detail: AlertDetail = app
        .get(&format!("/api/v1/alerts/{first}"))
        .await
        .json()
        .await
        .unwrap();
    let kinds: Vec<&str> = detail.activity.iter().map(|a| a.kind.as_str()).collect();
    assert_eq!(kinds, ["status", "assignee", "comment", "status"]);
    assert_eq!(detail.activity[2].detail["text"], "looking");
    assert!(detail.activity.iter().all(|a| a.actor == "admin"));
    assert_eq!(
        detail.alert.resolution,
        Some(app::alerts::Resolution::FalsePositive)
    );
    let audited = app.audit_actions().await;
    assert_eq!(
        audited
            .iter()
            .filter(|(action, _, target)| action == "alert.update"
                && target.as_deref() == Some(first.to_string().as_str()))
            .count(),
        2
    );

    // Filters and pages.
    assert_eq!(app.alerts("?status=closed").await.alerts.len(), 1);
    assert_eq!(
        app.alerts("?status=open,acknowledged").await.alerts.len(),
        2
    );
    assert_eq!(app.alerts("?group=10.0.0.1").await.alerts.len(), 2);
    assert_eq!(
        app.alerts("?group=10.0.0.1&group_field=host.name")
            .await
            .alerts
            .len(),
        0
    );
    assert_eq!(app.alerts("?severity=low").await.alerts.len(), 1);
    assert_eq!(app.alerts("?assignee=admin").await.alerts.len(), 1);
    assert_eq!(app.alerts("?assignee=none").await.alerts.len(), 2);
    let page = app.alerts("?limit=2").await;
    assert_eq!(page.alerts.len(), 2);
    let rest = app
        .alerts(&format!("?limit=2&before={}", page.next_before.unwrap()))
        .await;
    assert_eq!(rest.alerts.len(), 1);
    assert!(rest.next_before.is_none());
    for bad in [
        "?severity=urgent",
        "?status=new",
        "?limit=0",
        "?group_field=x",
    ] {
        assert_error(
            app.get(&format!("/api/v1/alerts{bad}")).await,
            StatusCode::BAD_REQUEST,
            "validation_failed",
        )
        .await;
    }
    for bad in ["?colour=red", "?from=yesterday", "?before=7"] {
        assert_error(
            app.get(&format!("/api/v1/alerts{bad}")).await,
            StatusCode::BAD_REQUEST,
            "bad_request",
        )
        .await;
    }
    assert_error(
        app.get(&format!("/api/v1/alerts/{}", uuid::Uuid::new_v4()))
            .await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;

    // Bulk: acknowledge the two still-open alerts and one unknown id.
    let open: Vec<app::ids::AlertId> = app
        .alerts("?status=open")
        .await
        .alerts
        .iter()
        .map(|a| a.id)
        .collect();
    assert_eq!(open.len(), 2);
    let unknown = app::ids::AlertId(uuid::Uuid::new_v4());
    let mut ids = open.clone();
    ids.push(unknown);
    let response = app
        .client
        .patch(app.url("/api/v1/alerts"))
        .json(&json!({"ids": ids, "status": "acknowledged", "assignee": "admin", "comment": "shift handover"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let result: app::alerts::AlertBulkResult = response.json().await.unwrap();
    assert_eq!(result.updated, 2);
    assert_eq!(result.missing, [unknown]);
    assert!(app.alerts("?status=open").await.alerts.is_empty());
    assert_eq!(app.alerts("?assignee=admin").await.alerts.len(), 3);
    assert!(
        app.audit_actions()
            .await
            .iter()
            .any(|(action, _, _)| action == "alert.update_many")
    );
    for bad in [
        json!({"ids": [], "status": "acknowledged"}),
        json!({"ids": [open[0]], "status": "closed"}),
        json!({"ids": [open[0]]}),
    ] {
        let response = app
            .client
            .patch(app.url("/api/v1/alerts"))
            .json(&bad)
            .send()
            .await
            .unwrap();
        assert_error(response, StatusCode::BAD_REQUEST, "validation_failed").await;
    }

    // A rule disabled takes effect without a restart.
    let mut definition = marker.definition.clone();
    definition.enabled = false;
    let response = app
        .client
        .put(app.url(&format!("/api/v1/rules/{}", marker.id)))
        .json(&json!({"version": marker.version, "definition": definition}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        StatusCode::OK,
        "{}",
        response.text().await.unwrap()
    );
    // At once: events committed after the change never meet the old rule.
    app.post_events(
        &key,
        &[json!({"message": "marker again", "event": {"action": "marker"}})],
    )
    .await;
    app.settled().await;
    assert_eq!(app.alerts("?rule=marker").await.alerts.len(), 1);

    let status = app.detection_status().await;
    assert!(status.this_instance_leads);
    assert_eq!(status.rules_enabled, 1);
    assert!(status.broken.is_empty());
    assert_eq!(status.alerts_raised, 3);
}

#[tokio::test]
async fn viewers_read_alerts_but_cannot_triage_them() {
    let app = detecting_app().await;
    let (viewer, _) = app.sign_in_as(app::BuiltinRole::Viewer).await;
    let listed = viewer.get(app.url("/api/v1/alerts")).send().await.unwrap();
    assert_eq!(listed.status(), StatusCode::OK);
    let patched = viewer
        .patch(app.url(&format!("/api/v1/alerts/{}", uuid::Uuid::new_v4())))
        .json(&json!({"comment": "x"}))
        .send()
        .await
        .unwrap();
    assert_error(patched, StatusCode::FORBIDDEN, "forbidden").await;
}

#[tokio::test]
async fn raw_events_behind_an_alert_need_the_search_permission_and_are_audited() {
    let app = detecting_app().await;
    let key = ingest_key(&app, "shipper").await;
    app.create_rule(
        json!({"slug": "marker", "name": "Marker", "severity": "low",
                           "query": "event.action:marker", "kind": "query"}),
    )
    .await;
    app.post_events(
        &key,
        &[json!({"message": "secret payload", "event": {"action": "marker"}})],
    )
    .await;
    let alert = app.wait_for_alerts("?rule=marker", 1).await.alerts[0].id;
    let url = app.url(&format!("/api/v1/alerts/{alert}"));
    let audited = |action: &'static str| {
        let pool = app.pool.clone();
        async move {
            sqlx::query_scalar::<_, i64>("SELECT count(*) FROM audit_log WHERE action = $1")
                .bind(action)
                .fetch_one(&pool)
                .await
                .unwrap()
        }
    };

    let (viewer, _) = app.sign_in_as(app::BuiltinRole::Viewer).await;
    let seen: AlertDetail = viewer.get(&url).send().await.unwrap().json().await.unwrap();
    assert_eq!(seen.events.len(), 1);
    assert!(
        seen.events[0].document.is_none(),
        "a viewer got raw event data"
    );
    assert_eq!(audited("alert.events.view").await, 0);

    let (analyst, _) = app.sign_in_as(app::BuiltinRole::Analyst).await;
    let seen: AlertDetail = analyst
        .get(&url)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        seen.events[0].document.as_ref().unwrap()["message"],
        "secret payload"
    );
    assert_eq!(audited("alert.events.view").await, 1);

    // Histogram and top values read events too: audited like a search.
    for (path, body) in [
        (
            "/api/v1/search/histogram",
            json!({"query": "event.action:marker"}),
        ),
        (
            "/api/v1/search/top",
            json!({"query": "", "field": "event.action"}),
        ),
    ] {
        let response = analyst
            .post(app.url(path))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{path}");
    }
    assert_eq!(audited("search.histogram").await, 1);
    assert_eq!(audited("search.top").await, 1);
}

#[tokio::test]
async fn a_new_terms_rule_knows_the_values_stored_before_it_was_created() {
    let app = detecting_app().await;
    let key = ingest_key(&app, "shipper").await;
    let logins = |users: &[&str]| -> Vec<Value> {
        users
            .iter()
            .map(|user| {
                json!({"message": format!("login {user}"), "event": {"action": "login"},
                               "user": {"name": user}})
            })
            .collect()
    };
    app.post_events(&key, &logins(&["alice", "bob", "alice"]))
        .await;
    app.settled().await;
    app.create_rule(
        json!({"slug": "first_login", "name": "First login of a user", "severity": "medium",
               "query": "event.action:login", "exceptions": ["user.name:carol"],
               "kind": "new_terms", "fields": ["user.name"], "history_days": 7}),
    )
    .await;
    // The rule is taken up (with its history) before the next events.
    for _ in 0..100 {
        let status = app.detection_status().await;
        if status.rules_running == Some(status.rules_enabled as u64) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    app.post_events(&key, &logins(&["bob", "dave", "carol", "alice", "dave"]))
        .await;
    app.wait_for_alerts("?rule=first_login", 1).await;
    app.settled().await;
    let alerts = app.alerts("?rule=first_login").await.alerts;
    let users: Vec<&str> = alerts
        .iter()
        .map(|a| a.group["user.name"].as_str())
        .collect();
    // alice and bob were known; carol is an exception; dave is new, once.
    assert_eq!(users, ["dave"]);
}

#[tokio::test]
async fn a_rule_that_does_not_compile_is_reported_and_the_others_run() {
    let app = detecting_app().await;
    let key = ingest_key(&app, "shipper").await;
    app.create_rule(
        json!({"slug": "marker", "name": "Marker seen", "severity": "low",
               "query": "event.action:marker", "kind": "query"}),
    )
    .await;
    // A stored rule the engine cannot compile (written past the API's
    // checks, as an older version's rule or a hand edit could be).
    let broken = uuid::Uuid::new_v4();
    sqlx::query(
        "INSERT INTO rules (id, slug, version, enabled, definition, origin)
         VALUES ($1, 'broken_regex', 1, true, $2, 'vigil')",
    )
    .bind(broken)
    .bind(
        json!({"slug": "broken_regex", "name": "Broken", "severity": "low",
                 "query": "message|re:\"(unclosed\"", "kind": "query"}),
    )
    .execute(&app.pool)
    .await
    .unwrap();
    app.post_events(
        &key,
        &[json!({"message": "marker", "event": {"action": "marker"}})],
    )
    .await;
    app.wait_for_alerts("?rule=marker", 1).await;
    app.settled().await;
    let status = app.detection_status().await;
    assert_eq!(status.rules_enabled, 2);
    assert_eq!(status.rules_running, Some(1));
    assert_eq!(status.broken.len(), 1, "{status:?}");
    assert_eq!(status.broken[0].rule_id.as_uuid(), broken);
    assert_eq!(status.broken[0].slug, "broken_regex");
    assert!(
        status.broken[0].error.contains("query"),
        "{}",
        status.broken[0].error
    );
    // Asked again, the same answer (each rule version is compiled once) ...
    assert_eq!(app.detection_status().await.broken, status.broken);
    // ... and a new version of the rule is judged anew.
    sqlx::query("UPDATE rules SET version = 2, definition = jsonb_set(definition, '{query}', '\"message:fixed\"') WHERE id = $1")
        .bind(broken)
        .execute(&app.pool)
        .await
        .unwrap();
    assert_eq!(app.detection_status().await.broken, vec![]);
}

#[tokio::test]
async fn an_event_posted_right_after_a_rule_is_created_is_evaluated_by_it() {
    let app = detecting_app().await;
    let key = ingest_key(&app, "shipper").await;
    // A new new-terms rule reads its history when the engine loads it: with
    // many stored values that takes long enough for another rule and an
    // event to commit meanwhile, which the loaded set must not miss.
    for chunk in 0..4 {
        let logins: Vec<Value> = (0..5_000)
            .map(|i| {
                json!({"message": "login", "event": {"action": "login"},
                            "user": {"name": format!("user{chunk}-{i}")}})
            })
            .collect();
        app.post_events(&key, &logins).await;
    }
    app.settled().await;
    for i in 0..5 {
        app.create_rule(
            json!({"slug": format!("first_login_{i}"), "name": "First login",
                               "severity": "low", "kind": "new_terms", "fields": ["user.name"],
                               "query": "event.action:login", "history_days": 7}),
        )
        .await;
        app.create_rule(
            json!({"slug": format!("fresh_{i}"), "name": "Fresh", "severity": "low",
                               "kind": "query", "query": format!("event.action:fresh_{i}")}),
        )
        .await;
        app.post_events(
            &key,
            &[json!({"message": "fresh", "event": {"action": format!("fresh_{i}")}})],
        )
        .await;
    }
    app.settled().await;
    for i in 0..5 {
        let page = app.alerts(&format!("?rule=fresh_{i}")).await;
        assert_eq!(page.alerts.len(), 1, "fresh_{i}: {:?}", page.alerts);
    }
}

#[tokio::test]
async fn an_event_dated_tomorrow_does_not_blind_a_threshold_rule() {
    let app = detecting_app().await;
    let key = ingest_key(&app, "shipper").await;
    app.create_rule(
        json!({"slug": "ssh_burst", "name": "SSH burst", "severity": "high",
               "query": "event.action:ssh_login AND event.outcome:failure",
               "kind": "threshold", "group_by": ["source.ip"], "threshold": 3, "window_secs": 600,
               "summary": "{count} failed logins from {source.ip}"}),
    )
    .await;
    // The attacker first sends one failure dated 23 hours ahead (syslog and
    // shippers may set any time within a day)...
    let mut forged = failure("203.0.113.66", "decoy");
    let tomorrow = chrono::Utc::now() + chrono::Duration::hours(23);
    forged["@timestamp"] = json!(tomorrow.to_rfc3339());
    app.post_events(&key, &[forged]).await;
    app.settled().await;
    // ...then a real brute force from the same address, and from another.
    let now: Vec<Value> = (0..6)
        .map(|i| {
            failure(
                if i % 2 == 0 {
                    "203.0.113.66"
                } else {
                    "198.51.100.4"
                },
                "root",
            )
        })
        .collect();
    app.post_events(&key, &now).await;
    let page = app.wait_for_alerts("?rule=ssh_burst", 2).await;
    let groups: std::collections::BTreeSet<String> = page
        .alerts
        .iter()
        .map(|a| a.group["source.ip"].clone())
        .collect();
    assert!(groups.contains("203.0.113.66"), "{groups:?}");
    // The forged event is stored at its own time, flagged.
    let found: app::search::SearchResponse = app
        .post_json(
            "/api/v1/search",
            &json!({"query": "user.name:decoy", "from": "now-1h", "to": "now+2d"}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(found.hits.len(), 1);
    assert_eq!(
        found.hits[0].event["vigil"]["flags"],
        json!(["from_the_future"])
    );
}

#[tokio::test]
async fn a_watchlist_a_rule_names_takes_effect_when_it_changes() {
    let app = detecting_app().await;
    let key = ingest_key(&app, "shipper").await;
    let list: Value = app
        .post_json(
            "/api/v1/watchlists",
            &json!({"slug": "skip-sources", "name": "Sources to skip"}),
        )
        .await
        .json()
        .await
        .unwrap();
    let entries = format!(
        "/api/v1/watchlists/{}/entries",
        list["id"].as_str().unwrap()
    );
    let response = app
        .post_json(&entries, &json!({"values": ["10.0.0.9"]}))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    app.create_rule(
        json!({"slug": "probe", "name": "Probe", "severity": "low", "kind": "query",
               "query": "event.action:probe", "exceptions": ["source.ip|in:skip-sources"]}),
    )
    .await;
    let probe =
        |ip: &str| json!({"message": "probe", "event": {"action": "probe"}, "source": {"ip": ip}});
    app.post_events(&key, &[probe("10.0.0.9"), probe("10.0.0.8")])
        .await;
    app.wait_for_alerts("?rule=probe", 1).await;
    app.settled().await;
    let alerts_now = app.alerts("?rule=probe").await.alerts;
    assert_eq!(alerts_now.len(), 1);
    assert_eq!(
        alerts_now[0].summary, "Probe",
        "the rule's name when it has no summary"
    );

    // 10.0.0.8 joins the list: from then on it is skipped too.
    let response = app
        .post_json(&entries, &json!({"values": ["10.0.0.8"]}))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    // At once: a change committed before the events is in force for them.
    app.post_events(&key, &[probe("10.0.0.8"), probe("10.0.0.7")])
        .await;
    app.wait_for_alerts("?rule=probe", 2).await;
    app.settled().await;
    let page = app.alerts("?rule=probe").await;
    assert_eq!(
        page.alerts.len(),
        2,
        "only 10.0.0.7 alerted: {:?}",
        page.alerts
    );
    // Search reads the list as the engine does.
    let found: app::search::SearchResponse = app
        .post_json(
            "/api/v1/search",
            &json!({"query": "event.action:probe AND NOT source.ip|in:skip-sources",
                    "from": "now-1h"}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(found.hits.len(), 1);
}

#[tokio::test]
async fn mozdef_generic_alerts_import_and_fire_on_mozdef_events() {
    let app = detecting_app().await;
    let key = ingest_key(&app, "mozdef-shipper").await;
    let response = app
        .post_json(
            "/api/v1/rules/import/mozdef",
            &json!({
                "unauth_ssh.json": {
                    "search_string": "category:syslog AND details.program:sshd AND summary:\"Invalid user\"",
                    "filters": [["details.hostname", "bastion1"]],
                    "aggregation_key": "details.sourceipaddress",
                    "time_window": 10, "num_samples": 5, "num_aggregations": 3,
                    "alert_category": "bruteforce", "alert_tags": ["ssh"],
                    "alert_severity": "WARNING", "alert_summary": "Invalid SSH users",
                    "additional_summary_fields": ["details.hostname"]
                },
                "regex.json": {
                    "search_string": "summary:/invalid.*/", "aggregation_key": "x",
                    "time_window": 10, "num_aggregations": 1, "alert_summary": "R"
                }
            }),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let answer: app::rules::SigmaImportResponse = response.json().await.unwrap();
    assert_eq!((answer.imported, answer.unsupported), (1, 1), "{answer:?}");
    assert!(
        app.audit_actions()
            .await
            .iter()
            .any(|(action, _, _)| action == "rule.import_mozdef")
    );
    for _ in 0..100 {
        let status = app.detection_status().await;
        if status.rules_running == Some(status.rules_enabled as u64) && status.rules_enabled == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // MozDef events, posted as MozDef's shippers do.
    for (user, host) in [
        ("a", "bastion1"),
        ("b", "bastion1"),
        ("c", "other"),
        ("d", "bastion1"),
    ] {
        let event = json!({
            "utctimestamp": chrono::Utc::now().to_rfc3339(),
            "hostname": host, "category": "syslog", "processname": "sshd",
            "summary": format!("Invalid user {user} from 198.51.100.4"),
            "details": {"program": "sshd", "sourceipaddress": "198.51.100.4", "hostname": host}
        });
        let response = app
            .client
            .post(app.url("/events"))
            .bearer_auth(&key)
            .json(&event)
            .send()
            .await
            .unwrap();
        assert!(response.status().is_success(), "{}", response.status());
    }
    let page = app.wait_for_alerts("?rule=mozdef-unauth_ssh", 1).await;
    assert_eq!(
        page.alerts[0].summary,
        "Invalid SSH users (3): 198.51.100.4 (details.hostname=bastion1)"
    );
    assert_eq!(page.alerts[0].severity, app::rules::Severity::Medium);
}

/// MozDef's GeoModel from raw sshd lines: ingest places public addresses
/// (geo-IP), the pack's `geomodel_location` compares each user's logins.
#[tokio::test]
async fn impossible_travel_between_geolocated_logins_is_an_alert() {
    let databases = geoip_databases();
    let app = spawn_app_with(
        vigil::http::routes::api_routes(),
        &[
            ("VIGIL_DETECTION", "true"),
            ("VIGIL_GEOIP_DATABASES", &databases),
        ],
    )
    .await;
    vigil::rules::packs::install(&app.pool).await.unwrap();
    let key = ingest_key(&app, "bastion").await;
    let start = chrono::Utc::now() - chrono::Duration::hours(3);
    let login = |minutes: i64, user: &str, ip: &str| {
        let at = start + chrono::Duration::minutes(minutes);
        json!({"@timestamp": at.to_rfc3339(), "host": {"name": "bastion-1"}, "process": {"name": "sshd"},
               "message": format!("Accepted publickey for {user} from {ip} port 50022 ssh2")})
    };
    app.post_events(
        &key,
        &[
            // London, then Sydney an hour later: impossible.
            login(0, "alice", "81.2.69.142"),
            login(60, "alice", "1.1.1.1"),
            // London twice, and a private address (no place): nothing.
            login(0, "bob", "81.2.69.142"),
            login(30, "bob", "10.1.2.3"),
            login(60, "bob", "81.2.69.142"),
        ],
    )
    .await;
    let page = app.wait_for_alerts("?rule=geomodel_location", 1).await;
    app.settled().await;
    let page = if page.alerts.len() == 1 {
        page
    } else {
        app.alerts("?rule=geomodel_location").await
    };
    assert_eq!(page.alerts.len(), 1, "{:?}", page.alerts);
    let alert = &page.alerts[0];
    assert_eq!(alert.group["user.name"], "alice");
    assert_eq!(alert.event_count, 2);
    assert!(
        alert
            .summary
            .starts_with("alice seen in Sydney, AU 1 h after London, GB: 169"),
        "{}",
        alert.summary
    );

    // The stored events carry their place, for search and the analyst.
    let detail: AlertDetail = app
        .get(&format!("/api/v1/alerts/{}", alert.id))
        .await
        .json()
        .await
        .unwrap();
    let cities: Vec<&Value> = detail
        .events
        .iter()
        .map(|e| &e.document.as_ref().unwrap()["source"]["geo"]["city_name"])
        .collect();
    assert_eq!(cities, [&json!("London"), &json!("Sydney")]);
    let response = app
        .post_json(
            "/api/v1/search",
            &json!({"query": "source.geo.country_iso_code:GB AND user.name:bob",
                    "from": (start - chrono::Duration::minutes(1)).to_rfc3339(),
                    "to": chrono::Utc::now().to_rfc3339()}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let found: Value = response.json().await.unwrap();
    assert_eq!(found["hits"].as_array().unwrap().len(), 2, "{found}");
}
