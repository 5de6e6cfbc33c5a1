//! How to connect a first log source, told plainly and only with what this build can do.

use crate::contexts::use_session;
use app::Permission;
use leptos::prelude::*;
use leptos_router::components::A;

/// Renders the steps: create an ingest key, check it, then point a shipper at Vigil.
#[component]
pub fn GettingStarted() -> impl IntoView {
    let session = use_session();
    let origin = window().location().origin().unwrap_or_default();
    let check_key =
        format!("curl -sS -H 'Authorization: Bearer <your key>' \\\n     {origin}/api/v1/auth/key");
    let check_health = format!("curl -sS {origin}/api/v1/health");
    view! {
        <section class="panel" aria-labelledby="getting-started-heading">
            <h2 id="getting-started-heading" class="panel-title">"Getting started"</h2>
            <ol class="steps">
                <li>
                    <p class="step-title">"Create an API key for each log source"</p>
                    <p class="muted">
                        "Give every shipper its own key with the "
                        <code>"ingest"</code>
                        " scope, so one source can be revoked without touching the others. "
                        {move || {
                            if session.can(Permission::ManageApiKeys) {
                                view! { <A href="/admin?tab=api-keys">"Open Admin › API keys"</A> }.into_any()
                            } else {
                                view! { <span>"Ask an administrator to create one for you."</span> }.into_any()
                            }
                        }}
                    </p>
                </li>
                <li>
                    <p class="step-title">"Check that the key works"</p>
                    <p class="muted">"The key is sent as a bearer token; this call answers with its name and scopes."</p>
                    <pre class="code"><code>{check_key}</code></pre>
                </li>
                <li>
                    <p class="step-title">"Send logs"</p>
                    <p class="muted">
                        "The ingest endpoints (JSON events, Elasticsearch "
                        <code>"_bulk"</code>
                        ", syslog) are not part of this build yet. Once they are, point Beats, Fluent Bit, Vector or rsyslog at this server with the key above."
                    </p>
                    <p class="muted">"Until then you can watch the server itself:"</p>
                    <pre class="code"><code>{check_health}</code></pre>
                </li>
            </ol>
        </section>
    }
}
