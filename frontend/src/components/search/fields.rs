//! The field sidebar: the fields of the shown events; opening one loads its
//! top values, and a value adds `field:"value"` (or `NOT`) to the query.

use super::state::{ExplorerState, flatten};
use crate::api;
use app::search::{SearchResponse, TopRequest, TopResponse};
use leptos::prelude::*;
use std::collections::BTreeMap;

/// Renders the fields of `page` (the first page of results).
#[component]
pub fn FieldSidebar(state: ExplorerState, page: RwSignal<Option<SearchResponse>>) -> impl IntoView {
    let fields = Memo::new(move |_| {
        let mut counts: BTreeMap<String, usize> = BTreeMap::new();
        if let Some(page) = page.get() {
            for hit in &page.hits {
                for (path, _) in flatten(&hit.event) {
                    *counts.entry(path).or_default() += 1;
                }
            }
        }
        counts.into_iter().collect::<Vec<_>>()
    });
    let filter = RwSignal::new(String::new());
    let shown = move || {
        let wanted = filter.get().to_lowercase();
        fields
            .get()
            .into_iter()
            .filter(|(name, _)| wanted.is_empty() || name.to_lowercase().contains(&wanted))
            .map(|(name, count)| view! { <FieldEntry state name count /> })
            .collect_view()
    };
    view! {
        <aside class="panel field-sidebar" aria-label="Fields">
            <input type="search" class="field-filter" placeholder="Filter fields" aria-label="Filter fields" bind:value=filter />
            <ul class="field-list">{shown}</ul>
        </aside>
    }
}

#[component]
fn FieldEntry(state: ExplorerState, name: String, count: usize) -> impl IntoView {
    let open = RwSignal::new(false);
    let top: Action<(), Result<TopResponse, app::ErrorBody>> = Action::new_local({
        let name = name.clone();
        move |_: &()| {
            let request = TopRequest {
                query: state.query.get_untracked(),
                from: Some(state.from.get_untracked()),
                to: Some(state.to.get_untracked()),
                time_zone: state.time_zone(),
                field: name.clone(),
                size: Some(10),
            };
            async move { api::search::top(&request).await }
        }
    });
    let toggle = move |_| {
        let opening = !open.get_untracked();
        open.set(opening);
        if opening {
            top.dispatch(());
        }
    };
    let field = name.clone();
    let column = name.clone();
    let shown = {
        let name = name.clone();
        Memo::new(move |_| state.columns.get().contains(&name))
    };
    let values = move || {
        if !open.get() {
            return None;
        }
        Some(match top.value().get() {
            None => view! { <li class="muted">"Loading…"</li> }.into_any(),
            Some(Err(error)) => view! { <li class="form-error">{error.message}</li> }.into_any(),
            Some(Ok(answer)) => {
                let total: u64 = answer.values.iter().map(|v| v.count).sum::<u64>() + answer.other;
                answer
                    .values
                    .into_iter()
                    .map(|value| {
                        let share = value.count as f64 / total.max(1) as f64 * 100.0;
                        let (with, without) = (filter_for(&field, &value.value, false), filter_for(&field, &value.value, true));
                        view! {
                            <li class="top-value">
                                <span class="top-value-text mono" title=value.value.clone()>{value.value.clone()}</span>
                                <span class="top-value-count">{format!("{share:.0}%")}</span>
                                <button type="button" class="btn btn-ghost btn-sm btn-icon" aria-label=format!("Filter for {}", value.value)
                                    on:click=move |_| add_filter(state, &with)>"+"</button>
                                <button type="button" class="btn btn-ghost btn-sm btn-icon" aria-label=format!("Filter out {}", value.value)
                                    on:click=move |_| add_filter(state, &without)>"−"</button>
                            </li>
                        }
                    })
                    .collect_view()
                    .into_any()
            }
        })
    };
    view! {
        <li class="field-entry">
            <div class="field-row">
                <button type="button" class="field-name mono" aria-expanded=move || open.get().to_string() on:click=toggle>
                    <span>{name.clone()}</span>
                    <span class="muted">{count}</span>
                </button>
                <button
                    type="button"
                    class="btn btn-ghost btn-sm btn-icon column-toggle"
                    class:shown=move || shown.get()
                    aria-pressed=move || shown.get().to_string()
                    aria-label=format!("Show {name} as a column")
                    title=move || if shown.get() { "Hide this column" } else { "Show as a column" }
                    on:click=move |_| state.toggle_column(&column)
                >
                    {move || if shown.get() { "✓" } else { "+" }}
                </button>
            </div>
            {move || values().map(|items| view! { <ul class="top-values">{items}</ul> })}
        </li>
    }
}

/// `field:"value"`, or `NOT field:"value"`, as query text.
fn filter_for(field: &str, value: &str, exclude: bool) -> String {
    let term = app::query::Term::Phrase(value.to_owned());
    format!("{}{field}:{term}", if exclude { "NOT " } else { "" })
}

fn add_filter(state: ExplorerState, clause: &str) {
    let current = state.query.get_untracked();
    let query = if current.trim().is_empty() {
        clause.to_owned()
    } else {
        format!("({current}) AND {clause}")
    };
    state.apply(
        &query,
        &state.from.get_untracked(),
        &state.to.get_untracked(),
    );
}
