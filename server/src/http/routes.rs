//! Every API route, gathered from the features that declare them.
//!
//! Each feature's `handlers.rs` declares its routes — method, path, access
//! and handler together ([`Route`]). The guard refuses any registered route
//! that has no declaration, and the route-walk test checks every declared
//! route for every role.

use crate::auth::{Access, RouteSpec};
use crate::error::AppJson;
use crate::http::openapi;
use crate::http::route::{self, Route};
use crate::state::AppState;
use crate::watchlists;
use crate::{alerts, api_keys, audit, auth, ingest, retention, rules, search, system, users};
use axum::Router;

/// Returns every declared route.
pub fn declared() -> Vec<Route> {
    [
        ingest::compat::routes(),
        ingest::handlers::routes(),
        system::handlers::routes(),
        auth::handlers::routes(),
        search::handlers::routes(),
        search::export::routes(),
        search::saved::routes(),
        rules::handlers::routes(),
        alerts::handlers::routes(),
        watchlists::handlers::routes(),
        retention::handlers::routes(),
        api_keys::handlers::routes(),
        users::handlers::routes(),
        audit::handlers::routes(),
        system::metrics::routes(),
        vec![Route::get(
            "/api/v1/openapi.json",
            Access::Public,
            openapi_document,
        )],
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// Returns the OpenAPI 3.1 document of every declared route.
pub fn openapi() -> serde_json::Value {
    let docs: Vec<openapi::RouteDoc> = declared().iter().map(Route::doc).collect();
    openapi::document(&docs)
}

/// `GET /api/v1/openapi.json`: this document (it names routes and types, no secrets).
async fn openapi_document() -> AppJson<serde_json::Value> {
    AppJson(openapi())
}

/// Returns the access rule of every declared route, as the guard reads it.
pub fn access_table() -> Vec<RouteSpec> {
    declared().into_iter().map(|route| route.spec).collect()
}

/// Returns the API routes with their handlers, before the guard is applied.
/// `ingest_body_limit` is the body limit of the routes that take events
/// and imports (larger than elsewhere).
pub fn api_routes_with_limits(ingest_body_limit: usize) -> Router<AppState> {
    route::router(declared(), ingest_body_limit)
}

/// Returns the API routes with the default ingest body limit.
pub fn api_routes() -> Router<AppState> {
    api_routes_with_limits(32 * 1024 * 1024)
}
