//! The typed client of Vigil's `/api/v1`: one request helper and one small function per endpoint.
//!
//! Every failure, including network errors and non-JSON answers from a proxy, comes back as the
//! shared [`ErrorBody`], so pages render one error type. This module does not touch the UI or
//! the session: reacting to a 401 is the job of `contexts::session`.

pub mod api_keys;
pub mod audit;
pub mod auth;
pub mod retention;
pub mod rules;
pub mod search;
pub mod sources;
pub mod system;
pub mod users;

use app::{API_PREFIX, ErrorBody, ErrorCode};
use gloo_net::http::{RequestBuilder, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;
use web_sys::{AbortController, AbortSignal};

/// The result of every API call.
pub type ApiResult<T> = Result<T, ErrorBody>;

/// Aborts the fetch when the future that owns it is dropped, so a page left mid-request or a
/// refetched resource does not keep stale requests running.
struct AbortOnDrop(Option<AbortController>);

impl AbortOnDrop {
    fn new() -> Self {
        Self(AbortController::new().ok())
    }

    fn signal(&self) -> Option<AbortSignal> {
        self.0.as_ref().map(AbortController::signal)
    }

    /// Marks the request as finished, so dropping the guard no longer aborts anything.
    fn finish(mut self) {
        self.0 = None;
    }
}

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        if let Some(controller) = self.0.take() {
            controller.abort();
        }
    }
}

fn url(path: &str) -> String {
    format!("{API_PREFIX}{path}")
}

/// Returns an error body for failures that happen before the server could answer.
fn network_error(err: &gloo_net::Error) -> ErrorBody {
    ErrorBody::new(
        ErrorCode::Unavailable,
        format!("cannot reach the Vigil server ({err})"),
    )
}

/// Decodes a non-2xx response into the server's error body, or a synthetic one when the body
/// is not ours (a proxy's HTML error page, an empty 502).
async fn decode_error(response: &Response) -> ErrorBody {
    let status = response.status();
    let text = response.text().await.unwrap_or_default();
    if let Ok(body) = serde_json::from_str::<ErrorBody>(&text) {
        return body;
    }
    let code = match status {
        401 => ErrorCode::Unauthenticated,
        403 => ErrorCode::Forbidden,
        404 => ErrorCode::NotFound,
        429 => ErrorCode::TooManyRequests,
        502..=504 => ErrorCode::Unavailable,
        400..=499 => ErrorCode::BadRequest,
        _ => ErrorCode::Internal,
    };
    let reason = response.status_text();
    let message = if reason.is_empty() {
        format!("the server answered with status {status}")
    } else {
        format!(
            "the server answered with status {status} ({})",
            reason.to_lowercase()
        )
    };
    ErrorBody::new(code, message)
}

/// Sends `builder` (or the prepared JSON request) and returns the raw successful response.
async fn send(builder: RequestBuilder, json: Option<&serde_json::Value>) -> ApiResult<Response> {
    let guard = AbortOnDrop::new();
    let signal = guard.signal();
    let builder = builder
        .header("Accept", "application/json")
        .abort_signal(signal.as_ref());
    let sent = match json {
        Some(body) => match builder.json(body) {
            Ok(request) => request.send().await,
            Err(err) => Err(err),
        },
        None => builder.send().await,
    };
    let response = sent.map_err(|err| network_error(&err))?;
    if response.ok() {
        guard.finish();
        Ok(response)
    } else {
        let error = decode_error(&response).await;
        guard.finish();
        Err(error)
    }
}

async fn decode_json<T: DeserializeOwned>(response: Response) -> ApiResult<T> {
    response.json::<T>().await.map_err(|err| {
        ErrorBody::new(
            ErrorCode::Internal,
            format!("the server's answer could not be read ({err})"),
        )
    })
}

fn to_json<B: Serialize>(body: &B) -> ApiResult<serde_json::Value> {
    serde_json::to_value(body).map_err(|err| {
        ErrorBody::new(
            ErrorCode::BadRequest,
            format!("the request could not be encoded ({err})"),
        )
    })
}

/// Returns the decoded answer of `GET {API_PREFIX}{path}`.
pub(crate) async fn get_json<T: DeserializeOwned>(path: &str) -> ApiResult<T> {
    let response = send(gloo_net::http::Request::get(&url(path)), None).await?;
    decode_json(response).await
}

/// Returns the decoded answer of `POST {API_PREFIX}{path}` with a JSON body.
pub(crate) async fn post_json<B: Serialize, T: DeserializeOwned>(
    path: &str,
    body: &B,
) -> ApiResult<T> {
    let json = to_json(body)?;
    let response = send(gloo_net::http::Request::post(&url(path)), Some(&json)).await?;
    decode_json(response).await
}

/// Returns the decoded answer of `PATCH {API_PREFIX}{path}` with a JSON body.
pub(crate) async fn patch_json<B: Serialize, T: DeserializeOwned>(
    path: &str,
    body: &B,
) -> ApiResult<T> {
    let json = to_json(body)?;
    let response = send(gloo_net::http::Request::patch(&url(path)), Some(&json)).await?;
    decode_json(response).await
}

/// Sends `POST {API_PREFIX}{path}` without a body and expects no content back.
pub(crate) async fn post_empty(path: &str) -> ApiResult<()> {
    send(gloo_net::http::Request::post(&url(path)), None).await?;
    Ok(())
}

/// Sends `DELETE {API_PREFIX}{path}` and expects no content back.
pub(crate) async fn delete(path: &str) -> ApiResult<()> {
    send(gloo_net::http::Request::delete(&url(path)), None).await?;
    Ok(())
}

/// Returns whether `error` means the session is gone and the user must sign in again.
pub fn is_session_end(error: &ErrorBody) -> bool {
    error.code == ErrorCode::Unauthenticated
}
