//! The query bar: the query (checked as you type, with the error marked where
//! it is, field names completed from recent events), the time range, and
//! Search. `/` focuses it from anywhere; Enter runs; ↑/↓ and Tab pick a field.

use super::state::{ExplorerState, QUICK_RANGES, complete_field, field_prefix};
use crate::api;
use leptos::ev;
use leptos::html;
use leptos::prelude::*;
use wasm_bindgen::JsCast;

/// Renders the query form for `state`.
#[component]
pub fn QueryBar(state: ExplorerState) -> impl IntoView {
    let draft = RwSignal::new(state.query.get_untracked());
    let from = RwSignal::new(state.from.get_untracked());
    let to = RwSignal::new(state.to.get_untracked());
    // A new URL (back button, a clicked value) replaces what is in the form.
    Effect::new(move |_| draft.set(state.query.get()));
    Effect::new(move |_| from.set(state.from.get()));
    Effect::new(move |_| to.set(state.to.get()));

    let error = Memo::new(move |_| app::query::parse(&draft.get()).err());
    let input: NodeRef<html::Input> = NodeRef::new();

    // Field names of recent events, for completion.
    let known = LocalResource::new(move || {
        let (from, to) = (state.from.get(), state.to.get());
        async move {
            api::search::fields(&from, &to)
                .await
                .map(|answer| {
                    answer
                        .fields
                        .into_iter()
                        .map(|f| f.name)
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default()
        }
    });
    let cursor = RwSignal::new(0usize);
    let suggesting = RwSignal::new(false);
    let highlighted = RwSignal::new(0usize);
    let track_cursor = move || {
        if let Some(element) = input.get_untracked() {
            let at = element.selection_start().ok().flatten().unwrap_or(0) as usize;
            // selection_start counts UTF-16 units; convert to characters.
            let text = element.value();
            let mut units = 0;
            let mut chars = 0;
            for c in text.chars() {
                if units >= at {
                    break;
                }
                units += c.len_utf16();
                chars += 1;
            }
            cursor.set(chars);
        }
    };
    let suggestions = Memo::new(move |_| {
        if !suggesting.get() {
            return None;
        }
        let (start, word) = field_prefix(&draft.get(), cursor.get())?;
        let wanted = word.to_lowercase();
        let names: Vec<String> = known
            .get()
            .unwrap_or_default()
            .into_iter()
            .filter(|name| name.to_lowercase().starts_with(&wanted) && *name != word)
            .take(8)
            .collect();
        (!names.is_empty()).then_some((start, names))
    });
    let accept = move |name: String| {
        let Some((start, _)) = suggestions.get_untracked() else {
            return;
        };
        let (text, position) =
            complete_field(&draft.get_untracked(), start, cursor.get_untracked(), &name);
        draft.set(text.clone());
        suggesting.set(false);
        if let Some(element) = input.get_untracked() {
            element.set_value(&text);
            let units: usize = text.chars().take(position).map(char::len_utf16).sum();
            let _ = element.set_selection_range(units as u32, units as u32);
            let _ = element.focus();
        }
        cursor.set(position);
    };
    let on_keydown = move |event: ev::KeyboardEvent| {
        let Some((_, names)) = suggestions.get_untracked() else {
            return;
        };
        match event.key().as_str() {
            "ArrowDown" => {
                event.prevent_default();
                highlighted.update(|h| *h = (*h + 1) % names.len());
            }
            "ArrowUp" => {
                event.prevent_default();
                highlighted.update(|h| *h = (*h + names.len() - 1) % names.len());
            }
            "Tab" | "Enter" => {
                event.prevent_default();
                let index = highlighted.get_untracked().min(names.len() - 1);
                accept(names[index].clone());
            }
            "Escape" => suggesting.set(false),
            _ => {}
        }
    };
    let on_input = move |_| {
        suggesting.set(true);
        highlighted.set(0);
        track_cursor();
    };
    let suggestion_list = move || {
        suggestions.get().map(|(_, names)| {
            let items = names
                .into_iter()
                .enumerate()
                .map(|(index, name)| {
                    let chosen = name.clone();
                    view! {
                        <li
                            role="option"
                            class="mono"
                            aria-selected=move || (highlighted.get() == index).to_string()
                            on:mousedown=move |ev: ev::MouseEvent| {
                                ev.prevent_default();
                                accept(chosen.clone());
                            }
                        >
                            {name}
                        </li>
                    }
                })
                .collect_view();
            view! { <ul class="suggestions" role="listbox" aria-label="Fields">{items}</ul> }
        })
    };

    let focus = window_event_listener(ev::keydown, move |event| {
        if event.key() == "/" && !event.ctrl_key() && !event.meta_key() && !typing(&event) {
            event.prevent_default();
            if let Some(input) = input.get_untracked() {
                let _ = input.focus();
                input.select();
            }
        }
    });
    on_cleanup(move || focus.remove());

    let on_submit = move |ev: ev::SubmitEvent| {
        ev.prevent_default();
        if error.get_untracked().is_none() {
            state.apply(
                &draft.get_untracked(),
                &from.get_untracked(),
                &to.get_untracked(),
            );
        }
    };
    let custom = Memo::new(move |_| {
        to.get() != "now" || !QUICK_RANGES.iter().any(|(_, value)| *value == from.get())
    });
    let on_range = move |ev: ev::Event| {
        let value = event_target_value(&ev);
        if value == "custom" {
            // Keep the current values, now editable.
            if to.get_untracked() == "now" {
                to.set("now ".to_owned());
            }
            return;
        }
        from.set(value.clone());
        to.set("now".to_owned());
        if error.get_untracked().is_none() {
            state.apply(&draft.get_untracked(), &value, "now");
        }
    };
    let range_options = QUICK_RANGES
        .iter()
        .map(|(label, value)| {
            view! {
                <option value=*value selected=move || !custom.get() && from.get() == *value>
                    {*label}
                </option>
            }
        })
        .collect_view();

    let marked = move || {
        error.get().map(|error| {
            let text: Vec<char> = draft.get().chars().collect();
            let at = error.position.min(text.len());
            let before: String = text[..at].iter().collect();
            let here: String = text.get(at).map_or(" ".to_owned(), |c| c.to_string());
            let after: String = text
                .get(at + 1..)
                .map_or(String::new(), |rest| rest.iter().collect());
            view! {
                <div class="query-error" role="alert" data-testid="query-error">
                    <code class="query-echo">{before}<mark>{here}</mark>{after}</code>
                    <span>{error.message}</span>
                </div>
            }
        })
    };

    view! {
        <form class="query-bar" on:submit=on_submit role="search">
            <div class="query-input">
                <label class="sr-only" for="query">"Query"</label>
                <input
                    id="query"
                    node_ref=input
                    type="search"
                    class="mono"
                    class:invalid=move || error.get().is_some()
                    placeholder="host.name:web01 AND event.outcome:failure   (press / to focus)"
                    autocomplete="off"
                    spellcheck="false"
                    aria-invalid=move || error.get().is_some().to_string()
                    aria-autocomplete="list"
                    bind:value=draft
                    on:input=on_input
                    on:keydown=on_keydown
                    on:click=move |_| track_cursor()
                    on:blur=move |_| suggesting.set(false)
                />
                {suggestion_list}
            </div>
            <label class="sr-only" for="range">"Time range"</label>
            <select id="range" on:change=on_range>
                {range_options}
                <option value="custom" selected=move || custom.get()>"Custom…"</option>
            </select>
            {move || custom.get().then(|| view! {
                <input type="text" class="mono range-input" aria-label="From" bind:value=from />
                <input type="text" class="mono range-input" aria-label="To" bind:value=to />
            })}
            <button type="submit" class="btn btn-primary" disabled=move || error.get().is_some()>"Search"</button>
        </form>
        {marked}
    }
}

/// Returns whether the key went to a text field.
fn typing(event: &ev::KeyboardEvent) -> bool {
    event
        .target()
        .and_then(|t| t.dyn_into::<web_sys::HtmlElement>().ok())
        .is_some_and(|element| {
            matches!(element.tag_name().as_str(), "INPUT" | "TEXTAREA" | "SELECT")
                || element.is_content_editable()
        })
}
