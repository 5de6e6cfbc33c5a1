//! The one error body every API failure returns, and its stable codes.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Returns a stable, machine-readable error code.
///
/// Codes are part of the API contract: clients branch on them, so a code is
/// never renamed once released. The HTTP status is derived from the code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The request is malformed: bad JSON, a missing field, a wrong type.
    BadRequest,
    /// The request is well-formed but a value breaks a rule (too long, empty, unknown scope).
    ValidationFailed,
    /// A search query does not parse; `details.position` says where (a character index).
    BadQuery,
    /// No valid credentials were presented, or they expired or were revoked.
    Unauthenticated,
    /// The username or password is wrong.
    InvalidCredentials,
    /// The caller is known but lacks the permission the route requires.
    Forbidden,
    /// The resource or API path does not exist.
    NotFound,
    /// The HTTP method is not allowed on this path.
    MethodNotAllowed,
    /// The request conflicts with existing state (duplicate name, stale version).
    Conflict,
    /// The request body is larger than this route accepts.
    PayloadTooLarge,
    /// The body's content type is not one this route accepts.
    UnsupportedMediaType,
    /// Too many requests or failed attempts; retry after the `Retry-After` delay.
    TooManyRequests,
    /// The request took longer than the server allows.
    Timeout,
    /// A dependency (the database) is unavailable; retry later.
    Unavailable,
    /// An unexpected server fault; details are in the server log under the request id.
    Internal,
}

impl ErrorCode {
    /// Returns the HTTP status code that carries this error.
    pub fn http_status(self) -> u16 {
        match self {
            ErrorCode::BadRequest | ErrorCode::ValidationFailed | ErrorCode::BadQuery => 400,
            ErrorCode::Unauthenticated | ErrorCode::InvalidCredentials => 401,
            ErrorCode::Forbidden => 403,
            ErrorCode::NotFound => 404,
            ErrorCode::MethodNotAllowed => 405,
            ErrorCode::Timeout => 408,
            ErrorCode::Conflict => 409,
            ErrorCode::PayloadTooLarge => 413,
            ErrorCode::UnsupportedMediaType => 415,
            ErrorCode::TooManyRequests => 429,
            ErrorCode::Internal => 500,
            ErrorCode::Unavailable => 503,
        }
    }

    /// Returns the code's wire name, as serialised in [`ErrorBody::code`].
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::BadRequest => "bad_request",
            ErrorCode::ValidationFailed => "validation_failed",
            ErrorCode::BadQuery => "bad_query",
            ErrorCode::Unauthenticated => "unauthenticated",
            ErrorCode::InvalidCredentials => "invalid_credentials",
            ErrorCode::Forbidden => "forbidden",
            ErrorCode::NotFound => "not_found",
            ErrorCode::MethodNotAllowed => "method_not_allowed",
            ErrorCode::Conflict => "conflict",
            ErrorCode::PayloadTooLarge => "payload_too_large",
            ErrorCode::UnsupportedMediaType => "unsupported_media_type",
            ErrorCode::TooManyRequests => "too_many_requests",
            ErrorCode::Timeout => "timeout",
            ErrorCode::Unavailable => "unavailable",
            ErrorCode::Internal => "internal",
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Returns the JSON body of every non-2xx API response: `{code, message, details?}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ErrorBody {
    /// The stable code to branch on.
    pub code: ErrorCode,
    /// A human-readable, lowercase sentence fit to show to the user.
    pub message: String,
    /// Structured context (offending field, position, retry delay), when there is any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<serde_json::Value>,
}

impl ErrorBody {
    /// Returns an error body without details.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            details: None,
        }
    }

    /// Returns this body with `details` attached.
    pub fn with_details(mut self, details: serde_json::Value) -> Self {
        self.details = Some(details);
        self
    }
}

impl fmt::Display for ErrorBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for ErrorBody {}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [ErrorCode; 15] = [
        ErrorCode::BadRequest,
        ErrorCode::ValidationFailed,
        ErrorCode::BadQuery,
        ErrorCode::Unauthenticated,
        ErrorCode::InvalidCredentials,
        ErrorCode::Forbidden,
        ErrorCode::NotFound,
        ErrorCode::MethodNotAllowed,
        ErrorCode::Conflict,
        ErrorCode::PayloadTooLarge,
        ErrorCode::UnsupportedMediaType,
        ErrorCode::TooManyRequests,
        ErrorCode::Timeout,
        ErrorCode::Unavailable,
        ErrorCode::Internal,
    ];

    #[test]
    fn wire_names_match_serde_names() {
        for code in ALL {
            let json = serde_json::to_value(code).unwrap();
            assert_eq!(json, serde_json::Value::String(code.as_str().to_owned()));
            let back: ErrorCode = serde_json::from_value(json).unwrap();
            assert_eq!(back, code);
        }
    }

    #[test]
    fn every_code_maps_to_an_error_status() {
        for code in ALL {
            let status = code.http_status();
            assert!((400..600).contains(&status), "{code} -> {status}");
        }
    }

    #[test]
    fn details_are_omitted_when_absent() {
        let body = ErrorBody::new(ErrorCode::NotFound, "no such route");
        let json = serde_json::to_string(&body).unwrap();
        assert_eq!(json, r#"{"code":"not_found","message":"no such route"}"#);
    }

    #[test]
    fn body_round_trips_with_details() {
        let body = ErrorBody::new(ErrorCode::TooManyRequests, "slow down")
            .with_details(serde_json::json!({"retry_after_secs": 30}));
        let json = serde_json::to_string(&body).unwrap();
        let back: ErrorBody = serde_json::from_str(&json).unwrap();
        assert_eq!(back, body);
    }
}
