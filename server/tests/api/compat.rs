//! Elasticsearch `_bulk` and handshake, MozDef `/events`: existing shippers work unchanged.

use crate::helpers::{assert_error, ingest_key, new_client, spawn_app, stored_events};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::io::Write;

#[tokio::test]
async fn the_root_is_the_spa_for_browsers_and_an_elasticsearch_handshake_for_shippers() {
    let app = spawn_app().await;
    let key = ingest_key(&app, "filebeat-dmz").await;

    let browser = new_client().get(app.url("/")).send().await.unwrap();
    assert_eq!(browser.status(), StatusCode::OK);
    assert!(
        browser
            .text()
            .await
            .unwrap()
            .contains("<title>Vigil</title>")
    );

    let basic = BASE64.encode(format!("elastic:{key}"));
    let shipper = new_client()
        .get(app.url("/"))
        .header("authorization", format!("Basic {basic}"))
        .send()
        .await
        .unwrap();
    assert_eq!(shipper.status(), StatusCode::OK);
    assert_eq!(
        shipper.headers().get("x-elastic-product").unwrap(),
        "Elasticsearch"
    );
    let info: Value = shipper.json().await.unwrap();
    assert!(
        info["version"]["number"]
            .as_str()
            .unwrap()
            .starts_with("8.")
    );

    let wrong = new_client()
        .get(app.url("/"))
        .bearer_auth("vgl_nope")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    assert!(wrong.headers().get("www-authenticate").is_some());
}

#[tokio::test]
async fn bulk_answers_per_item_in_elasticsearch_shape() {
    let app = spawn_app().await;
    let key = ingest_key(&app, "filebeat-dmz").await;
    let body = concat!(
        "{\"index\":{\"_index\":\"filebeat-8.17.0\"}}\n",
        "{\"@timestamp\":\"2026-11-29T09:00:00Z\",\"message\":\"sshd accepted\",\"host\":{\"name\":\"web01\"}}\n",
        "{\"delete\":{\"_id\":\"x\"}}\n",
        "{\"create\":{}}\n",
        "{not json}\n",
        "{\"create\":{\"_id\":\"evt-7\"}}\n",
        "{\"message\":\"second\"}\n"
    );
    let response = new_client()
        .post(app.url("/_bulk"))
        .bearer_auth(&key)
        .header("content-type", "application/x-ndjson")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers().get("x-elastic-product").unwrap(),
        "Elasticsearch"
    );
    let answer: Value = response.json().await.unwrap();
    assert_eq!(answer["errors"], true);
    let items = answer["items"].as_array().unwrap();
    assert_eq!(items.len(), 4);
    assert_eq!(items[0]["index"]["status"], 201);
    assert_eq!(items[0]["index"]["_index"], "filebeat-8.17.0");
    assert_eq!(items[1]["delete"]["status"], 400);
    assert_eq!(items[2]["create"]["status"], 400);
    assert_eq!(items[3]["create"]["status"], 201);
    assert_eq!(stored_events(&app).await, 2);
    let bulk_id: String = sqlx::query_scalar(
        "SELECT payload->'vigil'->>'bulk_id' FROM events WHERE message = 'second'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(bulk_id, "evt-7");
}

#[tokio::test]
async fn the_index_in_the_path_applies_and_gzip_bodies_are_accepted() {
    let app = spawn_app().await;
    let key = ingest_key(&app, "filebeat-dmz").await;
    let body: String = (0..300)
        .map(|i| format!("{{\"index\":{{}}}}\n{{\"message\":\"compressed {i}\"}}\n"))
        .collect();
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(body.as_bytes()).unwrap();
    let compressed = encoder.finish().unwrap();
    let response = new_client()
        .post(app.url("/logs-nginx/_bulk"))
        .bearer_auth(&key)
        .header("content-type", "application/x-ndjson")
        .header("content-encoding", "gzip")
        .body(compressed)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let answer: Value = response.json().await.unwrap();
    assert_eq!(answer["errors"], false);
    assert_eq!(answer["items"][299]["index"]["_index"], "logs-nginx");
    assert_eq!(stored_events(&app).await, 300);
}

#[tokio::test]
async fn malformed_bulk_requests_are_refused_whole() {
    let app = spawn_app().await;
    let key = ingest_key(&app, "filebeat-dmz").await;
    for body in [
        "{\"index\":{}}\n{\"message\":\"would be kept\"}\n{\"upsert\":{}}\n{}\n",
        "{\"index\":{}}\n",
    ] {
        let response = new_client()
            .post(app.url("/_bulk"))
            .bearer_auth(&key)
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        let answer: Value = response.json().await.unwrap();
        assert_eq!(answer["status"], 400);
        assert_eq!(answer["error"]["type"], "illegal_argument_exception");
    }
    assert_eq!(stored_events(&app).await, 0);
    let anonymous = new_client()
        .post(app.url("/_bulk"))
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_error(anonymous, StatusCode::UNAUTHORIZED, "unauthenticated").await;
}

#[tokio::test]
async fn mozdef_clients_post_to_events_unchanged() {
    let app = spawn_app().await;
    let key = ingest_key(&app, "filebeat-dmz").await;
    // The smoke test from MozDef's documentation, and a fuller event.
    for event in [
        json!({"tags": ["test"], "summary": "just a test"}),
        json!({
            "timestamp": "2026-11-29T08:00:00+00:00", "hostname": "ldap1", "processname": "slapd",
            "category": "authentication", "severity": "INFO", "summary": "joe login failed",
            "details": {"username": "joe", "success": false, "sourceipaddress": "10.0.0.9"}
        }),
    ] {
        let response = new_client()
            .post(app.url("/events"))
            .bearer_auth(&key)
            .json(&event)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
    }
    let row: (String, String, String, String) = sqlx::query_as(
        "SELECT host_name, user_name, outcome, host(source_ip) FROM events WHERE message = 'joe login failed'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(
        row,
        (
            "ldap1".into(),
            "joe".into(),
            "failure".into(),
            "10.0.0.9".into()
        )
    );
    let tags: Vec<String> =
        sqlx::query_scalar("SELECT tags FROM events WHERE message = 'just a test'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(tags, vec!["test".to_string()]);
}

/// Shippers retry whole bulk requests after a timeout; documents they gave an
/// `_id` must not be stored twice, by one retry or by racing ones.
#[tokio::test]
async fn documents_retried_with_their_id_are_stored_once() {
    let app = spawn_app().await;
    let key = ingest_key(&app, "logstash").await;
    let other = ingest_key(&app, "vector").await;
    let bulk = |key: String, body: String| {
        let url = app.url("/_bulk");
        async move {
            let response = new_client()
                .post(url)
                .bearer_auth(key)
                .header("content-type", "application/x-ndjson")
                .body(body)
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), StatusCode::OK);
            response.json::<Value>().await.unwrap()
        }
    };
    let body: String = (0..50)
        .map(|i| format!("{{\"index\":{{\"_id\":\"doc-{i}\"}}}}\n{{\"message\":\"m{i}\"}}\n"))
        .collect::<String>()
        + "{\"create\":{\"_id\":\"made-once\"}}\n{\"message\":\"c\"}\n"
        + "{\"index\":{}}\n{\"message\":\"no id\"}\n";

    let first = bulk(key.clone(), body.clone()).await;
    assert_eq!(first["errors"], false);
    assert_eq!(first["items"][0]["index"]["_id"], "doc-0");
    assert_eq!(first["items"][0]["index"]["status"], 201);
    assert_eq!(stored_events(&app).await, 52);

    let retry = bulk(key.clone(), body.clone()).await;
    assert_eq!(retry["items"][0]["index"]["status"], 200);
    assert_eq!(retry["items"][0]["index"]["result"], "noop");
    assert_eq!(retry["items"][50]["create"]["status"], 409);
    assert_eq!(
        retry["items"][50]["create"]["error"]["type"],
        "version_conflict_engine_exception"
    );
    assert_eq!(
        retry["items"][51]["index"]["status"], 201,
        "no id, no deduplication"
    );
    assert_eq!(
        retry["errors"], true,
        "a conflicting create is an error, as in Elasticsearch"
    );
    assert_eq!(stored_events(&app).await, 53);

    // Ids are per source: another shipper's doc-0 is its own document.
    let theirs = bulk(
        other,
        "{\"index\":{\"_id\":\"doc-0\"}}\n{\"message\":\"theirs\"}\n".into(),
    )
    .await;
    assert_eq!(theirs["items"][0]["index"]["status"], 201);

    // Racing retries, and a repeat inside one request: each id stored once.
    let racing: String = (0..200)
        .map(|i| {
            format!(
                "{{\"index\":{{\"_id\":\"race-{}\"}}}}\n{{\"message\":\"r\"}}\n",
                i % 100
            )
        })
        .collect();
    let attempts: Vec<_> = (0..4)
        .map(|_| tokio::spawn(bulk(key.clone(), racing.clone())))
        .collect();
    let mut answers = Vec::new();
    for attempt in attempts {
        answers.push(attempt.await.unwrap());
    }
    let created: usize = answers
        .iter()
        .flat_map(|a| a["items"].as_array().unwrap().iter())
        .filter(|item| item["index"]["status"] == 201)
        .count();
    assert_eq!(created, 100);
    let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM events WHERE message = 'r'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(stored, 100);
    let distinct: i64 = sqlx::query_scalar(
        "SELECT count(DISTINCT payload->'vigil'->>'bulk_id') FROM events WHERE message = 'r'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(distinct, 100);
}

#[tokio::test]
async fn single_documents_refuse_garbage_and_oversized_bodies_and_store_nothing() {
    let app =
        crate::helpers::spawn_app_with(vigil::http::routes::api_routes_with_limits(64 * 1024), &[])
            .await;
    let key = ingest_key(&app, "python-app").await;
    let client = new_client();
    let big = json!({"message": "x".repeat(100 * 1024)}).to_string();
    let long_id = "i".repeat(513);
    let cases: [(reqwest::Method, String, String, StatusCode); 5] = [
        (
            reqwest::Method::POST,
            "/logs/_doc".into(),
            big.clone(),
            StatusCode::PAYLOAD_TOO_LARGE,
        ),
        (
            reqwest::Method::PUT,
            "/logs/_create/a".into(),
            big,
            StatusCode::PAYLOAD_TOO_LARGE,
        ),
        (
            reqwest::Method::POST,
            "/logs/_doc".into(),
            "{broken".into(),
            StatusCode::BAD_REQUEST,
        ),
        (
            reqwest::Method::PUT,
            "/logs/_doc/a".into(),
            "[1, 2]".into(),
            StatusCode::BAD_REQUEST,
        ),
        (
            reqwest::Method::PUT,
            format!("/logs/_doc/{long_id}"),
            "{}".into(),
            StatusCode::BAD_REQUEST,
        ),
    ];
    for (method, path, body, expected) in cases {
        let response = client
            .request(method.clone(), app.url(&path))
            .bearer_auth(&key)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.status(),
            expected,
            "{method} {}",
            &path[..path.len().min(40)]
        );
        let answer: Value = response.json().await.unwrap();
        assert!(answer.is_object(), "a JSON answer: {answer}");
    }
    assert_eq!(stored_events(&app).await, 0);
}
