//! The OpenAPI 3.1 document of Vigil's API, generated from the route
//! declarations themselves: each route's method, path and access, and what
//! its handler's signature says it takes and answers (`AppJson<T>` is a JSON
//! body of `T`'s schema, `AppQuery<T>` query parameters, `AppPath<T>` path
//! parameters, `Created<T>` a 201). The schemas are derived from the types
//! in `app` (`schemars`), so the document cannot drift from the code.

use crate::audit::RequestContext;
use crate::auth::{Access, AuthedKey, AuthedUser, Principal};
use crate::error::{AppJson, AppPath, AppQuery};
use axum::body::Bytes;
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use schemars::generate::{SchemaGenerator, SchemaSettings};
use schemars::{JsonSchema, Schema};
use serde_json::{Map, Value, json};
use std::future::Future;

/// What one operation takes and answers, as far as its handler's types tell.
#[derive(Debug, Default)]
pub struct OperationDoc {
    /// The JSON body's schema, or the raw media types a body may have.
    pub body: Option<BodyDoc>,
    /// The schema whose properties are the query parameters.
    pub query: Option<Schema>,
    /// The schema of the path parameters (one value, or a tuple in order).
    pub path: Option<Schema>,
    /// The success status and its JSON schema (None: no body, or not JSON).
    pub success: Option<(u16, Option<Schema>)>,
}

/// A request body.
#[derive(Debug)]
pub enum BodyDoc {
    /// JSON of this schema.
    Json(Schema),
    /// Bytes as sent (events, NDJSON, YAML, CSV): any of the usual media types.
    Raw,
}

/// An extractor's part of an operation's documentation.
pub trait DocInput {
    /// Adds what this extractor reads to `op`.
    fn document(_op: &mut OperationDoc, _generator: &mut SchemaGenerator) {}
}

/// A handler's answer's part of an operation's documentation.
pub trait DocOutput {
    /// Adds the success answer to `op`.
    fn document(op: &mut OperationDoc, _generator: &mut SchemaGenerator) {
        op.success = Some((200, None));
    }
}

impl<S> DocInput for State<S> {}
impl DocInput for RequestContext {}
impl DocInput for Principal {}
impl DocInput for AuthedUser {}
impl DocInput for AuthedKey {}
impl DocInput for HeaderMap {}
impl DocInput for Request {}

impl<T: JsonSchema> DocInput for AppJson<T> {
    fn document(op: &mut OperationDoc, generator: &mut SchemaGenerator) {
        op.body = Some(BodyDoc::Json(generator.subschema_for::<T>()));
    }
}

impl DocInput for Bytes {
    fn document(op: &mut OperationDoc, _generator: &mut SchemaGenerator) {
        op.body = Some(BodyDoc::Raw);
    }
}

impl DocInput for String {
    fn document(op: &mut OperationDoc, _generator: &mut SchemaGenerator) {
        op.body = Some(BodyDoc::Raw);
    }
}

impl<T: JsonSchema> DocInput for AppQuery<T> {
    fn document(op: &mut OperationDoc, generator: &mut SchemaGenerator) {
        op.query = Some(T::json_schema(generator));
    }
}

impl<T: JsonSchema> DocInput for Query<T> {
    fn document(op: &mut OperationDoc, generator: &mut SchemaGenerator) {
        op.query = Some(T::json_schema(generator));
    }
}

impl<T: JsonSchema> DocInput for AppPath<T> {
    fn document(op: &mut OperationDoc, generator: &mut SchemaGenerator) {
        op.path = Some(T::json_schema(generator));
    }
}

impl<T: JsonSchema> DocInput for Path<T> {
    fn document(op: &mut OperationDoc, generator: &mut SchemaGenerator) {
        op.path = Some(T::json_schema(generator));
    }
}

impl<T: JsonSchema> DocOutput for AppJson<T> {
    fn document(op: &mut OperationDoc, generator: &mut SchemaGenerator) {
        op.success = Some((200, Some(generator.subschema_for::<T>())));
    }
}

/// A `201 Created` answer of `T`.
#[derive(Debug, Clone, Copy)]
pub struct Created<T>(pub T);

impl<T: axum::response::IntoResponse> axum::response::IntoResponse for Created<T> {
    fn into_response(self) -> Response {
        (StatusCode::CREATED, self.0).into_response()
    }
}

impl<T: DocOutput> DocOutput for Created<T> {
    fn document(op: &mut OperationDoc, generator: &mut SchemaGenerator) {
        T::document(op, generator);
        if let Some((status, _)) = &mut op.success {
            *status = 201;
        }
    }
}

/// Every handler that answers a bare status answers `204 No Content`.
impl DocOutput for StatusCode {
    fn document(op: &mut OperationDoc, _generator: &mut SchemaGenerator) {
        op.success = Some((204, None));
    }
}

impl DocOutput for Response {}

impl<T: DocOutput, E> DocOutput for Result<T, E> {
    fn document(op: &mut OperationDoc, generator: &mut SchemaGenerator) {
        T::document(op, generator);
    }
}

/// A handler whose arguments and answer document themselves. `T` is the
/// same marker axum's `Handler` is implemented with.
pub trait Documented<T> {
    /// Returns what the handler's types say about the operation.
    fn document(op: &mut OperationDoc, generator: &mut SchemaGenerator);
}

impl<F, Fut> Documented<((),)> for F
where
    F: FnOnce() -> Fut,
    Fut: Future,
    Fut::Output: DocOutput,
{
    fn document(op: &mut OperationDoc, generator: &mut SchemaGenerator) {
        <Fut::Output as DocOutput>::document(op, generator);
    }
}

macro_rules! documented {
    ($($ty:ident),+) => {
        impl<F, Fut, M, $($ty,)+> Documented<(M, $($ty,)+)> for F
        where
            F: FnOnce($($ty,)+) -> Fut,
            Fut: Future,
            Fut::Output: DocOutput,
            $($ty: DocInput,)+
        {
            fn document(op: &mut OperationDoc, generator: &mut SchemaGenerator) {
                $(<$ty as DocInput>::document(op, generator);)+
                <Fut::Output as DocOutput>::document(op, generator);
            }
        }
    };
}

documented!(T1);
documented!(T1, T2);
documented!(T1, T2, T3);
documented!(T1, T2, T3, T4);
documented!(T1, T2, T3, T4, T5);
documented!(T1, T2, T3, T4, T5, T6);
documented!(T1, T2, T3, T4, T5, T6, T7);

/// The facts of one route the document is built from.
#[derive(Debug)]
pub struct RouteDoc {
    /// The HTTP method, lower case.
    pub method: &'static str,
    /// The path template (`/api/v1/alerts/{id}`).
    pub path: &'static str,
    /// What the caller needs.
    pub access: Access,
    /// The handler's name (`list_alerts`): the operation id.
    pub operation: &'static str,
    /// What the handler's types say.
    pub describe: fn(&mut OperationDoc, &mut SchemaGenerator),
}

/// Returns the handler's name from its type name (`vigil::alerts::handlers::list_alerts`).
pub fn operation_name(type_name: &'static str) -> &'static str {
    type_name.rsplit("::").next().unwrap_or(type_name)
}

fn schema_generator() -> SchemaGenerator {
    SchemaSettings::draft2020_12()
        .with(|settings| {
            settings.definitions_path = "/components/schemas".into();
            settings.meta_schema = None;
        })
        .into_generator()
}

const RAW_MEDIA_TYPES: [&str; 5] = [
    "application/json",
    "application/x-ndjson",
    "application/yaml",
    "text/csv",
    "text/plain",
];

/// Returns the OpenAPI 3.1 document for `routes`.
pub fn document(routes: &[RouteDoc]) -> Value {
    let mut generator = schema_generator();
    let error = generator.subschema_for::<app::ErrorBody>();
    let mut paths: Map<String, Value> = Map::new();
    for route in routes {
        let mut op = OperationDoc::default();
        (route.describe)(&mut op, &mut generator);
        let operation = operation(route, op, &error);
        let item = paths
            .entry(route.path.to_owned())
            .or_insert_with(|| json!({}));
        if let Some(item) = item.as_object_mut() {
            item.insert(route.method.to_owned(), operation);
        }
    }
    let schemas = generator.take_definitions(true);
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Vigil",
            "version": app::VERSION,
            "description": "The API of Vigil, an open-source SIEM. Every route states the access it requires (`x-vigil-access`, `x-vigil-permission`); every error answers the same JSON body (`ErrorBody`). The Elasticsearch-compatible routes outside `/api/v1` answer in Elasticsearch's shapes (see docs/shipping.md).",
            "license": {"name": "Apache-2.0", "identifier": "Apache-2.0"}
        },
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "session": {"type": "apiKey", "in": "cookie", "name": crate::auth::token::COOKIE_NAME,
                            "description": "the session cookie set by POST /api/v1/auth/login"},
                "bearer": {"type": "http", "scheme": "bearer", "description": "an API key (`vgl_…`)"},
                "basic": {"type": "http", "scheme": "basic", "description": "any user name and an API key as the password"},
                "elasticApiKey": {"type": "apiKey", "in": "header", "name": "Authorization",
                                  "description": "`ApiKey base64(id:key)`, as Elasticsearch clients send it"}
            }
        }
    })
}

fn operation(route: &RouteDoc, op: OperationDoc, error: &Schema) -> Value {
    let elastic = !route.path.starts_with("/api/");
    let mut operation = Map::new();
    operation.insert("operationId".into(), json!(route.operation));
    operation.insert("summary".into(), json!(route.operation.replace('_', " ")));
    let (access, security) = match route.access {
        Access::Public => ("public".to_owned(), json!([])),
        Access::Session => ("session".to_owned(), json!([{"session": []}])),
        Access::ApiKey => (
            "api key".to_owned(),
            json!([{"bearer": []}, {"basic": []}, {"elasticApiKey": []}]),
        ),
        Access::Permission(permission) => {
            operation.insert("x-vigil-permission".into(), json!(permission.to_string()));
            (
                format!("permission {permission}"),
                json!([{"session": []}, {"bearer": []}, {"basic": []}, {"elasticApiKey": []}]),
            )
        }
    };
    operation.insert("x-vigil-access".into(), json!(access));
    operation.insert("security".into(), security);
    operation.insert("description".into(), json!(format!("Requires {access}.")));
    let mut parameters = Vec::new();
    let names = path_names(route.path);
    if !names.is_empty() {
        let schemas = match op.path.as_ref().map(Schema::as_value) {
            Some(Value::Object(tuple)) if tuple.contains_key("prefixItems") => tuple
                .get("prefixItems")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default(),
            Some(single) => vec![single.clone()],
            None => Vec::new(),
        };
        for (index, name) in names.iter().enumerate() {
            let schema = schemas
                .get(index)
                .cloned()
                .unwrap_or_else(|| json!({"type": "string"}));
            parameters
                .push(json!({"name": name, "in": "path", "required": true, "schema": schema}));
        }
    }
    if let Some(query) = &op.query {
        let required: Vec<&str> = query
            .get("required")
            .and_then(Value::as_array)
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        if let Some(properties) = query.get("properties").and_then(Value::as_object) {
            for (name, schema) in properties {
                parameters.push(json!({
                    "name": name, "in": "query",
                    "required": required.contains(&name.as_str()),
                    "schema": schema,
                }));
            }
        }
    }
    if !parameters.is_empty() {
        operation.insert("parameters".into(), Value::Array(parameters));
    }
    match op.body {
        Some(BodyDoc::Json(schema)) => {
            operation.insert(
                "requestBody".into(),
                json!({"required": true, "content": {"application/json": {"schema": schema}}}),
            );
        }
        Some(BodyDoc::Raw) => {
            let content: Map<String, Value> = RAW_MEDIA_TYPES
                .iter()
                .map(|media| ((*media).to_owned(), json!({"schema": {}})))
                .collect();
            operation.insert(
                "requestBody".into(),
                json!({"required": true, "content": content}),
            );
        }
        None => {}
    }
    let mut responses = Map::new();
    let (status, schema) = op.success.unwrap_or((200, None));
    let mut success = json!({"description": "success"});
    if let Some(schema) = schema {
        success["content"] = json!({"application/json": {"schema": schema}});
    }
    responses.insert(status.to_string(), success);
    // Errors: one body for every code (Elasticsearch's own shape on its routes).
    let error_content = if elastic {
        json!({"application/json": {"schema": {}}})
    } else {
        json!({"application/json": {"schema": error}})
    };
    responses.insert(
        "default".into(),
        json!({"description": "an error: the code says which (app::ErrorCode)", "content": error_content}),
    );
    operation.insert("responses".into(), Value::Object(responses));
    Value::Object(operation)
}

/// Returns the parameter names of a path template, in order.
fn path_names(path: &str) -> Vec<&str> {
    path.split('/')
        .filter_map(|segment| segment.strip_prefix('{')?.strip_suffix('}'))
        .map(|name| name.trim_start_matches('*'))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_parameters_are_named_in_order() {
        assert_eq!(
            path_names("/api/v1/watchlists/{id}/entries/{value}"),
            ["id", "value"]
        );
        assert!(path_names("/api/v1/alerts").is_empty());
    }

    #[test]
    fn handler_names_are_operation_ids() {
        assert_eq!(
            operation_name("vigil::alerts::handlers::list_alerts"),
            "list_alerts"
        );
    }
}
