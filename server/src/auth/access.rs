//! Route access: what each route requires of its caller.
//!
//! Every route is declared once, with its handler, as an [`crate::http::route::Route`];
//! the guard ([`super::guard`]) finds the matched route's declaration on
//! every API request and enforces it. A route without one is refused, so
//! forgetting a declaration fails closed.

use app::permissions::Permission;
use axum::http::Method;

/// Returns what a route requires of its caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone, authenticated or not (health, login).
    Public,
    /// Any signed-in user (their own session and profile).
    Session,
    /// Any valid API key (key introspection).
    ApiKey,
    /// A user or key holding the permission.
    Permission(Permission),
}

/// Returns one declared route: method, path pattern as given to the router, access.
#[derive(Debug, Clone)]
pub struct RouteSpec {
    /// The HTTP method.
    pub method: Method,
    /// The path pattern, exactly as registered (`/api/v1/api-keys/{id}`).
    pub path: &'static str,
    /// What the caller needs.
    pub access: Access,
}

/// Returns the declaration of `method path` in `routes`.
pub fn lookup<'a>(routes: &'a [RouteSpec], method: &Method, path: &str) -> Option<&'a RouteSpec> {
    // HEAD is served by GET routes.
    let method = if method == Method::HEAD {
        &Method::GET
    } else {
        method
    };
    routes.iter().find(|r| r.method == method && r.path == path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookup_matches_method_and_pattern_and_serves_head_as_get() {
        let routes = [RouteSpec {
            method: Method::GET,
            path: "/api/v1/things/{id}",
            access: Access::Session,
        }];
        assert!(lookup(&routes, &Method::GET, "/api/v1/things/{id}").is_some());
        assert!(lookup(&routes, &Method::HEAD, "/api/v1/things/{id}").is_some());
        assert!(lookup(&routes, &Method::DELETE, "/api/v1/things/{id}").is_none());
        assert!(lookup(&routes, &Method::GET, "/api/v1/things").is_none());
    }
}
