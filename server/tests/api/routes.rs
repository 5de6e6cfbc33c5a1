//! Deny by default, and every declared route walked for every role.

use crate::helpers::{assert_error, new_client, spawn_app, spawn_app_with};
use app::permissions::BuiltinRole;
use axum::routing::get;
use reqwest::{Method, StatusCode};
use vigil::auth::Access;

#[tokio::test]
async fn a_route_without_a_declaration_is_refused_even_to_admins() {
    let api =
        vigil::http::routes::api_routes().route("/api/v1/undeclared", get(|| async { "secret" }));
    let app = spawn_app_with(api, &[]).await;
    app.login_as_admin().await;
    let response = app.get("/api/v1/undeclared").await;
    let body = assert_error(response, StatusCode::FORBIDDEN, "forbidden").await;
    assert!(
        body.message.contains("declares no access"),
        "{}",
        body.message
    );
}

fn sample_path(pattern: &str) -> String {
    pattern.replace("{id}", "00000000-0000-4000-8000-000000000000")
}

fn method(spec: &vigil::auth::RouteSpec) -> Method {
    Method::from_bytes(spec.method.as_str().as_bytes()).unwrap()
}

#[tokio::test]
async fn every_guarded_route_exists_and_refuses_anonymous_callers() {
    let app = spawn_app().await;
    let anonymous = new_client();
    let routes = vigil::http::routes::access_table();
    for spec in routes.iter().filter(|s| s.access != Access::Public) {
        let response = anonymous
            .request(method(spec), app.url(&sample_path(spec.path)))
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.status(),
            StatusCode::UNAUTHORIZED,
            "{} {}",
            spec.method,
            spec.path
        );
    }
}

#[tokio::test]
async fn every_role_gets_exactly_the_routes_its_permissions_allow() {
    let app = spawn_app().await;
    for role in BuiltinRole::ALL {
        let (client, _) = app.client_with_roles(&[role.name()]).await;
        let granted = role.permissions();
        for spec in &vigil::http::routes::access_table() {
            let expected_allowed = match spec.access {
                Access::Public | Access::Session => true,
                Access::ApiKey => false,
                Access::Permission(p) => granted.contains(&p),
            };
            // Logging out would end the session used by the rest of the walk.
            if spec.path == "/api/v1/auth/logout" {
                continue;
            }
            let response = client
                .request(method(spec), app.url(&sample_path(spec.path)))
                .header("content-type", "application/json")
                .body("{}")
                .send()
                .await
                .unwrap();
            let status = response.status();
            if expected_allowed {
                assert!(
                    status != StatusCode::FORBIDDEN && status != StatusCode::UNAUTHORIZED,
                    "{role:?} should reach {} {} but got {status}",
                    spec.method,
                    spec.path
                );
            } else {
                assert_eq!(
                    status,
                    StatusCode::FORBIDDEN,
                    "{role:?} must not reach {} {}",
                    spec.method,
                    spec.path
                );
            }
        }
    }
}

#[tokio::test]
async fn denied_requests_are_audited() {
    let app = spawn_app().await;
    let (viewer, user) = app.sign_in_as(app::BuiltinRole::Viewer).await;
    viewer.get(app.url("/api/v1/audit")).send().await.unwrap();
    let row: (String, String, Option<String>) = sqlx::query_as(
        "SELECT outcome, actor_name, target FROM audit_log WHERE action = 'access.denied'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(row.0, "denied");
    assert_eq!(row.1, user.username.to_string());
    assert_eq!(row.2.as_deref(), Some("GET /api/v1/audit"));
}
