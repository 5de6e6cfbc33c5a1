//! The form that creates a local account, checked with the server's own parsers first.

use crate::api::ApiResult;
use crate::components::common::{ErrorPanel, FormField};
use app::BuiltinRole;
use app::auth::Username;
use app::users::{CreateUserRequest, UserSummary};
use leptos::prelude::*;

/// Renders username, display name, password and role inputs; dispatches `action`.
#[component]
pub fn UserForm(action: Action<CreateUserRequest, ApiResult<UserSummary>>) -> impl IntoView {
    let username = RwSignal::new(String::new());
    let display_name = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let role = RwSignal::new(BuiltinRole::Viewer.name().to_owned());
    let invalid = RwSignal::new(None::<String>);
    let created = RwSignal::new(None::<String>);

    Effect::new(move |_| {
        if let Some(Ok(user)) = action.value().get() {
            created.set(Some(user.username.to_string()));
            username.set(String::new());
            display_name.set(String::new());
            password.set(String::new());
        }
    });

    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        created.set(None);
        let parsed = match Username::parse(&username.get_untracked()) {
            Ok(name) => name,
            Err(err) => {
                invalid.set(Some(err.to_string()));
                return;
            }
        };
        let display = display_name.get_untracked();
        let request = CreateUserRequest {
            username: parsed,
            password: password.get_untracked(),
            display_name: (!display.trim().is_empty()).then_some(display),
            roles: vec![role.get_untracked()],
        };
        match request.validate() {
            Ok(_) => {
                invalid.set(None);
                action.dispatch(request);
            }
            Err(err) => invalid.set(Some(err.to_string())),
        }
    };

    let role_options = BuiltinRole::ALL
        .into_iter()
        .map(|r| {
            view! { <option value=r.name()>{format!("{} — {}", r.name(), r.description())}</option> }
        })
        .collect_view();

    view! {
        <form class="form form-grid" on:submit=on_submit>
            <FormField id="user-username" label="Username">
                <input
                    id="user-username"
                    type="text"
                    autocomplete="off"
                    autocapitalize="none"
                    spellcheck="false"
                    maxlength=Username::MAX_LEN
                    required
                    bind:value=username
                />
            </FormField>
            <FormField id="user-display-name" label="Display name">
                <input id="user-display-name" type="text" autocomplete="off" bind:value=display_name />
            </FormField>
            <FormField
                id="user-password"
                label="Password"
                hint=format!("At least {} characters.", CreateUserRequest::MIN_PASSWORD_LEN)
            >
                <input
                    id="user-password"
                    type="password"
                    autocomplete="new-password"
                    minlength=CreateUserRequest::MIN_PASSWORD_LEN
                    aria-describedby="user-password-hint"
                    required
                    bind:value=password
                />
            </FormField>
            <FormField id="user-role" label="Role">
                <select id="user-role" bind:value=role>
                    {role_options}
                </select>
            </FormField>
            <div class="field field-actions">
                <button type="submit" class="btn btn-primary" disabled=move || action.pending().get()>
                    {move || if action.pending().get() { "Creating…" } else { "Create user" }}
                </button>
            </div>
        </form>
        {move || invalid.get().map(|message| view! { <p class="form-error" role="alert">{message}</p> })}
        {move || action.value().get().and_then(Result::err).map(|error| view! { <ErrorPanel error /> })}
        {move || {
            created
                .get()
                .map(|name| view! { <p class="notice notice-success" role="status">"User " <strong>{name}</strong> " created."</p> })
        }}
    }
}
