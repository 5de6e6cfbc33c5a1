//! What the signed-in user may do, so nobody has to guess why a menu item is missing.

use crate::contexts::use_session;
use crate::format;
use leptos::prelude::*;

/// Renders the user's roles, permissions and session end.
#[component]
pub fn AccessSummary() -> impl IntoView {
    let session = use_session();
    move || {
        session.user().map(|user| {
            view! {
                <section class="panel" aria-labelledby="access-heading">
                    <h2 id="access-heading" class="panel-title">"Your access"</h2>
                    <dl class="kv">
                        <dt>"Signed in as"</dt>
                        <dd>
                            <span>{user.label().to_owned()}</span>
                            <span class="muted mono">" (" {user.username.to_string()} ")"</span>
                        </dd>
                        <dt>"Roles"</dt>
                        <dd>{user.roles.join(", ")}</dd>
                        <dt>"Session ends"</dt>
                        <dd class="mono">{format::timestamp(user.session_expires_at)}</dd>
                        <dt>"Permissions"</dt>
                        <dd>
                            <ul class="chips">
                                {user
                                    .permissions
                                    .iter()
                                    .map(|p| view! { <li class="chip mono">{p.as_str()}</li> })
                                    .collect_view()}
                            </ul>
                        </dd>
                    </dl>
                </section>
            }
        })
    }
}
