//! Retention policies per source and per category: the API, and enforcement
//! down to single events inside days that other events still need.

use crate::helpers::{assert_error, spawn_app, stored_events};
use app::retention::{RetentionOverview, RetentionPolicy, RetentionPolicyRequest, RetentionRun};
use chrono::{Days, NaiveDate, Utc};
use reqwest::StatusCode;
use uuid::Uuid;

fn policy(
    name: &str,
    source: Option<Uuid>,
    category: Option<&str>,
    days: u32,
) -> RetentionPolicyRequest {
    RetentionPolicyRequest::new(name, source, category, days)
}

async fn insert_event(
    pool: &sqlx::PgPool,
    day: NaiveDate,
    source: Option<Uuid>,
    category: &str,
    message: &str,
) {
    vigil::ingest::repo::ensure_partition(pool, day)
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO events (ts, id, ingested_at, source_id, category, message, payload)
         VALUES ($1, gen_random_uuid(), now(), $2, $3, $4, '{}')",
    )
    .bind(day.and_hms_opt(12, 0, 0).unwrap().and_utc())
    .bind(source)
    .bind(category)
    .bind(message)
    .execute(pool)
    .await
    .unwrap();
}

#[tokio::test]
async fn policies_shorten_and_lengthen_retention_down_to_single_events() {
    let app = spawn_app().await;
    app.login_as_admin().await;
    let noisy = app.create_ingest_key("noisy-debug").await.id.as_uuid();
    let edge = app.create_ingest_key("edge").await.id.as_uuid();

    let short = app
        .post_json(
            "/api/v1/retention/policies",
            &policy("noisy for a week", Some(noisy), None, 7),
        )
        .await;
    assert_eq!(short.status(), StatusCode::CREATED);
    let short: RetentionPolicy = short.json().await.unwrap();
    assert_eq!(short.source_name.as_deref(), Some("noisy-debug"));
    let long = app
        .post_json(
            "/api/v1/retention/policies",
            &policy("logins for a year", None, Some("Authentication"), 365),
        )
        .await;
    assert_eq!(long.status(), StatusCode::CREATED);

    let today = Utc::now().date_naive();
    let (d10, d100, d400) = (
        today - Days::new(10),
        today - Days::new(100),
        today - Days::new(400),
    );
    for (day, source, category, message) in [
        (d10, noisy, "process", "d10 noisy process"),
        (d10, noisy, "authentication", "d10 noisy login"),
        (d10, edge, "network", "d10 edge network"),
        (d100, noisy, "process", "d100 noisy process"),
        (d100, edge, "authentication", "d100 edge login"),
        (d100, edge, "network", "d100 edge network"),
        (d400, edge, "authentication", "d400 edge login"),
    ] {
        insert_event(&app.app_pool, day, Some(source), category, message).await;
    }

    let run: RetentionRun = app
        .post_json("/api/v1/retention/run", &serde_json::json!({}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        run.dropped_days,
        vec![d400],
        "past the longest policy, whole days go"
    );
    let deleted: Vec<(NaiveDate, u64)> = run.deleted.iter().map(|d| (d.day, d.events)).collect();
    assert_eq!(deleted, vec![(d100, 2), (d10, 1)]);

    let left: Vec<String> = sqlx::query_scalar("SELECT message FROM events ORDER BY message")
        .fetch_all(&app.pool)
        .await
        .unwrap();
    assert_eq!(
        left,
        vec!["d10 edge network", "d10 noisy login", "d100 edge login"],
        "the longest matching policy wins; unmatched events follow the default (90 days)"
    );
    let again: RetentionRun = app
        .post_json("/api/v1/retention/run", &serde_json::json!({}))
        .await
        .json()
        .await
        .unwrap();
    assert!(
        again.dropped_days.is_empty() && again.deleted.is_empty(),
        "idempotent"
    );

    let actions: Vec<String> = app.audit_actions().await.into_iter().map(|a| a.0).collect();
    for action in [
        "retention.policy_create",
        "retention.drop_partition",
        "retention.delete_events",
        "retention.run",
    ] {
        assert!(actions.iter().any(|a| a == action), "{action} audited");
    }

    let overview: RetentionOverview = app.get("/api/v1/retention").await.json().await.unwrap();
    assert_eq!(overview.default_days, 90);
    assert_eq!(overview.policies.len(), 2);
    assert_eq!(overview.oldest_day, Some(d100));
    assert_eq!(stored_events(&app).await, 3);
}

#[tokio::test]
async fn policies_are_validated_audited_and_guarded() {
    let app = spawn_app().await;
    app.login_as_admin().await;
    let key = app.create_ingest_key("edge").await.id.as_uuid();

    let neither = app
        .post_json(
            "/api/v1/retention/policies",
            &policy("nothing", None, None, 7),
        )
        .await;
    assert_error(neither, StatusCode::BAD_REQUEST, "validation_failed").await;
    let unknown = app
        .post_json(
            "/api/v1/retention/policies",
            &policy("ghost", Some(Uuid::new_v4()), None, 7),
        )
        .await;
    let body = assert_error(unknown, StatusCode::BAD_REQUEST, "validation_failed").await;
    assert_eq!(body.details.unwrap()["field"], "source_id");
    let zero = app
        .post_json(
            "/api/v1/retention/policies",
            &policy("zero", Some(key), None, 0),
        )
        .await;
    assert_error(zero, StatusCode::BAD_REQUEST, "validation_failed").await;

    let created: RetentionPolicy = app
        .post_json(
            "/api/v1/retention/policies",
            &policy("edge", Some(key), None, 30),
        )
        .await
        .json()
        .await
        .unwrap();
    let twice = app
        .post_json(
            "/api/v1/retention/policies",
            &policy("edge", None, Some("web"), 30),
        )
        .await;
    assert_error(twice, StatusCode::CONFLICT, "conflict").await;

    let path = format!("/api/v1/retention/policies/{}", created.id);
    let updated: RetentionPolicy = app
        .client
        .put(app.url(&path))
        .json(&policy("edge", Some(key), Some("Web"), 60))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        (updated.days, updated.category.as_deref()),
        (60, Some("web"))
    );

    let (analyst, _) = app.sign_in_as(app::BuiltinRole::Analyst).await;
    let refused = analyst
        .post(app.url("/api/v1/retention/policies"))
        .json(&policy("sneaky", Some(key), None, 1))
        .send()
        .await
        .unwrap();
    assert_error(refused, StatusCode::FORBIDDEN, "forbidden").await;
    let refused = analyst.delete(app.url(&path)).send().await.unwrap();
    assert_error(refused, StatusCode::FORBIDDEN, "forbidden").await;

    let deleted = app.client.delete(app.url(&path)).send().await.unwrap();
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    let gone = app.client.delete(app.url(&path)).send().await.unwrap();
    assert_error(gone, StatusCode::NOT_FOUND, "not_found").await;

    let audited: Vec<(String, Option<String>)> = app
        .audit_actions()
        .await
        .into_iter()
        .filter(|a| a.0.starts_with("retention."))
        .map(|a| (a.0, a.2))
        .collect();
    let target = Some(created.id.to_string());
    assert_eq!(
        audited,
        vec![
            ("retention.policy_create".to_owned(), target.clone()),
            ("retention.policy_update".to_owned(), target.clone()),
            ("retention.policy_delete".to_owned(), target),
        ]
    );
}

#[tokio::test]
async fn partitions_come_and_go_beside_a_long_reader_while_ingest_commits() {
    let app = spawn_app().await;
    let key = crate::helpers::ingest_key(&app, "steady").await;
    let today = chrono::Utc::now().date_naive();
    let old = today - chrono::Days::new(200);
    vigil::ingest::repo::ensure_partition(&app.pool, old)
        .await
        .unwrap();
    app.post_events(&key, &[serde_json::json!({"message": "before"})])
        .await;

    // A reader holding a snapshot over every partition, as an export does
    // for its whole run.
    let mut reader = app.pool.begin().await.unwrap();
    sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        .execute(&mut *reader)
        .await
        .unwrap();
    let _: i64 = sqlx::query_scalar("SELECT count(*) FROM events")
        .fetch_one(&mut *reader)
        .await
        .unwrap();

    // A new day's partition is created beside it, without waiting for it.
    let ahead = today + chrono::Days::new(10);
    let created = tokio::time::timeout(
        std::time::Duration::from_secs(10),
        vigil::ingest::repo::ensure_partition(&app.pool, ahead),
    )
    .await
    .expect("creating a partition waited for the reader");
    assert!(created.unwrap());

    // Retention detaches the old day; it waits for the reader, and ingest
    // and search go on meanwhile.
    let pool = app.pool.clone();
    let retention =
        tokio::spawn(async move { vigil::retention::apply_as_of(&pool, 90, today).await });
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    for i in 0..3 {
        let stored = tokio::time::timeout(
            std::time::Duration::from_secs(5),
            app.post_events(
                &key,
                &[serde_json::json!({"message": format!("during {i}")})],
            ),
        )
        .await;
        assert!(stored.is_ok(), "ingest stalled behind partition DDL");
    }
    let searched = tokio::time::timeout(
        std::time::Duration::from_secs(5),
        app.post_json(
            "/api/v1/search",
            &serde_json::json!({"query": "during", "from": "now-1h"}),
        ),
    )
    .await
    .expect("search stalled behind partition DDL");
    assert_eq!(searched.status(), reqwest::StatusCode::OK);

    reader.commit().await.unwrap();
    let run = tokio::time::timeout(std::time::Duration::from_secs(30), retention)
        .await
        .expect("retention did not finish once the reader ended")
        .unwrap()
        .unwrap();
    assert_eq!(run.dropped_days, [old]);
    let left: Option<String> = sqlx::query_scalar("SELECT to_regclass($1)::text")
        .bind(format!("events_p{}", old.format("%Y%m%d")))
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(left, None);
}
