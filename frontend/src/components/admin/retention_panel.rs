//! The retention section: the default, per-source and per-category policies,
//! and a run on demand that reports what it removed.

use crate::api;
use crate::api::ApiResult;
use crate::components::common::{
    AsyncRegion, ConfirmButton, DataTable, EmptyState, ErrorPanel, FormField, TimeCell,
};
use app::ids::RetentionPolicyId;
use app::ingest::SourceSummary;
use app::retention::{RetentionOverview, RetentionPolicy, RetentionPolicyRequest, RetentionRun};
use leptos::prelude::*;

/// ECS `event.category` values, offered as suggestions (any value is accepted).
const CATEGORIES: &[&str] = &[
    "authentication",
    "configuration",
    "database",
    "driver",
    "file",
    "host",
    "iam",
    "intrusion_detection",
    "malware",
    "network",
    "package",
    "process",
    "registry",
    "session",
    "threat",
    "web",
];

/// Renders the whole retention section.
#[component]
pub fn RetentionPanel() -> impl IntoView {
    let create: Action<RetentionPolicyRequest, ApiResult<RetentionPolicy>> =
        Action::new_local(|request: &RetentionPolicyRequest| {
            let request = request.clone();
            async move { api::retention::create_policy(&request).await }
        });
    let remove: Action<RetentionPolicyId, ApiResult<()>> =
        Action::new_local(|id: &RetentionPolicyId| api::retention::delete_policy(*id));
    let run: Action<(), ApiResult<RetentionRun>> =
        Action::new_local(|_: &()| api::retention::run_now());
    let overview = LocalResource::new(move || {
        create.version().get();
        remove.version().get();
        run.version().get();
        api::retention::overview()
    });
    let sources = LocalResource::new(api::sources::list);

    view! {
        <div class="stack">
            <section class="panel" aria-labelledby="retention-heading">
                <h2 id="retention-heading" class="panel-title">"Retention"</h2>
                <AsyncRegion>
                    {move || Suspend::new(async move {
                        let overview = overview.await?;
                        Ok::<_, app::ErrorBody>(summary(&overview, run))
                    })}
                </AsyncRegion>
            </section>
            <section class="panel" aria-labelledby="create-policy-heading">
                <h2 id="create-policy-heading" class="panel-title">"Add a policy"</h2>
                <AsyncRegion>
                    {move || Suspend::new(async move {
                        // Without system:read the source list is empty; categories still work.
                        let sources = sources.await.unwrap_or_default();
                        Ok::<_, app::ErrorBody>(view! { <PolicyForm action=create sources /> })
                    })}
                </AsyncRegion>
            </section>
            <section class="panel panel-flush" aria-labelledby="policies-heading">
                <div class="panel-head">
                    <h2 id="policies-heading" class="panel-title">"Policies"</h2>
                </div>
                {move || remove.value().get().and_then(Result::err).map(|error| view! { <ErrorPanel error /> })}
                <AsyncRegion>
                    {move || Suspend::new(async move {
                        let overview = overview.await?;
                        Ok::<_, app::ErrorBody>(policy_table(overview.policies, remove))
                    })}
                </AsyncRegion>
            </section>
        </div>
    }
}

fn summary(overview: &RetentionOverview, run: Action<(), ApiResult<RetentionRun>>) -> AnyView {
    let oldest = overview
        .oldest_day
        .map_or_else(|| "nothing stored".to_owned(), |d| d.to_string());
    let outcome =
        move || {
            run.value().get().map(|result| match result {
            Ok(done) => {
                let deleted: u64 = done.deleted.iter().map(|d| d.events).sum();
                let text = format!(
                    "Dropped {} whole day{}, deleted {} event{} from days still kept for others.",
                    done.dropped_days.len(),
                    if done.dropped_days.len() == 1 { "" } else { "s" },
                    deleted,
                    if deleted == 1 { "" } else { "s" },
                );
                view! { <p class="notice notice-success" role="status">{text}</p> }.into_any()
            }
            Err(error) => view! { <ErrorPanel error /> }.into_any(),
        })
        };
    view! {
        <div class="stack">
        <dl class="stats">
            <div class="stat"><dt>"Default"</dt><dd>{format!("{} days", overview.default_days)}</dd></div>
            <div class="stat"><dt>"Stored days"</dt><dd>{overview.partitions}</dd></div>
            <div class="stat"><dt>"Oldest day"</dt><dd class="mono">{oldest}</dd></div>
            <div class="stat"><dt>"Policies"</dt><dd>{overview.policies.len()}</dd></div>
        </dl>
        <p class="hint">
            "An event is kept for the longest policy that matches its source or category, or for the default. "
            "Whole days are dropped once every policy has expired for them; inside days still kept, expired events are deleted. "
            "Retention runs every hour and is recorded in the audit log."
        </p>
        <div class="form-inline">
            <button type="button" class="btn" on:click=move |_| { run.dispatch(()); } disabled=move || run.pending().get()>
                {move || if run.pending().get() { "Applying…" } else { "Apply retention now" }}
            </button>
        </div>
        {outcome}
        </div>
    }
    .into_any()
}

/// The form that adds a policy, validated with the same rules as the server.
#[component]
fn PolicyForm(
    action: Action<RetentionPolicyRequest, ApiResult<RetentionPolicy>>,
    sources: Vec<SourceSummary>,
) -> impl IntoView {
    let name = RwSignal::new(String::new());
    let source = RwSignal::new(String::new());
    let category = RwSignal::new(String::new());
    let days = RwSignal::new("30".to_owned());
    let invalid = RwSignal::new(None::<String>);

    Effect::new(move |_| {
        if let Some(Ok(_)) = action.value().get() {
            name.set(String::new());
            category.set(String::new());
        }
    });

    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Ok(day_count) = days.get_untracked().trim().parse::<u32>() else {
            invalid.set(Some("days must be a whole number".to_owned()));
            return;
        };
        let category = category.get_untracked();
        let request = RetentionPolicyRequest::new(
            &name.get_untracked(),
            source.get_untracked().parse().ok(),
            (!category.trim().is_empty()).then_some(category.as_str()),
            day_count,
        );
        match request.validate() {
            Ok(_) => {
                invalid.set(None);
                action.dispatch(request);
            }
            Err(err) => invalid.set(Some(err.to_string())),
        }
    };

    let source_options = sources
        .into_iter()
        .map(|s| view! { <option value=s.id.to_string()>{s.name}</option> })
        .collect_view();
    let category_options = CATEGORIES
        .iter()
        .map(|c| view! { <option value=*c></option> })
        .collect_view();

    view! {
        <form class="form form-grid" on:submit=on_submit>
            <FormField id="policy-name" label="Name">
                <input
                    id="policy-name"
                    type="text"
                    maxlength=RetentionPolicyRequest::MAX_NAME_LEN
                    placeholder="for example logins kept a year"
                    autocomplete="off"
                    required
                    bind:value=name
                />
            </FormField>
            <FormField id="policy-source" label="Source">
                <select id="policy-source" bind:value=source>
                    <option value="">"any source"</option>
                    {source_options}
                </select>
            </FormField>
            <FormField id="policy-category" label="Category">
                <input
                    id="policy-category"
                    type="text"
                    list="policy-categories"
                    placeholder="any category"
                    autocomplete="off"
                    bind:value=category
                />
                <datalist id="policy-categories">{category_options}</datalist>
            </FormField>
            <FormField id="policy-days" label="Days">
                <input id="policy-days" type="number" min="1" max="36500" required bind:value=days />
            </FormField>
            <div class="field field-actions">
                <button type="submit" class="btn btn-primary" disabled=move || action.pending().get()>
                    {move || if action.pending().get() { "Adding…" } else { "Add policy" }}
                </button>
            </div>
        </form>
        {move || invalid.get().map(|message| view! { <p class="form-error" role="alert">{message}</p> })}
        {move || action.value().get().and_then(Result::err).map(|error| view! { <ErrorPanel error /> })}
    }
}

fn policy_table(
    policies: Vec<RetentionPolicy>,
    remove: Action<RetentionPolicyId, ApiResult<()>>,
) -> AnyView {
    if policies.is_empty() {
        return view! {
            <EmptyState
                title="No policies"
                message="Every event follows the default. Add a policy to keep a source or category longer, or a noisy one shorter."
            />
        }
        .into_any();
    }
    let rows = policies
        .into_iter()
        .map(|policy| {
            let id = policy.id;
            let source = match (policy.source_id, policy.source_name) {
                (None, _) => view! { <span class="muted">"any"</span> }.into_any(),
                (Some(_), Some(name)) => view! { <span>{name}</span> }.into_any(),
                (Some(id), None) => view! { <span class="mono">{id.to_string()}</span> }.into_any(),
            };
            let category = match policy.category {
                Some(category) => view! { <span class="chip mono">{category}</span> }.into_any(),
                None => view! { <span class="muted">"any"</span> }.into_any(),
            };
            view! {
                <tr>
                    <td class="cell-strong">{policy.name.clone()}</td>
                    <td>{source}</td>
                    <td>{category}</td>
                    <td class="num">{policy.days}</td>
                    <td><TimeCell ts=Some(policy.updated_at) /></td>
                    <td class="cell-actions">
                        <ConfirmButton
                            label="Delete"
                            accessible_label=format!("Delete policy {}", policy.name)
                            question=format!("Delete {}?", policy.name)
                            confirm_label="Confirm delete"
                            on_confirm=Callback::new(move |()| {
                                remove.dispatch(id);
                            })
                            disabled=Signal::derive(move || remove.pending().get())
                        />
                    </td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <DataTable columns=&["Name", "Source", "Category", "Days", "Changed"] numeric=&[3] actions=true>{rows}</DataTable>
    }
    .into_any()
}
