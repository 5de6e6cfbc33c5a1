//! The sign-in page.

use crate::api;
use crate::components::common::{FormField, Loading};
use crate::contexts::session::safe_next;
use crate::contexts::{AuthState, use_session};
use app::ErrorBody;
use app::auth::{CurrentUser, LoginRequest};
use leptos::prelude::*;
use leptos_router::NavigateOptions;
use leptos_router::hooks::{use_navigate, use_query_map};

/// Renders the username/password form; once signed in, goes to `next` or the overview.
#[component]
pub fn LoginPage() -> impl IntoView {
    let session = use_session();
    let navigate = use_navigate();
    let query = use_query_map();
    let next = Memo::new(move |_| safe_next(query.read().get("next").as_deref()));

    let username = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let login = Action::new_local(|request: &LoginRequest| {
        let request = request.clone();
        async move { api::auth::login(&request).await }
    });

    // Signed in, by this form or already: leave the login page.
    Effect::new(move |_| {
        if matches!(session.state(), AuthState::SignedIn(_)) {
            navigate(
                &next.get_untracked(),
                NavigateOptions {
                    replace: true,
                    ..NavigateOptions::default()
                },
            );
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(user)) = login.value().get() {
            let user: CurrentUser = user;
            password.set(String::new());
            session.signed_in(user);
        }
    });

    let error = move || -> Option<ErrorBody> { login.value().get().and_then(Result::err) };
    let expired = move || matches!(session.state(), AuthState::Expired);
    let checking = move || matches!(session.state(), AuthState::Checking);

    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        login.dispatch(LoginRequest {
            username: username.get_untracked(),
            password: password.get_untracked(),
        });
    };

    view! {
        <div class="login">
            <main class="login-card" id="main">
                <div class="brand brand-large">
                    <span class="brand-mark" aria-hidden="true"></span>
                    <span class="brand-name">"Vigil"</span>
                </div>
                <h1 class="login-title">"Sign in"</h1>
                <Show when=move || !checking() fallback=|| view! { <Loading /> }>
                    <Show when=expired>
                        <p class="notice notice-info" role="status">
                            "Your session has ended. Sign in again to continue."
                        </p>
                    </Show>
                    <form class="form" on:submit=on_submit>
                        <FormField id="login-username" label="Username">
                            <input
                                id="login-username"
                                name="username"
                                type="text"
                                autocomplete="username"
                                autocapitalize="none"
                                spellcheck="false"
                                required
                                autofocus
                                bind:value=username
                            />
                        </FormField>
                        <FormField id="login-password" label="Password">
                            <input
                                id="login-password"
                                name="password"
                                type="password"
                                autocomplete="current-password"
                                required
                                bind:value=password
                            />
                        </FormField>
                        {move || {
                            error()
                                .map(|e| {
                                    let retry = e
                                        .details
                                        .as_ref()
                                        .and_then(|d| d.get("retry_after_secs"))
                                        .and_then(serde_json::Value::as_u64)
                                        .map(|secs| format!(" Try again in {secs} s."));
                                    view! {
                                        <p class="form-error" role="alert">
                                            {e.message}
                                            {retry}
                                        </p>
                                    }
                                })
                        }}
                        <button
                            type="submit"
                            class="btn btn-primary btn-block"
                            disabled=move || login.pending().get()
                        >
                            {move || if login.pending().get() { "Signing in…" } else { "Sign in" }}
                        </button>
                    </form>
                </Show>
            </main>
            <p class="login-footer">"Vigil · security log management"</p>
        </div>
    }
}
