//! One API route: method, path, the access it requires and its handler,
//! declared together in the feature's `handlers.rs` so none can be left out.

use super::openapi::{Documented, OperationDoc, RouteDoc, operation_name};
use crate::auth::{Access, RouteSpec};
use crate::state::AppState;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::handler::Handler;
use axum::http::Method;
use axum::routing::{MethodFilter, MethodRouter, on};
use schemars::generate::SchemaGenerator;

/// Returns one declared route.
#[derive(Debug)]
pub struct Route {
    /// What the guard checks.
    pub spec: RouteSpec,
    handler: MethodRouter<AppState>,
    large_body: bool,
    operation: &'static str,
    describe: fn(&mut OperationDoc, &mut SchemaGenerator),
}

impl Route {
    fn new<H, T>(method: Method, path: &'static str, access: Access, handler: H) -> Route
    where
        H: Handler<T, AppState> + Documented<T>,
        T: 'static,
    {
        let filter = match method.as_str() {
            "GET" => MethodFilter::GET,
            "POST" => MethodFilter::POST,
            "PUT" => MethodFilter::PUT,
            "PATCH" => MethodFilter::PATCH,
            _ => MethodFilter::DELETE,
        };
        Route {
            spec: RouteSpec {
                method,
                path,
                access,
            },
            handler: on(filter, handler),
            large_body: false,
            operation: operation_name(std::any::type_name::<H>()),
            describe: <H as Documented<T>>::document,
        }
    }

    /// Returns a `GET` route (which also answers `HEAD`).
    pub fn get<H: Handler<T, AppState> + Documented<T>, T: 'static>(
        path: &'static str,
        access: Access,
        handler: H,
    ) -> Route {
        Route::new(Method::GET, path, access, handler)
    }

    /// Returns a `POST` route.
    pub fn post<H: Handler<T, AppState> + Documented<T>, T: 'static>(
        path: &'static str,
        access: Access,
        handler: H,
    ) -> Route {
        Route::new(Method::POST, path, access, handler)
    }

    /// Returns a `PUT` route.
    pub fn put<H: Handler<T, AppState> + Documented<T>, T: 'static>(
        path: &'static str,
        access: Access,
        handler: H,
    ) -> Route {
        Route::new(Method::PUT, path, access, handler)
    }

    /// Returns a `PATCH` route.
    pub fn patch<H: Handler<T, AppState> + Documented<T>, T: 'static>(
        path: &'static str,
        access: Access,
        handler: H,
    ) -> Route {
        Route::new(Method::PATCH, path, access, handler)
    }

    /// Returns a `DELETE` route.
    pub fn delete<H: Handler<T, AppState> + Documented<T>, T: 'static>(
        path: &'static str,
        access: Access,
        handler: H,
    ) -> Route {
        Route::new(Method::DELETE, path, access, handler)
    }

    /// Returns what the OpenAPI document says of this route.
    pub fn doc(&self) -> RouteDoc {
        RouteDoc {
            method: match self.spec.method.as_str() {
                "GET" => "get",
                "POST" => "post",
                "PUT" => "put",
                "PATCH" => "patch",
                _ => "delete",
            },
            path: self.spec.path,
            access: self.spec.access,
            operation: self.operation,
            describe: self.describe,
        }
    }

    /// Returns this route taking bodies up to the ingest limit rather than
    /// the API's (events, rule tests, imports).
    pub fn large_body(mut self) -> Route {
        self.large_body = true;
        self
    }
}

/// Returns a router serving `routes`; large-body routes take up to
/// `large_body_limit` bytes.
pub fn router(routes: Vec<Route>, large_body_limit: usize) -> Router<AppState> {
    let mut router = Router::new();
    for route in routes {
        let handler = if route.large_body {
            route.handler.layer(DefaultBodyLimit::max(large_body_limit))
        } else {
            route.handler
        };
        // Routes of one path with other methods merge into one.
        router = router.route(route.spec.path, handler);
    }
    router
}
