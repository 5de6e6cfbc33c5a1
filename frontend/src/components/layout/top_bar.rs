//! The bar above every page: who is signed in, theme switch and sign-out.

use super::{SignOutButton, ThemeToggle};
use crate::contexts::use_session;
use leptos::prelude::*;

/// Renders the signed-in user's name and roles and the session controls.
#[component]
pub fn TopBar() -> impl IntoView {
    let session = use_session();
    let label = move || {
        session
            .user()
            .map(|u| u.label().to_owned())
            .unwrap_or_default()
    };
    let roles = move || {
        session
            .user()
            .map(|u| u.roles.join(", "))
            .unwrap_or_default()
    };
    view! {
        <header class="topbar">
            <div class="topbar-spacer"></div>
            <div class="topbar-user" data-testid="current-user">
                <span class="avatar" aria-hidden="true">
                    {move || label().chars().next().map(|c| c.to_uppercase().to_string()).unwrap_or_default()}
                </span>
                <span class="topbar-user-text">
                    <span class="topbar-user-name">{label}</span>
                    <span class="topbar-user-roles">{roles}</span>
                </span>
            </div>
            <ThemeToggle />
            <SignOutButton />
        </header>
    }
}
