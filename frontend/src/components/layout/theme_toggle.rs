//! Switches between the dark and the light theme.

use crate::components::common::{Icon, IconName};
use crate::contexts::{Theme, use_theme};
use leptos::prelude::*;

/// Renders an icon button named after what it will do ("Switch to light theme").
#[component]
pub fn ThemeToggle() -> impl IntoView {
    let theme = use_theme();
    let label = move || match theme.theme() {
        Theme::Dark => "Switch to light theme",
        Theme::Light => "Switch to dark theme",
    };
    view! {
        <button
            type="button"
            class="btn btn-ghost btn-icon"
            aria-label=label
            title=label
            on:click=move |_| theme.toggle()
        >
            {move || match theme.theme() {
                Theme::Dark => view! { <Icon name=IconName::Sun /> },
                Theme::Light => view! { <Icon name=IconName::Moon /> },
            }}
        </button>
    }
}
