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
    let send_event = format!(
        "curl -sS -H 'Authorization: Bearer <your key>' \\\n     -H 'Content-Type: application/json' \\\n     -d '{{\"host\":{{\"name\":\"web01\"}},\"message\":\"hello\"}}' \\\n     {origin}/api/v1/events"
    );
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
                        "Post JSON or NDJSON to "
                        <code>"/api/v1/events"</code>
                        " and "
                        <code>"/api/v1/events/bulk"</code>
                        ", point an Elasticsearch output (Filebeat, Logstash, Vector, Fluent Bit) at this server, or send syslog to the listeners an administrator enabled. The shipping guide in the documentation has configurations for each."
                    </p>
                    <pre class="code"><code>{send_event}</code></pre>
                    <p class="muted">"Each source then appears on the System status page with its counts and rate."</p>
                </li>
            </ol>
        </section>
    }
}
