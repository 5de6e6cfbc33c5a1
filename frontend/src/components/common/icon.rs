//! Line icons drawn inline as SVG (no icon font, no extra requests, allowed by the CSP).

use leptos::prelude::*;

/// Returns which icon to draw.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IconName {
    /// Four tiles.
    Overview,
    /// A magnifier.
    Search,
    /// A bell.
    Alerts,
    /// A shield.
    Rules,
    /// A folder.
    Cases,
    /// Bars.
    Dashboards,
    /// A person.
    Admin,
    /// A pulse line.
    Status,
    /// A sun.
    Sun,
    /// A crescent moon.
    Moon,
    /// An arrow leaving a door.
    SignOut,
    /// Two arrows in a circle.
    Refresh,
}

impl IconName {
    fn path(self) -> &'static str {
        match self {
            IconName::Overview => "M4 4h6v6H4zM14 4h6v6h-6zM4 14h6v6H4zM14 14h6v6h-6z",
            IconName::Search => "M10.5 4a6.5 6.5 0 1 1 0 13a6.5 6.5 0 0 1 0-13zM15.5 15.5L20 20",
            IconName::Alerts => "M6 16v-5a6 6 0 0 1 12 0v5l1.5 2h-15zM10 20.5a2 2 0 0 0 4 0",
            IconName::Rules => {
                "M12 3l7.5 3v5.5c0 4.6-3.2 7.9-7.5 9.5c-4.3-1.6-7.5-4.9-7.5-9.5V6zM9 12l2 2l4-4"
            }
            IconName::Cases => "M3.5 6.5h6l2 2h9v10.5h-17z",
            IconName::Dashboards => "M4 20V11M10 20V5M16 20v-6M21 20H3",
            IconName::Admin => {
                "M12 4a4 4 0 1 1 0 8a4 4 0 0 1 0-8zM4.5 20.5c.6-3.8 3.7-6 7.5-6s6.9 2.2 7.5 6"
            }
            IconName::Status => "M3 12h4l2.5-6l5 12l2.5-6h4",
            IconName::Sun => {
                "M12 8a4 4 0 1 1 0 8a4 4 0 0 1 0-8zM12 2.5v2M12 19.5v2M2.5 12h2M19.5 12h2M5.3 5.3l1.4 1.4M17.3 17.3l1.4 1.4M5.3 18.7l1.4-1.4M17.3 6.7l1.4-1.4"
            }
            IconName::Moon => "M19.5 14.5A8 8 0 0 1 9.5 4.5a8 8 0 1 0 10 10z",
            IconName::SignOut => "M14 4.5h4.5v15H14M10 8l-4 4l4 4M6 12h10",
            IconName::Refresh => {
                "M19.5 12a7.5 7.5 0 0 1-13.3 4.7M4.5 12a7.5 7.5 0 0 1 13.3-4.7M18 3.5v4h-4M6 20.5v-4h4"
            }
        }
    }
}

/// Renders `name` at the current font colour; decorative, so hidden from assistive technology.
#[component]
pub fn Icon(name: IconName) -> impl IntoView {
    view! {
        <svg
            class="icon"
            viewBox="0 0 24 24"
            width="16"
            height="16"
            fill="none"
            stroke="currentColor"
            stroke-width="1.75"
            stroke-linecap="round"
            stroke-linejoin="round"
            aria-hidden="true"
            focusable="false"
        >
            <path d=name.path() />
        </svg>
    }
}
