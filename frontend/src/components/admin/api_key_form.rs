//! The form that creates an API key, validated with the same rules as the server.

use crate::api::ApiResult;
use crate::components::common::{ErrorPanel, FormField};
use app::api_keys::{ApiKeyScope, CreateApiKeyRequest, CreatedApiKey};
use leptos::prelude::*;

/// Renders name and scope inputs; dispatches `action` with a valid request.
#[component]
pub fn ApiKeyForm(action: Action<CreateApiKeyRequest, ApiResult<CreatedApiKey>>) -> impl IntoView {
    let name = RwSignal::new(String::new());
    let ingest = RwSignal::new(true);
    let invalid = RwSignal::new(None::<String>);

    Effect::new(move |_| {
        if let Some(Ok(_)) = action.value().get() {
            name.set(String::new());
        }
    });

    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let mut scopes = Vec::new();
        if ingest.get_untracked() {
            scopes.push(ApiKeyScope::Ingest);
        }
        let request = CreateApiKeyRequest {
            name: name.get_untracked(),
            scopes,
            expires_in_days: None,
        };
        match request.validate() {
            Ok(_) => {
                invalid.set(None);
                action.dispatch(request);
            }
            Err(err) => invalid.set(Some(err.to_string())),
        }
    };

    view! {
        <form class="form form-inline" on:submit=on_submit>
            <FormField id="api-key-name" label="Name" grow=true>
                <input
                    id="api-key-name"
                    type="text"
                    maxlength=CreateApiKeyRequest::MAX_NAME_LEN
                    placeholder="for example fw-edge-01 or fluent-bit-dmz"
                    autocomplete="off"
                    required
                    bind:value=name
                />
            </FormField>
            <fieldset class="field">
                <legend>"Scopes"</legend>
                <label class="check">
                    <input type="checkbox" bind:checked=ingest />
                    <span>{ApiKeyScope::Ingest.as_str()}</span>
                    <span class="muted">" send events"</span>
                </label>
            </fieldset>
            <div class="field field-actions">
                <button type="submit" class="btn btn-primary" disabled=move || action.pending().get()>
                    {move || if action.pending().get() { "Creating…" } else { "Create key" }}
                </button>
            </div>
        </form>
        {move || invalid.get().map(|message| view! { <p class="form-error" role="alert">{message}</p> })}
        {move || action.value().get().and_then(Result::err).map(|error| view! { <ErrorPanel error /> })}
    }
}
