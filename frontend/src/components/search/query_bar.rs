//! The query bar: the query (coloured and checked as you type, the error
//! underlined where it is, field names and values completed from recent
//! events), the time picker, and Search. `/` focuses it from anywhere; Enter
//! runs; Tab takes the first suggestion, ↑/↓ then Enter pick another.

use super::state::{ExplorerState, splice};
use super::time_picker::TimePicker;
use crate::api;
use app::query::{Completing, SpanKind, Warning};
use app::search::TopRequest;
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

    let parsed = Memo::new(move |_| app::query::parse_with_warnings(&draft.get()));
    let error = Memo::new(move |_| parsed.get().err());
    let input: NodeRef<html::Input> = NodeRef::new();
    let overlay: NodeRef<html::Div> = NodeRef::new();
    // The coloured copy under the input scrolls with it.
    let sync_scroll = move || {
        if let (Some(input), Some(overlay)) = (input.get_untracked(), overlay.get_untracked()) {
            overlay.set_scroll_left(input.scroll_left());
        }
    };
    let coloured = move || {
        let text = draft.get();
        let chars: Vec<char> = text.chars().collect();
        let error_at = error.get().map(|e| e.position);
        let mut pieces: Vec<AnyView> = app::query::highlight(&text)
            .into_iter()
            .flat_map(|span| {
                // The error's character gets its own piece, to be underlined.
                let mut cuts = vec![(span.start, span.end, false)];
                if let Some(at) = error_at.filter(|at| (span.start..span.end).contains(at)) {
                    cuts = vec![
                        (span.start, at, false),
                        (at, at + 1, true),
                        (at + 1, span.end, false),
                    ];
                }
                let chars = &chars;
                cuts.into_iter()
                    .filter(|(a, b, _)| a < b)
                    .map(move |(a, b, wrong)| {
                        let piece: String = chars[a..b].iter().collect();
                        let class = if wrong {
                            "hl-error"
                        } else {
                            span_class(span.kind)
                        };
                        view! { <span class=class>{piece}</span> }.into_any()
                    })
                    .collect::<Vec<_>>()
            })
            .collect();
        if error_at.is_some_and(|at| at >= chars.len()) {
            pieces.push(view! { <span class="hl-error">" "</span> }.into_any());
        }
        pieces
    };

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
    let highlighted = RwSignal::new(None::<usize>);
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
    let completing = Memo::new(move |_| {
        suggesting
            .get()
            .then(|| app::query::completing(&draft.get(), cursor.get()))
            .flatten()
    });
    // The values of the field whose value is being typed, over the shown range.
    let value_field = Memo::new(move |_| match completing.get() {
        Some(Completing::Value { field, .. }) => Some(field),
        _ => None,
    });
    let known_values = LocalResource::new(move || {
        let field = value_field.get();
        let (from, to) = (state.from.get_untracked(), state.to.get_untracked());
        async move {
            let Some(field) = field else {
                return Vec::new();
            };
            let request = TopRequest {
                query: String::new(),
                from: Some(from),
                to: Some(to),
                time_zone: state.time_zone(),
                field,
                size: Some(50),
            };
            api::search::top(&request)
                .await
                .map(|answer| answer.values.into_iter().map(|v| v.value).collect())
                .unwrap_or_default()
        }
    });
    // (start of the replaced text, the suggestions shown, the text each inserts)
    let suggestions = Memo::new(move |_| {
        let (start, shown, inserted): (usize, Vec<String>, Vec<String>) = match completing.get()? {
            Completing::Field { start, prefix } => {
                let wanted = prefix.to_lowercase();
                let names: Vec<String> = known
                    .get()
                    .unwrap_or_default()
                    .into_iter()
                    .filter(|name| name.to_lowercase().starts_with(&wanted) && *name != prefix)
                    .take(8)
                    .collect();
                let inserted = names.iter().map(|n| format!("{n}:")).collect();
                (start, names, inserted)
            }
            Completing::Value { start, prefix, .. } => {
                let wanted = prefix.to_lowercase();
                let values: Vec<String> = known_values
                    .get()
                    .unwrap_or_default()
                    .into_iter()
                    .filter(|value| value.to_lowercase().contains(&wanted) && *value != prefix)
                    .take(8)
                    .collect();
                let inserted = values.iter().map(|v| app::query::value_text(v)).collect();
                (start, values, inserted)
            }
        };
        (!shown.is_empty()).then_some((start, shown, inserted))
    });
    let accept = move |index: usize| {
        let Some((start, _, inserted)) = suggestions.get_untracked() else {
            return;
        };
        let Some(chosen) = inserted.get(index) else {
            return;
        };
        let (text, position) = splice(
            &draft.get_untracked(),
            start,
            cursor.get_untracked(),
            chosen,
        );
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
        let Some((_, shown, _)) = suggestions.get_untracked() else {
            return;
        };
        let count = shown.len();
        match event.key().as_str() {
            "ArrowDown" => {
                event.prevent_default();
                highlighted.update(|h| *h = Some(h.map_or(0, |h| (h + 1) % count)));
            }
            "ArrowUp" => {
                event.prevent_default();
                highlighted.update(|h| *h = Some(h.map_or(count - 1, |h| (h + count - 1) % count)));
            }
            "Tab" => {
                event.prevent_default();
                accept(highlighted.get_untracked().unwrap_or(0).min(count - 1));
            }
            // Enter runs the query unless a suggestion was picked with the arrows.
            "Enter" => {
                if let Some(index) = highlighted.get_untracked() {
                    event.prevent_default();
                    accept(index.min(count - 1));
                }
            }
            "Escape" => suggesting.set(false),
            _ => {}
        }
    };
    let on_input = move |_| {
        suggesting.set(true);
        highlighted.set(None);
        track_cursor();
        sync_scroll();
    };
    let suggestion_list = move || {
        suggestions.get().map(|(_, shown, _)| {
            let items = shown
                .into_iter()
                .enumerate()
                .map(|(index, text)| {
                    view! {
                        <li
                            role="option"
                            class="mono"
                            aria-selected=move || (highlighted.get() == Some(index)).to_string()
                            on:mousedown=move |ev: ev::MouseEvent| {
                                ev.prevent_default();
                                accept(index);
                            }
                        >
                            {text}
                        </li>
                    }
                })
                .collect_view();
            let label = if value_field.get().is_some() {
                "Values"
            } else {
                "Fields"
            };
            view! { <ul class="suggestions" role="listbox" aria-label=label>{items}</ul> }
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
    let apply_range = move |(a, b): (String, String)| {
        if error.get_untracked().is_none() {
            state.apply(&draft.get_untracked(), &a, &b);
        }
    };

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

    // How the query was read where KQL and Lucene differ: it still runs.
    let warnings = move || {
        let Ok(parsed) = parsed.get() else {
            return None;
        };
        let mut warnings = parsed.warnings;
        warnings.extend(unknown_fields(
            &draft.get(),
            &parsed.query,
            known.get().as_deref(),
        ));
        (!warnings.is_empty()).then(|| {
            let text: Vec<char> = draft.get().chars().collect();
            let items = warnings
                .into_iter()
                .map(|warning| {
                    let at = warning.position.min(text.len());
                    let word: String = text[at..]
                        .iter()
                        .take_while(|c| !c.is_whitespace())
                        .take(32)
                        .collect();
                    view! {
                        <li>
                            <code class="mono">{word}</code>
                            <span>{warning.message}</span>
                        </li>
                    }
                })
                .collect_view();
            view! {
                <ul class="query-warnings" aria-live="polite" data-testid="query-warnings">
                    {items}
                </ul>
            }
        })
    };

    view! {
        <form class="query-bar" on:submit=on_submit role="search">
            <div class="query-input">
                <label class="sr-only" for="query">"Query"</label>
                <div class="query-highlight mono" aria-hidden="true" node_ref=overlay>{coloured}</div>
                <input
                    id="query"
                    node_ref=input
                    type="search"
                    class="mono query-text"
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
                    on:keyup=move |_| { track_cursor(); sync_scroll(); }
                    on:scroll=move |_| sync_scroll()
                    on:blur=move |_| suggesting.set(false)
                />
                {suggestion_list}
            </div>
            <TimePicker state from to apply=apply_range />
            <button type="submit" class="btn btn-primary" disabled=move || error.get().is_some()>"Search"</button>
        </form>
        {marked}
        {warnings}
    }
}

/// Fields every event has, whatever the sample of recent events shows.
const ALWAYS: &[&str] = &[
    "@timestamp",
    "event.id",
    "message",
    "tags",
    "event.ingested",
];

/// A warning for each field of `query` that none of the recent events of
/// the range has (`known`, from `/api/v1/fields`), with the nearest name
/// that they do have. Nothing until the sample has arrived.
fn unknown_fields(text: &str, query: &app::query::Query, known: Option<&[String]>) -> Vec<Warning> {
    let Some(known) = known.filter(|k| !k.is_empty()) else {
        return Vec::new();
    };
    query
        .fields()
        .into_iter()
        .filter(|field| !ALWAYS.contains(&field.as_str()) && !known.iter().any(|k| k == field))
        .map(|field| {
            let position = text
                .find(field.as_str())
                .map_or(0, |byte| text[..byte].chars().count());
            let hint = app::query::closest(&field, known.iter().map(String::as_str))
                .map(|near| format!("; did you mean {near}?"))
                .unwrap_or_default();
            Warning {
                position,
                message: format!("{field} is not a field of the recent events in this range{hint}"),
            }
        })
        .collect()
}

fn span_class(kind: SpanKind) -> &'static str {
    match kind {
        SpanKind::Space => "hl-space",
        SpanKind::Field => "hl-field",
        SpanKind::Operator => "hl-operator",
        SpanKind::Value => "hl-value",
        SpanKind::Phrase => "hl-phrase",
        SpanKind::Text => "hl-text",
        SpanKind::Punctuation => "hl-punct",
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
