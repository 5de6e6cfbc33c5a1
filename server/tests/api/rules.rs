//! `POST /api/v1/rules/test` on real sshd logs: the alerts a rule raises,
//! the events its condition matches (the same as search finds once the
//! events are stored), and clear errors for broken rules and events.

use crate::helpers::{assert_error, ingest_key, new_client, spawn_app};
use app::rules::{RuleChange, RuleTestResponse, RuleVersion};
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
        .test_rule(&json!({"rule": rule, "events": events}))
        .await;
    let without: RuleTestResponse = app
        .test_rule(&json!({"rule": brute_force_rule(), "events": events}))
        .await;
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
        .test_rule(
            &json!({"rule": brute_force_rule(), "events": events, "now": "2024-01-01T00:00:00Z"}),
        )
        .await;
    assert_eq!(early.matches, 0);
    assert!(early.alerts.is_empty());

    // An absence rule over the same log: the host fell silent after its last line.
    let absence = json!({"slug": "deadman", "name": "Host went silent", "severity": "medium",
        "query": "process.name:sshd", "kind": "absence", "group_by": ["host.name"], "period_secs": 3600,
        "summary": "no sshd events from {host.name}"});
    let later: RuleTestResponse = app
        .test_rule(&json!({"rule": absence, "events": events, "now": "2025-12-31T00:00:00Z"}))
        .await;
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

#[tokio::test]
async fn rules_are_stored_with_every_version_and_audited() {
    let app = spawn_app().await;
    app.login_as_admin().await;
    let created = app.post_json("/api/v1/rules", &brute_force_rule()).await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let rule: app::rules::Rule = created.json().await.unwrap();
    assert_eq!(rule.version, RuleVersion::FIRST);
    assert_eq!(rule.definition.slug, "bruteforce_ssh");
    assert_eq!(rule.created_by.as_deref(), Some("admin"));

    // The slug is unique; a broken rule says every mistake.
    let again = app.post_json("/api/v1/rules", &brute_force_rule()).await;
    assert_error(again, StatusCode::CONFLICT, "conflict").await;
    let mut broken = brute_force_rule();
    broken["slug"] = json!("Not A Slug");
    broken["query"] = json!("(");
    let error = assert_error(
        app.post_json("/api/v1/rules", &broken).await,
        StatusCode::BAD_REQUEST,
        "validation_failed",
    )
    .await;
    assert_eq!(
        error.details.unwrap()["errors"].as_array().unwrap().len(),
        2
    );

    // A change is a new version; a change based on an old version is refused.
    let mut changed = brute_force_rule();
    changed["threshold"] = json!(20);
    let url = app.url(&format!("/api/v1/rules/{}", rule.id));
    let client = app.client.clone();
    let updated: app::rules::Rule = client
        .put(&url)
        .json(&json!({"version": 1, "definition": changed}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(updated.version, RuleVersion(2));
    let stale = client
        .put(&url)
        .json(&json!({"version": 1, "definition": changed}))
        .send()
        .await
        .unwrap();
    let error = assert_error(stale, StatusCode::CONFLICT, "conflict").await;
    assert_eq!(error.details.unwrap()["version"], 2);

    // A stored rule can be tested by its slug.
    let tested: RuleTestResponse = app
        .test_rule(&json!({"slug": "bruteforce_ssh", "events": sshd_events()}))
        .await;
    assert!(
        tested.alerts.iter().all(|a| a.events.len() >= 20),
        "the changed threshold applies"
    );

    // Deleted: gone from the list, its history kept, its slug free again.
    assert_eq!(
        client.delete(&url).send().await.unwrap().status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        client.get(&url).send().await.unwrap().status(),
        StatusCode::NOT_FOUND
    );
    let versions: Vec<app::rules::RuleHistoryEntry> = client
        .get(format!("{url}/versions"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let changes: Vec<(i32, RuleChange)> =
        versions.iter().map(|v| (v.version.0, v.change)).collect();
    assert_eq!(
        changes,
        [
            (3, RuleChange::Delete),
            (2, RuleChange::Update),
            (1, RuleChange::Create)
        ]
    );
    let rules: Vec<app::rules::Rule> = app.get("/api/v1/rules").await.json().await.unwrap();
    assert!(rules.is_empty());
    assert_eq!(
        app.post_json("/api/v1/rules", &brute_force_rule())
            .await
            .status(),
        StatusCode::CREATED
    );
    let actions: Vec<String> = app
        .audit_actions()
        .await
        .into_iter()
        .map(|(action, _, _)| action)
        .collect();
    for action in ["rule.create", "rule.update", "rule.delete"] {
        assert!(
            actions.iter().any(|a| a == action),
            "{action} audited: {actions:?}"
        );
    }

    // Analysts read rules; only engineers and admins change them.
    let (analyst, _) = app.sign_in_as(app::BuiltinRole::Analyst).await;
    let listed = analyst.get(app.url("/api/v1/rules")).send().await.unwrap();
    assert_eq!(listed.status(), StatusCode::OK);
    let refused = analyst
        .post(app.url("/api/v1/rules"))
        .json(&brute_force_rule())
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let (engineer, _) = app.sign_in_as(app::BuiltinRole::Engineer).await;
    let mut other = brute_force_rule();
    other["slug"] = json!("engineers_rule");
    let made = engineer
        .post(app.url("/api/v1/rules"))
        .json(&other)
        .send()
        .await
        .unwrap();
    assert_eq!(made.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn sigma_yaml_imports_as_rules_or_says_why_not() {
    let app = spawn_app().await;
    app.login_as_admin().await;
    let rule = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared/data/sigma/rules/windows/file/file_event/file_event_win_creation_system_file.yml"
    ))
    .unwrap();
    let yaml = format!(
        "{rule}\n---\ntitle: Rare\nlogsource: {{product: windows}}\ndetection:\n  sel: {{a: 1}}\n  timeframe: 1d\n  condition: sel | count() by b < 3\n"
    );
    let import = |body: String| {
        let client = app.client.clone();
        let url = app.url("/api/v1/rules/import/sigma");
        async move {
            let response = client
                .post(url)
                .header("content-type", "application/yaml")
                .body(body)
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), StatusCode::OK);
            response
                .json::<app::rules::SigmaImportResponse>()
                .await
                .unwrap()
        }
    };
    let first = import(yaml.clone()).await;
    assert_eq!((first.imported, first.unsupported), (1, 1));
    let app::rules::SigmaImportOutcome::Imported {
        rule: stored,
        updated,
    } = &first.documents[0]
    else {
        panic!("{:?}", first.documents[0]);
    };
    assert!(!updated);
    assert_eq!(stored.origin, app::rules::RuleOrigin::Sigma);
    assert!(
        stored.definition.query.starts_with("EventID:11 AND"),
        "{}",
        stored.definition.query
    );
    let app::rules::SigmaImportOutcome::Unsupported { title, unsupported } = &first.documents[1]
    else {
        panic!("{:?}", first.documents[1]);
    };
    assert_eq!(title, "Rare");
    assert!(unsupported.contains("fewer events"), "{unsupported}");

    // Exported as Sigma, it imports back to the same condition.
    let exported = app.get(&format!("/api/v1/rules/{}/sigma", stored.id)).await;
    assert_eq!(exported.status(), StatusCode::OK);
    assert!(
        exported.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/yaml")
    );
    let exported_yaml = exported.text().await.unwrap();
    let tested = app
        .test_rule(&json!({"sigma": exported_yaml, "events": []}))
        .await;
    assert_eq!(tested.matches, 0);
    let absence = json!({"slug": "quiet", "name": "Quiet", "severity": "low", "query": "x:1", "kind": "absence", "period_secs": 600});
    let quiet: app::rules::Rule = app
        .post_json("/api/v1/rules", &absence)
        .await
        .json()
        .await
        .unwrap();
    let refused = app.get(&format!("/api/v1/rules/{}/sigma", quiet.id)).await;
    assert_error(refused, StatusCode::BAD_REQUEST, "validation_failed").await;

    // Importing again makes a new version of the same rule.
    let second = import(yaml).await;
    let app::rules::SigmaImportOutcome::Imported {
        rule: again,
        updated,
    } = &second.documents[0]
    else {
        panic!("{:?}", second.documents[0]);
    };
    assert!(updated);
    assert_eq!((again.id, again.version), (stored.id, RuleVersion(2)));

    // Garbage is a reason, not an error page.
    let garbage = import("title: [unclosed".into()).await;
    assert_eq!((garbage.imported, garbage.unsupported), (0, 1));
    // JSON bodies work too.
    let response = app
        .post_json("/api/v1/rules/import/sigma", &json!({"yaml": "title: x"}))
        .await;
    let answer: app::rules::SigmaImportResponse = response.json().await.unwrap();
    assert_eq!(answer.unsupported, 1);
}

#[tokio::test]
async fn built_in_packs_install_once_and_respect_deletions() {
    let app = spawn_app().await;
    app.login_as_admin().await;
    let installed = vigil::rules::packs::install(&app.pool)
        .await
        .unwrap()
        .created;
    assert!(installed >= 12, "{installed}");
    let rules: Vec<app::rules::Rule> = app.get("/api/v1/rules").await.json().await.unwrap();
    assert_eq!(rules.len(), installed);
    assert!(
        rules
            .iter()
            .all(|r| r.origin == app::rules::RuleOrigin::Pack)
    );
    let brute = rules
        .iter()
        .find(|r| r.definition.slug == "bruteforce_ssh")
        .unwrap();

    // A rule deleted by an admin stays deleted; nothing is installed twice.
    let url = app.url(&format!("/api/v1/rules/{}", brute.id));
    assert_eq!(
        app.client.delete(&url).send().await.unwrap().status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        vigil::rules::packs::install(&app.pool).await.unwrap(),
        vigil::rules::packs::Installed::default()
    );
    let rules: Vec<app::rules::Rule> = app.get("/api/v1/rules").await.json().await.unwrap();
    assert_eq!(rules.len(), installed - 1);

    // MozDef's brute-force rule finds the brute force in the real loghub sshd log.
    let packs = vigil::rules::packs::packs().unwrap();
    let brute = packs[0]
        .1
        .iter()
        .find(|r| r.slug == "bruteforce_ssh")
        .unwrap();
    let found = app
        .test_rule(&json!({"rule": brute, "events": sshd_events()}))
        .await;
    assert!(!found.alerts.is_empty());
    assert!(
        found
            .alerts
            .iter()
            .all(|a| a.summary.ends_with(&a.group["source.ip"]))
    );

    // A stored pack rule is tested by its slug.
    let tested = app.test_rule(&json!({"slug": "promisc_kernel", "events": [
        {"category": "syslog", "hostname": "h1", "summary": "device eth0 entered promiscuous mode", "utctimestamp": "2026-11-29T10:00:00Z"}
    ]}))
    .await;
    assert_eq!(tested.alerts.len(), 1);
    assert_eq!(tested.alerts[0].summary, "Promiscuous mode enabled on h1");
    assert!(
        app.audit_action_names()
            .await
            .contains(&"rule.pack_install".to_owned())
    );
}

/// A fix to a pack rule reaches existing installations, unless an admin
/// edited the rule: then it stays as they left it.
#[tokio::test]
async fn untouched_pack_rules_follow_the_shipped_definition() {
    let app = spawn_app().await;
    app.login_as_admin().await;
    vigil::rules::packs::install(&app.pool).await.unwrap();
    // As an older Vigil would have installed them: the pack's own versions
    // with another threshold.
    let outdated = |slug: &'static str| {
        sqlx::query(
            "UPDATE rules SET definition = jsonb_set(definition, '{threshold}', '999') WHERE slug = $1",
        )
        .bind(slug)
        .execute(&app.pool)
    };
    outdated("bruteforce_ssh").await.unwrap();
    outdated("promisc_kernel").await.unwrap();
    sqlx::query("UPDATE rule_versions v SET definition = r.definition FROM rules r WHERE r.id = v.rule_id AND r.slug IN ('bruteforce_ssh', 'promisc_kernel')")
        .execute(&app.pool)
        .await
        .unwrap();
    // An admin edits one of them (its threshold stays the older one).
    let rules: Vec<app::rules::Rule> = app.get("/api/v1/rules").await.json().await.unwrap();
    let promisc = rules
        .iter()
        .find(|r| r.definition.slug == "promisc_kernel")
        .unwrap();
    let mut edited = promisc.definition.clone();
    edited.description = "Our own words".into();
    let response = app
        .client
        .put(app.url(&format!("/api/v1/rules/{}", promisc.id)))
        .json(&json!({"version": promisc.version, "definition": edited}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);

    let done = vigil::rules::packs::install(&app.pool).await.unwrap();
    assert_eq!(
        done,
        vigil::rules::packs::Installed {
            created: 0,
            updated: 1
        }
    );
    let rules: Vec<app::rules::Rule> = app.get("/api/v1/rules").await.json().await.unwrap();
    let shipped = vigil::rules::packs::packs().unwrap();
    let shipped_brute = shipped[0]
        .1
        .iter()
        .find(|r| r.slug == "bruteforce_ssh")
        .unwrap();
    let brute = rules
        .iter()
        .find(|r| r.definition.slug == "bruteforce_ssh")
        .unwrap();
    assert_eq!(&brute.definition, shipped_brute);
    assert_eq!(brute.version, RuleVersion(2));
    let promisc = rules
        .iter()
        .find(|r| r.definition.slug == "promisc_kernel")
        .unwrap();
    assert_eq!(promisc.definition.description, "Our own words");
    assert_eq!(
        promisc.definition.kind,
        app::rules::RuleKind::Threshold {
            group_by: vec!["host.name".into()],
            threshold: 999,
            window_secs: promisc_window(&shipped)
        }
    );
    // Up to date now: nothing more to do.
    assert_eq!(
        vigil::rules::packs::install(&app.pool).await.unwrap(),
        vigil::rules::packs::Installed::default()
    );
    assert!(
        app.audit_action_names()
            .await
            .contains(&"rule.pack_update".to_owned())
    );
}

fn promisc_window(packs: &[(&str, Vec<app::rules::RuleDefinition>)]) -> u64 {
    let rule = packs[0]
        .1
        .iter()
        .find(|r| r.slug == "promisc_kernel")
        .unwrap();
    match rule.kind {
        app::rules::RuleKind::Threshold { window_secs, .. } => window_secs,
        _ => panic!("promisc_kernel is a threshold rule"),
    }
}
