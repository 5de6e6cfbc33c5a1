//! The signed-in layout: waits for the session, redirects when there is none, and frames pages.

use super::shortcuts::install_shortcuts;
use super::{Sidebar, TopBar};
use crate::components::common::{ErrorPanel, Loading};
use crate::contexts::session::login_url_for;
use crate::contexts::{AuthState, use_session};
use app::ErrorBody;
use leptos::prelude::*;
use leptos_router::NavigateOptions;
use leptos_router::components::Outlet;
use leptos_router::hooks::{use_location, use_navigate};

/// The coarse session phase; the layout re-renders only when this changes, not when the user
/// record is refreshed.
#[derive(Debug, Clone, PartialEq)]
enum Phase {
    Checking,
    SignedIn,
    Leaving,
    Unreachable(ErrorBody),
}

/// Renders the sidebar, the top bar and the current page, once a user is known.
#[component]
pub fn Shell() -> impl IntoView {
    let session = use_session();
    let navigate = use_navigate();
    let location = use_location();

    let phase = Memo::new(move |_| match session.state() {
        AuthState::Checking => Phase::Checking,
        AuthState::SignedIn(_) => Phase::SignedIn,
        AuthState::Unreachable(error) => Phase::Unreachable(error),
        AuthState::SignedOut | AuthState::Expired | AuthState::LoggedOut => Phase::Leaving,
    });

    // The sign-out button navigates by itself; every other way of losing the session brings
    // the user back here after the next login.
    Effect::new(move |_| {
        if matches!(session.state(), AuthState::SignedOut | AuthState::Expired) {
            let here = format!(
                "{}{}",
                location.pathname.get_untracked(),
                location.search.get_untracked()
            );
            navigate(
                &login_url_for(&here),
                NavigateOptions {
                    replace: true,
                    ..NavigateOptions::default()
                },
            );
        }
    });

    install_shortcuts();

    move || {
        match phase.get() {
        Phase::Checking | Phase::Leaving => view! {
            <div class="boot">
                <Loading />
            </div>
        }
            .into_any(),
        Phase::Unreachable(error) => view! {
            <div class="boot">
                <div class="boot-card">
                    <p class="boot-title">"Vigil cannot reach its server"</p>
                    <ErrorPanel error />
                    <button type="button" class="btn btn-primary" on:click=move |_| session.recheck()>
                        "Try again"
                    </button>
                </div>
            </div>
        }
            .into_any(),
        Phase::SignedIn => view! {
            // The browser handles a link with a target itself, which moves focus to <main>.
            <a class="skip-link" href="#main" target="_self">
                "Skip to content"
            </a>
            <div class="shell">
                <Sidebar />
                <div class="shell-body">
                    <TopBar />
                    <main id="main" class="main" tabindex="-1">
                        <Outlet />
                    </main>
                </div>
            </div>
        }
            .into_any(),
    }
    }
}
