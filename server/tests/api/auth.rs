//! Login, logout, current user, throttling and session revocation.

use crate::helpers::{ADMIN_PASSWORD, assert_error, new_client, spawn_app, spawn_app_with};
use app::auth::CurrentUser;
use app::permissions::{BuiltinRole, Permission};
use reqwest::StatusCode;

#[tokio::test]
async fn admin_logs_in_sees_themselves_and_logs_out() {
    let app = spawn_app().await;
    let response = app.login_response("admin", ADMIN_PASSWORD).await;
    assert_eq!(response.status(), StatusCode::OK);
    let cookie = response
        .headers()
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert!(cookie.starts_with("vigil_session="), "{cookie}");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    let user: CurrentUser = response.json().await.unwrap();
    assert_eq!(user.username.as_str(), "admin");
    assert_eq!(user.roles, vec!["admin".to_string()]);
    assert_eq!(user.permissions, BuiltinRole::Admin.permissions());

    let me: CurrentUser = app.get("/api/v1/auth/me").await.json().await.unwrap();
    assert_eq!(me.id, user.id);

    let response = app
        .client
        .post(app.url("/api/v1/auth/logout"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert_error(
        app.get("/api/v1/auth/me").await,
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
    )
    .await;
}

#[tokio::test]
async fn logout_revokes_the_token_even_if_a_copy_is_replayed() {
    let app = spawn_app().await;
    let response = app.login_response("admin", ADMIN_PASSWORD).await;
    let cookie = response
        .headers()
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap();
    let token_pair = cookie.split(';').next().unwrap().to_owned();
    app.client
        .post(app.url("/api/v1/auth/logout"))
        .send()
        .await
        .unwrap();

    let replay = new_client()
        .get(app.url("/api/v1/auth/me"))
        .header("cookie", token_pair)
        .send()
        .await
        .unwrap();
    assert_error(replay, StatusCode::UNAUTHORIZED, "unauthenticated").await;
}

#[tokio::test]
async fn wrong_password_and_unknown_user_get_the_same_401() {
    let app = spawn_app().await;
    let wrong = assert_error(
        app.login_response("admin", "not the password").await,
        StatusCode::UNAUTHORIZED,
        "invalid_credentials",
    )
    .await;
    let unknown = assert_error(
        app.login_response("nobody", "not the password").await,
        StatusCode::UNAUTHORIZED,
        "invalid_credentials",
    )
    .await;
    let invalid_name = assert_error(
        app.login_response("bad name;", "whatever").await,
        StatusCode::UNAUTHORIZED,
        "invalid_credentials",
    )
    .await;
    assert_eq!(wrong, unknown);
    assert_eq!(wrong, invalid_name);
    assert!(app.get("/api/v1/auth/me").await.status() == StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn repeated_failures_are_throttled_even_for_the_right_password() {
    let app = spawn_app_with(
        vigil::http::routes::api_routes(),
        &[("VIGIL_LOGIN_MAX_FAILURES_PER_USER", "3")],
    )
    .await;
    let (viewer, viewer_summary) = app.sign_in_as(app::BuiltinRole::Viewer).await;
    viewer
        .post(app.url("/api/v1/auth/logout"))
        .send()
        .await
        .unwrap();
    for _ in 0..3 {
        assert_error(
            app.login_response("admin", "guess").await,
            StatusCode::UNAUTHORIZED,
            "invalid_credentials",
        )
        .await;
    }
    let response = app.login_response("admin", ADMIN_PASSWORD).await;
    let retry_after: u64 = response
        .headers()
        .get("retry-after")
        .unwrap()
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=900).contains(&retry_after), "{retry_after}");
    let body = assert_error(response, StatusCode::TOO_MANY_REQUESTS, "too_many_requests").await;
    assert_eq!(body.details.unwrap()["retry_after_secs"], retry_after);

    // Other accounts from the same address are not locked by someone guessing admin's password.
    let response = app
        .login_response(viewer_summary.username.as_str(), "a long enough password")
        .await;
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn address_wide_throttling_stops_password_spraying() {
    let app = spawn_app_with(
        vigil::http::routes::api_routes(),
        &[("VIGIL_LOGIN_MAX_FAILURES_PER_IP", "4")],
    )
    .await;
    for name in ["ann", "ben", "cat", "dan"] {
        assert_error(
            app.login_response(name, "Summer2026!").await,
            StatusCode::UNAUTHORIZED,
            "invalid_credentials",
        )
        .await;
    }
    assert_error(
        app.login_response("eve", "Summer2026!").await,
        StatusCode::TOO_MANY_REQUESTS,
        "too_many_requests",
    )
    .await;
}

#[tokio::test]
async fn a_login_renews_the_session_id_and_ends_the_previous_session() {
    let app = spawn_app().await;
    let first = app.login_as_admin().await;
    let first_cookie = app
        .client
        .get(app.url("/api/v1/auth/me"))
        .send()
        .await
        .unwrap();
    assert_eq!(first_cookie.status(), StatusCode::OK);
    let sessions_before: i64 =
        sqlx::query_scalar("SELECT count(*) FROM sessions WHERE revoked_at IS NULL")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    let second = app.login_as_admin().await;
    assert_eq!(first.id, second.id);
    let live: i64 = sqlx::query_scalar("SELECT count(*) FROM sessions WHERE revoked_at IS NULL")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(sessions_before, 1);
    assert_eq!(live, 1, "the earlier session was revoked");
}

#[tokio::test]
async fn disabled_accounts_cannot_sign_in_and_lose_their_sessions() {
    let app = spawn_app().await;
    let (client, user) = app.sign_in_as(app::BuiltinRole::Analyst).await;
    sqlx::query("UPDATE users SET disabled = true WHERE id = $1")
        .bind(user.id.as_uuid())
        .execute(&app.pool)
        .await
        .unwrap();
    let response = client.get(app.url("/api/v1/auth/me")).send().await.unwrap();
    assert_error(response, StatusCode::UNAUTHORIZED, "unauthenticated").await;
    let response = app
        .login_response(user.username.as_str(), "a long enough password")
        .await;
    assert_error(response, StatusCode::UNAUTHORIZED, "invalid_credentials").await;
}

#[tokio::test]
async fn a_viewer_gets_exactly_the_viewer_permissions() {
    let app = spawn_app().await;
    let (client, _) = app.sign_in_as(app::BuiltinRole::Viewer).await;
    let me: CurrentUser = client
        .get(app.url("/api/v1/auth/me"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me.roles, vec!["viewer".to_string()]);
    assert_eq!(me.permissions, BuiltinRole::Viewer.permissions());
    assert!(!me.can(Permission::SearchEvents));
}

#[tokio::test]
async fn user_creation_validates_its_input() {
    let app = spawn_app().await;
    app.login_as_admin().await;
    let body = |username: &str, password: &str, roles: &[&str]| serde_json::json!({ "username": username, "password": password, "roles": roles });
    let cases = [
        (
            body("dana", "short", &["viewer"]),
            StatusCode::BAD_REQUEST,
            "validation_failed",
        ),
        (
            body("dana", "a long enough password", &["wizard"]),
            StatusCode::BAD_REQUEST,
            "validation_failed",
        ),
        (
            body("dana", "a long enough password", &[]),
            StatusCode::BAD_REQUEST,
            "validation_failed",
        ),
        (
            body("da na", "a long enough password", &["viewer"]),
            StatusCode::BAD_REQUEST,
            "bad_request",
        ),
        (
            body("admin", "a long enough password", &["viewer"]),
            StatusCode::CONFLICT,
            "conflict",
        ),
    ];
    for (request, status, code) in cases {
        assert_error(app.post_json("/api/v1/users", &request).await, status, code).await;
    }
}

#[tokio::test]
async fn admins_disable_enable_and_sign_out_accounts_at_once() {
    let app = spawn_app().await;
    app.login_as_admin().await;
    let (client, user) = app.sign_in_as(BuiltinRole::Analyst).await;
    let me = |client: reqwest::Client| {
        let url = app.url("/api/v1/auth/me");
        async move { client.get(url).send().await.unwrap().status() }
    };
    assert_eq!(me(client.clone()).await, StatusCode::OK);

    // Every session of the account ends at once.
    let revoked: app::users::SessionsRevoked = app
        .client
        .delete(app.url(&format!("/api/v1/users/{}/sessions", user.id)))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(revoked.revoked, 1);
    assert_eq!(me(client).await, StatusCode::UNAUTHORIZED);

    // Disabled: new sign-ins are refused, and so is any session.
    let client = new_client();
    let response = client
        .post(app.url("/api/v1/auth/login"))
        .json(&serde_json::json!({"username": user.username, "password": "a long enough password"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let patch = |disabled: bool| {
        app.client
            .patch(app.url(&format!("/api/v1/users/{}", user.id)))
            .json(&serde_json::json!({ "disabled": disabled }))
            .send()
    };
    let updated: app::users::UserSummary = patch(true).await.unwrap().json().await.unwrap();
    assert!(updated.disabled);
    assert_eq!(me(client).await, StatusCode::UNAUTHORIZED);
    let response = app
        .login_response(user.username.as_str(), "a long enough password")
        .await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let updated: app::users::UserSummary = patch(false).await.unwrap().json().await.unwrap();
    assert!(!updated.disabled);
    let response = app
        .login_response(user.username.as_str(), "a long enough password")
        .await;
    assert_eq!(response.status(), StatusCode::OK);

    // No one disables themselves; every change is audited.
    // (`login_response` signed the app's client in as the analyst.)
    let admin = app.login_as_admin().await;
    let response = app
        .client
        .patch(app.url(&format!("/api/v1/users/{}", admin.id)))
        .json(&serde_json::json!({ "disabled": true }))
        .send()
        .await
        .unwrap();
    assert_error(response, StatusCode::BAD_REQUEST, "validation_failed").await;
    let actions: Vec<String> = sqlx::query_scalar(
        "SELECT action FROM audit_log WHERE action LIKE 'user.%' AND action <> 'user.create' ORDER BY seq",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(
        actions,
        ["user.sessions.revoke", "user.disable", "user.enable"]
    );
}

#[tokio::test]
async fn an_expired_api_key_authenticates_nothing() {
    let app = spawn_app().await;
    app.login_as_admin().await;
    let response = app
        .post_json(
            "/api/v1/api-keys",
            &serde_json::json!({"name": "forever?", "scopes": ["ingest"], "expires_in_days": 0}),
        )
        .await;
    assert_error(response, StatusCode::BAD_REQUEST, "validation_failed").await;
    let response = app
        .post_json(
            "/api/v1/api-keys",
            &serde_json::json!({"name": "a day", "scopes": ["ingest"], "expires_in_days": 1}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let key: app::api_keys::CreatedApiKey = response.json().await.unwrap();
    let expires = key.expires_at.unwrap();
    assert!(expires > chrono::Utc::now() + chrono::Duration::hours(23));
    // A day later (moved back here rather than waited for):
    sqlx::query("UPDATE api_keys SET expires_at = now() - interval '1 second' WHERE id = $1")
        .bind(key.id.as_uuid())
        .execute(&app.pool)
        .await
        .unwrap();
    let response = new_client()
        .get(app.url("/api/v1/auth/key"))
        .bearer_auth(&key.key)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
}
