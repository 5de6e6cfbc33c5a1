//! Saved searches in the explorer: open one, or save what is shown.

use super::state::ExplorerState;
use crate::api;
use crate::api::ApiResult;
use crate::components::common::ErrorPanel;
use app::search::{SavedSearch, SavedSearchRequest};
use leptos::ev;
use leptos::prelude::*;

/// Saving a search: the action both parts share, and whether the form is open.
#[derive(Clone, Copy)]
pub struct Saving {
    action: Action<SavedSearchRequest, ApiResult<SavedSearch>>,
    open: RwSignal<bool>,
}

impl Saving {
    /// Returns a fresh saving state.
    pub fn new() -> Saving {
        Saving {
            action: Action::new_local(|request: &SavedSearchRequest| {
                let request = request.clone();
                async move { api::search::save_search(&request).await }
            }),
            open: RwSignal::new(false),
        }
    }
}

/// Renders the saved-search picker and the button that opens the save form.
#[component]
pub fn SavedSearches(state: ExplorerState, saving: Saving) -> impl IntoView {
    let list = LocalResource::new(move || {
        saving.action.version().get();
        api::search::saved_searches()
    });
    let open = move |ev: ev::Event| {
        let id = event_target_value(&ev);
        let chosen = list
            .get()
            .and_then(Result::ok)
            .and_then(|all| all.into_iter().find(|s| s.id.to_string() == id));
        if let Some(search) = chosen {
            state.apply(&search.query, &search.from, &search.to);
        }
    };
    let options = move || {
        list.get()
            .and_then(Result::ok)
            .unwrap_or_default()
            .into_iter()
            .map(|search| {
                let label = if search.mine {
                    search.name.clone()
                } else {
                    format!("{} — {}", search.name, search.owner)
                };
                view! { <option value=search.id.to_string()>{label}</option> }
            })
            .collect_view()
    };
    view! {
        <div class="saved-searches">
            <label class="sr-only" for="saved-search">"Saved searches"</label>
            <select id="saved-search" on:change=open>
                <option value="" selected>"Saved searches…"</option>
                {options}
            </select>
            <button
                type="button"
                class="btn"
                on:click=move |_| saving.open.update(|o| *o = !*o)
                aria-expanded=move || saving.open.get().to_string()
            >
                "Save"
            </button>
        </div>
    }
}

/// Renders the save form, when open: a name and whether to share.
#[component]
pub fn SaveSearchForm(state: ExplorerState, saving: Saving) -> impl IntoView {
    let name = RwSignal::new(String::new());
    let shared = RwSignal::new(false);
    let invalid = RwSignal::new(None::<String>);
    let save = saving.action;
    Effect::new(move |_| {
        if let Some(Ok(_)) = save.value().get() {
            saving.open.set(false);
            name.set(String::new());
        }
    });
    let on_submit = move |ev: ev::SubmitEvent| {
        ev.prevent_default();
        let request = SavedSearchRequest {
            name: name.get_untracked(),
            query: state.query.get_untracked(),
            from: state.from.get_untracked(),
            to: state.to.get_untracked(),
            shared: shared.get_untracked(),
        };
        match request.validate() {
            Ok(request) => {
                invalid.set(None);
                save.dispatch(request);
            }
            Err((_, message)) => invalid.set(Some(message)),
        }
    };
    move || {
        saving.open.get().then(|| {
            view! {
                <section class="panel save-search">
                    <form class="form form-inline" on:submit=on_submit aria-label="Save this search">
                        <div class="field field-grow">
                            <label for="save-name">"Name"</label>
                            <input id="save-name" type="text" maxlength="100" autocomplete="off" required bind:value=name />
                        </div>
                        <label class="check">
                            <input type="checkbox" bind:checked=shared />
                            <span>"Share with everyone who may search"</span>
                        </label>
                        <div class="field field-actions">
                            <button type="submit" class="btn btn-primary" disabled=move || save.pending().get()>"Save search"</button>
                        </div>
                    </form>
                    {move || invalid.get().map(|message| view! { <p class="form-error" role="alert">{message}</p> })}
                    {move || save.value().get().and_then(Result::err).map(|error| view! { <ErrorPanel error /> })}
                </section>
            }
        })
    }
}
