//! The rule catalogue: every stored rule — written in Vigil, imported from
//! Sigma, or from a built-in pack — filterable, each row opening to its
//! condition and description. Writing rules in the UI comes with the rule
//! builder; the API takes them today.

use crate::api;
use crate::components::common::{AsyncRegion, Badge, EmptyState, PageHeader, Tone};
use crate::components::layout::RequirePermission;
use app::Permission;
use app::rules::{Rule, RuleKind, RuleOrigin, Severity};
use leptos::prelude::*;

/// Renders the catalogue for users allowed to see rules.
#[component]
pub fn RulesPage() -> impl IntoView {
    view! {
        <RequirePermission any_of=&[Permission::ViewRules]>
            <Catalogue />
        </RequirePermission>
    }
}

#[component]
fn Catalogue() -> impl IntoView {
    let rules = LocalResource::new(|| async { api::rules::list().await });
    let filter = RwSignal::new(String::new());
    view! {
        <PageHeader
            title="Rules"
            description="Detection rules as data: written in Vigil, imported from Sigma, or shipped in packs. Rules are written through the API until the rule builder arrives."
        />
        <section class="panel panel-flush" aria-label="Rules">
            <AsyncRegion>
                {move || Suspend::new(async move {
                    let all = rules.await?;
                    let counted = all.clone();
                    Ok::<_, app::ErrorBody>(view! {
                        <div class="panel-head">
                            <h2 class="panel-title" data-testid="rule-count">
                                {move || {
                                    let shown = matching(&counted, &filter.get()).len();
                                    if shown == counted.len() {
                                        format!("{} rules", counted.len())
                                    } else {
                                        format!("{shown} of {} rules", counted.len())
                                    }
                                }}
                            </h2>
                            <input
                                type="search"
                                class="rule-filter"
                                placeholder="Filter by name, slug, ATT&CK id"
                                aria-label="Filter rules"
                                bind:value=filter
                            />
                        </div>
                        {
                            let all = all.clone();
                            move || table(matching(&all, &filter.get()))
                        }
                    })
                })}
            </AsyncRegion>
        </section>
    }
}

/// The rules whose name, slug or ATT&CK ids contain every word of `filter`.
fn matching(rules: &[Rule], filter: &str) -> Vec<Rule> {
    let words: Vec<String> = filter.split_whitespace().map(str::to_lowercase).collect();
    rules
        .iter()
        .filter(|rule| {
            let d = &rule.definition;
            let haystack = format!(
                "{} {} {} {}",
                d.name,
                d.slug,
                d.tactics.join(" "),
                d.techniques.join(" ")
            )
            .to_lowercase();
            words.iter().all(|w| haystack.contains(w.as_str()))
        })
        .cloned()
        .collect()
}

fn table(rules: Vec<Rule>) -> AnyView {
    if rules.is_empty() {
        return view! { <EmptyState title="No rules match" message="Clear the filter to see every rule." /> }
            .into_any();
    }
    let rows = rules
        .into_iter()
        .map(|rule| view! { <RuleRow rule /> })
        .collect_view();
    view! {
        <div class="table-wrap">
            <table class="table rules-table">
                <thead>
                    <tr>
                        <th scope="col" class="col-toggle"><span class="sr-only">"Expand"</span></th>
                        <th scope="col">"Rule"</th>
                        <th scope="col">"Kind"</th>
                        <th scope="col">"Severity"</th>
                        <th scope="col">"ATT&CK"</th>
                        <th scope="col">"Origin"</th>
                        <th scope="col">"State"</th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
    .into_any()
}

fn kind_text(kind: &RuleKind) -> String {
    match kind {
        RuleKind::Query => "each event".into(),
        RuleKind::Threshold {
            threshold,
            window_secs,
            group_by,
        } => format!("≥ {threshold} in {}{}", span(*window_secs), by(group_by)),
        RuleKind::ValueCount {
            field,
            threshold,
            window_secs,
            group_by,
        } => format!(
            "≥ {threshold} distinct {field} in {}{}",
            span(*window_secs),
            by(group_by)
        ),
        RuleKind::Sequence { steps, ordered, .. } => format!(
            "{} steps{}",
            steps.len(),
            if *ordered { " in order" } else { ", any order" }
        ),
        RuleKind::NewTerms { fields, .. } => format!("new {}", fields.join(" + ")),
        RuleKind::Indicator { field, watchlist } => format!("{field} on {watchlist}"),
        RuleKind::Absence { period_secs, .. } => {
            format!("silence for {}", span(*period_secs))
        }
        RuleKind::ImpossibleTravel {
            by: travellers,
            max_speed_kmh,
            ..
        } => format!(
            "travel > {max_speed_kmh} km/h by {}",
            travellers.join(" + ")
        ),
    }
}

/// A rule's window in its own unit: `2 min`, `1 h`, `7 d`, `90 s`.
fn span(secs: u64) -> String {
    match secs {
        s if s >= 86_400 && s % 86_400 == 0 => format!("{} d", s / 86_400),
        s if s >= 3_600 && s % 3_600 == 0 => format!("{} h", s / 3_600),
        s if s >= 60 && s % 60 == 0 => format!("{} min", s / 60),
        s => format!("{s} s"),
    }
}

fn by(fields: &[String]) -> String {
    if fields.is_empty() {
        String::new()
    } else {
        format!(" by {}", fields.join(", "))
    }
}

fn severity_badge(severity: Severity) -> AnyView {
    let (tone, label) = match severity {
        Severity::Critical => (Tone::Critical, "critical"),
        Severity::High => (Tone::Critical, "high"),
        Severity::Medium => (Tone::Warn, "medium"),
        Severity::Low => (Tone::Info, "low"),
        Severity::Informational => (Tone::Neutral, "info"),
    };
    view! { <Badge tone label /> }.into_any()
}

/// One rule: a summary row, and when opened, its condition and description.
#[component]
fn RuleRow(rule: Rule) -> impl IntoView {
    let open = RwSignal::new(false);
    let d = rule.definition.clone();
    let attack = d
        .tactics
        .iter()
        .chain(&d.techniques)
        .cloned()
        .collect::<Vec<_>>()
        .join(" ");
    let origin = match rule.origin {
        RuleOrigin::Vigil => "Vigil",
        RuleOrigin::Sigma => "Sigma",
        RuleOrigin::Pack => "pack",
    };
    let state = if d.enabled {
        view! { <Badge tone=Tone::Ok label="enabled" /> }.into_any()
    } else {
        view! { <Badge tone=Tone::Neutral label="disabled" /> }.into_any()
    };
    let detail = serde_json::to_string_pretty(&d.kind).unwrap_or_default();
    view! {
        <tr class="hit" class:open=move || open.get() on:click=move |_| open.update(|o| *o = !*o) data-testid="rule-row">
            <td class="col-toggle">
                <button
                    type="button"
                    class="btn btn-ghost btn-sm btn-icon"
                    aria-expanded=move || open.get().to_string()
                    aria-label=format!("Show rule {}", d.slug)
                >
                    {move || if open.get() { "▾" } else { "▸" }}
                </button>
            </td>
            <td class="rule-cell">
                <div class="rule-name">
                    <span>{d.name.clone()}</span>
                    <span class="muted mono">{d.slug.clone()}</span>
                </div>
            </td>
            <td class="cell-nowrap">{kind_text(&d.kind)}</td>
            <td>{severity_badge(d.severity)}</td>
            <td class="mono cell-nowrap" title=attack.clone()>{attack.clone()}</td>
            <td>{origin}</td>
            <td>{state}</td>
        </tr>
        {move || open.get().then(|| view! {
            <tr class="hit-detail" data-testid="rule-detail">
                <td colspan="7">
                    <div class="rule-detail">
                        <div>
                            <h3 class="rule-detail-title">"Condition"</h3>
                            <pre class="mono">{if d.query.is_empty() { "(every event)".to_owned() } else { d.query.clone() }}</pre>
                            {(!d.exceptions.is_empty()).then(|| view! {
                                <h3 class="rule-detail-title">"Except"</h3>
                                <pre class="mono">{d.exceptions.join("\n")}</pre>
                            })}
                            <h3 class="rule-detail-title">"Kind"</h3>
                            <pre class="mono">{detail.clone()}</pre>
                        </div>
                        <div>
                            <h3 class="rule-detail-title">"Description"</h3>
                            <p class="rule-description">{d.description.clone()}</p>
                            <p class="muted">{format!("version {} · {} test cases", rule.version, d.tests.len())}</p>
                        </div>
                    </div>
                </td>
            </tr>
        })}
    }
}
