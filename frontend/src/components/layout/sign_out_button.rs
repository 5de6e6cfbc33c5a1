//! Ends the session on the server, then shows the login page.

use crate::api;
use crate::components::common::{Icon, IconName};
use crate::contexts::use_session;
use leptos::prelude::*;
use leptos_router::NavigateOptions;
use leptos_router::hooks::use_navigate;

/// Renders the "Sign out" button.
#[component]
pub fn SignOutButton() -> impl IntoView {
    let session = use_session();
    let navigate = use_navigate();
    let sign_out = Action::new_local(|_: &()| api::auth::logout());
    Effect::new(move |_| {
        // Whatever the server answered, this browser is done with the session: a failed
        // logout must not leave the user looking signed in.
        if sign_out.value().get().is_some() {
            session.logged_out();
            navigate("/login", NavigateOptions::default());
        }
    });
    view! {
        <button
            type="button"
            class="btn btn-ghost"
            disabled=move || sign_out.pending().get()
            on:click=move |_| {
                sign_out.dispatch(());
            }
        >
            <Icon name=IconName::SignOut />
            <span>"Sign out"</span>
        </button>
    }
}
