//! Copies a text to the clipboard and says whether it worked.

use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen_futures::JsFuture;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CopyState {
    Idle,
    Copied,
    Failed,
}

/// Renders a "Copy" button for `text`, with a polite live message of the outcome.
#[component]
pub fn CopyButton(
    /// What to copy.
    #[prop(into)]
    text: Signal<String>,
    /// The button's accessible name, for example "Copy API key".
    #[prop(into)]
    accessible_label: String,
) -> impl IntoView {
    let state = RwSignal::new(CopyState::Idle);
    let copy = move |_| {
        let value = text.get_untracked();
        let win = window();
        // The Clipboard API exists only in secure contexts; calling it elsewhere would throw.
        if !win.is_secure_context() {
            state.set(CopyState::Failed);
            return;
        }
        let promise = win.navigator().clipboard().write_text(&value);
        spawn_local(async move {
            let outcome = match JsFuture::from(promise).await {
                Ok(_) => CopyState::Copied,
                Err(_) => CopyState::Failed,
            };
            state.set(outcome);
        });
    };
    view! {
        <button type="button" class="btn btn-sm" aria-label=accessible_label on:click=copy>
            {move || if state.get() == CopyState::Copied { "Copied" } else { "Copy" }}
        </button>
        <span class="copy-feedback" role="status" aria-live="polite">
            {move || match state.get() {
                CopyState::Idle => "",
                CopyState::Copied => "copied to the clipboard",
                CopyState::Failed => "the browser refused; select the text and copy it by hand",
            }}
        </span>
    }
}
