//! Search over real partitioned storage: every operator, time boundaries,
//! pagination, errors with positions, and the audit record of each search.

use crate::helpers::{TestApp, assert_error, ingest_key, new_client, spawn_app};
use app::search::{SearchRequest, SortOrder};
use reqwest::StatusCode;
use serde_json::{Value, json};

const BASE: &str = "2026-11-29T10:00:00Z";

/// Stores known events, one minute apart from BASE, through the ingest API.
async fn load(app: &TestApp) {
    let key = ingest_key(app, "fixtures").await;
    let at = |minute: i64| {
        (chrono::DateTime::parse_from_rfc3339(BASE).unwrap() + chrono::Duration::minutes(minute))
            .to_rfc3339()
    };
    let events = vec![
        json!({"@timestamp": at(0), "host": {"name": "web01"}, "source": {"ip": "10.1.2.3"}, "user": {"name": "root"},
               "event": {"category": "authentication", "outcome": "failure"}, "message": "Failed password for root",
               "http": {"response": {"status_code": 200}}, "tags": ["ssh", "prod"]}),
        json!({"@timestamp": at(1), "host": {"name": "web02"}, "source": {"ip": "203.0.113.7"}, "user": {"name": "admin"},
               "event": {"category": "authentication", "outcome": "success"}, "message": "Accepted publickey for admin",
               "http": {"response": {"status_code": 404}}, "tags": ["ssh"]}),
        json!({"@timestamp": at(2), "host": {"name": "db01"}, "source": {"ip": "2001:db8::1"},
               "event": {"category": "network"}, "message": "connection from 2001:db8::1 <script>alert(1)</script>",
               "http": {"response": {"status_code": 500}}, "related": {"ip": ["10.9.9.9", "10.8.8.8"]}}),
        json!({"@timestamp": at(3), "EventID": 1, "Channel": "Microsoft-Windows-Sysmon/Operational", "Hostname": "ws-001",
               "Image": "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe", "CommandLine": "powershell -enc AAAA",
               "User": "CORP\\alice"}),
        json!({"@timestamp": at(4), "host.name": "literal-dotted", "labels": {"env": "prod"}, "message": "100% done"}),
    ];
    let response = new_client()
        .post(app.url("/api/v1/events"))
        .bearer_auth(key)
        .json(&events)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
}

fn request(query: &str) -> SearchRequest {
    SearchRequest {
        query: query.into(),
        from: Some("2026-11-29T09:00:00Z".into()),
        to: Some("2026-11-29T11:00:00Z".into()),
        ..SearchRequest::default()
    }
}

/// The minutes (after BASE) of the events `query` finds, oldest first.
async fn minutes(app: &TestApp, query: &str) -> Vec<i64> {
    let base = chrono::DateTime::parse_from_rfc3339(BASE)
        .unwrap()
        .with_timezone(&chrono::Utc);
    let mut found: Vec<i64> = app
        .search(&request(query))
        .await
        .hits
        .iter()
        .map(|h| (h.timestamp - base).num_minutes())
        .collect();
    found.sort_unstable();
    found
}

#[tokio::test]
async fn every_operator_finds_what_it_says() {
    let app = spawn_app().await;
    app.login_as_admin().await;
    load(&app).await;
    for (query, expected) in [
        ("", vec![0, 1, 2, 3, 4]),
        ("host.name:web01", vec![0]),
        ("host.name:web*", vec![0, 1]),
        ("host.name:web0?", vec![0, 1]),
        ("host.name:literal-dotted", vec![4]),
        ("NOT host.name:web01", vec![1, 2, 3, 4]),
        ("-host.name:web01 -host.name:web02", vec![2, 3, 4]),
        ("host.name:(web01 OR db01)", vec![0, 2]),
        (
            "event.category:Authentication AND event.outcome:failure",
            vec![0],
        ),
        (
            "event.category:authentication OR event.category:network",
            vec![0, 1, 2],
        ),
        ("source.ip:10.0.0.0/8", vec![0]),
        ("source.ip:203.0.113.7", vec![1]),
        ("source.ip:\"2001:db8::/32\"", vec![2]),
        ("source.ip:10.*", vec![0]),
        ("source.ip:*", vec![0, 1, 2]),
        ("NOT source.ip:*", vec![3, 4]),
        ("password", vec![0]),
        ("FAILED", vec![0]),
        ("\"password for root\"", vec![0]),
        ("accept*", vec![1]),
        ("\"100%\"", vec![4]),
        ("message:publickey", vec![1]),
        ("http.response.status_code>=404", vec![1, 2]),
        ("http.response.status_code:[200 TO 404}", vec![0]),
        ("http.response.status_code:500", vec![2]),
        ("related.ip:10.8.8.8", vec![2]),
        ("labels.env:prod", vec![4]),
        ("tags:ssh", vec![0, 1]),
        ("tags:pr*", vec![0]),
        ("Image:*powershell.exe", vec![3]),
        ("EventID:1 AND User:CORP\\\\alice", vec![3]),
        ("process.name:powershell.exe", vec![3]),
        ("user.name:root OR user.name:admin", vec![0, 1]),
        ("@timestamp>=2026-11-29T10:02:00Z", vec![2, 3, 4]),
        (
            "@timestamp:[2026-11-29T10:01:00Z TO 2026-11-29T10:03:00Z}",
            vec![1, 2],
        ),
        ("nothing:matches", vec![]),
    ] {
        assert_eq!(minutes(&app, query).await, expected, "{query}");
    }
}

#[tokio::test]
async fn ranges_are_inclusive_at_from_and_exclusive_at_to_and_pages_never_repeat() {
    let app = spawn_app().await;
    app.login_as_admin().await;
    load(&app).await;
    let mut exact = request("");
    exact.from = Some("2026-11-29T10:01:00Z".into());
    exact.to = Some("2026-11-29T10:03:00Z".into());
    let page = app.search(&exact).await;
    assert_eq!(page.total, 2, "10:01 is in, 10:03 is out");
    assert!(page.total_is_exact);

    let mut first = request("");
    first.limit = Some(2);
    let one = app.search(&first).await;
    assert_eq!(one.total, 5);
    assert_eq!(one.hits.len(), 2);
    assert!(
        one.hits[0].timestamp > one.hits[1].timestamp,
        "newest first"
    );
    let mut seen: Vec<uuid::Uuid> = one.hits.iter().map(|h| h.id).collect();
    let mut cursor = one.next_cursor;
    while let Some(next) = cursor {
        let mut again = first.clone();
        again.cursor = Some(next);
        let page = app.search(&again).await;
        seen.extend(page.hits.iter().map(|h| h.id));
        cursor = page.next_cursor;
    }
    assert_eq!(seen.len(), 5);
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 5, "no event twice across pages");

    let mut oldest = request("");
    oldest.sort = SortOrder::Asc;
    oldest.limit = Some(1);
    let page = app.search(&oldest).await;
    assert_eq!(
        page.hits[0].timestamp.to_rfc3339(),
        "2026-11-29T10:00:00+00:00"
    );

    // Event data comes back as data: the markup is a string in the document.
    let page = app.search(&request("db01")).await;
    assert!(page.hits.is_empty(), "free text is the message only");
    let page = app.search(&request("host.name:db01")).await;
    assert_eq!(
        page.hits[0].event["message"],
        Value::from("connection from 2001:db8::1 <script>alert(1)</script>")
    );
}

#[tokio::test]
async fn bad_queries_and_times_are_400s_that_say_where() {
    let app = spawn_app().await;
    app.login_as_admin().await;
    let response = app
        .post_json("/api/v1/search", &request("host.name:(web01 OR"))
        .await;
    let body = assert_error(response, StatusCode::BAD_REQUEST, "bad_query").await;
    assert_eq!(body.details.unwrap()["position"], 19);
    // Regular expressions Postgres would read differently, or backtrack
    // over, are refused before they reach it; none of them is a 500.
    for pattern in [r"\bfail", "(a+)+$", "(?i)root", r"\p{L}+", "(?P<x>a)"] {
        let query = format!("message|re:\"{}\"", pattern.replace('\\', "\\\\"));
        let response = app.post_json("/api/v1/search", &request(&query)).await;
        assert_error(response, StatusCode::BAD_REQUEST, "bad_query").await;
    }
    let response = app
        .post_json(
            "/api/v1/search",
            &request("message|re:\"fail(ed)? password\""),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    // A NUL cannot reach Postgres (its text cannot hold one): a 400 that
    // says where, on every route that takes a query.
    let nul = "user.name:ro\u{0}ot";
    let body = assert_error(
        app.post_json("/api/v1/search", &request(nul)).await,
        StatusCode::BAD_REQUEST,
        "bad_query",
    )
    .await;
    assert_eq!(body.details.unwrap()["position"], 12);
    let histogram = json!({"query": nul});
    let response = app.post_json("/api/v1/search/histogram", &histogram).await;
    assert_error(response, StatusCode::BAD_REQUEST, "bad_query").await;
    let top = json!({"query": nul, "field": "user.name"});
    let response = app.post_json("/api/v1/search/top", &top).await;
    assert_error(response, StatusCode::BAD_REQUEST, "bad_query").await;
    let mut bad_time = request("");
    bad_time.from = Some("last tuesday".into());
    let response = app.post_json("/api/v1/search", &bad_time).await;
    let body = assert_error(response, StatusCode::BAD_REQUEST, "validation_failed").await;
    assert_eq!(body.details.unwrap()["field"], "from");
    let mut backwards = request("");
    backwards.from = Some("now".into());
    backwards.to = Some("now-1h".into());
    let response = app.post_json("/api/v1/search", &backwards).await;
    assert_error(response, StatusCode::BAD_REQUEST, "validation_failed").await;
    let mut huge = request("");
    huge.limit = Some(5000);
    let response = app.post_json("/api/v1/search", &huge).await;
    assert_error(response, StatusCode::BAD_REQUEST, "validation_failed").await;
    let mut cursor = request("");
    cursor.cursor = Some("forged".into());
    let response = app.post_json("/api/v1/search", &cursor).await;
    assert_error(response, StatusCode::BAD_REQUEST, "validation_failed").await;
}

#[tokio::test]
async fn searches_are_audited_and_need_the_search_permission() {
    let app = spawn_app().await;
    app.login_as_admin().await;
    app.search(&request("user.name:root")).await;
    let audited: Vec<(String, Value)> =
        sqlx::query_as("SELECT actor_name, details FROM audit_log WHERE action = 'search.run'")
            .fetch_all(&app.pool)
            .await
            .unwrap();
    assert_eq!(audited.len(), 1);
    assert_eq!(audited[0].0, "admin");
    assert_eq!(audited[0].1["query"], "user.name:root");

    let key = ingest_key(&app, "shipper").await;
    let refused = new_client()
        .post(app.url("/api/v1/search"))
        .bearer_auth(key)
        .json(&request(""))
        .send()
        .await
        .unwrap();
    assert_error(refused, StatusCode::FORBIDDEN, "forbidden").await;
    let anonymous = new_client()
        .post(app.url("/api/v1/search"))
        .json(&request(""))
        .send()
        .await
        .unwrap();
    assert_error(anonymous, StatusCode::UNAUTHORIZED, "unauthenticated").await;
}

#[tokio::test]
async fn histograms_count_every_bucket_and_top_values_count_elements() {
    use app::search::{HistogramRequest, HistogramResponse, TopRequest, TopResponse};
    let app = spawn_app().await;
    app.login_as_admin().await;
    load(&app).await;
    let range = |query: &str| HistogramRequest {
        query: query.into(),
        from: Some("2026-11-29T09:00:00Z".into()),
        to: Some("2026-11-29T11:00:00Z".into()),
        time_zone: None,
        interval: None,
    };
    let auto: HistogramResponse = app
        .post_json("/api/v1/search/histogram", &range(""))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(auto.interval, 300, "two hours in at most 60 buckets");
    assert_eq!(auto.buckets.len(), 24, "empty buckets are included");
    let ten = auto
        .buckets
        .iter()
        .find(|b| b.ts.to_rfc3339() == "2026-11-29T10:00:00+00:00")
        .unwrap();
    assert_eq!(ten.count, 5);
    assert_eq!(auto.buckets.iter().map(|b| b.count).sum::<u64>(), 5);

    let mut minutes = range("tags:ssh");
    minutes.interval = Some(60);
    let fine: HistogramResponse = app
        .post_json("/api/v1/search/histogram", &minutes)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(fine.buckets.len(), 120);
    let counted: Vec<(String, u64)> = fine
        .buckets
        .iter()
        .filter(|b| b.count > 0)
        .map(|b| (b.ts.format("%H:%M").to_string(), b.count))
        .collect();
    assert_eq!(counted, vec![("10:00".into(), 1), ("10:01".into(), 1)]);
    let mut tiny = range("");
    tiny.interval = Some(1);
    let response = app.post_json("/api/v1/search/histogram", &tiny).await;
    assert_error(response, StatusCode::BAD_REQUEST, "validation_failed").await;

    let top = |field: &str, size: u32| TopRequest {
        query: String::new(),
        from: Some("2026-11-29T09:00:00Z".into()),
        to: Some("2026-11-29T11:00:00Z".into()),
        time_zone: None,
        field: field.into(),
        size: Some(size),
    };
    let hosts: TopResponse = app
        .post_json("/api/v1/search/top", &top("host.name", 2))
        .await
        .json()
        .await
        .unwrap();
    let names: Vec<(&str, u64)> = hosts
        .values
        .iter()
        .map(|v| (v.value.as_str(), v.count))
        .collect();
    assert_eq!(names, vec![("db01", 1), ("literal-dotted", 1)]);
    assert_eq!((hosts.other, hosts.missing), (3, 0));
    let tags: TopResponse = app
        .post_json("/api/v1/search/top", &top("tags", 10))
        .await
        .json()
        .await
        .unwrap();
    let names: Vec<(&str, u64)> = tags
        .values
        .iter()
        .map(|v| (v.value.as_str(), v.count))
        .collect();
    assert_eq!(names, vec![("ssh", 2), ("prod", 1)]);
    assert_eq!(tags.missing, 3);
    let related: TopResponse = app
        .post_json("/api/v1/search/top", &top("related.ip", 10))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(related.values.len(), 2, "array elements count one by one");
    assert_eq!(related.missing, 4);
    let sources: TopResponse = app
        .post_json("/api/v1/search/top", &top("source.ip", 10))
        .await
        .json()
        .await
        .unwrap();
    assert!(sources.values.iter().any(|v| v.value == "2001:db8::1"));
    let response = app
        .post_json("/api/v1/search/top", &top("bad field!", 10))
        .await;
    assert_error(response, StatusCode::BAD_REQUEST, "validation_failed").await;
}

#[tokio::test]
async fn exports_stream_every_match_as_ndjson_or_safe_csv() {
    use app::search::{ExportFormat, ExportRequest};
    let app = spawn_app().await;
    app.login_as_admin().await;
    load(&app).await;
    let export = |format: ExportFormat, query: &str| ExportRequest {
        query: query.into(),
        from: Some("2026-11-29T09:00:00Z".into()),
        to: Some("2026-11-29T11:00:00Z".into()),
        format,
        ..ExportRequest::default()
    };
    let response = app
        .post_json("/api/v1/search/export", &export(ExportFormat::Ndjson, ""))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "application/x-ndjson");
    assert!(
        response.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("attachment")
    );
    let body = response.text().await.unwrap();
    let documents: Vec<Value> = body
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(documents.len(), 5);
    assert_eq!(documents[0]["host"]["name"], "web01", "oldest first");

    let mut csv = export(
        ExportFormat::Csv,
        "host.name:db01 OR host.name:literal-dotted",
    );
    csv.fields = vec!["host.name".into(), "message".into(), "labels.env".into()];
    let body = app
        .post_json("/api/v1/search/export", &csv)
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(
        body,
        "host.name,message,labels.env\r\n\
         db01,connection from 2001:db8::1 <script>alert(1)</script>,\r\n\
         literal-dotted,100% done,prod\r\n"
    );

    // Many more events than the pipe holds still arrive whole, in order.
    let key = ingest_key(&app, "bulk").await;
    let lines: String = (0..20_000)
        .map(|i| {
            format!(
                "{{\"@timestamp\":\"2026-11-29T09:30:00Z\",\"message\":\"bulk {i} {}\"}}\n",
                "x".repeat(200)
            )
        })
        .collect();
    let stored = new_client()
        .post(app.url("/api/v1/events/bulk"))
        .bearer_auth(key)
        .body(lines)
        .send()
        .await
        .unwrap();
    assert_eq!(stored.status(), StatusCode::OK);
    let body = app
        .post_json(
            "/api/v1/search/export",
            &export(ExportFormat::Ndjson, "bulk"),
        )
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(body.lines().count(), 20_000);
    assert!(body.len() > 20_000 * 200);

    // The same export as a download link.
    let linked = app
        .get("/api/v1/search/export?q=host.name%3Adb01&from=2026-11-29T09%3A00%3A00Z&to=2026-11-29T11%3A00%3A00Z&format=csv&fields=host.name,%20labels.env")
        .await;
    assert_eq!(linked.status(), StatusCode::OK);
    assert_eq!(
        linked.text().await.unwrap(),
        "host.name,labels.env\r\ndb01,\r\n"
    );

    let (analyst, _) = app.sign_in_as(app::BuiltinRole::Viewer).await;
    let refused = analyst
        .post(app.url("/api/v1/search/export"))
        .json(&export(ExportFormat::Csv, ""))
        .send()
        .await
        .unwrap();
    assert_error(refused, StatusCode::FORBIDDEN, "forbidden").await;
    let actions: Vec<String> = app.audit_actions().await.into_iter().map(|a| a.0).collect();
    assert_eq!(actions.iter().filter(|a| *a == "search.export").count(), 4);
}

#[tokio::test]
async fn fields_list_what_recent_events_hold_with_hints() {
    use app::search::FieldsResponse;
    let app = spawn_app().await;
    app.login_as_admin().await;
    load(&app).await;
    let answer: FieldsResponse = app
        .get("/api/v1/fields?from=2026-11-29T09:00:00Z&to=2026-11-29T11:00:00Z")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(answer.sampled, 5);
    let field = |name: &str| answer.fields.iter().find(|f| f.name == name).unwrap();
    let host = field("host.name");
    assert!(host.indexed);
    assert_eq!(host.types, vec!["string"]);
    assert_eq!(
        host.distinct, 5,
        "web01, web02, db01, ws-001 and the literal dotted key"
    );
    let status = field("http.response.status_code");
    assert!(!status.indexed);
    assert_eq!(status.types, vec!["number"]);
    assert!((status.coverage - 0.6).abs() < 1e-9);
    assert_eq!(field("related.ip").types, vec!["array"]);
    assert_eq!(field("EventID").types, vec!["number"]);
    let response = app.get("/api/v1/fields?from=soon").await;
    assert_error(response, StatusCode::BAD_REQUEST, "validation_failed").await;
}

#[tokio::test]
async fn saved_searches_are_private_or_shared_and_only_their_owner_changes_them() {
    use app::search::{SavedSearch, SavedSearchRequest};
    let app = spawn_app().await;
    app.login_as_admin().await;
    let saved = |name: &str, query: &str, shared: bool| SavedSearchRequest {
        name: name.into(),
        query: query.into(),
        from: "now-7d".into(),
        to: "now".into(),
        shared,
    };
    let mine: SavedSearch = app
        .post_json(
            "/api/v1/saved-searches",
            &saved(" failed logins ", "event.outcome:failure", false),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (mine.name.as_str(), mine.owner.as_str(), mine.mine),
        ("failed logins", "admin", true)
    );
    let team: SavedSearch = app
        .post_json(
            "/api/v1/saved-searches",
            &saved("web errors", "http.response.status_code>=500", true),
        )
        .await
        .json()
        .await
        .unwrap();
    let twice = app
        .post_json("/api/v1/saved-searches", &saved("web errors", "", false))
        .await;
    assert_error(twice, StatusCode::CONFLICT, "conflict").await;
    let broken = app
        .post_json(
            "/api/v1/saved-searches",
            &saved("broken", "host.name:(", false),
        )
        .await;
    let body = assert_error(broken, StatusCode::BAD_REQUEST, "validation_failed").await;
    assert_eq!(body.details.unwrap()["field"], "query");

    let (analyst, _) = app.sign_in_as(app::BuiltinRole::Analyst).await;
    let seen: Vec<SavedSearch> = analyst
        .get(app.url("/api/v1/saved-searches"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(seen.len(), 1, "only the shared one");
    assert_eq!((seen[0].id, seen[0].mine), (team.id, false));
    let path = format!("/api/v1/saved-searches/{}", team.id);
    let refused = analyst
        .put(app.url(&path))
        .json(&saved("mine now", "", true))
        .send()
        .await
        .unwrap();
    assert_error(refused, StatusCode::NOT_FOUND, "not_found").await;
    let refused = analyst.delete(app.url(&path)).send().await.unwrap();
    assert_error(refused, StatusCode::NOT_FOUND, "not_found").await;

    let renamed: SavedSearch = app
        .client
        .put(app.url(&path))
        .json(&saved("web 5xx", "http.response.status_code>=500", false))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!((renamed.name.as_str(), renamed.shared), ("web 5xx", false));
    let seen: Vec<SavedSearch> = analyst
        .get(app.url("/api/v1/saved-searches"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(seen.is_empty(), "no longer shared");
    let deleted = app.client.delete(app.url(&path)).send().await.unwrap();
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    let actions: Vec<String> = app
        .audit_actions()
        .await
        .into_iter()
        .map(|a| a.0)
        .filter(|a| a.starts_with("saved_search."))
        .collect();
    assert_eq!(
        actions,
        [
            "saved_search.create",
            "saved_search.create",
            "saved_search.update",
            "saved_search.delete"
        ]
    );
    let _ = mine;
}

#[tokio::test]
async fn an_event_is_found_by_its_id_alone_and_viewing_it_is_audited() {
    let app = spawn_app().await;
    app.login_as_admin().await;
    load(&app).await;
    let hit = app.search(&request("host.name:web02")).await.hits.remove(0);
    let response = app.get(&format!("/api/v1/events/{}", hit.id)).await;
    assert_eq!(response.status(), StatusCode::OK);
    let found: app::search::Hit = response.json().await.unwrap();
    assert_eq!(found, hit);
    for unknown in [uuid::Uuid::now_v7(), uuid::Uuid::new_v4()] {
        let response = app.get(&format!("/api/v1/events/{unknown}")).await;
        assert_error(response, StatusCode::NOT_FOUND, "not_found").await;
    }
    let viewed: Vec<Option<String>> = app
        .audit_actions()
        .await
        .into_iter()
        .filter(|a| a.0 == "event.view")
        .map(|a| a.2)
        .collect();
    assert_eq!(viewed, vec![Some(hit.id.to_string())]);
}

#[tokio::test]
async fn pages_stay_exact_while_new_events_arrive() {
    let app = spawn_app().await;
    app.login_as_admin().await;
    load(&app).await;
    let key = ingest_key(&app, "live").await;
    let client = new_client();
    let url = app.url("/api/v1/events/bulk");
    let arriving = tokio::spawn(async move {
        for round in 0..10 {
            let body: String = (0..200)
                .map(|i| format!("{{\"@timestamp\":\"2026-11-29T10:00:30Z\",\"message\":\"live {round} {i}\"}}\n"))
                .collect();
            let response = client
                .post(&url)
                .bearer_auth(&key)
                .body(body)
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), StatusCode::OK);
        }
    });
    // The five fixtures, paged one at a time while events land between them.
    let mut paged = request("NOT live");
    paged.limit = Some(1);
    let mut seen = Vec::new();
    loop {
        let page = app.search(&paged).await;
        seen.extend(page.hits.iter().map(|h| h.id));
        match page.next_cursor {
            Some(next) => paged.cursor = Some(next),
            None => break,
        }
    }
    arriving.await.unwrap();
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(
        (seen.len(), unique.len()),
        (5, 5),
        "every fixture once, none skipped"
    );
}
