//! The title row of every page: heading, one-line description and page actions.

use leptos::prelude::*;

/// Renders the page's `<h1>`, an optional description and optional actions on the right.
#[component]
pub fn PageHeader(
    #[prop(into)] title: String,
    #[prop(optional, into)] description: Option<String>,
    #[prop(optional)] children: Option<Children>,
) -> impl IntoView {
    view! {
        <header class="page-header">
            <div class="page-header-text">
                <h1>{title}</h1>
                {description.map(|d| view! { <p class="page-description">{d}</p> })}
            </div>
            <div class="page-actions">{children.map(|c| c())}</div>
        </header>
    }
}
