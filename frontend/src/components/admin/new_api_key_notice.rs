//! Shows a freshly created API key's secret, the one time it can be seen.

use crate::components::common::CopyButton;
use app::api_keys::CreatedApiKey;
use leptos::html;
use leptos::prelude::*;

/// Renders the secret with a copy button and a plain warning; `on_done` forgets it.
///
/// Focus moves to the notice so keyboard and screen-reader users land on the secret.
#[component]
pub fn NewApiKeyNotice(key: CreatedApiKey, on_done: Callback<()>) -> impl IntoView {
    let heading_ref = NodeRef::<html::H2>::new();
    Effect::new(move |_| {
        if let Some(heading) = heading_ref.get() {
            let _ = heading.focus();
        }
    });
    let secret = key.key.clone();
    view! {
        <section class="notice notice-success new-key" aria-labelledby="new-key-heading" data-testid="new-api-key-notice">
            <h2 id="new-key-heading" class="panel-title" tabindex="-1" node_ref=heading_ref>
                "API key created: " {key.name.clone()}
            </h2>
            <p>
                <strong>"Copy this key now: you will not see it again."</strong>
                " Vigil keeps only a hash of it. If it is lost, revoke it and create a new one."
            </p>
            <div class="secret-row">
                <code class="secret mono" data-testid="new-api-key">{key.key}</code>
                <CopyButton text=Signal::stored(secret) accessible_label="Copy API key" />
            </div>
            <p class="muted small">
                "Send it as " <code>"Authorization: Bearer <key>"</code> ". Prefix "
                <code>{key.prefix}</code> ", scopes "
                {key.scopes.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")} "."
            </p>
            <button type="button" class="btn" on:click=move |_| on_done.run(())>
                "I have copied it"
            </button>
        </section>
    }
}
