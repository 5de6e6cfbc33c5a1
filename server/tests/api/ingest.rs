//! Ingest over HTTP into real partitioned storage: what is acknowledged is stored.

use crate::helpers::{
    TestApp, assert_error, ingest_key, new_client, spawn_app, spawn_app_with, stored_events,
};
use app::ingest::IngestResponse;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::Duration;

const SHARED_DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/data");

async fn post_events(
    app: &TestApp,
    key: &str,
    path: &str,
    body: impl Into<reqwest::Body>,
) -> reqwest::Response {
    new_client()
        .post(app.url(path))
        .bearer_auth(key)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_single_event_is_normalised_and_stored_before_the_answer() {
    let app = spawn_app().await;
    let key = ingest_key(&app, "edge-shipper").await;
    let event = json!({
        "@timestamp": chrono::Utc::now().to_rfc3339(),
        "event": {"category": "authentication", "action": "ssh_login", "outcome": "failure"},
        "host": {"name": "bastion-1"},
        "source": {"ip": "203.0.113.7"},
        "user": {"name": "root"},
        "message": "Failed password for root from 203.0.113.7 port 50022 ssh2",
        "tags": ["ssh"]
    });
    let response = post_events(&app, &key, "/api/v1/events", event.to_string()).await;
    assert_eq!(response.status(), StatusCode::OK);
    let answer: IngestResponse = response.json().await.unwrap();
    assert_eq!(answer.accepted, 1);
    assert!(answer.rejected.is_empty());

    let row: (String, String, String, String, String, Vec<String>, Value) = sqlx::query_as(
        "SELECT category, outcome, host_name, host(source_ip), user_name, tags, payload FROM events",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(
        (row.0.as_str(), row.1.as_str(), row.2.as_str()),
        ("authentication", "failure", "bastion-1")
    );
    assert_eq!((row.3.as_str(), row.4.as_str()), ("203.0.113.7", "root"));
    assert_eq!(row.5, vec!["ssh".to_string()]);
    assert_eq!(row.6["vigil"]["source"]["name"], "edge-shipper");
    assert!(row.6["event"]["ingested"].is_string());
}

#[tokio::test]
async fn bad_items_are_reported_by_position_and_never_reject_their_neighbours() {
    let app = spawn_app().await;
    let key = ingest_key(&app, "edge-shipper").await;
    let body = json!([{"message": "one"}, "not an object", {"message": "two"}, null, {"message": "three"}]);
    let answer: IngestResponse = post_events(&app, &key, "/api/v1/events", body.to_string())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(answer.accepted, 3);
    let positions: Vec<(u64, &str)> = answer
        .rejected
        .iter()
        .map(|r| (r.index, r.code.as_str()))
        .collect();
    assert_eq!(positions, vec![(1, "not_an_object"), (3, "not_an_object")]);
    assert_eq!(stored_events(&app).await, 3);

    let ndjson = "{\"message\":\"a\"}\n{broken\n\n{\"message\":\"b\"}\n";
    let answer: IngestResponse = post_events(&app, &key, "/api/v1/events/bulk", ndjson)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(answer.accepted, 2);
    assert_eq!(answer.rejected[0].index, 1);
    assert_eq!(answer.rejected[0].code, "invalid_json");
    assert_eq!(stored_events(&app).await, 5);
}

#[tokio::test]
async fn a_windows_attack_recording_arrives_whole_over_ndjson() {
    let app = spawn_app().await;
    let key = ingest_key(&app, "edge-shipper").await;
    let path = format!(
        "{SHARED_DATA}/otrf-security-datasets/atomic/windows/credential_access/host/cmd_lsass_memory_dumpert_syscalls_2020-10-1822561997.json"
    );
    let recording = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let lines = recording.lines().filter(|l| !l.trim().is_empty()).count() as u64;
    let answer: IngestResponse = post_events(&app, &key, "/api/v1/events/bulk", recording)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(answer.accepted, lines, "{:?}", answer.rejected);
    assert_eq!(stored_events(&app).await as u64, lines);
    let hosts: i64 = sqlx::query_scalar("SELECT count(*) FROM events WHERE host_name IS NOT NULL")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(hosts as u64, lines, "every OTRF event names its host");
    // Sigma's field names stay reachable in the document.
    let with_event_id: i64 =
        sqlx::query_scalar("SELECT count(*) FROM events WHERE payload ? 'EventID'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(with_event_id as u64, lines);
}

#[tokio::test]
async fn events_of_past_days_get_their_own_partition() {
    let app = spawn_app().await;
    let key = ingest_key(&app, "edge-shipper").await;
    let three_days_ago = chrono::Utc::now() - chrono::Duration::days(3);
    let body = json!({"@timestamp": three_days_ago.to_rfc3339(), "message": "late arrival"});
    let answer: IngestResponse = post_events(&app, &key, "/api/v1/events", body.to_string())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(answer.accepted, 1);
    let partition = format!("events_p{}", three_days_ago.format("%Y%m%d"));
    let holder: String = sqlx::query_scalar("SELECT tableoid::regclass::text FROM events")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(holder, partition);
}

#[tokio::test]
async fn ingest_needs_the_ingest_permission() {
    let app = spawn_app().await;
    let key = ingest_key(&app, "edge-shipper").await;
    let body = json!({"message": "x"}).to_string();

    let anonymous = new_client()
        .post(app.url("/api/v1/events"))
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_error(anonymous, StatusCode::UNAUTHORIZED, "unauthenticated").await;
    let wrong = post_events(&app, "vgl_wrong", "/api/v1/events", body.clone()).await;
    assert_error(wrong, StatusCode::UNAUTHORIZED, "unauthenticated").await;
    let (analyst, _) = app.sign_in_as(app::BuiltinRole::Analyst).await;
    let denied = analyst
        .post(app.url("/api/v1/events"))
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_error(denied, StatusCode::FORBIDDEN, "forbidden").await;

    let keys: Vec<app::api_keys::ApiKeySummary> =
        app.get("/api/v1/api-keys").await.json().await.unwrap();
    app.client
        .delete(app.url(&format!("/api/v1/api-keys/{}", keys[0].id)))
        .send()
        .await
        .unwrap();
    let revoked = post_events(&app, &key, "/api/v1/events", body).await;
    assert_error(revoked, StatusCode::UNAUTHORIZED, "unauthenticated").await;
    assert_eq!(stored_events(&app).await, 0);
}

#[tokio::test]
async fn bodies_over_the_ingest_limit_get_413_and_store_nothing() {
    let app = spawn_app_with(vigil::http::routes::api_routes_with_limits(64 * 1024), &[]).await;
    let key = ingest_key(&app, "edge-shipper").await;
    let big: Vec<Value> = (0..2000)
        .map(|i| json!({"message": format!("event number {i} with padding")}))
        .collect();
    let response = post_events(
        &app,
        &key,
        "/api/v1/events",
        serde_json::to_string(&big).unwrap(),
    )
    .await;
    assert_error(response, StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large").await;
    let bad = post_events(&app, &key, "/api/v1/events", "{broken").await;
    assert_error(bad, StatusCode::BAD_REQUEST, "bad_request").await;
    assert_eq!(stored_events(&app).await, 0);
}

#[tokio::test]
async fn an_oversized_event_is_refused_alone_and_its_neighbours_stored() {
    let app = spawn_app().await;
    let key = ingest_key(&app, "big-sender").await;
    let huge = json!({"message": "x".repeat(30 << 20)}).to_string();
    let body = format!("{{\"message\": \"before\"}}\n{huge}\n{{\"message\": \"after\"}}\n");
    let response = post_events(&app, &key, "/api/v1/events/bulk", body).await;
    assert_eq!(response.status(), StatusCode::OK);
    let answer: IngestResponse = response.json().await.unwrap();
    assert_eq!((answer.accepted, answer.rejected_total), (2, 1));
    assert_eq!(answer.rejected[0].index, 1);
    assert_eq!(answer.rejected[0].code, "too_large");
    assert_eq!(stored_events(&app).await, 2);

    // In an array, and as the single object of a request, the same.
    let array = format!("[{{\"message\": \"a\"}}, {huge}]");
    let answer: IngestResponse = post_events(&app, &key, "/api/v1/events", array)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (answer.accepted, answer.rejected[0].code.as_str()),
        (1, "too_large")
    );
    let answer: IngestResponse = post_events(&app, &key, "/api/v1/events", huge)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!((answer.accepted, answer.rejected_total), (0, 1));
    assert_eq!(stored_events(&app).await, 3);
}

#[tokio::test]
async fn millions_of_bad_lines_get_a_short_answer_that_counts_them() {
    let app = spawn_app().await;
    let key = ingest_key(&app, "noisy").await;
    let body = "1\n".repeat(200_000);
    let response = post_events(&app, &key, "/api/v1/events/bulk", body).await;
    assert_eq!(response.status(), StatusCode::OK);
    let text = response.text().await.unwrap();
    assert!(text.len() < 200_000, "an answer of {} bytes", text.len());
    let answer: IngestResponse = serde_json::from_str(&text).unwrap();
    assert_eq!(answer.rejected.len(), IngestResponse::MAX_LISTED_REJECTIONS);
    assert_eq!(answer.rejected_total, 200_000);
    assert_eq!(answer.accepted, 0);
}

/// A transaction whose lock keeps every writer from committing until it ends.
async fn hold_commits(app: &TestApp) -> sqlx::Transaction<'static, sqlx::Postgres> {
    let mut blocker = app.pool.begin().await.unwrap();
    sqlx::query("LOCK TABLE event_batches IN EXCLUSIVE MODE")
        .execute(&mut *blocker)
        .await
        .unwrap();
    blocker
}

#[tokio::test]
async fn a_slow_commit_is_waited_for_never_answered_408() {
    let app = spawn_app_with(
        vigil::http::routes::api_routes(),
        &[("VIGIL_REQUEST_TIMEOUT_SECS", "1")],
    )
    .await;
    let key = ingest_key(&app, "patient").await;
    // The commit cannot finish while this lock is held: longer than the
    // request timeout.
    let blocker = hold_commits(&app).await;
    let release = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(2500)).await;
        blocker.commit().await.unwrap();
    });
    let started = std::time::Instant::now();
    let response = post_events(&app, &key, "/api/v1/events", r#"{"message": "slow"}"#).await;
    assert!(
        started.elapsed() > Duration::from_secs(1),
        "the commit was not held up"
    );
    assert_eq!(
        response.status(),
        StatusCode::OK,
        "a queued request timed out"
    );
    let answer: IngestResponse = response.json().await.unwrap();
    assert_eq!(answer.accepted, 1);
    release.await.unwrap();
    assert_eq!(stored_events(&app).await, 1);
}

/// `n` events of about `size` bytes each, one per line.
fn sized_events(n: usize, size: usize, tag: &str) -> String {
    let filler = "x".repeat(size);
    (0..n)
        .map(|i| format!("{{\"message\":\"{tag} {i} {filler}\"}}\n"))
        .collect()
}

#[tokio::test]
async fn the_queue_is_bounded_in_bytes_as_well_as_events() {
    // Room for 50,000 events but only 128 KiB: a few large events fill it.
    let app = spawn_app_with(
        vigil::http::routes::api_routes(),
        &[
            ("VIGIL_INGEST_MAX_QUEUED_BYTES", "131072"),
            ("VIGIL_INGEST_MAX_EVENT_BYTES", "65536"),
        ],
    )
    .await;
    let key = ingest_key(&app, "bulky").await;
    // Nothing commits while this lock is held, so what is accepted stays queued.
    let blocker = hold_commits(&app).await;
    let first = {
        let (url, key) = (app.url("/api/v1/events/bulk"), key.clone());
        tokio::spawn(async move {
            new_client()
                .post(url)
                .bearer_auth(key)
                .body(sized_events(40, 2048, "first"))
                .send()
                .await
                .unwrap()
                .status()
        })
    };
    // Until the first request's ~90 KiB are queued.
    for _ in 0..100 {
        if app.events.queued().1 > 64 << 10 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let (events, bytes) = app.events.queued();
    assert_eq!(events, 40);
    assert!(bytes <= 131_072, "{bytes} bytes queued");
    // Ten events are far below the event bound; their 40 KiB do not fit.
    let refused = post_events(
        &app,
        &key,
        "/api/v1/events/bulk",
        sized_events(10, 4096, "second"),
    )
    .await;
    assert_error(refused, StatusCode::SERVICE_UNAVAILABLE, "unavailable").await;
    blocker.commit().await.unwrap();
    assert_eq!(first.await.unwrap(), StatusCode::OK);
    let retried = post_events(
        &app,
        &key,
        "/api/v1/events/bulk",
        sized_events(10, 4096, "second"),
    )
    .await;
    assert_eq!(retried.status(), StatusCode::OK);
    assert_eq!(stored_events(&app).await, 50);
    assert_eq!(app.events.queued(), (0, 0));
}

#[tokio::test]
async fn concurrent_requests_share_commits_and_lose_nothing() {
    let app = spawn_app().await;
    let key = ingest_key(&app, "edge-shipper").await;
    let mut requests = Vec::new();
    for client_number in 0..8 {
        let url = app.url("/api/v1/events/bulk");
        let key = key.clone();
        requests.push(tokio::spawn(async move {
            let body: String = (0..500)
                .map(|i| format!("{{\"message\":\"client {client_number} event {i}\"}}\n"))
                .collect();
            let answer: IngestResponse = new_client()
                .post(url)
                .bearer_auth(key)
                .body(body)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            answer.accepted
        }));
    }
    let mut accepted = 0;
    for request in requests {
        accepted += request.await.unwrap();
    }
    assert_eq!(accepted, 4000);
    assert_eq!(stored_events(&app).await, 4000);
    let distinct: i64 = sqlx::query_scalar("SELECT count(DISTINCT message) FROM events")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(distinct, 4000, "every event exactly once");
}

#[tokio::test]
async fn a_full_queue_answers_503_with_retry_after_and_acknowledges_only_after_commit() {
    let app = spawn_app_with(
        vigil::http::routes::api_routes(),
        &[("VIGIL_INGEST_MAX_QUEUED_EVENTS", "1000")],
    )
    .await;
    let key = ingest_key(&app, "edge-shipper").await;

    // Hold the table so the writers cannot commit: the first request fills the queue and waits.
    let mut blocker = app.pool.begin().await.unwrap();
    sqlx::query("LOCK TABLE events IN ACCESS EXCLUSIVE MODE")
        .execute(&mut *blocker)
        .await
        .unwrap();

    let body: String = (0..1000)
        .map(|i| format!("{{\"message\":\"queued {i}\"}}\n"))
        .collect();
    let url = app.url("/api/v1/events/bulk");
    let first_key = key.clone();
    let first = tokio::spawn(async move {
        new_client()
            .post(url)
            .bearer_auth(first_key)
            .body(body)
            .send()
            .await
            .unwrap()
    });

    // Wait until the writer is stuck on the lock, holding the first request's 1000 events.
    let mut waiting = 0i64;
    for _ in 0..200 {
        waiting = sqlx::query_scalar(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE 'COPY events%'",
        )
        .fetch_one(&app.pool)
        .await
        .unwrap();
        if waiting > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert_eq!(waiting, 1, "the writer is blocked on the locked table");
    let refused = new_client()
        .post(app.url("/api/v1/events"))
        .bearer_auth(&key)
        .header("idempotency-key", "probe-1")
        .body(r#"{"message":"probe"}"#)
        .send()
        .await
        .ok();
    let refused = refused.expect("an answer while the queue is full");
    assert_eq!(refused.headers().get("retry-after").unwrap(), "1");
    assert_error(refused, StatusCode::SERVICE_UNAVAILABLE, "unavailable").await;
    assert!(
        !first.is_finished(),
        "nothing is acknowledged before it is committed"
    );

    blocker.commit().await.unwrap();
    let first = first.await.unwrap();
    assert_eq!(first.status(), StatusCode::OK);
    let answer: IngestResponse = first.json().await.unwrap();
    assert_eq!(answer.accepted, 1000);
    let queued: i64 =
        sqlx::query_scalar("SELECT count(*) FROM events WHERE message LIKE 'queued %'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(queued, 1000);

    // A refused request did not use up its idempotency key: the retry is stored.
    let retry = new_client()
        .post(app.url("/api/v1/events"))
        .bearer_auth(&key)
        .header("idempotency-key", "probe-1")
        .body(r#"{"message":"probe"}"#)
        .send()
        .await
        .unwrap();
    assert!(retry.headers().get("idempotent-replayed").is_none());
    let answer: IngestResponse = retry.json().await.unwrap();
    assert_eq!(answer.accepted, 1);
}

#[tokio::test]
async fn sources_report_counts_rate_and_last_event() {
    let app = spawn_app().await;
    let key = ingest_key(&app, "edge-shipper").await;
    let body = json!([{"message": "a"}, {"message": "b"}, 5, {"message": "c"}]);
    post_events(&app, &key, "/api/v1/events", body.to_string()).await;
    let mut sources: Vec<app::ingest::SourceSummary> = Vec::new();
    for _ in 0..100 {
        sources = app.get("/api/v1/sources").await.json().await.unwrap();
        if sources.first().is_some_and(|s| s.accepted == 3) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let source = sources.first().expect("the key shows as a source");
    assert_eq!(source.name, "edge-shipper");
    assert_eq!(source.kind, app::ingest::SourceKind::ApiKey);
    assert_eq!((source.accepted, source.rejected), (3, 1));
    assert!(source.last_event_at.is_some());
    assert!(source.events_per_second >= 0.0);
    let (viewer, _) = app.sign_in_as(app::BuiltinRole::Viewer).await;
    assert_eq!(
        viewer
            .get(app.url("/api/v1/sources"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn retention_drops_whole_expired_days_and_audits_it() {
    let app = spawn_app().await;
    let today = chrono::Utc::now().date_naive();
    let expired = today - chrono::Days::new(100);
    let kept = today - chrono::Days::new(89);
    for day in [expired, kept] {
        vigil::ingest::repo::ensure_partition(&app.pool, day)
            .await
            .unwrap();
        sqlx::query("INSERT INTO events (ts, id, ingested_at, payload) VALUES ($1, gen_random_uuid(), now(), '{}')")
            .bind(day.and_hms_opt(12, 0, 0).unwrap().and_utc())
            .execute(&app.pool)
            .await
            .unwrap();
    }
    let run = vigil::retention::apply(&app.pool, 90).await.unwrap();
    assert_eq!(run.dropped_days, vec![expired]);
    assert!(
        run.deleted.is_empty(),
        "without policies, only whole days go"
    );
    assert_eq!(
        stored_events(&app).await,
        1,
        "the day inside retention is untouched"
    );
    let exists: Option<String> = sqlx::query_scalar("SELECT to_regclass($1)::text")
        .bind(format!("events_p{}", expired.format("%Y%m%d")))
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(exists, None);
    let audited: (String, Value) = sqlx::query_as(
        "SELECT target, details FROM audit_log WHERE action = 'retention.drop_partition'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(audited.0, format!("events_p{}", expired.format("%Y%m%d")));
    assert_eq!(audited.1["retention_days"], 90);
    assert!(
        vigil::retention::apply(&app.pool, 90)
            .await
            .unwrap()
            .dropped_days
            .is_empty(),
        "idempotent"
    );
}

#[tokio::test]
async fn concurrent_writers_creating_the_same_partition_never_fail() {
    // Regression: a writer that waited for another's partition DDL used to see a
    // stale catalog and fail its batch with "relation already exists".
    let app = spawn_app().await;
    let day = chrono::Utc::now().date_naive() - chrono::Days::new(5);
    let mut attempts = Vec::new();
    for _ in 0..12 {
        let pool = app.pool.clone();
        attempts.push(tokio::spawn(async move {
            vigil::ingest::repo::ensure_partition(&pool, day).await
        }));
    }
    let mut created = 0;
    for attempt in attempts {
        if attempt.await.unwrap().expect("no caller fails") {
            created += 1;
        }
    }
    assert_eq!(created, 1);
}

async fn post_with_key(
    app: &TestApp,
    api_key: &str,
    idempotency_key: &str,
    body: &str,
) -> reqwest::Response {
    new_client()
        .post(app.url("/api/v1/events/bulk"))
        .bearer_auth(api_key)
        .header("idempotency-key", idempotency_key)
        .body(body.to_owned())
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_retried_request_with_its_idempotency_key_is_stored_once() {
    let app = spawn_app().await;
    let key = ingest_key(&app, "edge-shipper").await;
    let body = "{\"message\":\"once\"}\n{\"message\":\"only\"}\nnot json\n";
    let first = post_with_key(&app, &key, "batch-0001", body).await;
    assert_eq!(first.status(), StatusCode::OK);
    assert!(first.headers().get("idempotent-replayed").is_none());
    let first: IngestResponse = first.json().await.unwrap();
    assert_eq!(first.accepted, 2);

    let retry = post_with_key(&app, &key, "batch-0001", body).await;
    assert_eq!(retry.status(), StatusCode::OK);
    assert_eq!(retry.headers().get("idempotent-replayed").unwrap(), "true");
    let retry: IngestResponse = retry.json().await.unwrap();
    assert_eq!(retry, first, "the retry gets the first answer");
    assert_eq!(stored_events(&app).await, 2);

    // Another key, or the same key from another source, is new.
    post_with_key(&app, &key, "batch-0002", body).await;
    let other_source = app.create_ingest_key("second-shipper").await.key;
    post_with_key(&app, &other_source, "batch-0001", body).await;
    assert_eq!(stored_events(&app).await, 6);

    let bad = post_with_key(&app, &key, &"k".repeat(201), body).await;
    assert_error(bad, StatusCode::BAD_REQUEST, "validation_failed").await;
}

#[tokio::test]
async fn concurrent_attempts_with_one_key_store_once() {
    let app = spawn_app().await;
    let key = ingest_key(&app, "edge-shipper").await;
    let body: String = (0..200)
        .map(|i| format!("{{\"message\":\"dup {i}\"}}\n"))
        .collect();
    let mut attempts = Vec::new();
    for _ in 0..6 {
        let (url, key, body) = (app.url("/api/v1/events/bulk"), key.clone(), body.clone());
        attempts.push(tokio::spawn(async move {
            let response = new_client()
                .post(url)
                .bearer_auth(key)
                .header("idempotency-key", "same-batch")
                .body(body)
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), StatusCode::OK);
            response.json::<IngestResponse>().await.unwrap().accepted
        }));
    }
    for attempt in attempts {
        assert_eq!(
            attempt.await.unwrap(),
            200,
            "every attempt is told its events are stored"
        );
    }
    assert_eq!(stored_events(&app).await, 200, "and they are stored once");
}

#[tokio::test]
async fn a_100_mb_body_is_refused_with_413_and_the_server_carries_on() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = spawn_app().await;
    let key = ingest_key(&app, "edge-shipper").await;
    let first = post_events(&app, &key, "/api/v1/events", r#"{"message":"before"}"#).await;
    assert_eq!(first.status(), StatusCode::OK);

    // A raw connection, so the client keeps sending while the server answers.
    let size = 100 * 1024 * 1024;
    let host = app.address.trim_start_matches("http://").to_owned();
    let stream = tokio::net::TcpStream::connect(&host).await.unwrap();
    let (mut reader, mut writer) = stream.into_split();
    let head = format!(
        "POST /api/v1/events/bulk HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {key}\r\n\
         Content-Type: application/x-ndjson\r\nContent-Length: {size}\r\n\r\n"
    );
    let sender = tokio::spawn(async move {
        writer.write_all(head.as_bytes()).await?;
        let line = format!("{{\"message\":\"{}\"}}\n", "x".repeat(1000));
        let chunk = line.repeat(1024 * 1024 / line.len());
        let mut sent = 0;
        while sent < size {
            let part = &chunk.as_bytes()[..chunk.len().min(size - sent)];
            writer.write_all(part).await?;
            sent += part.len();
        }
        Ok::<usize, std::io::Error>(sent)
    });
    let mut answer = Vec::new();
    let mut buffer = [0u8; 4096];
    tokio::time::timeout(Duration::from_secs(60), async {
        while !String::from_utf8_lossy(&answer).contains("payload_too_large") {
            match reader.read(&mut buffer).await {
                Ok(0) | Err(_) => break,
                Ok(n) => answer.extend_from_slice(&buffer[..n]),
            }
        }
    })
    .await
    .expect("the server answered within a minute");
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains("payload_too_large"), "{answer}");
    // The sender may or may not get to finish: the server stops reading.
    sender.abort();

    assert_eq!(
        stored_events(&app).await,
        1,
        "nothing of the refused body is kept"
    );
    let after = post_events(&app, &key, "/api/v1/events", r#"{"message":"after"}"#).await;
    assert_eq!(after.status(), StatusCode::OK);
    assert_eq!(stored_events(&app).await, 2);
}

/// Ingest passes the sender's JSON text through to jsonb where it can; these
/// documents probe what jsonb and serde_json treat differently, in one batch
/// (one refused item must not fail the COPY its neighbours travel in).
#[tokio::test]
async fn json_edge_cases_are_stored_as_sent_or_refused_alone() {
    let app = spawn_app().await;
    let key = ingest_key(&app, "edge-shipper").await;
    let nest = |depth: usize| {
        format!(
            "{{\"message\":\"deep {depth}\",\"d\":{}1{}}}",
            "[".repeat(depth),
            "]".repeat(depth)
        )
    };
    let mut lines: Vec<Vec<u8>> = [
        r#"{"message":"numbers","big":123456789012345678901234567890,"f":1.50,"e":-2.5e30}"#,
        r#"{"message":"nul \u0000 inside","k\u0000":1}"#,
        r#"{"message":"pair \ud83d\ude00 kept"}"#,
        r#"{"message":"lone \ud800 surrogate"}"#,
        r#"{"message":"exponent","x":1e400}"#,
        r#"{"message":"repeated","k":1,"k":2}"#,
        r#"{"message":"escaped key","a\"b":{"c\\d":"e"}}"#,
        r#"{"message":"nested repeat","host":{"name":"h1","name":"h2"}}"#,
        r#"{"message":"event is a string","event":"login"}"#,
    ]
    .iter()
    .map(|l| l.as_bytes().to_vec())
    .collect();
    lines.push(nest(90).into_bytes());
    lines.push(nest(120).into_bytes());
    lines.push(nest(200).into_bytes());
    lines.push(b"{\"message\":\"bad utf-8 \xff\"}".to_vec());
    let body = lines.join(&b'\n');

    let answer: IngestResponse = post_events(&app, &key, "/api/v1/events/bulk", body)
        .await
        .json()
        .await
        .unwrap();
    let refused: Vec<(u64, &str)> = answer
        .rejected
        .iter()
        .map(|r| (r.index, r.code.as_str()))
        .collect();
    assert_eq!(
        refused,
        vec![
            (3, "invalid_json"),
            (4, "invalid_json"),
            (11, "invalid_json"),
            (12, "invalid_json")
        ]
    );
    assert_eq!(answer.accepted, 9);
    assert_eq!(stored_events(&app).await, 9);

    let text = |sql: &'static str| {
        let pool = app.pool.clone();
        async move {
            sqlx::query_scalar::<_, Option<String>>(sql)
                .fetch_one(&pool)
                .await
                .unwrap()
        }
    };
    assert_eq!(
        text("SELECT payload->>'big' FROM events WHERE message = 'numbers'")
            .await
            .as_deref(),
        Some("123456789012345678901234567890"),
        "integers beyond 64 bits are kept exactly"
    );
    assert_eq!(
        text("SELECT payload->>'f' FROM events WHERE message = 'numbers'")
            .await
            .as_deref(),
        Some("1.50")
    );
    assert_eq!(
        text("SELECT message FROM events WHERE message LIKE 'nul%'")
            .await
            .as_deref(),
        Some("nul \u{FFFD} inside")
    );
    assert_eq!(
        text("SELECT message FROM events WHERE message LIKE 'pair%'")
            .await
            .as_deref(),
        Some("pair \u{1F600} kept")
    );
    assert_eq!(
        text("SELECT payload->>'k' FROM events WHERE message = 'repeated'")
            .await
            .as_deref(),
        Some("2")
    );
    assert_eq!(
        text(r#"SELECT payload->'a"b'->>'c\d' FROM events WHERE message = 'escaped key'"#)
            .await
            .as_deref(),
        Some("e")
    );
    // The column and the stored document agree on which repeated key won.
    assert_eq!(
        text("SELECT host_name || '=' || (payload->'host'->>'name') FROM events WHERE message = 'nested repeat'")
            .await
            .as_deref(),
        Some("h2=h2")
    );
    assert_eq!(
        text("SELECT payload->'vigil'->'original'->>'event' FROM events WHERE message = 'event is a string'")
            .await
            .as_deref(),
        Some("login")
    );
    assert_eq!(
        text("SELECT string_agg(message, ',' ORDER BY message) FROM events WHERE message LIKE 'deep%'")
            .await
            .as_deref(),
        Some("deep 120,deep 90")
    );
}
