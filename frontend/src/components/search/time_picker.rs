//! The time picker: commonly used ranges (Today, This week, Last 24 hours…),
//! "last N units", absolute times with the browser's calendar, date-math
//! expressions, the time zone dates are read in, and a link to this view
//! with absolute times to share. Escape closes it.

use super::state::{ExplorerState, QUICK_RANGES, range_label};
use crate::components::common::CopyButton;
use app::query::time::{self, Clock};
use chrono::{FixedOffset, Offset, Utc};
use leptos::ev;
use leptos::prelude::*;

/// The units of "Last N …": (label, date-math letter).
const UNITS: &[(&str, &str)] = &[
    ("minutes", "m"),
    ("hours", "h"),
    ("days", "d"),
    ("weeks", "w"),
    ("months", "M"),
    ("years", "y"),
];

/// The zones offered besides UTC and the browser's own.
const OFFSETS: &[&str] = &[
    "-10:00", "-08:00", "-07:00", "-06:00", "-05:00", "-04:00", "-03:00", "+01:00", "+02:00",
    "+03:00", "+04:00", "+05:30", "+07:00", "+08:00", "+09:00", "+10:00", "+12:00",
];

/// The browser's current UTC offset, as `+01:00`.
fn browser_zone() -> String {
    let offset: FixedOffset = chrono::Local::now().offset().fix();
    let seconds = offset.local_minus_utc();
    if seconds == 0 {
        return "UTC".to_owned();
    }
    let sign = if seconds < 0 { '-' } else { '+' };
    let minutes = seconds.abs() / 60;
    format!("{sign}{:02}:{:02}", minutes / 60, minutes % 60)
}

fn zone_label(zone: &str) -> String {
    if zone == "UTC" {
        "UTC".to_owned()
    } else {
        format!("UTC{zone}")
    }
}

/// Renders the range button and, when open, its panel. `from` and `to`
/// are the range as edited; `apply` runs the search over a new range.
#[component]
pub fn TimePicker(
    state: ExplorerState,
    from: RwSignal<String>,
    to: RwSignal<String>,
    #[prop(into)] apply: Callback<(String, String)>,
) -> impl IntoView {
    let open = RwSignal::new(false);
    let count = RwSignal::new("15".to_owned());
    let unit = RwSignal::new("m".to_owned());
    let start = RwSignal::new(String::new());
    let end = RwSignal::new(String::new());
    let clock = move || Clock {
        now: Utc::now(),
        zone: time::zone(&state.zone.get_untracked())
            .unwrap_or_else(|| FixedOffset::east_opt(0).expect("zero offset")),
    };
    // The absolute fields start from the range shown, in the zone.
    let fill_absolute = move || {
        let clock = clock();
        if let Ok((a, b)) =
            app::search::resolve_range(&from.get_untracked(), &to.get_untracked(), &clock)
        {
            let local = |t: chrono::DateTime<Utc>| {
                t.with_timezone(&clock.zone)
                    .format("%Y-%m-%dT%H:%M:%S")
                    .to_string()
            };
            start.set(local(a));
            end.set(local(b));
        }
    };
    let toggle = move |_| {
        if !open.get_untracked() {
            fill_absolute();
        }
        open.update(|o| *o = !*o);
    };
    let choose = move |a: String, b: String| {
        from.set(a.clone());
        to.set(b.clone());
        open.set(false);
        apply.run((a, b));
    };
    let on_keydown = move |event: ev::KeyboardEvent| {
        if event.key() == "Escape" {
            event.prevent_default();
            open.set(false);
        }
    };
    let quick = QUICK_RANGES
        .iter()
        .map(|(label, a, b)| {
            let (a, b) = ((*a).to_owned(), (*b).to_owned());
            let current = {
                let (a, b) = (a.clone(), b.clone());
                move || from.get() == a && to.get() == b
            };
            view! {
                <li>
                    <button type="button" class="link-button" class:current=current
                        on:click=move |_| choose(a.clone(), b.clone())>{*label}</button>
                </li>
            }
        })
        .collect_view();
    let last_n = move |ev: ev::SubmitEvent| {
        ev.prevent_default();
        let n = count.get_untracked();
        if n.trim().parse::<u32>().is_ok_and(|n| n > 0) {
            choose(
                format!("now-{}{}", n.trim(), unit.get_untracked()),
                "now".into(),
            );
        }
    };
    let apply_pair = Callback::new(move |(a, b): (String, String)| choose(a, b));
    let browser = browser_zone();
    let zones = {
        let mut zones = vec![("UTC".to_owned(), "UTC".to_owned())];
        if browser != "UTC" {
            zones.push((
                browser.clone(),
                format!("Browser ({})", zone_label(&browser)),
            ));
        }
        zones.extend(
            OFFSETS
                .iter()
                .filter(|z| **z != browser)
                .map(|z| ((*z).to_owned(), zone_label(z))),
        );
        zones
    };
    let zone_options = zones
        .into_iter()
        .map(|(value, label)| {
            let selected = {
                let value = value.clone();
                move || state.zone.get() == value
            };
            view! { <option value=value selected=selected>{label}</option> }
        })
        .collect_view();
    // The view as a link that shows the same events tomorrow.
    let absolute_link = Signal::derive(move || {
        let clock = clock();
        let origin = window().location().origin().unwrap_or_default();
        match app::search::resolve_range(&state.from.get(), &state.to.get(), &clock) {
            Ok((a, b)) => {
                let moment = |t: chrono::DateTime<Utc>| {
                    t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
                };
                format!("{origin}{}", state.path_with_range(&moment(a), &moment(b)))
            }
            Err(_) => String::new(),
        }
    });

    view! {
        <div class="time-picker" on:keydown=on_keydown>
            <button type="button" class="btn time-toggle" aria-haspopup="dialog"
                aria-expanded=move || open.get().to_string() data-testid="time-picker"
                on:click=toggle>
                <span class="time-range-label">{move || range_label(&state.from.get(), &state.to.get())}</span>
                <span class="badge zone-badge">{move || zone_label(&state.zone.get())}</span>
            </button>
            {move || open.get().then(|| view! {
                <div class="time-panel" role="dialog" aria-label="Time range">
                    <section>
                        <h3>"Commonly used"</h3>
                        <ul class="quick-ranges">{quick.clone()}</ul>
                    </section>
                    <section>
                        <h3>"Last"</h3>
                        <form class="time-row" on:submit=last_n>
                            <input type="number" min="1" class="time-count" aria-label="How many" bind:value=count />
                            <select aria-label="Unit" on:change=move |ev| unit.set(event_target_value(&ev))>
                                {UNITS.iter().map(|(label, letter)| view! {
                                    <option value=*letter selected=move || unit.get() == *letter>{*label}</option>
                                }).collect_view()}
                            </select>
                            <button type="submit" class="btn btn-sm">"Apply"</button>
                        </form>
                    </section>
                    <section>
                        <h3>"Absolute, in " {move || zone_label(&state.zone.get())}</h3>
                        <RangeForm start=start end=end kind="datetime-local" labels=("Start", "End")
                            zone=state.zone apply=apply_pair />
                    </section>
                    <section>
                        <h3>"Expressions"</h3>
                        <RangeForm start=from end=to kind="text" labels=("From", "To")
                            zone=state.zone apply=apply_pair />
                        <p class="muted small">"now-1h, now/d (today), now-1d/d (yesterday), 2026-12-03, 2026-12-03T10:00"</p>
                    </section>
                    <section class="time-row">
                        <label for="time-zone">"Time zone"</label>
                        <select id="time-zone" on:change=move |ev| state.set_zone(&event_target_value(&ev))>
                            {zone_options.clone()}
                        </select>
                        <span class="muted small">"dates, rounding and the absolute fields read in it"</span>
                    </section>
                    <section class="time-row">
                        <span>"Link with absolute times"</span>
                        <CopyButton text=absolute_link accessible_label="Copy link with absolute times" />
                    </section>
                </div>
            })}
        </div>
    }
}

/// Two ends of a range, checked as typed (against now, in `zone`), and
/// Apply: the absolute fields and the date-math expressions alike.
#[component]
fn RangeForm(
    start: RwSignal<String>,
    end: RwSignal<String>,
    /// The inputs' type: `datetime-local` (the browser's calendar) or `text`.
    kind: &'static str,
    /// The inputs' accessible names.
    labels: (&'static str, &'static str),
    zone: Memo<String>,
    apply: Callback<(String, String)>,
) -> impl IntoView {
    let problem = Memo::new(move |_| {
        let clock = Clock {
            now: Utc::now(),
            zone: time::zone(&zone.get())
                .unwrap_or_else(|| FixedOffset::east_opt(0).expect("zero offset")),
        };
        app::search::resolve_range(&start.get(), &end.get(), &clock)
            .err()
            .map(|(field, message)| {
                let label = if field == "to" { labels.1 } else { labels.0 };
                format!("{label}: {message}")
            })
    });
    let submit = move |ev: ev::SubmitEvent| {
        ev.prevent_default();
        if problem.get_untracked().is_none() {
            apply.run((start.get_untracked(), end.get_untracked()));
        }
    };
    let class = if kind == "text" {
        "mono range-input"
    } else {
        ""
    };
    view! {
        <form class="time-row" on:submit=submit>
            <input type=kind step="1" class=class aria-label=labels.0 bind:value=start />
            <span aria-hidden="true">"→"</span>
            <input type=kind step="1" class=class aria-label=labels.1 bind:value=end />
            <button type="submit" class="btn btn-sm" disabled=move || problem.get().is_some()>"Apply"</button>
        </form>
        {move || problem.get().map(|p| view! { <p class="field-error">{p}</p> })}
    }
}
