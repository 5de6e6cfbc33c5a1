//! Every API route, declared once with the access it requires, and registered.
//!
//! Adding a route means adding a line to [`ROUTES`] *and* registering the
//! handler in [`api_routes`]; the guard refuses any registered route that has
//! no line here, and the route-walk test fails for any line whose route does
//! not exist.

use crate::auth::{Access, RouteSpec};
use crate::state::AppState;
use crate::{api_keys, audit, auth, detect, ingest, retention, search, system, users};
use app::permissions::Permission;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::Method;
use axum::routing::{get, post, put};

/// The access rule of every API route.
pub static ROUTES: &[RouteSpec] = &[
    // Compatibility endpoints where shippers expect them (see ingest::compat).
    // `GET /` checks a shipper's credentials itself and serves the SPA to browsers.
    RouteSpec {
        method: Method::GET,
        path: "/",
        access: Access::Public,
    },
    RouteSpec {
        method: Method::POST,
        path: "/_bulk",
        access: Access::Permission(Permission::IngestEvents),
    },
    RouteSpec {
        method: Method::POST,
        path: "/{index}/_bulk",
        access: Access::Permission(Permission::IngestEvents),
    },
    RouteSpec {
        method: Method::POST,
        path: "/events",
        access: Access::Permission(Permission::IngestEvents),
    },
    RouteSpec {
        method: Method::GET,
        path: "/api/v1/health",
        access: Access::Public,
    },
    RouteSpec {
        method: Method::POST,
        path: "/api/v1/auth/login",
        access: Access::Public,
    },
    RouteSpec {
        method: Method::POST,
        path: "/api/v1/auth/logout",
        access: Access::Session,
    },
    RouteSpec {
        method: Method::GET,
        path: "/api/v1/auth/me",
        access: Access::Session,
    },
    RouteSpec {
        method: Method::GET,
        path: "/api/v1/auth/key",
        access: Access::ApiKey,
    },
    RouteSpec {
        method: Method::POST,
        path: "/api/v1/events",
        access: Access::Permission(Permission::IngestEvents),
    },
    RouteSpec {
        method: Method::POST,
        path: "/api/v1/events/bulk",
        access: Access::Permission(Permission::IngestEvents),
    },
    RouteSpec {
        method: Method::POST,
        path: "/api/v1/search",
        access: Access::Permission(Permission::SearchEvents),
    },
    RouteSpec {
        method: Method::POST,
        path: "/api/v1/search/histogram",
        access: Access::Permission(Permission::SearchEvents),
    },
    RouteSpec {
        method: Method::POST,
        path: "/api/v1/search/top",
        access: Access::Permission(Permission::SearchEvents),
    },
    RouteSpec {
        method: Method::POST,
        path: "/api/v1/rules/test",
        access: Access::Permission(Permission::ViewRules),
    },
    RouteSpec {
        method: Method::GET,
        path: "/api/v1/rules",
        access: Access::Permission(Permission::ViewRules),
    },
    RouteSpec {
        method: Method::POST,
        path: "/api/v1/rules",
        access: Access::Permission(Permission::EditRules),
    },
    RouteSpec {
        method: Method::GET,
        path: "/api/v1/rules/{id}",
        access: Access::Permission(Permission::ViewRules),
    },
    RouteSpec {
        method: Method::PUT,
        path: "/api/v1/rules/{id}",
        access: Access::Permission(Permission::EditRules),
    },
    RouteSpec {
        method: Method::DELETE,
        path: "/api/v1/rules/{id}",
        access: Access::Permission(Permission::EditRules),
    },
    RouteSpec {
        method: Method::GET,
        path: "/api/v1/rules/{id}/versions",
        access: Access::Permission(Permission::ViewRules),
    },
    RouteSpec {
        method: Method::GET,
        path: "/api/v1/rules/{id}/sigma",
        access: Access::Permission(Permission::ViewRules),
    },
    RouteSpec {
        method: Method::POST,
        path: "/api/v1/rules/import/sigma",
        access: Access::Permission(Permission::EditRules),
    },
    RouteSpec {
        method: Method::POST,
        path: "/api/v1/rules/import/mozdef",
        access: Access::Permission(Permission::EditRules),
    },
    RouteSpec {
        method: Method::GET,
        path: "/api/v1/alerts",
        access: Access::Permission(Permission::ViewAlerts),
    },
    RouteSpec {
        method: Method::PATCH,
        path: "/api/v1/alerts",
        access: Access::Permission(Permission::TriageAlerts),
    },
    RouteSpec {
        method: Method::GET,
        path: "/api/v1/alerts/{id}",
        access: Access::Permission(Permission::ViewAlerts),
    },
    RouteSpec {
        method: Method::PATCH,
        path: "/api/v1/alerts/{id}",
        access: Access::Permission(Permission::TriageAlerts),
    },
    RouteSpec {
        method: Method::GET,
        path: "/api/v1/detection/status",
        access: Access::Permission(Permission::ViewRules),
    },
    RouteSpec {
        method: Method::GET,
        path: "/api/v1/watchlists",
        access: Access::Permission(Permission::ViewRules),
    },
    RouteSpec {
        method: Method::POST,
        path: "/api/v1/watchlists",
        access: Access::Permission(Permission::EditRules),
    },
    RouteSpec {
        method: Method::GET,
        path: "/api/v1/watchlists/{id}",
        access: Access::Permission(Permission::ViewRules),
    },
    RouteSpec {
        method: Method::PUT,
        path: "/api/v1/watchlists/{id}",
        access: Access::Permission(Permission::EditRules),
    },
    RouteSpec {
        method: Method::DELETE,
        path: "/api/v1/watchlists/{id}",
        access: Access::Permission(Permission::EditRules),
    },
    RouteSpec {
        method: Method::GET,
        path: "/api/v1/watchlists/{id}/entries",
        access: Access::Permission(Permission::ViewRules),
    },
    RouteSpec {
        method: Method::POST,
        path: "/api/v1/watchlists/{id}/entries",
        access: Access::Permission(Permission::EditRules),
    },
    RouteSpec {
        method: Method::DELETE,
        path: "/api/v1/watchlists/{id}/entries/{value}",
        access: Access::Permission(Permission::EditRules),
    },
    RouteSpec {
        method: Method::POST,
        path: "/api/v1/watchlists/{id}/import",
        access: Access::Permission(Permission::EditRules),
    },
    RouteSpec {
        method: Method::GET,
        path: "/api/v1/saved-searches",
        access: Access::Permission(Permission::SearchEvents),
    },
    RouteSpec {
        method: Method::POST,
        path: "/api/v1/saved-searches",
        access: Access::Permission(Permission::SearchEvents),
    },
    RouteSpec {
        method: Method::PUT,
        path: "/api/v1/saved-searches/{id}",
        access: Access::Permission(Permission::SearchEvents),
    },
    RouteSpec {
        method: Method::DELETE,
        path: "/api/v1/saved-searches/{id}",
        access: Access::Permission(Permission::SearchEvents),
    },
    RouteSpec {
        method: Method::GET,
        path: "/api/v1/events/{id}",
        access: Access::Permission(Permission::SearchEvents),
    },
    RouteSpec {
        method: Method::GET,
        path: "/api/v1/fields",
        access: Access::Permission(Permission::SearchEvents),
    },
    RouteSpec {
        method: Method::POST,
        path: "/api/v1/search/export",
        access: Access::Permission(Permission::ExportEvents),
    },
    RouteSpec {
        method: Method::GET,
        path: "/api/v1/search/export",
        access: Access::Permission(Permission::ExportEvents),
    },
    RouteSpec {
        method: Method::GET,
        path: "/api/v1/sources",
        access: Access::Permission(Permission::ViewSystem),
    },
    RouteSpec {
        method: Method::GET,
        path: "/api/v1/system/status",
        access: Access::Permission(Permission::ViewSystem),
    },
    RouteSpec {
        method: Method::GET,
        path: "/api/v1/retention",
        access: Access::Permission(Permission::ViewSystem),
    },
    RouteSpec {
        method: Method::POST,
        path: "/api/v1/retention/policies",
        access: Access::Permission(Permission::ManageSettings),
    },
    RouteSpec {
        method: Method::PUT,
        path: "/api/v1/retention/policies/{id}",
        access: Access::Permission(Permission::ManageSettings),
    },
    RouteSpec {
        method: Method::DELETE,
        path: "/api/v1/retention/policies/{id}",
        access: Access::Permission(Permission::ManageSettings),
    },
    RouteSpec {
        method: Method::POST,
        path: "/api/v1/retention/run",
        access: Access::Permission(Permission::ManageSettings),
    },
    RouteSpec {
        method: Method::GET,
        path: "/api/v1/api-keys",
        access: Access::Permission(Permission::ManageApiKeys),
    },
    RouteSpec {
        method: Method::POST,
        path: "/api/v1/api-keys",
        access: Access::Permission(Permission::ManageApiKeys),
    },
    RouteSpec {
        method: Method::DELETE,
        path: "/api/v1/api-keys/{id}",
        access: Access::Permission(Permission::ManageApiKeys),
    },
    RouteSpec {
        method: Method::GET,
        path: "/api/v1/users",
        access: Access::Permission(Permission::ManageUsers),
    },
    RouteSpec {
        method: Method::POST,
        path: "/api/v1/users",
        access: Access::Permission(Permission::ManageUsers),
    },
    RouteSpec {
        method: Method::GET,
        path: "/api/v1/audit",
        access: Access::Permission(Permission::ViewAudit),
    },
    RouteSpec {
        method: Method::GET,
        path: "/api/v1/audit/verify",
        access: Access::Permission(Permission::ViewAudit),
    },
];

/// Returns the API routes with their handlers, before the guard is applied.
/// `ingest_body_limit` is the body limit of the ingest routes (larger than elsewhere).
pub fn api_routes_with_limits(ingest_body_limit: usize) -> Router<AppState> {
    let ingest_limit = DefaultBodyLimit::max(ingest_body_limit);
    Router::new()
        .route("/", get(ingest::compat::root))
        .route("/_bulk", post(ingest::compat::bulk).layer(ingest_limit))
        .route(
            "/{index}/_bulk",
            post(ingest::compat::bulk_with_index).layer(ingest_limit),
        )
        .route(
            "/events",
            post(ingest::compat::mozdef_events).layer(ingest_limit),
        )
        .route(
            "/api/v1/events",
            post(ingest::handlers::ingest_events).layer(ingest_limit),
        )
        .route(
            "/api/v1/events/bulk",
            post(ingest::handlers::ingest_bulk).layer(ingest_limit),
        )
        .route("/api/v1/health", get(system::handlers::health))
        .route("/api/v1/auth/login", post(auth::handlers::login))
        .route("/api/v1/auth/logout", post(auth::handlers::logout))
        .route("/api/v1/auth/me", get(auth::handlers::me))
        .route("/api/v1/auth/key", get(auth::handlers::key_identity))
        .route("/api/v1/sources", get(ingest::handlers::list_sources))
        .route("/api/v1/search", post(search::handlers::search))
        .route(
            "/api/v1/search/histogram",
            post(search::handlers::histogram),
        )
        .route("/api/v1/search/top", post(search::handlers::top))
        .route(
            "/api/v1/search/export",
            post(search::export::export).get(search::export::export_link),
        )
        .route("/api/v1/fields", get(search::handlers::fields))
        // Rule tests carry events, as ingest requests do.
        .route(
            "/api/v1/rules/test",
            post(detect::handlers::test_rule).layer(ingest_limit),
        )
        .route(
            "/api/v1/rules",
            get(detect::rules::list).post(detect::rules::create),
        )
        .route(
            "/api/v1/rules/{id}",
            get(detect::rules::get)
                .put(detect::rules::update)
                .delete(detect::rules::delete),
        )
        .route("/api/v1/rules/{id}/versions", get(detect::rules::versions))
        .route("/api/v1/rules/{id}/sigma", get(detect::rules::sigma))
        .route(
            "/api/v1/rules/import/sigma",
            post(detect::rules::import_sigma).layer(ingest_limit),
        )
        .route(
            "/api/v1/rules/import/mozdef",
            post(detect::rules::import_mozdef).layer(ingest_limit),
        )
        .route(
            "/api/v1/alerts",
            get(detect::alerts::list).patch(detect::alerts::update_many),
        )
        .route(
            "/api/v1/alerts/{id}",
            get(detect::alerts::get).patch(detect::alerts::update),
        )
        .route("/api/v1/detection/status", get(detect::alerts::status))
        .route(
            "/api/v1/watchlists",
            get(detect::watchlists::list).post(detect::watchlists::create),
        )
        .route(
            "/api/v1/watchlists/{id}",
            get(detect::watchlists::get)
                .put(detect::watchlists::update)
                .delete(detect::watchlists::delete),
        )
        .route(
            "/api/v1/watchlists/{id}/entries",
            get(detect::watchlists::entries).post(detect::watchlists::add_entries),
        )
        .route(
            "/api/v1/watchlists/{id}/entries/{value}",
            axum::routing::delete(detect::watchlists::remove_entry),
        )
        .route(
            "/api/v1/watchlists/{id}/import",
            post(detect::watchlists::import).layer(ingest_limit),
        )
        .route("/api/v1/events/{id}", get(search::handlers::event))
        .route(
            "/api/v1/saved-searches",
            get(search::saved::list).post(search::saved::create),
        )
        .route(
            "/api/v1/saved-searches/{id}",
            put(search::saved::update).delete(search::saved::delete),
        )
        .route(
            "/api/v1/system/status",
            get(system::handlers::system_status),
        )
        .route(
            "/api/v1/api-keys",
            get(api_keys::handlers::list_api_keys).post(api_keys::handlers::create_api_key),
        )
        .route(
            "/api/v1/api-keys/{id}",
            axum::routing::delete(api_keys::handlers::revoke_api_key),
        )
        .route("/api/v1/retention", get(retention::handlers::overview))
        .route(
            "/api/v1/retention/policies",
            post(retention::handlers::create_policy),
        )
        .route(
            "/api/v1/retention/policies/{id}",
            put(retention::handlers::update_policy).delete(retention::handlers::delete_policy),
        )
        .route("/api/v1/retention/run", post(retention::handlers::run_now))
        .route(
            "/api/v1/users",
            get(users::handlers::list_users).post(users::handlers::create_user),
        )
        .route("/api/v1/audit", get(audit::handlers::list_audit))
        .route("/api/v1/audit/verify", get(audit::handlers::verify_audit))
}

/// Returns the API routes with the default ingest body limit.
pub fn api_routes() -> Router<AppState> {
    api_routes_with_limits(32 * 1024 * 1024)
}
