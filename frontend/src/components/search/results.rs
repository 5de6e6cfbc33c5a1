//! The matching events: a dense table, newest first, each row expanding to the
//! whole event as a tree of its fields and as JSON. Event data is always
//! text, never markup.

use super::state::{ExplorerState, display, event_link, text_at};
use crate::api;
use crate::components::common::{AsyncRegion, EmptyState, ErrorPanel};
use crate::contexts::use_session;
use crate::url::encode;
use app::Permission;
use app::search::{Hit, SearchRequest, SearchResponse, SortOrder};
use leptos::prelude::*;
use serde_json::Value;

/// Renders the results of the applied search; `first_page` receives each
/// first page, for the field sidebar.
#[component]
pub fn Results(
    state: ExplorerState,
    first_page: RwSignal<Option<SearchResponse>>,
) -> impl IntoView {
    let request = move || SearchRequest {
        query: state.query.get(),
        from: Some(state.from.get()),
        to: Some(state.to.get()),
        time_zone: state.time_zone(),
        sort: state.sort.get(),
        limit: Some(100),
        ..SearchRequest::default()
    };
    let session = use_session();
    // Download links: the browser fetches them with the session cookie.
    let export = move |format: &'static str, label: &'static str| {
        // CSV holds the shown columns; NDJSON whole events.
        let fields = format!("@timestamp,{}", state.columns.get().join(","));
        let href = format!(
            "/api/v1/search/export?q={}&from={}&to={}&time_zone={}&format={format}&fields={}",
            encode(&state.query.get()),
            encode(&state.from.get()),
            encode(&state.to.get()),
            encode(&state.zone.get()),
            encode(&fields)
        );
        view! { <a class="btn btn-sm" href=href download="">{label}</a> }
    };
    let exports = move || {
        session.can(Permission::ExportEvents).then(|| {
            view! {
                <span class="results-exports">
                    {move || export("csv", "Export CSV")}
                    {move || export("ndjson", "Export NDJSON")}
                </span>
            }
        })
    };
    let page = LocalResource::new(move || {
        let request = request();
        state.runs.get();
        async move { api::search::search(&request).await }
    });
    // Later pages, appended below the first; cleared by every new search.
    let more_hits = RwSignal::new(Vec::<Hit>::new());
    let cursor = RwSignal::new(None::<String>);
    let load_more: Action<String, Result<SearchResponse, app::ErrorBody>> =
        Action::new_local(move |next: &String| {
            let mut request = request();
            request.cursor = Some(next.clone());
            async move { api::search::search(&request).await }
        });
    Effect::new(move |_| {
        if let Some(Ok(response)) = load_more.value().get() {
            more_hits.update(|hits| hits.extend(response.hits.clone()));
            cursor.set(response.next_cursor.clone());
        }
    });

    view! {
        <section class="panel panel-flush results" aria-label="Matching events">
            <AsyncRegion>
                {move || Suspend::new(async move {
                    let response = page.await?;
                    more_hits.set(Vec::new());
                    cursor.set(response.next_cursor.clone());
                    first_page.set(Some(response.clone()));
                    Ok::<_, app::ErrorBody>(view! {
                        <div class="panel-head">
                            <h2 class="panel-title" data-testid="hit-count">
                                {if response.total_is_exact {
                                    let noun = if response.total == 1 { "event" } else { "events" };
                                    format!("{} {noun}", crate::format::count(response.total as i64))
                                } else {
                                    format!("more than {} events", crate::format::count(response.total as i64))
                                }}
                            </h2>
                            <span class="results-tools">
                                <span class="muted">{format!("{} ms", response.took_ms)}</span>
                                {exports}
                            </span>
                        </div>
                        {move || table(response.hits.clone(), state)}
                    })
                })}
            </AsyncRegion>
            {move || {
                let extra = more_hits.get();
                (!extra.is_empty()).then(|| table(extra, state))
            }}
            {move || load_more.value().get().and_then(Result::err).map(|error| view! { <ErrorPanel error /> })}
            {move || cursor.get().map(|next| view! {
                <div class="results-more">
                    <button
                        type="button"
                        class="btn"
                        disabled=move || load_more.pending().get()
                        on:click=move |_| { load_more.dispatch(next.clone()); }
                    >
                        {move || if load_more.pending().get() { "Loading…" } else { "Load more" }}
                    </button>
                </div>
            })}
        </section>
    }
}

fn table(hits: Vec<Hit>, state: ExplorerState) -> AnyView {
    if hits.is_empty() {
        return view! {
            <EmptyState title="No matching events" message="Widen the time range or loosen the query." />
        }
        .into_any();
    }
    let columns = state.columns.get();
    let headers = columns
        .iter()
        .enumerate()
        .map(|(index, field)| {
            let (left, remove) = (field.clone(), field.clone());
            view! {
                <th scope="col" class="col-field">
                    <span class="col-heading">
                        <span class="mono">{field.clone()}</span>
                        <span class="col-tools">
                            {(index > 0).then(|| view! {
                                <button type="button" class="btn btn-ghost btn-sm btn-icon"
                                    title="Move left" aria-label=format!("Move column {left} left")
                                    on:click=move |_| state.move_column_left(&left)>"←"</button>
                            })}
                            <button type="button" class="btn btn-ghost btn-sm btn-icon"
                                title="Remove column" aria-label=format!("Remove column {remove}")
                                on:click=move |_| state.toggle_column(&remove)>"×"</button>
                        </span>
                    </span>
                </th>
            }
        })
        .collect_view();
    let width = columns.len() + 2;
    let rows = hits
        .into_iter()
        .map(|hit| {
            let columns = columns.clone();
            let zone = state.zone.get_untracked();
            view! { <HitRow hit columns width zone /> }
        })
        .collect_view();
    view! {
        <div class="table-wrap">
            <table class="table hits">
                <thead>
                    <tr>
                        <th scope="col" class="col-toggle"><span class="sr-only">"Expand"</span></th>
                        <th scope="col" class="cell-time"
                            aria-sort=move || if state.sort.get() == SortOrder::Asc { "ascending" } else { "descending" }>
                            <button type="button" class="th-sort"
                                title="Newest or oldest first (kept in the URL)"
                                on:click=move |_| state.set_sort(if state.sort.get_untracked() == SortOrder::Asc { SortOrder::Desc } else { SortOrder::Asc })>
                                "@timestamp"
                                <span aria-hidden="true">{move || if state.sort.get() == SortOrder::Asc { " ↑" } else { " ↓" }}</span>
                            </button>
                        </th>
                        {headers}
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
    .into_any()
}

/// One event: a summary row, and when opened, its fields and JSON.
#[component]
fn HitRow(hit: Hit, columns: Vec<String>, width: usize, zone: String) -> impl IntoView {
    let open = RwSignal::new(false);
    let cells = columns
        .iter()
        .map(|field| {
            let text = text_at(&hit.event, field).unwrap_or_default();
            let class = if field == "message" {
                "cell-message"
            } else {
                "cell-nowrap"
            };
            let title = text.clone();
            view! { <td class=class title=title>{text}</td> }
        })
        .collect_view();
    let event = hit.event.clone();
    let json = serde_json::to_string_pretty(&hit.event).unwrap_or_default();
    let id = hit.id.to_string();
    let link = event_link(&hit);
    let toggle = move |_| open.update(|o| *o = !*o);
    view! {
        <tr class="hit" class:open=move || open.get() on:click=toggle data-testid="hit-row">
            <td class="col-toggle">
                <button
                    type="button"
                    class="btn btn-ghost btn-sm btn-icon"
                    aria-expanded=move || open.get().to_string()
                    aria-label="Show the whole event"
                >
                    {move || if open.get() { "▾" } else { "▸" }}
                </button>
            </td>
            <td class="cell-time mono">{crate::format::timestamp_in(hit.timestamp, &zone)}</td>
            {cells}
        </tr>
        {move || open.get().then(|| {
            let tree = event_tree(&event, "");
            view! {
                <tr class="hit-detail" data-testid="hit-detail">
                    <td colspan=width.to_string()>
                        <div class="hit-detail-grid">
                            <div class="event-tree mono" aria-label="Fields">{tree}</div>
                            <div class="hit-json">
                                <div class="hit-json-head">
                                    <span class="muted">"event " {id.clone()}</span>
                                    <a href=link.clone()>"Link to this event"</a>
                                </div>
                                <pre class="mono">{json.clone()}</pre>
                            </div>
                        </div>
                    </td>
                </tr>
            }
        })}
    }
}

/// The event's fields as a tree: objects open and close (native
/// `<details>`, so the keyboard works), leaves show their value; each key's
/// title is its full dotted path, for use in a query.
fn event_tree(value: &Value, prefix: &str) -> AnyView {
    let Value::Object(map) = value else {
        return view! { <span class="tree-value">{display(value)}</span> }.into_any();
    };
    let items = map
        .iter()
        .map(|(key, child)| {
            let path = if prefix.is_empty() {
                key.clone()
            } else {
                format!("{prefix}.{key}")
            };
            match child {
                Value::Object(inner) if !inner.is_empty() => {
                    let count = inner.len();
                    let noun = if count == 1 { "field" } else { "fields" };
                    view! {
                        <li>
                            <details open>
                                <summary>
                                    <span class="tree-key" title=path.clone()>{key.clone()}</span>
                                    <span class="muted">{format!(" {count} {noun}")}</span>
                                </summary>
                                {event_tree(child, &path)}
                            </details>
                        </li>
                    }
                    .into_any()
                }
                leaf => view! {
                    <li class="tree-leaf">
                        <span class="tree-key" title=path>{key.clone()}</span>
                        <span class="tree-value">{display(leaf)}</span>
                    </li>
                }
                .into_any(),
            }
        })
        .collect_view();
    view! { <ul class="tree">{items}</ul> }.into_any()
}
