//! The one error type at the HTTP boundary and its mapping to `app::ErrorBody`.
//!
//! Handlers return `Result<_, ApiError>`. Internal errors carry their cause in a
//! response extension; the `log_internal_errors` middleware logs it with the
//! request id, and the client only ever sees a generic message.

use app::{ErrorBody, ErrorCode};
use axum::Json;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::{HeaderValue, StatusCode, header, request::Parts};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::sync::Arc;

/// Returns a failure to answer with a JSON error body.
#[derive(Debug)]
pub struct ApiError {
    body: ErrorBody,
    retry_after_secs: Option<u64>,
    cause: Option<anyhow::Error>,
}

impl ApiError {
    /// Returns an error with `code` and a user-facing `message`.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            body: ErrorBody::new(code, message),
            retry_after_secs: None,
            cause: None,
        }
    }

    /// Returns a 400 for a request that is syntactically wrong.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::BadRequest, message)
    }

    /// Returns a 400 for a value that breaks a rule, naming the field.
    pub fn validation(field: &str, message: impl Into<String>) -> Self {
        Self::new(ErrorCode::ValidationFailed, message)
            .with_details(serde_json::json!({ "field": field }))
    }

    /// Returns a 401 asking the caller to authenticate.
    pub fn unauthenticated() -> Self {
        Self::new(ErrorCode::Unauthenticated, "authentication required")
    }

    /// Returns a 403 naming the missing permission.
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Forbidden, message)
    }

    /// Returns a 404.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::NotFound, message)
    }

    /// Returns a 409.
    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Conflict, message)
    }

    /// Returns a 429 with a `Retry-After` header.
    pub fn too_many_requests(message: impl Into<String>, retry_after_secs: u64) -> Self {
        let mut error = Self::new(ErrorCode::TooManyRequests, message)
            .with_details(serde_json::json!({ "retry_after_secs": retry_after_secs }));
        error.retry_after_secs = Some(retry_after_secs);
        error
    }

    /// Returns a 503 that asks the client to retry after `retry_after_secs`
    /// (a full ingest queue, a database that is briefly unavailable).
    pub fn overloaded(message: impl Into<String>, retry_after_secs: u64) -> Self {
        let mut error = Self::new(ErrorCode::Unavailable, message)
            .with_details(serde_json::json!({ "retry_after_secs": retry_after_secs }));
        error.retry_after_secs = Some(retry_after_secs);
        error
    }

    /// Returns a 503 for a dependency that is down.
    pub fn unavailable(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Unavailable, message)
    }

    /// Returns a 500 whose cause is logged, never sent.
    pub fn internal(cause: impl Into<anyhow::Error>) -> Self {
        Self {
            body: ErrorBody::new(
                ErrorCode::Internal,
                "internal error; the server log has details under this request's id",
            ),
            retry_after_secs: None,
            cause: Some(cause.into()),
        }
    }

    /// Returns this error with structured details.
    pub fn with_details(mut self, details: serde_json::Value) -> Self {
        self.body.details = Some(details);
        self
    }

    /// Returns the stable code.
    pub fn code(&self) -> ErrorCode {
        self.body.code
    }
}

/// The SQLSTATEs Vigil answers differently from an internal error: the one
/// place that knows their codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SqlState {
    /// `23505`: a unique index refused a duplicate.
    UniqueViolation,
    /// `23503`: a foreign key names a row that does not exist.
    ForeignKeyViolation,
    /// `23514`: a check constraint (or a partition bound) refused a row.
    CheckViolation,
    /// `57014`: a statement timeout (or a cancel) stopped the query.
    QueryCanceled,
    /// `2201B`: Postgres could not use a regular expression.
    InvalidRegularExpression,
    /// `55P03`: a lock was not granted within `lock_timeout`.
    LockNotAvailable,
    /// `22021` or `22P05`: text Postgres cannot hold (a NUL character).
    UnstorableText,
}

impl SqlState {
    /// Returns the SQLSTATE of a database error, when it is one of these.
    pub fn of(error: &sqlx::Error) -> Option<SqlState> {
        let sqlx::Error::Database(db) = error else {
            return None;
        };
        match db.code().as_deref()? {
            "23505" => Some(SqlState::UniqueViolation),
            "23503" => Some(SqlState::ForeignKeyViolation),
            "23514" => Some(SqlState::CheckViolation),
            "2201B" => Some(SqlState::InvalidRegularExpression),
            "55P03" => Some(SqlState::LockNotAvailable),
            "22021" | "22P05" => Some(SqlState::UnstorableText),
            "57014" => Some(SqlState::QueryCanceled),
            _ => None,
        }
    }
}

impl ApiError {
    /// Returns a mapper for a write that may hit a unique index: a
    /// duplicate becomes a 409 with `message`, anything else is mapped as
    /// any database error.
    pub fn on_duplicate(message: impl Into<String>) -> impl FnOnce(sqlx::Error) -> ApiError {
        let message = message.into();
        move |error| match SqlState::of(&error) {
            Some(SqlState::UniqueViolation) => ApiError::conflict(message),
            _ => ApiError::from(error),
        }
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(error: sqlx::Error) -> Self {
        match SqlState::of(&error) {
            Some(SqlState::QueryCanceled) => {
                let mut api = ApiError::new(ErrorCode::Timeout, "the query took too long");
                api.cause = Some(error.into());
                return api;
            }
            // Whatever input carried it past validation, it is the client's.
            Some(SqlState::UnstorableText) => {
                return ApiError::new(
                    ErrorCode::BadRequest,
                    "the request contains a NUL character, which cannot be stored or searched",
                );
            }
            _ => {}
        }
        match &error {
            sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => {
                let mut api = ApiError::unavailable("the database is unavailable; retry shortly");
                api.retry_after_secs = Some(5);
                api.cause = Some(error.into());
                api
            }
            _ => ApiError::internal(error),
        }
    }
}

impl From<anyhow::Error> for ApiError {
    fn from(error: anyhow::Error) -> Self {
        ApiError::internal(error)
    }
}

/// Carried in the response extensions so one middleware can log internal causes.
#[derive(Debug, Clone)]
pub struct InternalCause(pub Arc<anyhow::Error>);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.body.code.http_status())
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut response = (status, Json(self.body)).into_response();
        if let Some(secs) = self.retry_after_secs {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        if let Some(cause) = self.cause {
            response
                .extensions_mut()
                .insert(InternalCause(Arc::new(cause)));
        }
        response
    }
}

/// Returns an error body response for `code` without going through `ApiError`.
pub fn error_response(code: ErrorCode, message: impl Into<String>) -> Response {
    ApiError::new(code, message).into_response()
}

/// A JSON extractor and responder whose rejections use the shared error body.
#[derive(Debug, Clone, Copy, Default)]
pub struct AppJson<T>(pub T);

impl<S, T> FromRequest<S> for AppJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(value)) => Ok(AppJson(value)),
            Err(rejection) => Err(json_rejection(rejection)),
        }
    }
}

fn json_rejection(rejection: JsonRejection) -> ApiError {
    match rejection {
        JsonRejection::MissingJsonContentType(_) => ApiError::new(
            ErrorCode::UnsupportedMediaType,
            "expected a body with content-type application/json",
        ),
        JsonRejection::JsonSyntaxError(e) => {
            ApiError::bad_request(format!("invalid json: {}", e.body_text()))
        }
        JsonRejection::JsonDataError(e) => {
            ApiError::bad_request(format!("invalid request body: {}", e.body_text()))
        }
        JsonRejection::BytesRejection(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            ApiError::new(ErrorCode::PayloadTooLarge, "request body is too large")
        }
        other => ApiError::bad_request(other.body_text()),
    }
}

impl<T: Serialize> IntoResponse for AppJson<T> {
    fn into_response(self) -> Response {
        Json(self.0).into_response()
    }
}

/// A path extractor whose rejections use the shared error body.
#[derive(Debug, Clone, Copy)]
pub struct AppPath<T>(pub T);

impl<S, T> FromRequestParts<S> for AppPath<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(value)) => Ok(AppPath(value)),
            Err(rejection) => Err(path_rejection(rejection)),
        }
    }
}

fn path_rejection(rejection: PathRejection) -> ApiError {
    ApiError::bad_request(format!("invalid path parameter: {}", rejection.body_text()))
}

/// A query-string extractor whose rejections use the shared error body.
#[derive(Debug, Clone, Copy)]
pub struct AppQuery<T>(pub T);

impl<S, T> FromRequestParts<S> for AppQuery<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(value)) => Ok(AppQuery(value)),
            Err(rejection) => Err(query_rejection(rejection)),
        }
    }
}

fn query_rejection(rejection: QueryRejection) -> ApiError {
    ApiError::bad_request(format!("invalid query string: {}", rejection.body_text()))
}
