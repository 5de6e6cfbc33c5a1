//! Two-key navigation shortcuts (`g` then `o`, `s`, `a`), as in many ops consoles.

use super::nav::item_for_shortcut;
use crate::contexts::use_session;
use chrono::{DateTime, Utc};
use leptos::ev;
use leptos::prelude::*;
use leptos_router::NavigateOptions;
use leptos_router::hooks::use_navigate;
use wasm_bindgen::JsCast;

/// How long after `g` the second key still counts.
const CHORD_WINDOW_MS: i64 = 1500;

/// Listens for shortcuts while the signed-in layout is mounted.
pub fn install_shortcuts() {
    let navigate = use_navigate();
    let session = use_session();
    let armed_at = StoredValue::new(None::<DateTime<Utc>>);
    let handle = window_event_listener(ev::keydown, move |event| {
        if event.ctrl_key() || event.meta_key() || event.alt_key() || is_typing(&event) {
            return;
        }
        let key = event.key();
        let armed = armed_at
            .get_value()
            .is_some_and(|at| (Utc::now() - at).num_milliseconds() <= CHORD_WINDOW_MS);
        if armed {
            armed_at.set_value(None);
            if let Some(item) = item_for_shortcut(&key)
                && (item.any_of.is_empty() || session.can_any(item.any_of))
            {
                event.prevent_default();
                navigate(item.href, NavigateOptions::default());
            }
        } else if key == "g" {
            armed_at.set_value(Some(Utc::now()));
        }
    });
    on_cleanup(move || handle.remove());
}

/// Returns whether the key went to a text field, where letters are text, not commands.
fn is_typing(event: &ev::KeyboardEvent) -> bool {
    let Some(target) = event.target() else {
        return false;
    };
    let Ok(element) = target.dyn_into::<web_sys::HtmlElement>() else {
        return false;
    };
    let tag = element.tag_name();
    matches!(tag.as_str(), "INPUT" | "TEXTAREA" | "SELECT") || element.is_content_editable()
}
