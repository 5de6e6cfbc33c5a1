//! Hostile traffic at the doors that need no credentials: sign-in floods,
//! forged forwarding headers, parallel guesses, request ids as payloads.

use crate::helpers::{TestApp, spawn_app_with};
use reqwest::StatusCode;
use serde_json::json;
use std::sync::Arc;

async fn app_with(vars: &[(&str, &str)]) -> TestApp {
    spawn_app_with(vigil::http::routes::api_routes(), vars).await
}

/// Tries to sign in, with extra headers; returns the status and Retry-After.
async fn attempt(
    app: &TestApp,
    user: &str,
    password: &str,
    headers: &[(&str, String)],
) -> (StatusCode, Option<u64>) {
    let mut request = reqwest::Client::new()
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({"username": user, "password": password}));
    for (name, value) in headers {
        request = request.header(*name, value);
    }
    let response = request.send().await.unwrap();
    let retry = response
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().parse().unwrap());
    (response.status(), retry)
}

fn from(address: &str) -> Vec<(&'static str, String)> {
    vec![("x-forwarded-for", address.to_owned())]
}

async fn audit_rows(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM audit_log")
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_sign_in_flood_with_huge_request_ids_adds_a_few_short_audit_rows() {
    let app = app_with(&[]).await;
    let before = audit_rows(&app).await;
    let huge = "r".repeat(8 * 1024);
    let app = Arc::new(app);
    let mut tasks = tokio::task::JoinSet::new();
    for worker in 0..10 {
        let (app, huge) = (Arc::clone(&app), huge.clone());
        tasks.spawn(async move {
            let mut statuses = Vec::new();
            for _ in 0..50 {
                let headers = [("x-request-id", huge.clone())];
                statuses.push(
                    attempt(&app, "admin", &format!("guess-{worker}"), &headers)
                        .await
                        .0,
                );
            }
            statuses
        });
    }
    let mut refused = 0;
    while let Some(statuses) = tasks.join_next().await {
        for status in statuses.unwrap() {
            assert!(
                matches!(
                    status,
                    StatusCode::UNAUTHORIZED | StatusCode::TOO_MANY_REQUESTS
                ),
                "{status}"
            );
            refused += usize::from(status == StatusCode::TOO_MANY_REQUESTS);
        }
    }
    assert_eq!(refused, 495, "five guesses per account and address");
    let added = audit_rows(&app).await - before;
    assert!(added < 20, "{added} audit rows for 500 attempts");
    let longest: i32 = sqlx::query_scalar(
        "SELECT max(greatest(length(coalesce(target, '')), length(coalesce(request_id, '')),
                             length(coalesce(actor_name, '')), length(details::text)))
         FROM audit_log WHERE action LIKE 'auth.login%'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert!(longest <= 64, "a field of {longest} characters");

    // When the window closes, the refusals become one summary.
    let defaults = vigil::config::Settings::from_sources(None, &[]).unwrap();
    let limits = vigil::auth::throttle::Limits::of(&defaults.login);
    let later = chrono::Utc::now() + limits.window + chrono::Duration::seconds(1);
    let written = vigil::auth::throttle::close_windows(&app.pool, &limits, later)
        .await
        .unwrap();
    let all: Vec<serde_json::Value> =
        sqlx::query_scalar("SELECT details FROM audit_log WHERE action LIKE 'auth.login.%'")
            .fetch_all(&app.pool)
            .await
            .unwrap();
    assert_eq!(written, 1, "{all:?}");
    let summary: serde_json::Value =
        sqlx::query_scalar("SELECT details FROM audit_log WHERE action = 'auth.login.throttled'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(summary["refused"], 495);
    assert_eq!(summary["scope"], "account_address");
    assert_eq!(
        vigil::auth::throttle::close_windows(&app.pool, &limits, later)
            .await
            .unwrap(),
        0,
        "once"
    );
}

#[tokio::test]
async fn a_plain_request_id_is_kept_and_any_other_replaced() {
    let app = app_with(&[]).await;
    for (sent, kept) in [("trace-42.a_b", true), ("has space", false), ("a;b", false)] {
        let response = reqwest::Client::new()
            .get(app.url("/api/v1/health"))
            .header("x-request-id", sent)
            .send()
            .await
            .unwrap();
        let echoed = response.headers()["x-request-id"]
            .to_str()
            .unwrap()
            .to_owned();
        assert_eq!(echoed == sent, kept, "{sent:?} → {echoed:?}");
        assert!(echoed.len() <= 64);
    }
}

#[tokio::test]
async fn forwarded_addresses_count_only_behind_a_trusted_proxy() {
    // Not trusted: the header is the client's own claim and is ignored.
    let app = app_with(&[("VIGIL_LOGIN_MAX_FAILURES_PER_IP", "2")]).await;
    for user in ["ann", "ben"] {
        attempt(&app, user, "x", &from("198.51.100.1")).await;
    }
    let (status, _) = attempt(&app, "cat", "x", &from("198.51.100.2")).await;
    assert_eq!(
        status,
        StatusCode::TOO_MANY_REQUESTS,
        "one address in truth"
    );

    // Behind a trusted proxy, each client counts on its own.
    let app = app_with(&[
        ("VIGIL_LOGIN_MAX_FAILURES_PER_IP", "2"),
        ("VIGIL_TRUSTED_PROXIES", "127.0.0.1/32, ::1"),
    ])
    .await;
    for user in ["ann", "ben"] {
        let (status, _) = attempt(&app, user, "x", &from("198.51.100.1")).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    let (status, _) = attempt(&app, "cat", "x", &from("198.51.100.1")).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    let (status, _) = attempt(&app, "cat", "x", &from("198.51.100.2")).await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "another client is not throttled"
    );
    let recorded: Vec<String> = sqlx::query_scalar(
        "SELECT DISTINCT host(client_ip) FROM audit_log WHERE action = 'auth.login' ORDER BY 1",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(recorded, ["198.51.100.1", "198.51.100.2"]);
}

#[tokio::test]
async fn parallel_guesses_cannot_pass_the_limit_together() {
    let app = Arc::new(app_with(&[("VIGIL_LOGIN_MAX_FAILURES_PER_USER", "3")]).await);
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..20 {
        let app = Arc::clone(&app);
        tasks.spawn(async move { attempt(&app, "admin", &format!("guess-{i}"), &[]).await.0 });
    }
    let mut verified = 0;
    while let Some(status) = tasks.join_next().await {
        verified += usize::from(status.unwrap() == StatusCode::UNAUTHORIZED);
    }
    assert_eq!(
        verified, 3,
        "only the reserved attempts reached the password check"
    );
}

#[tokio::test]
async fn guessing_from_many_addresses_slows_the_guesser_not_the_owner() {
    let app = app_with(&[
        ("VIGIL_TRUSTED_PROXIES", "127.0.0.1"),
        ("VIGIL_LOGIN_ACCOUNT_FREE_FAILURES", "3"),
    ])
    .await;
    // The owner signs in from their usual address (the proxy's own here).
    let (_, owner) = app.sign_in_as(app::BuiltinRole::Viewer).await;
    let name = owner.username.to_string();
    let password = "a long enough password";
    for n in 1..=3 {
        let (status, _) = attempt(&app, &name, "guess", &from(&format!("203.0.113.{n}"))).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    // A fourth address must wait; the wait grows with each failure.
    let (status, retry) = attempt(&app, &name, password, &from("203.0.113.4")).await;
    assert_eq!((status, retry), (StatusCode::TOO_MANY_REQUESTS, Some(1)));
    // The owner, from an address the account knows, is not held up.
    let (status, _) = attempt(&app, &name, password, &[]).await;
    assert_eq!(status, StatusCode::OK);
    // That success cleared the delay for everyone.
    let (status, _) = attempt(&app, &name, "guess", &from("203.0.113.5")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn password_checks_beyond_the_queue_are_refused_with_503() {
    let app = Arc::new(
        app_with(&[
            ("VIGIL_LOGIN_MAX_CONCURRENT_VERIFICATIONS", "1"),
            ("VIGIL_LOGIN_VERIFICATION_QUEUE", "0"),
            ("VIGIL_LOGIN_MAX_FAILURES_PER_IP", "100"),
        ])
        .await,
    );
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..12 {
        let app = Arc::clone(&app);
        tasks.spawn(async move { attempt(&app, &format!("user{i}"), "guess", &[]).await });
    }
    let (mut busy, mut checked) = (0, 0);
    while let Some(outcome) = tasks.join_next().await {
        match outcome.unwrap() {
            (StatusCode::SERVICE_UNAVAILABLE, Some(retry)) => {
                assert!(retry >= 1);
                busy += 1;
            }
            (StatusCode::UNAUTHORIZED, _) => checked += 1,
            other => panic!("{other:?}"),
        }
    }
    assert!(busy > 0 && checked > 0, "{busy} refused, {checked} checked");
    // A refused attempt was not counted as a failure.
    let failures: i32 =
        sqlx::query_scalar("SELECT failures FROM login_throttle WHERE scope = 'address'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(failures as usize, checked);
}

#[tokio::test]
async fn hsts_is_sent_when_cookies_are_secure() {
    for (secure, expected) in [("true", true), ("false", false)] {
        let app = app_with(&[("VIGIL_COOKIE_SECURE", secure)]).await;
        let response = reqwest::Client::new()
            .get(app.url("/api/v1/health"))
            .send()
            .await
            .unwrap();
        let hsts = response.headers().get("strict-transport-security");
        assert_eq!(hsts.is_some(), expected, "{secure}: {hsts:?}");
    }
}

/// Every route a session may change state through, with its path filled in.
fn state_changing_session_routes() -> Vec<(reqwest::Method, String)> {
    use vigil::auth::Access;
    vigil::http::routes::access_table()
        .into_iter()
        .filter(|spec| !matches!(spec.access, Access::Public | Access::ApiKey))
        .filter(|spec| !matches!(spec.method.as_str(), "GET" | "HEAD" | "OPTIONS"))
        .map(|spec| {
            let path = spec
                .path
                .split('/')
                .map(|part| match part.starts_with('{') {
                    true if part.contains("index") => "logs".to_owned(),
                    true => uuid::Uuid::new_v4().to_string(),
                    false => part.to_owned(),
                })
                .collect::<Vec<_>>()
                .join("/");
            (spec.method.as_str().parse().unwrap(), path)
        })
        .collect()
}

#[tokio::test]
async fn cross_site_form_posts_are_refused_on_every_state_changing_route() {
    let app = app_with(&[]).await;
    app.login_as_admin().await;
    let routes = state_changing_session_routes();
    assert!(routes.len() > 20, "{routes:?}");
    for (method, path) in &routes {
        // A form on a sibling subdomain: same site, so SameSite=Strict lets
        // the cookie through.
        let forms = [
            vec![
                ("origin", "https://evil.vigil.example"),
                ("sec-fetch-site", "same-site"),
            ],
            vec![("origin", "https://evil.vigil.example")],
            vec![("origin", "null")],
        ];
        for headers in forms {
            let mut request = app
                .client
                .request(method.clone(), app.url(path))
                .header("content-type", "application/x-www-form-urlencoded")
                .body("message=forged");
            for (name, value) in &headers {
                request = request.header(*name, *value);
            }
            let response = request.send().await.unwrap();
            assert_eq!(
                response.status(),
                StatusCode::FORBIDDEN,
                "{method} {path} with {headers:?}"
            );
        }
        // From Vigil's own origin, a form's content type is refused still.
        let response = app
            .client
            .request(method.clone(), app.url(path))
            .header("sec-fetch-site", "same-origin")
            .header("content-type", "text/plain")
            .body("{\"message\": \"forged\"}")
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.status(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "{method} {path}"
        );
    }
    assert_eq!(crate::helpers::stored_events(&app).await, 0);
    // The SPA's own requests pass: same origin, JSON.
    let response = app
        .client
        .post(app.url("/api/v1/saved-searches"))
        .header("sec-fetch-site", "same-origin")
        .header("origin", app.address.as_str())
        .json(&json!({"name": "mine", "query": "*"}))
        .send()
        .await
        .unwrap();
    assert_ne!(response.status(), StatusCode::FORBIDDEN);
    assert_ne!(response.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
}

#[tokio::test]
async fn exports_are_capped_per_user_and_in_all_and_sign_in_and_search_still_answer() {
    let app = app_with(&[
        ("VIGIL_EXPORT_MAX_CONCURRENT", "3"),
        ("VIGIL_EXPORT_MAX_PER_USER", "2"),
    ])
    .await;
    let key = crate::helpers::ingest_key(&app, "bulk").await;
    // Enough to fill every buffer between the query and a client that reads nothing.
    let padding = "x".repeat(400);
    for chunk in 0..6 {
        let events: Vec<serde_json::Value> = (0..10_000)
            .map(|i| json!({"message": format!("row {chunk}-{i} {padding}")}))
            .collect();
        app.post_events(&key, &events).await;
    }
    let export = |client: &reqwest::Client| {
        client
            .post(app.url("/api/v1/search/export"))
            .json(&json!({"query": "", "from": "now-1h", "format": "ndjson"}))
            .send()
    };
    // Two slow exports by the admin (their bodies never read), one by an analyst.
    let first = export(&app.client).await.unwrap();
    let second = export(&app.client).await.unwrap();
    assert_eq!(
        (first.status(), second.status()),
        (StatusCode::OK, StatusCode::OK)
    );
    let third = export(&app.client).await.unwrap();
    assert_eq!(
        third.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "a third by one user"
    );
    let (analyst, _) = app.sign_in_as(app::BuiltinRole::Analyst).await;
    let theirs = export(&analyst).await.unwrap();
    assert_eq!(theirs.status(), StatusCode::OK);
    let (other, _) = app.sign_in_as(app::BuiltinRole::Analyst).await;
    let refused = export(&other).await.unwrap();
    assert_eq!(
        refused.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "a fourth in all"
    );

    // Everyone else is still served.
    let response = attempt(&app, "admin", crate::helpers::ADMIN_PASSWORD, &[]).await;
    assert_eq!(response.0, StatusCode::OK);
    let response = other
        .post(app.url("/api/v1/search"))
        .json(&json!({"query": "row", "from": "now-1h"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);

    // A client that goes away gives its place back.
    drop((first, second, theirs));
    let mut again = StatusCode::TOO_MANY_REQUESTS;
    for _ in 0..50 {
        again = export(&other).await.unwrap().status();
        if again == StatusCode::OK {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    assert_eq!(again, StatusCode::OK);
}

#[tokio::test]
async fn background_writers_and_exports_cannot_take_the_connections_of_requests() {
    let app = app_with(&[("VIGIL_DATABASE_BACKGROUND_CONNECTIONS", "2")]).await;
    app.login_as_admin().await;
    // Every connection of every other budget held, as a slow engine round,
    // stuck writers and long exports would hold them.
    let mut held = Vec::new();
    for pool in [
        &app.pools.background,
        &app.pools.writers,
        &app.pools.exports,
    ] {
        let size = pool.options().get_max_connections();
        for _ in 0..size {
            held.push(pool.acquire().await.unwrap());
        }
        assert!(
            tokio::time::timeout(std::time::Duration::from_millis(200), pool.acquire())
                .await
                .is_err(),
            "the budget is exhausted"
        );
    }
    let response = attempt(&app, "admin", crate::helpers::ADMIN_PASSWORD, &[]).await;
    assert_eq!(response.0, StatusCode::OK);
    let response = app
        .client
        .post(app.url("/api/v1/search"))
        .json(&json!({"query": "", "from": "now-1h"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    drop(held);
}

#[tokio::test]
async fn every_connection_has_a_statement_timeout_of_its_budget() {
    let app = app_with(&[
        ("VIGIL_DATABASE_STATEMENT_TIMEOUT_SECS", "1"),
        ("VIGIL_DATABASE_BACKGROUND_STATEMENT_TIMEOUT_SECS", "5"),
    ])
    .await;
    let error = sqlx::query("SELECT pg_sleep(2)")
        .execute(&app.app_pool)
        .await
        .unwrap_err();
    let code = error.as_database_error().and_then(|e| e.code());
    assert_eq!(code.as_deref(), Some("57014"), "{error}");
    // Background work may run longer, within its own bound.
    sqlx::query("SELECT pg_sleep(2)")
        .execute(&app.pools.background)
        .await
        .unwrap();
    let error = sqlx::query("SELECT pg_sleep(6)")
        .execute(&app.pools.writers)
        .await
        .unwrap_err();
    let code = error.as_database_error().and_then(|e| e.code());
    assert_eq!(code.as_deref(), Some("57014"), "{error}");
}
