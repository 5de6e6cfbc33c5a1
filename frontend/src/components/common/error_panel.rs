//! The one way errors are shown, and where an ended session is noticed.

use crate::contexts::use_session;
use app::ErrorBody;
use leptos::prelude::*;

/// Renders an API error as an alert: the server's message plus its stable code.
///
/// An `unauthenticated` error means the session ended; the panel reports that to the session
/// context, which sends the user to the login page.
#[component]
pub fn ErrorPanel(error: ErrorBody) -> impl IntoView {
    let session = use_session();
    let seen = error.clone();
    Effect::new(move |_| session.handle_error(&seen));
    let retry_hint = error
        .details
        .as_ref()
        .and_then(|d| d.get("retry_after_secs"))
        .and_then(serde_json::Value::as_u64)
        .map(|secs| format!(" Try again in {secs} s."));
    view! {
        <div class="error-panel" role="alert">
            <p class="error-panel-message">{error.message.clone()} {retry_hint}</p>
            <p class="error-panel-code">"code: " <code>{error.code.as_str()}</code></p>
        </div>
    }
}

/// Renders every error an `<ErrorBoundary>` caught.
#[component]
pub fn ErrorList(errors: ArcRwSignal<Errors>) -> impl IntoView {
    move || {
        errors
            .get()
            .into_iter()
            .map(|(_, error)| {
                let body = match error.downcast_ref::<ErrorBody>() {
                    Some(body) => body.clone(),
                    None => ErrorBody::new(app::ErrorCode::Internal, error.to_string()),
                };
                view! { <ErrorPanel error=body /> }
            })
            .collect_view()
    }
}
