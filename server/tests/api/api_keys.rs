//! API key creation, use with every header form, listing and revocation.

use crate::helpers::{assert_error, new_client, spawn_app};
use app::api_keys::{ApiKeyIdentity, ApiKeyScope, ApiKeySummary};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use reqwest::StatusCode;

#[tokio::test]
async fn a_key_authenticates_in_every_form_until_revoked() {
    let app = spawn_app().await;
    app.login_as_admin().await;
    let created = app.create_ingest_key("edge-firewall").await;
    assert!(created.key.starts_with("vgl_"));
    assert!(created.key.starts_with(&created.prefix));
    assert_eq!(created.scopes, vec![ApiKeyScope::Ingest]);

    let machine = new_client();
    let forms = [
        format!("Bearer {}", created.key),
        format!(
            "ApiKey {}",
            BASE64.encode(format!("{}:{}", created.id, created.key))
        ),
        format!(
            "Basic {}",
            BASE64.encode(format!("shipper:{}", created.key))
        ),
    ];
    for header in &forms {
        let response = machine
            .get(app.url("/api/v1/auth/key"))
            .header("authorization", header)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{header}");
        let identity: ApiKeyIdentity = response.json().await.unwrap();
        assert_eq!(identity.id, created.id);
        assert_eq!(identity.name, "edge-firewall");
    }

    // Listed without the secret, with a last-used time.
    let response = app.get("/api/v1/api-keys").await;
    let text = response.text().await.unwrap();
    assert!(!text.contains(&created.key), "the secret is never listed");
    let keys: Vec<ApiKeySummary> = serde_json::from_str(&text).unwrap();
    let listed = keys.iter().find(|k| k.id == created.id).unwrap();
    assert_eq!(listed.created_by.as_deref(), Some("admin"));
    assert!(listed.last_used_at.is_some());
    assert!(listed.revoked_at.is_none());

    let response = app
        .client
        .delete(app.url(&format!("/api/v1/api-keys/{}", created.id)))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    for header in &forms {
        let response = machine
            .get(app.url("/api/v1/auth/key"))
            .header("authorization", header)
            .send()
            .await
            .unwrap();
        assert_error(response, StatusCode::UNAUTHORIZED, "unauthenticated").await;
    }
    let again = app
        .client
        .delete(app.url(&format!("/api/v1/api-keys/{}", created.id)))
        .send()
        .await
        .unwrap();
    assert_error(again, StatusCode::NOT_FOUND, "not_found").await;
}

#[tokio::test]
async fn keys_cannot_reach_user_routes_and_users_cannot_use_key_routes() {
    let app = spawn_app().await;
    app.login_as_admin().await;
    let created = app.create_ingest_key("shipper").await;
    let machine = new_client();
    for path in [
        "/api/v1/auth/me",
        "/api/v1/api-keys",
        "/api/v1/system/status",
    ] {
        let response = machine
            .get(app.url(path))
            .bearer_auth(&created.key)
            .send()
            .await
            .unwrap();
        assert_error(response, StatusCode::FORBIDDEN, "forbidden").await;
    }
    assert_error(
        app.get("/api/v1/auth/key").await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
}

#[tokio::test]
async fn bad_keys_are_refused_without_falling_back_to_the_cookie() {
    let app = spawn_app().await;
    app.login_as_admin().await;
    for header in [
        "Bearer vgl_not-a-real-key",
        "Bearer something-else",
        "Basic !!!",
        "Digest x",
    ] {
        let response = app
            .client
            .get(app.url("/api/v1/auth/me"))
            .header("authorization", header)
            .send()
            .await
            .unwrap();
        assert_error(response, StatusCode::UNAUTHORIZED, "unauthenticated").await;
    }
}

#[tokio::test]
async fn key_requests_are_validated() {
    let app = spawn_app().await;
    app.login_as_admin().await;
    let cases = [
        (
            serde_json::json!({"name": "", "scopes": ["ingest"]}),
            StatusCode::BAD_REQUEST,
            "validation_failed",
        ),
        (
            serde_json::json!({"name": "x", "scopes": []}),
            StatusCode::BAD_REQUEST,
            "validation_failed",
        ),
        (
            serde_json::json!({"name": "x", "scopes": ["root"]}),
            StatusCode::BAD_REQUEST,
            "bad_request",
        ),
        (
            serde_json::json!({"name": "x"}),
            StatusCode::BAD_REQUEST,
            "bad_request",
        ),
    ];
    for (body, status, code) in cases {
        assert_error(app.post_json("/api/v1/api-keys", &body).await, status, code).await;
    }
    let bad_id = app
        .client
        .delete(app.url("/api/v1/api-keys/not-a-uuid"))
        .send()
        .await
        .unwrap();
    assert_error(bad_id, StatusCode::BAD_REQUEST, "bad_request").await;
}

#[tokio::test]
async fn only_key_managers_manage_keys() {
    let app = spawn_app().await;
    let (analyst, _) = app.sign_in_as(app::BuiltinRole::Engineer).await;
    let response = analyst
        .post(app.url("/api/v1/api-keys"))
        .json(&serde_json::json!({"name": "sneaky", "scopes": ["ingest"]}))
        .send()
        .await
        .unwrap();
    let body = assert_error(response, StatusCode::FORBIDDEN, "forbidden").await;
    assert!(body.message.contains("api_keys:manage"), "{}", body.message);
    assert_error(
        new_client()
            .get(app.url("/api/v1/api-keys"))
            .send()
            .await
            .unwrap(),
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
    )
    .await;
}
