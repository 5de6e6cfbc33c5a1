//! The published OpenAPI document: every declared route is in it, with its
//! access, and every schema it names exists.

use crate::helpers::spawn_app;
use reqwest::StatusCode;
use serde_json::Value;
use vigil::auth::Access;

/// Collects every `$ref` in `value`.
fn refs<'v>(value: &'v Value, out: &mut Vec<&'v str>) {
    match value {
        Value::Object(map) => {
            for (key, inner) in map {
                if key == "$ref" {
                    if let Some(target) = inner.as_str() {
                        out.push(target);
                    }
                } else {
                    refs(inner, out);
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|item| refs(item, out)),
        _ => {}
    }
}

#[tokio::test]
async fn the_document_names_every_route_with_its_access_and_every_schema_it_uses() {
    let app = spawn_app().await;
    let response = app.get("/api/v1/openapi.json").await;
    assert_eq!(
        response.status(),
        StatusCode::OK,
        "public, like the login page"
    );
    let document: Value = response.json().await.unwrap();
    assert_eq!(document["openapi"], "3.1.0");
    for spec in vigil::http::routes::access_table() {
        let method = spec.method.as_str().to_lowercase();
        let operation = &document["paths"][spec.path][&method];
        assert!(
            operation.is_object(),
            "{} {} is not documented",
            spec.method,
            spec.path
        );
        match spec.access {
            Access::Permission(permission) => {
                assert_eq!(operation["x-vigil-permission"], permission.to_string());
            }
            Access::Public => assert_eq!(operation["security"], serde_json::json!([])),
            _ => assert!(
                operation["security"]
                    .as_array()
                    .is_some_and(|s| !s.is_empty())
            ),
        }
        assert!(
            operation["responses"]["default"].is_object(),
            "{} {} documents its errors",
            spec.method,
            spec.path
        );
    }
    let login = &document["paths"]["/api/v1/auth/login"]["post"];
    assert_eq!(
        login["requestBody"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/LoginRequest"
    );
    let created = &document["paths"]["/api/v1/rules"]["post"]["responses"]["201"];
    assert!(created.is_object(), "a created rule is a 201: {created}");
    let alert = &document["paths"]["/api/v1/alerts/{id}"]["get"];
    assert_eq!(alert["parameters"][0]["name"], "id");
    assert_eq!(alert["parameters"][0]["schema"]["format"], "uuid");
    let mut targets = Vec::new();
    refs(&document, &mut targets);
    assert!(!targets.is_empty());
    for target in targets {
        let name = target
            .strip_prefix("#/components/schemas/")
            .unwrap_or_else(|| panic!("{target} points outside the components"));
        assert!(
            document["components"]["schemas"][name].is_object(),
            "{target} is named but not defined"
        );
    }
}
