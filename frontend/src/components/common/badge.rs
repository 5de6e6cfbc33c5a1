//! Small coloured labels for states: ok, warning, critical, info, neutral.

use app::system::ComponentStatus;
use leptos::prelude::*;

/// Returns the semantic colour of a badge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    /// Healthy, succeeded, active.
    Ok,
    /// Needs attention soon.
    Warn,
    /// Broken, failed, denied.
    Critical,
    /// Informational.
    Info,
    /// No judgement (revoked, disabled).
    Neutral,
}

impl Tone {
    fn class(self) -> &'static str {
        match self {
            Tone::Ok => "badge badge-ok",
            Tone::Warn => "badge badge-warn",
            Tone::Critical => "badge badge-critical",
            Tone::Info => "badge badge-info",
            Tone::Neutral => "badge badge-neutral",
        }
    }
}

/// Renders a short label in the colour of `tone`, with a dot so the state does not rely on
/// colour alone.
#[component]
pub fn Badge(tone: Tone, #[prop(into)] label: String) -> impl IntoView {
    view! {
        <span class=tone.class()>
            <span class="badge-dot" aria-hidden="true"></span>
            {label}
        </span>
    }
}

/// Renders a component's health as `ok` or `unavailable`.
#[component]
pub fn ComponentBadge(status: ComponentStatus) -> impl IntoView {
    match status {
        ComponentStatus::Ok => view! { <Badge tone=Tone::Ok label="ok" /> },
        ComponentStatus::Unavailable => view! { <Badge tone=Tone::Critical label="unavailable" /> },
    }
}
