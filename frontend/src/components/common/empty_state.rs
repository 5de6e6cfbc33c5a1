//! A calm placeholder for lists with nothing in them and areas not built yet.

use leptos::prelude::*;

/// Renders a titled explanation, with optional extra content (links, hints) below it.
#[component]
pub fn EmptyState(
    #[prop(into)] title: String,
    #[prop(into)] message: String,
    #[prop(optional)] children: Option<Children>,
) -> impl IntoView {
    view! {
        <div class="empty-state">
            <p class="empty-state-title">{title}</p>
            <p class="empty-state-message">{message}</p>
            {children.map(|c| c())}
        </div>
    }
}
