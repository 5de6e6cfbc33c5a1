//! The colour theme: dark or light, persisted in `localStorage` under `vigil.theme`.
//!
//! `boot.js` applies the stored theme before the wasm loads, so there is no flash of the
//! wrong theme; this context starts from what `boot.js` set and keeps `<html data-theme>`
//! and storage in step when the user switches.

use leptos::prelude::*;

/// The `localStorage` key shared with `boot.js`.
const STORAGE_KEY: &str = "vigil.theme";

/// Returns one of the two themes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Theme {
    /// Light text on dark slate; the default for a SOC.
    Dark,
    /// Dark text on light grey.
    Light,
}

impl Theme {
    /// Returns the value of `data-theme` and of the stored preference.
    pub fn as_str(self) -> &'static str {
        match self {
            Theme::Dark => "dark",
            Theme::Light => "light",
        }
    }

    /// Returns the other theme.
    pub fn toggled(self) -> Theme {
        match self {
            Theme::Dark => Theme::Light,
            Theme::Light => Theme::Dark,
        }
    }

    fn from_attr(value: Option<String>) -> Theme {
        match value.as_deref() {
            Some("light") => Theme::Light,
            _ => Theme::Dark,
        }
    }
}

/// Returns the handle to the theme state.
#[derive(Debug, Clone, Copy)]
pub struct ThemeContext {
    theme: RwSignal<Theme>,
}

impl ThemeContext {
    /// Creates the theme state from what `boot.js` applied and provides it as context.
    pub fn provide() -> ThemeContext {
        let initial =
            Theme::from_attr(root_element().and_then(|el| el.get_attribute("data-theme")));
        let context = ThemeContext {
            theme: RwSignal::new(initial),
        };
        provide_context(context);
        context
    }

    /// Returns the active theme (tracked).
    pub fn theme(&self) -> Theme {
        self.theme.get()
    }

    /// Switches to the other theme, applies it and remembers it.
    pub fn toggle(&self) {
        let next = self.theme.get_untracked().toggled();
        self.theme.set(next);
        if let Some(root) = root_element() {
            // Failing to set an attribute on <html> cannot happen in a working DOM; if it
            // did, the button would merely show the old theme, so ignoring it is safe.
            let _ = root.set_attribute("data-theme", next.as_str());
        }
        if let Some(storage) = window().local_storage().ok().flatten() {
            // Storage can be disabled (private mode, quota); the theme then lasts one visit.
            let _ = storage.set_item(STORAGE_KEY, next.as_str());
        }
    }
}

fn root_element() -> Option<web_sys::Element> {
    document().document_element()
}

/// Returns the theme context provided by the app root.
pub fn use_theme() -> ThemeContext {
    expect_context::<ThemeContext>()
}
