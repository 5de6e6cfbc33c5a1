//! The left navigation: product name and the areas this user may open.

use super::nav::NAV_ITEMS;
use crate::components::common::Icon;
use crate::contexts::use_session;
use leptos::prelude::*;
use leptos_router::components::A;

/// Renders the product mark and one link per permitted area; the active one gets
/// `aria-current="page"`.
#[component]
pub fn Sidebar() -> impl IntoView {
    let session = use_session();
    let items = move || {
        NAV_ITEMS
            .iter()
            .filter(|item| item.any_of.is_empty() || session.can_any(item.any_of))
            .map(|item| {
                let exact = item.href == "/";
                let hint = item.shortcut.map(|key| {
                    view! {
                        <kbd class="nav-hint" aria-hidden="true">
                            "g "
                            {key.to_string()}
                        </kbd>
                    }
                });
                view! {
                    <li>
                        <A href=item.href exact=exact>
                            <Icon name=item.icon />
                            <span class="nav-label">{item.label}</span>
                            {hint}
                        </A>
                    </li>
                }
            })
            .collect_view()
    };
    view! {
        <aside class="sidebar">
            <div class="brand">
                <span class="brand-mark" aria-hidden="true"></span>
                <span class="brand-name">"Vigil"</span>
            </div>
            <nav class="nav" aria-label="Main">
                <ul>{items}</ul>
            </nav>
            <div class="sidebar-footer">
                <p>"Security log management"</p>
                // DB-IP's licence (CC BY 4.0) asks every page that shows its
                // places to credit it; event documents carry them.
                <p class="attribution">
                    <a href="https://db-ip.com" target="_blank" rel="noopener noreferrer">
                        "IP geolocation by DB-IP"
                    </a>
                </p>
            </div>
        </aside>
    }
}
