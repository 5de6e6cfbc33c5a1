//! Health, error bodies, SPA fallback, security headers, body limits.

use crate::helpers::{assert_error, spawn_app, spawn_app_declaring};
use app::system::{ComponentStatus, Health, SystemStatus};
use axum::http::Method;
use axum::routing::get;
use reqwest::StatusCode;
use vigil::auth::{Access, RouteSpec};

#[tokio::test]
async fn health_is_ok_with_version_and_database() {
    let app = spawn_app().await;
    let response = app.get("/api/v1/health").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers().get("x-request-id").is_some(),
        "request ids are propagated"
    );
    let health: Health = response.json().await.unwrap();
    assert_eq!(health.status, ComponentStatus::Ok);
    assert_eq!(health.database, ComponentStatus::Ok);
    assert_eq!(health.version, app::VERSION);
}

#[tokio::test]
async fn health_is_503_json_when_the_database_is_gone() {
    let app = spawn_app().await;
    app.app_pool.close().await;
    let response = app.get("/api/v1/health").await;
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    let health: Health = response.json().await.unwrap();
    assert_eq!(health.status, ComponentStatus::Unavailable);
    assert_eq!(health.database, ComponentStatus::Unavailable);
}

#[tokio::test]
async fn unknown_api_paths_and_methods_answer_json() {
    let app = spawn_app().await;
    assert_error(
        app.get("/api/v1/no-such-thing").await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    assert_error(app.get("/api").await, StatusCode::NOT_FOUND, "not_found").await;
    let response = app
        .client
        .delete(app.url("/api/v1/health"))
        .send()
        .await
        .unwrap();
    assert_error(
        response,
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
    )
    .await;
}

#[tokio::test]
async fn client_routes_fall_back_to_the_spa_with_hardening_headers() {
    let app = spawn_app().await;
    for path in ["/", "/status", "/admin/keys"] {
        let response = app.get(path).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        let csp = response
            .headers()
            .get("content-security-policy")
            .unwrap()
            .to_str()
            .unwrap()
            .to_owned();
        assert!(
            csp.contains("script-src 'self' 'wasm-unsafe-eval'"),
            "{csp}"
        );
        assert!(!csp.contains("unsafe-inline"), "{csp}");
        assert_eq!(
            response.headers().get("x-content-type-options").unwrap(),
            "nosniff"
        );
        assert_eq!(response.headers().get("x-frame-options").unwrap(), "DENY");
        assert!(
            response
                .text()
                .await
                .unwrap()
                .contains("<title>Vigil</title>")
        );
    }
}

#[tokio::test]
async fn api_responses_are_not_cached() {
    let app = spawn_app().await;
    let response = app.get("/api/v1/health").await;
    assert_eq!(response.headers().get("cache-control").unwrap(), "no-store");
}

#[tokio::test]
async fn oversized_bodies_get_413_json() {
    let app = spawn_app().await;
    let huge = format!(
        r#"{{"username":"admin","password":"{}"}}"#,
        "x".repeat(2 * 1024 * 1024)
    );
    let response = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .header("content-type", "application/json")
        .body(huge)
        .send()
        .await
        .unwrap();
    assert_error(response, StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large").await;
}

#[tokio::test]
async fn malformed_bodies_get_clear_400s() {
    let app = spawn_app().await;
    let cases = [
        (
            "application/json",
            "{not json",
            StatusCode::BAD_REQUEST,
            "bad_request",
        ),
        (
            "application/json",
            r#"{"username":"admin"}"#,
            StatusCode::BAD_REQUEST,
            "bad_request",
        ),
        (
            "application/json",
            r#"[1,2]"#,
            StatusCode::BAD_REQUEST,
            "bad_request",
        ),
        (
            "text/plain",
            r#"{"username":"a","password":"b"}"#,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
        ),
    ];
    for (content_type, body, status, code) in cases {
        let response = app
            .client
            .post(app.url("/api/v1/auth/login"))
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .unwrap();
        assert_error(response, status, code).await;
    }
}

#[tokio::test]
async fn system_status_reports_build_and_database() {
    let app = spawn_app().await;
    app.login_as_admin().await;
    let response = app.get("/api/v1/system/status").await;
    assert_eq!(response.status(), StatusCode::OK);
    let status: SystemStatus = response.json().await.unwrap();
    assert_eq!(status.status, ComponentStatus::Ok);
    assert_eq!(status.build.version, app::VERSION);
    assert!(
        status
            .database
            .server_version
            .unwrap()
            .starts_with(char::is_numeric)
    );
    assert!(status.database.size_bytes.unwrap() > 0);
    assert!(status.database.schema_version.unwrap() >= 20261129000002);
    assert!(!status.database.embedded);
}

fn public(path: &'static str) -> RouteSpec {
    RouteSpec {
        method: Method::GET,
        path,
        access: Access::Public,
    }
}

#[tokio::test]
async fn slow_requests_time_out_with_a_json_408() {
    let api = vigil::http::routes::api_routes().route(
        "/api/v1/test/slow",
        get(|| async {
            tokio::time::sleep(std::time::Duration::from_secs(5)).await;
            "too late"
        }),
    );
    let app = spawn_app_declaring(
        api,
        vec![public("/api/v1/test/slow")],
        &[("VIGIL_REQUEST_TIMEOUT_SECS", "1")],
    )
    .await;
    assert_error(
        app.get("/api/v1/test/slow").await,
        StatusCode::REQUEST_TIMEOUT,
        "timeout",
    )
    .await;
}

#[tokio::test]
async fn a_panicking_handler_yields_a_json_500_without_internals() {
    let api = vigil::http::routes::api_routes().route(
        "/api/v1/test/panic",
        get(|| async {
            if true {
                panic!("secret internal detail");
            }
            "unreachable"
        }),
    );
    let app = spawn_app_declaring(api, vec![public("/api/v1/test/panic")], &[]).await;
    let body = assert_error(
        app.get("/api/v1/test/panic").await,
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal",
    )
    .await;
    assert!(!body.message.contains("secret"), "{}", body.message);
    // The server keeps serving.
    assert_eq!(app.get("/api/v1/health").await.status(), StatusCode::OK);
}

/// Found by schemathesis: a rejection rewritten into the JSON error body
/// after compression kept `content-encoding: gzip` on a plain body, which
/// no client could decode.
#[tokio::test]
async fn error_bodies_decode_when_the_client_accepts_gzip() {
    let app = crate::helpers::spawn_app().await;
    app.login_as_admin().await;
    for path in [
        "/api/v1/search/export?format=bogus",
        "/api/v1/fields?from=never",
        "/api/v1/alerts?limit=x",
    ] {
        let response = app
            .client
            .get(app.url(path))
            .header("accept-encoding", "gzip")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{path}");
        let gzipped = response
            .headers()
            .get("content-encoding")
            .is_some_and(|v| v == "gzip");
        let bytes = response.bytes().await.unwrap();
        let text = if gzipped {
            use std::io::Read;
            let mut out = String::new();
            flate2::read::GzDecoder::new(&bytes[..])
                .read_to_string(&mut out)
                .unwrap_or_else(|e| panic!("{path}: the body is not gzip: {e}"));
            out
        } else {
            String::from_utf8(bytes.to_vec()).unwrap()
        };
        let body: app::ErrorBody = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{path}: not an error body ({e}): {text}"));
        assert!(!body.message.is_empty(), "{path}: {text}");
    }
}
