//! Watchlists: CRUD, entries from JSON and CSV (bad lines named, good ones
//! kept), audit, permissions, and an indicator rule matching against one.

use crate::helpers::{assert_error, spawn_app};
use app::rules::RuleTestResponse;
use app::watchlists::{ImportResponse, Watchlist, WatchlistEntry};
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn watchlists_hold_values_that_indicator_rules_match() {
    let app = spawn_app().await;
    app.login_as_admin().await;
    let created = app
        .post_json("/api/v1/watchlists", &json!({"slug": "bad-ips", "name": "Bad addresses", "description": "From the CTI feed"}))
        .await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let list: Watchlist = created.json().await.unwrap();
    assert_eq!(list.entries, 0);
    let again = app
        .post_json(
            "/api/v1/watchlists",
            &json!({"slug": "bad-ips", "name": "x"}),
        )
        .await;
    assert_error(again, StatusCode::CONFLICT, "conflict").await;
    let broken = app
        .post_json(
            "/api/v1/watchlists",
            &json!({"slug": "Bad IPs", "name": "x"}),
        )
        .await;
    assert_error(broken, StatusCode::BAD_REQUEST, "validation_failed").await;

    // CSV: a header, good lines, and garbage lines named by number.
    let csv = "indicator,note\n198.51.100.7,C2\n\"203.0.113.9\",\"scanner, loud\"\n,no value\na,b,c\nEVIL.example.com\n198.51.100.7,again\n\"unclosed\n";
    let response = app
        .client
        .post(app.url(&format!("/api/v1/watchlists/{}/import", list.id)))
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let imported: ImportResponse = response.json().await.unwrap();
    assert_eq!((imported.added, imported.existing), (3, 0));
    let bad: Vec<usize> = imported.errors.iter().map(|e| e.line).collect();
    assert_eq!(bad, [4, 5, 8]);

    // JSON entries: new and known values counted apart.
    let added: ImportResponse = app
        .post_json(
            &format!("/api/v1/watchlists/{}/entries", list.id),
            &json!({"values": ["192.0.2.1", "198.51.100.7", " "], "note": "manual"}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!((added.added, added.existing, added.errors.len()), (1, 1, 1));
    let entries: Vec<WatchlistEntry> = app
        .get(&format!("/api/v1/watchlists/{}/entries", list.id))
        .await
        .json()
        .await
        .unwrap();
    let values: Vec<&str> = entries.iter().map(|e| e.value.as_str()).collect();
    assert_eq!(
        values,
        [
            "192.0.2.1",
            "198.51.100.7",
            "203.0.113.9",
            "evil.example.com"
        ]
    );
    assert_eq!(
        entries[1].note, "manual",
        "a known value takes the new note"
    );

    // An indicator rule matches the list's values, case-insensitively.
    let rule = json!({"slug": "known-bad", "name": "Known bad destination", "severity": "high",
        "query": "", "kind": "indicator", "field": "destination.domain", "watchlist": "bad-ips",
        "summary": "{destination.domain} is on the list"});
    let answer: RuleTestResponse = app
        .post_json(
            "/api/v1/rules/test",
            &json!({"rule": rule, "events": [
                {"destination": {"domain": "evil.EXAMPLE.com"}},
                {"destination": {"domain": "good.example.com"}}
            ]}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(answer.alerts.len(), 1);
    assert_eq!(answer.alerts[0].events, [0]);

    // One value out; then the whole list.
    let url = app.url(&format!("/api/v1/watchlists/{}/entries/192.0.2.1", list.id));
    assert_eq!(
        app.client.delete(&url).send().await.unwrap().status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        app.client.delete(&url).send().await.unwrap().status(),
        StatusCode::NOT_FOUND
    );
    let lists: Vec<Watchlist> = app.get("/api/v1/watchlists").await.json().await.unwrap();
    assert_eq!(lists[0].entries, 3);
    let whole = app.url(&format!("/api/v1/watchlists/{}", list.id));
    assert_eq!(
        app.client.delete(&whole).send().await.unwrap().status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        app.get(&format!("/api/v1/watchlists/{}", list.id))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );

    let actions = app.audit_action_names().await;
    for action in [
        "watchlist.create",
        "watchlist.import",
        "watchlist.add",
        "watchlist.remove",
        "watchlist.delete",
    ] {
        assert!(actions.iter().any(|a| a == action), "{action}: {actions:?}");
    }

    // Analysts read watchlists; they do not change them.
    let (analyst, _) = app.sign_in_as(app::BuiltinRole::Analyst).await;
    assert_eq!(
        analyst
            .get(app.url("/api/v1/watchlists"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    let refused = analyst
        .post(app.url("/api/v1/watchlists"))
        .json(&json!({"slug": "mine", "name": "Mine"}))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn pack_watchlists_are_installed_once_and_pack_rules_name_them() {
    let app = spawn_app().await;
    app.login_as_admin().await;
    let rules = vigil::rules::packs::install(&app.pool)
        .await
        .unwrap()
        .created;
    assert!(rules >= 200, "{rules} pack rules");
    let lists: Vec<Watchlist> = app.get("/api/v1/watchlists").await.json().await.unwrap();
    let scanners = lists
        .iter()
        .find(|l| l.slug == "mozdef-nsm-scanners")
        .expect("the MozDef pack's scanner list");
    assert_eq!(scanners.entries, 5);
    assert_eq!(lists.len(), 10, "{lists:?}");

    // An admin deletes one: starting again does not bring it back.
    let response = app
        .client
        .delete(app.url(&format!("/api/v1/watchlists/{}", scanners.id)))
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success(), "{}", response.status());
    assert_eq!(
        vigil::rules::packs::install(&app.pool).await.unwrap(),
        vigil::rules::packs::Installed::default()
    );
    let lists: Vec<Watchlist> = app.get("/api/v1/watchlists").await.json().await.unwrap();
    assert_eq!(lists.len(), 9);

    // Every list a stored pack rule names was installed with the pack.
    let named: Vec<String> = sqlx::query_scalar(
        "SELECT DISTINCT m[1] FROM rules, regexp_matches(definition::text, '\\|in:([a-z0-9_-]+)', 'g') AS m",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert!(named.len() >= 7, "{named:?}");
    let installed: Vec<String> = sqlx::query_scalar("SELECT slug FROM pack_installs")
        .fetch_all(&app.pool)
        .await
        .unwrap();
    for slug in &named {
        assert!(
            installed.contains(slug),
            "{slug} is named by a rule but not installed"
        );
    }
}
