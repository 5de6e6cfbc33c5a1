//! The table of everyday Kibana queries, over a generated corpus
//! whose counts the test derives on its own: each expected count comes from
//! the corpus itself or from an equivalent query, never from the same code
//! path read twice.

use crate::helpers::{TestApp, ingest_key, spawn_app};
use app::search::{SearchRequest, SearchResponse};
use chrono::{DateTime, Duration, SecondsFormat, Utc};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// Two hundred events over the last ninety minutes, varied in the ways the
/// table's queries probe: outcomes, users present or not, status codes as
/// numbers and as strings, addresses in arrays, cities with spaces,
/// Windows paths with backslashes.
fn corpus(now: DateTime<Utc>) -> Vec<Value> {
    let cities = ["New York", "New Delhi", "York", "Berlin"];
    let codes = [200, 404, 500, 302, 403];
    let users = ["root", "admin", "alice", "bob"];
    (0..200)
        .map(|i: i64| {
            let at = now - Duration::seconds(27 * i + 30);
            let mut event = json!({
                "@timestamp": at.to_rfc3339_opts(SecondsFormat::Secs, true),
                "event": {
                    "outcome": if i % 3 == 0 { "failure" } else { "success" },
                    // Written in another zone than the event time.
                    "created": (at - Duration::seconds(5))
                        .with_timezone(&chrono::FixedOffset::west_opt(5 * 3600).unwrap())
                        .to_rfc3339_opts(SecondsFormat::Millis, false),
                },
                "message": format!("request {i} for {}", users[(i % 4) as usize]),
                "source": {"geo": {"city_name": cities[(i % 4) as usize]}},
                "related": {"ip": [format!("81.2.{}.{}", 68 + i % 3, i % 250), "10.0.0.1"]},
                "rule": {"id": if i % 2 == 0 { json!(format!("{}", 900 + i)) } else { json!(900 + i) }},
                "http": {"response": {"status_code": codes[(i % 5) as usize]}},
            });
            let object = event.as_object_mut().unwrap();
            if i % 5 != 0 {
                object.insert("user".into(), json!({"name": users[(i % 4) as usize]}));
            }
            if i % 7 == 0 {
                object.insert(
                    "process".into(),
                    json!({"executable": "C:\\Windows\\System32\\cmd.exe", "name": "cmd.exe"}),
                );
            }
            event
        })
        .collect()
}

async fn run(app: &TestApp, query: &str) -> SearchResponse {
    app.search(&SearchRequest {
        query: query.into(),
        from: Some("now-3h".into()),
        to: Some("now+1m".into()),
        limit: Some(1),
        ..SearchRequest::default()
    })
    .await
}

async fn count(app: &TestApp, query: &str) -> u64 {
    let answer = run(app, query).await;
    assert!(answer.total_is_exact);
    answer.total
}

fn counted(events: &[Value], keep: impl Fn(&Value) -> bool) -> u64 {
    events.iter().filter(|e| keep(e)).count() as u64
}

#[tokio::test]
async fn the_tables_queries_answer_as_kibana_does() {
    let app = spawn_app().await;
    app.login_as_admin().await;
    let now = Utc::now();
    let events = corpus(now);
    let key = ingest_key(&app, "habits").await;
    app.post_events(&key, &events).await;
    let total = events.len() as u64;
    let outcome = |e: &Value, o: &str| e["event"]["outcome"] == o;
    let user = |e: &Value, u: &str| e["user"]["name"] == u;

    // Lowercase operators are operators.
    let either = count(&app, "event.outcome:failure OR user.name:admin").await;
    assert_eq!(
        count(&app, "event.outcome:failure or user.name:admin").await,
        either
    );
    assert_eq!(
        either,
        counted(&events, |e| outcome(e, "failure") || user(e, "admin"))
    );
    let status = |e: &Value| e["http"]["response"]["status_code"].as_i64().unwrap();
    assert_eq!(
        count(
            &app,
            "http.response.status_code >= 400 and http.response.status_code < 500"
        )
        .await,
        counted(&events, |e| (400..500).contains(&status(e)))
    );

    // Date math against the RFC 3339 range the test computes.
    let hour_ago = (now - Duration::hours(1)).to_rfc3339_opts(SecondsFormat::Micros, true);
    let within_hour = count(&app, "@timestamp >= now-1h").await;
    assert_eq!(
        within_hour,
        count(&app, &format!("@timestamp >= \"{hour_ago}\"")).await
    );
    let time = |e: &Value| {
        DateTime::parse_from_rfc3339(e["@timestamp"].as_str().unwrap())
            .unwrap()
            .with_timezone(&Utc)
    };
    let expected = counted(&events, |e| time(e) >= now - Duration::hours(1));
    // The server's now is a little later than the test's.
    assert!(
        within_hour.abs_diff(expected) <= 1,
        "{within_hour} vs {expected}"
    );
    assert_eq!(
        count(&app, "@timestamp:[now-1h TO now]").await,
        within_hour,
        "no event lies in the future"
    );
    let today = now.format("%Y-%m-%d").to_string();
    assert_eq!(
        count(&app, &format!("@timestamp >= {today}")).await,
        counted(&events, |e| time(e).format("%Y-%m-%d").to_string() >= today)
    );
    assert_eq!(
        count(&app, "@timestamp:now/d").await,
        counted(&events, |e| time(e).date_naive() == now.date_naive())
    );

    // A date field in the document compares as a time, whatever its zone.
    let created_within_hour = count(&app, "event.created >= now-1h").await;
    let expected = counted(&events, |e| {
        let created =
            DateTime::parse_from_rfc3339(e["event"]["created"].as_str().unwrap()).unwrap();
        created >= now - Duration::hours(1)
    });
    assert!(created_within_hour > 0);
    assert!(
        created_within_hour.abs_diff(expected) <= 1,
        "{created_within_hour} vs {expected}"
    );

    // Existence, everything.
    assert_eq!(
        count(&app, "_exists_:user.name").await,
        counted(&events, |e| e["user"]["name"].is_string())
    );
    assert_eq!(
        count(&app, "_exists_:user.name").await,
        count(&app, "user.name:*").await
    );
    assert_eq!(count(&app, "*").await, total);
    assert_eq!(count(&app, "*:*").await, total);

    // Networks and address ranges on an array field stored in the document.
    let in_network = counted(&events, |e| {
        e["related"]["ip"]
            .as_array()
            .unwrap()
            .iter()
            .any(|ip| ip.as_str().unwrap().starts_with("81.2.69."))
    });
    assert!(in_network > 0);
    assert_eq!(count(&app, "related.ip:81.2.69.0/24").await, in_network);
    assert_eq!(
        count(&app, "related.ip:[81.2.69.0 TO 81.2.69.255]").await,
        in_network
    );

    // Numbers sent as strings compare as numbers.
    assert_eq!(
        count(&app, "rule.id >= 1000").await,
        counted(&events, |e| {
            let id = &e["rule"]["id"];
            id.as_i64()
                .or_else(|| id.as_str().and_then(|s| s.parse().ok()))
                .unwrap()
                >= 1000
        })
    );

    // KQL's readings, and the warning that says so.
    let new_york = run(&app, "source.geo.city_name:New York").await;
    assert_eq!(
        new_york.total,
        counted(&events, |e| e["source"]["geo"]["city_name"] == "New York")
    );
    assert!(
        new_york
            .warnings
            .iter()
            .any(|w| w.message.contains("one value")),
        "{:?}",
        new_york.warnings
    );
    assert_eq!(
        count(
            &app,
            "process.executable:\"C:\\Windows\\System32\\cmd.exe\""
        )
        .await,
        counted(&events, |e| e["process"]["executable"].is_string())
    );
    let side_by_side = run(&app, "user.name:root user.name:admin").await;
    assert_eq!(side_by_side.total, 0, "read as AND, as the warning says");
    assert_eq!(side_by_side.warnings.len(), 1);
    assert_eq!(side_by_side.warnings[0].position, 15);

    // Field wildcards: any field under the prefix, at any depth.
    assert_eq!(
        count(&app, "source.*:\"New York\"").await,
        counted(&events, |e| e["source"]["geo"]["city_name"] == "New York")
    );
    assert_eq!(
        count(&app, "http.*:404").await,
        counted(&events, |e| status(e) == 404)
    );

    // Lucene's regular expressions match whole values.
    assert_eq!(
        count(&app, "user.name:/a.*/").await,
        counted(&events, |e| e["user"]["name"]
            .as_str()
            .is_some_and(|u| u.starts_with('a')))
    );
    assert_eq!(count(&app, "user.name:/dmin/").await, 0, "the whole value");

    // What Vigil cannot do is refused, with where and why.
    for (query, fragment) in [
        ("root~", "fuzzy"),
        ("\"failed password\"~3", "proximity"),
        ("user.name:root^2", "boosting"),
        ("@timestamp:yesterday", "not a time"),
    ] {
        let response = app
            .post_json("/api/v1/search", &json!({"query": query}))
            .await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{query}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["code"], "bad_query", "{query}: {body}");
        assert!(
            body["message"].as_str().unwrap().contains(fragment),
            "{query}: {body}"
        );
    }
}

#[tokio::test]
async fn time_zones_move_dates_and_the_range() {
    let app = spawn_app().await;
    app.login_as_admin().await;
    let key = ingest_key(&app, "zones").await;
    // 23:30 UTC on the 2nd is the 3rd in Berlin (+01:00).
    let events = vec![
        json!({"@timestamp": "2026-12-02T23:30:00Z", "message": "late"}),
        json!({"@timestamp": "2026-12-03T12:00:00Z", "message": "noon"}),
    ];
    app.post_events(&key, &events).await;
    let total = |query: &str, zone: Option<&str>| {
        let request = SearchRequest {
            query: query.into(),
            from: Some("2026-12-01".into()),
            to: Some("2026-12-04".into()),
            time_zone: zone.map(str::to_owned),
            ..SearchRequest::default()
        };
        let app = &app;
        async move { app.search(&request).await.total }
    };
    assert_eq!(total("@timestamp:2026-12-03", None).await, 1);
    assert_eq!(total("@timestamp:2026-12-03", Some("+01:00")).await, 2);
    assert_eq!(total("@timestamp:2026-12-02", Some("+01:00")).await, 0);
    let response = app
        .post_json(
            "/api/v1/search",
            &json!({"query": "", "time_zone": "Mars/Olympus"}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    // The range's dates are whole days in the zone too.
    let request = SearchRequest {
        from: Some("2026-12-03".into()),
        to: Some("2026-12-03".into()),
        time_zone: Some("+01:00".into()),
        ..SearchRequest::default()
    };
    let answer = app.search(&request).await;
    assert_eq!(answer.total, 2);
    assert_eq!(answer.from.to_rfc3339(), "2026-12-02T23:00:00+00:00");
    assert_eq!(answer.to.to_rfc3339(), "2026-12-03T23:00:00+00:00");
}
