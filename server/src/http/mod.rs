//! The HTTP surface: middleware stack, API router, SPA files, error bodies.

pub mod client;
pub mod deadline;
pub mod openapi;
pub mod route;
pub mod routes;
pub mod serve;

use crate::auth::guard;
use crate::error::{InternalCause, error_response};
use crate::state::AppState;
use app::ErrorCode;
use axum::Router;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Request};
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::any;
use std::any::Any;
use std::path::Path;
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::decompression::RequestDecompressionLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::services::{ServeDir, ServeFile};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

/// The Content-Security-Policy for the SPA: only our own scripts (and wasm
/// compilation), no inline script or style, no framing.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; \
     style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; \
     base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

/// Returns the whole application router: guarded API, JSON errors, SPA files.
pub fn router(state: AppState) -> Router {
    let ingest_limit = state.settings.ingest.body_limit_bytes;
    router_with(state, routes::api_routes_with_limits(ingest_limit))
}

/// Returns the application router around `api` — tests pass extra routes here
/// to prove that an undeclared route is refused.
pub fn router_with(state: AppState, api: Router<AppState>) -> Router {
    let static_dir = state.settings.static_dir.clone();
    let body_limit = state.settings.http.body_limit_bytes;
    let timeout = state.settings.http.request_timeout;

    let api = api
        .route_layer(middleware::from_fn_with_state(state.clone(), guard::guard))
        // Outside the guard: refusals are counted too, by route template.
        .route_layer(middleware::from_fn(crate::metrics::track_http))
        // Unknown API paths answer JSON, never the SPA's index.html.
        .route("/api", any(api_not_found))
        .route("/api/{*rest}", any(api_not_found))
        .method_not_allowed_fallback(method_not_allowed)
        .layer(SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ))
        .layer(DefaultBodyLimit::max(body_limit))
        // Shippers compress bulk bodies; limits apply to the decompressed size.
        .layer(RequestDecompressionLayer::new());

    let request_id = HeaderName::from_static("x-request-id");
    let trusted: std::sync::Arc<[ipnet::IpNet]> =
        state.settings.http.trusted_proxies.clone().into();
    let https = state.settings.session.cookie_secure;
    Router::new()
        .merge(api)
        .fallback_service(spa_files(&static_dir))
        .with_state(state)
        .layer(
            ServiceBuilder::new()
                .layer(CatchPanicLayer::custom(panic_response))
                .layer(middleware::from_fn_with_state(
                    trusted,
                    client::resolve_client,
                ))
                .layer(middleware::from_fn(client::sanitize_request_id))
                .layer(SetRequestIdLayer::new(request_id.clone(), MakeRequestUuid))
                .layer(TraceLayer::new_for_http().make_span_with(make_span))
                .layer(PropagateRequestIdLayer::new(request_id))
                .layer(middleware::from_fn(log_internal_errors))
                .layer(middleware::from_fn_with_state(https, security_headers))
                .layer(CompressionLayer::new())
                // Inside compression: it reads and rewrites bodies as the
                // handler wrote them (outside, it saw gzip bytes and passed a
                // `content-encoding: gzip` header on to a plain JSON body).
                .layer(middleware::from_fn(json_error_bodies))
                .layer(middleware::from_fn_with_state(timeout, deadline::deadline)),
        )
}

fn spa_files(dir: &Path) -> Router {
    let index = dir.join("index.html");
    let serve = ServeDir::new(dir)
        .precompressed_gzip()
        .fallback(ServeFile::new(index).precompressed_gzip());
    // File names carry no content hash, so browsers must revalidate (cheap: 304).
    Router::new()
        .fallback_service(serve)
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-cache"),
        ))
}

/// Adds the browser hardening headers to every response that lacks them,
/// and HSTS when Vigil is served over HTTPS (its cookies are `Secure`).
async fn security_headers(
    axum::extract::State(https): axum::extract::State<bool>,
    request: Request,
    next: Next,
) -> Response {
    const HEADERS: [(&str, &str); 7] = [
        ("content-security-policy", CONTENT_SECURITY_POLICY),
        ("x-content-type-options", "nosniff"),
        ("x-frame-options", "DENY"),
        ("referrer-policy", "no-referrer"),
        (
            "permissions-policy",
            "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
        ),
        ("cross-origin-opener-policy", "same-origin"),
        ("cross-origin-resource-policy", "same-origin"),
    ];
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    if https && !headers.contains_key(header::STRICT_TRANSPORT_SECURITY) {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000"),
        );
    }
    for (name, value) in HEADERS {
        if !headers.contains_key(name) {
            headers.insert(
                HeaderName::from_static(name),
                HeaderValue::from_static(value),
            );
        }
    }
    response
}

fn make_span(request: &Request<Body>) -> tracing::Span {
    let request_id = request
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-");
    let matched = request
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .map(|m| m.as_str())
        .unwrap_or("-");
    // The path only: query strings may hold search terms or tokens.
    tracing::info_span!(
        "http",
        method = %request.method(),
        path = %request.uri().path(),
        route = matched,
        request_id,
    )
}

async fn api_not_found() -> Response {
    error_response(ErrorCode::NotFound, "no such API route")
}

async fn method_not_allowed() -> Response {
    error_response(
        ErrorCode::MethodNotAllowed,
        "this method is not allowed on this API route",
    )
}

fn panic_response(panic: Box<dyn Any + Send + 'static>) -> Response {
    let message = panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied())
        .unwrap_or("unknown panic");
    tracing::error!(panic = message, "a request handler panicked");
    error_response(
        ErrorCode::Internal,
        "internal error; the server log has details under this request's id",
    )
}

/// Logs the cause an `ApiError::internal` carried, once, with the request's span.
async fn log_internal_errors(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    if let Some(InternalCause(cause)) = response.extensions().get::<InternalCause>() {
        if response.status().is_server_error() {
            tracing::error!(error = format!("{cause:#}"), status = %response.status(), "request failed");
        } else {
            tracing::warn!(error = format!("{cause:#}"), status = %response.status(), "request failed");
        }
    }
    response
}

/// Gives error responses produced by layers and extractors (timeouts, body
/// limits, unknown static files) the shared JSON body. axum's own rejections
/// are plain text; their text becomes the message.
async fn json_error_bodies(request: Request, next: Next) -> Response {
    let is_api = request.uri().path().starts_with("/api");
    let response = next.run(request).await;
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let content_type = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let plain_text = content_type.starts_with("text/plain");
    if !content_type.is_empty() && !plain_text {
        return response;
    }
    let code = match status {
        StatusCode::REQUEST_TIMEOUT => ErrorCode::Timeout,
        StatusCode::PAYLOAD_TOO_LARGE => ErrorCode::PayloadTooLarge,
        StatusCode::NOT_FOUND => ErrorCode::NotFound,
        StatusCode::METHOD_NOT_ALLOWED => ErrorCode::MethodNotAllowed,
        StatusCode::UNSUPPORTED_MEDIA_TYPE => ErrorCode::UnsupportedMediaType,
        StatusCode::TOO_MANY_REQUESTS => ErrorCode::TooManyRequests,
        StatusCode::SERVICE_UNAVAILABLE => ErrorCode::Unavailable,
        s if s.is_client_error() => ErrorCode::BadRequest,
        _ => ErrorCode::Internal,
    };
    let (parts, body) = response.into_parts();
    let text = if plain_text && code != ErrorCode::Internal {
        axum::body::to_bytes(body, 4096)
            .await
            .map(|b| String::from_utf8_lossy(&b).trim().to_lowercase())
            .unwrap_or_default()
    } else {
        String::new()
    };
    let message = match code {
        _ if !text.is_empty() => text,
        ErrorCode::Timeout => "the request took too long".to_owned(),
        ErrorCode::PayloadTooLarge => "request body is too large".to_owned(),
        ErrorCode::NotFound if is_api => "no such API route".to_owned(),
        ErrorCode::NotFound => "no such file".to_owned(),
        _ => status.canonical_reason().unwrap_or("error").to_lowercase(),
    };
    let mut rebuilt = error_response(code, message);
    *rebuilt.status_mut() = status;
    for (name, value) in &parts.headers {
        if name != header::CONTENT_LENGTH
            && name != header::CONTENT_TYPE
            && !rebuilt.headers().contains_key(name)
        {
            rebuilt.headers_mut().insert(name.clone(), value.clone());
        }
    }
    rebuilt
}
