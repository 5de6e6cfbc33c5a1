//! The evaluator's tests: every kind's semantics, and checkpoints that
//! restore exactly.

use super::*;
use serde_json::json;
use std::collections::HashSet;
use std::sync::Arc;

fn rule(extra: Value) -> RuleDefinition {
    let mut value = json!({"slug": "r", "name": "Rule R", "severity": "high", "query": "event.outcome:failure"});
    value
        .as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    serde_json::from_value(value).unwrap()
}

fn event(minute: i64, fields: Value) -> EventRecord {
    let base: DateTime<Utc> = "2026-11-29T10:00:00Z".parse().unwrap();
    EventRecord {
        id: uuid::Uuid::from_u128(minute as u128 * 1000 + 1),
        timestamp: base + Duration::minutes(minute),
        document: fields,
    }
}

fn failure(minute: i64, ip: &str) -> EventRecord {
    event(
        minute,
        json!({"event": {"outcome": "failure"}, "source": {"ip": ip}, "user": {"name": format!("u{minute}")}}),
    )
}

fn ids(alert: &AlertDraft) -> Vec<uuid::Uuid> {
    alert.events.iter().map(|(_, id)| *id).collect()
}

fn run(evaluator: &mut Evaluator, events: &[EventRecord]) -> Vec<AlertDraft> {
    events.iter().flat_map(|e| evaluator.observe(e)).collect()
}

#[test]
fn a_query_rule_alerts_on_each_matching_event_not_excepted() {
    let rule = rule(
        json!({"kind": "query", "exceptions": ["source.ip:10.0.0.0/8"],
                           "summary": "failure from {source.ip} ({count})"}),
    );
    let mut evaluator = Evaluator::new(&rule, &Lists::new(), Utc::now()).unwrap();
    let alerts = run(
        &mut evaluator,
        &[
            failure(0, "203.0.113.9"),
            failure(1, "10.0.0.1"),
            event(2, json!({})),
        ],
    );
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0].summary, "failure from 203.0.113.9 (1)");
    assert_eq!(alerts[0].severity, Severity::High);
}

#[test]
fn a_threshold_fires_once_per_full_window_per_group() {
    let rule = rule(
        json!({"kind": "threshold", "group_by": ["source.ip"], "threshold": 3,
                           "window_secs": 300, "summary": "{count} failures from {source.ip}"}),
    );
    let mut evaluator = Evaluator::new(&rule, &Lists::new(), Utc::now()).unwrap();
    let events = [
        failure(0, "1.1.1.1"),
        failure(1, "2.2.2.2"),
        failure(2, "1.1.1.1"),
        failure(9, "1.1.1.1"), // too late for the first two
        failure(10, "1.1.1.1"),
        failure(11, "1.1.1.1"), // third within 5 minutes of minute 9
        failure(12, "1.1.1.1"),
    ];
    let alerts = run(&mut evaluator, &events);
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    assert_eq!(alerts[0].summary, "3 failures from 1.1.1.1");
    assert_eq!(
        ids(&alerts[0]),
        vec![events[3].id, events[4].id, events[5].id]
    );
    assert_eq!(alerts[0].window_start, events[3].timestamp);
    assert_eq!(alerts[0].group["source.ip"], "1.1.1.1");
}

#[test]
fn a_late_event_inside_the_window_still_counts() {
    let rule = rule(json!({"kind": "threshold", "threshold": 3, "window_secs": 300}));
    let mut evaluator = Evaluator::new(&rule, &Lists::new(), Utc::now()).unwrap();
    let alerts = run(
        &mut evaluator,
        &[failure(4, "a"), failure(6, "a"), failure(3, "a")],
    );
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0].window_start, failure(3, "a").timestamp);
    let mut evaluator = Evaluator::new(&rule, &Lists::new(), Utc::now()).unwrap();
    let too_late = run(
        &mut evaluator,
        &[failure(10, "a"), failure(11, "a"), failure(1, "a")],
    );
    assert!(too_late.is_empty());
}

#[test]
fn value_count_counts_distinct_values() {
    let rule = rule(
        json!({"kind": "value_count", "field": "user.name", "group_by": ["source.ip"],
                           "threshold": 3, "window_secs": 600}),
    );
    let mut evaluator = Evaluator::new(&rule, &Lists::new(), Utc::now()).unwrap();
    let same_user = |minute| {
        event(
            minute,
            json!({"event": {"outcome": "failure"}, "source": {"ip": "1.1.1.1"}, "user": {"name": "root"}}),
        )
    };
    let alerts = run(
        &mut evaluator,
        &[
            same_user(0),
            same_user(1),
            same_user(2),
            failure(3, "1.1.1.1"),
            failure(4, "1.1.1.1"),
        ],
    );
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0].events.len(), 5);
}

fn logon(minute: i64, host: &str) -> EventRecord {
    event(
        minute,
        json!({"event": {"action": "logon"}, "host": {"name": host}}),
    )
}

fn whoami(minute: i64, host: &str) -> EventRecord {
    event(
        minute,
        json!({"process": {"name": "whoami"}, "host": {"name": host}}),
    )
}

#[test]
fn a_sequence_needs_its_steps_in_order_within_the_span() {
    let rule = rule(
        json!({"kind": "sequence", "query": "", "by": ["host.name"], "max_span_secs": 600,
        "steps": [{"query": "event.action:logon"}, {"query": "process.name:whoami"}]}),
    );
    let mut evaluator = Evaluator::new(&rule, &Lists::new(), Utc::now()).unwrap();
    let alerts = run(
        &mut evaluator,
        &[
            whoami(0, "a"), // before any logon
            logon(1, "a"),
            whoami(2, "b"), // another host
            logon(3, "b"),
            whoami(20, "b"), // too late for b's logon
            whoami(5, "a"),
        ],
    );
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    assert_eq!(alerts[0].group["host.name"], "a");
    assert_eq!(ids(&alerts[0]), vec![logon(1, "a").id, whoami(5, "a").id]);
}

#[test]
fn an_unordered_sequence_takes_its_steps_in_any_order() {
    let rule = rule(
        json!({"kind": "sequence", "query": "", "by": ["host.name"], "max_span_secs": 600,
        "ordered": false, "steps": [{"query": "event.action:logon"}, {"query": "process.name:whoami"}]}),
    );
    let mut evaluator = Evaluator::new(&rule, &Lists::new(), Utc::now()).unwrap();
    let alerts = run(
        &mut evaluator,
        &[
            whoami(0, "a"),
            logon(30, "a"),
            logon(31, "a"),
            whoami(35, "b"),
            logon(36, "b"),
        ],
    );
    let hosts: Vec<&str> = alerts
        .iter()
        .map(|a| a.group["host.name"].as_str())
        .collect();
    assert_eq!(hosts, ["b"], "a's steps are 30 minutes apart");
    assert_eq!(ids(&alerts[0]), vec![whoami(35, "b").id, logon(36, "b").id]);
}

#[test]
fn new_terms_alert_on_first_sight_and_after_the_history() {
    let rule =
        rule(json!({"kind": "new_terms", "query": "", "fields": ["user.name"], "history_days": 1}));
    let mut evaluator = Evaluator::new(&rule, &Lists::new(), Utc::now()).unwrap();
    let login = |m, user: &str| event(m, json!({"user": {"name": user}}));
    let alerts = run(
        &mut evaluator,
        &[
            login(0, "alice"),
            login(5, "alice"),
            login(6, "bob"),
            login(2000, "alice"),
        ],
    );
    let users: Vec<&str> = alerts
        .iter()
        .map(|a| a.group["user.name"].as_str())
        .collect();
    assert_eq!(users, ["alice", "bob", "alice"]);
}

#[test]
fn indicators_match_watchlist_values() {
    let rule = rule(
        json!({"kind": "indicator", "query": "", "field": "destination.ip", "watchlist": "bad"}),
    );
    let lists = Lists::from([(
        "bad".to_owned(),
        Arc::new(HashSet::from(["198.51.100.7".to_owned()])),
    )]);
    let mut evaluator = Evaluator::new(&rule, &lists, Utc::now()).unwrap();
    let alerts = run(
        &mut evaluator,
        &[
            event(0, json!({"destination": {"ip": "198.51.100.7"}})),
            event(1, json!({"destination": {"ip": "198.51.100.8"}})),
        ],
    );
    assert_eq!(alerts.len(), 1);
}

#[test]
fn absence_alerts_once_per_silence() {
    let rule = rule(
        json!({"kind": "absence", "query": "", "group_by": ["host.name"], "period_secs": 600}),
    );
    let start: DateTime<Utc> = "2026-11-29T10:00:00Z".parse().unwrap();
    let mut evaluator = Evaluator::new(&rule, &Lists::new(), start).unwrap();
    let beat = |m, host: &str| event(m, json!({"host": {"name": host}}));
    run(&mut evaluator, &[beat(0, "a"), beat(0, "b"), beat(8, "b")]);
    let at = |m| start + Duration::minutes(m);
    assert!(evaluator.tick(at(5)).is_empty());
    let silent: Vec<String> = evaluator
        .tick(at(11))
        .into_iter()
        .map(|a| a.group["host.name"].clone())
        .collect();
    assert_eq!(silent, ["a"]);
    assert!(evaluator.tick(at(12)).is_empty(), "once per silence");
    assert_eq!(evaluator.tick(at(19)).len(), 1, "b fell silent too");

    let ungrouped = rule_without_groups();
    let mut evaluator = Evaluator::new(&ungrouped, &Lists::new(), start).unwrap();
    assert_eq!(
        evaluator.tick(at(11)).len(),
        1,
        "nothing at all since the start"
    );
}

fn rule_without_groups() -> RuleDefinition {
    rule(json!({"kind": "absence", "query": "", "period_secs": 600}))
}

#[test]
fn suppression_keeps_one_alert_per_group_and_duration() {
    let rule =
        rule(json!({"kind": "query", "suppression": {"group_by": [], "duration_secs": 600}}));
    let mut evaluator = Evaluator::new(&rule, &Lists::new(), Utc::now()).unwrap();
    let alerts = run(
        &mut evaluator,
        &[
            failure(0, "a"),
            failure(5, "b"),
            failure(10, "c"),
            failure(11, "d"),
        ],
    );
    assert_eq!(alerts.len(), 2);
    assert_eq!(evaluator.suppressed(), 2);
}

proptest::proptest! {
    /// Whatever the order and spacing of events, a threshold alert holds
    /// at least the threshold of one group's events within one window,
    /// and no event counts towards two alerts.
    #[test]
    fn threshold_alerts_are_sound(
        events in proptest::collection::vec((0i64..120, 0u8..3), 0..80),
        threshold in 1u64..6,
        window in 1u64..40,
    ) {
        let rule = rule(json!({"kind": "threshold", "group_by": ["source.ip"],
                               "threshold": threshold, "window_secs": window * 60}));
        let mut evaluator = Evaluator::new(&rule, &Lists::new(), Utc::now()).unwrap();
        let records: Vec<EventRecord> = events
            .iter()
            .enumerate()
            .map(|(i, (minute, ip))| {
                let mut record = failure(*minute, &format!("10.0.0.{ip}"));
                record.id = uuid::Uuid::from_u128(i as u128);
                record
            })
            .collect();
        let by_id: HashMap<uuid::Uuid, &EventRecord> = records.iter().map(|r| (r.id, r)).collect();
        let mut used = HashSet::new();
        for alert in run(&mut evaluator, &records) {
            proptest::prop_assert!(alert.events.len() as u64 >= threshold);
            proptest::prop_assert!(alert.window_end - alert.window_start <= Duration::minutes(window as i64));
            for (_, id) in &alert.events {
                proptest::prop_assert!(used.insert(*id), "an event counted twice");
                let record = by_id[id];
                proptest::prop_assert_eq!(field_text(&record.document, "source.ip"), alert.group.get("source.ip").cloned());
            }
        }
    }
}

fn kinds() -> Vec<RuleDefinition> {
    vec![
        rule(
            json!({"kind": "threshold", "group_by": ["source.ip"], "threshold": 3, "window_secs": 1200,
                    "suppression": {"group_by": ["source.ip"], "duration_secs": 1800}}),
        ),
        rule(
            json!({"kind": "value_count", "field": "user.name", "group_by": ["source.ip"],
                    "threshold": 2, "window_secs": 900}),
        ),
        rule(
            json!({"query": "*", "kind": "sequence", "by": ["source.ip"], "max_span_secs": 1500,
                    "steps": [{"query": "event.action:logon"}, {"query": "event.action:whoami"}]}),
        ),
        rule(
            json!({"query": "*", "kind": "sequence", "by": ["source.ip"], "max_span_secs": 1500, "ordered": false,
                    "steps": [{"query": "event.action:logon"}, {"query": "event.action:whoami"}]}),
        ),
        rule(json!({"kind": "new_terms", "fields": ["source.ip", "user.name"], "history_days": 1})),
        rule(json!({"kind": "absence", "group_by": ["source.ip"], "period_secs": 600})),
        rule(json!({"kind": "impossible_travel", "window_secs": 3600,
                    "suppression": {"group_by": ["user.name"], "duration_secs": 600}})),
    ]
}

proptest::proptest! {
    /// A checkpoint is exact: saving anywhere, restoring into a fresh
    /// evaluator and going on raises exactly what going straight on
    /// raises, and ends in the same state. This is what makes alerts
    /// exactly-once across a crash.
    #[test]
    fn a_restored_evaluator_goes_on_exactly(
        events in proptest::collection::vec((0i64..2000, 0u8..3, 0u8..3, 0u8..3), 0..120),
        cut in 0usize..120,
        kind in 0usize..7,
    ) {
        let rule = kinds().swap_remove(kind);
        let started: DateTime<Utc> = "2026-11-29T09:00:00Z".parse().unwrap();
        let records: Vec<EventRecord> = events
            .iter()
            .enumerate()
            .map(|(i, (minute, ip, user, action))| {
                let action = ["logon", "whoami", "other"][*action as usize];
                // Each address in its own city: London, New York, Tokyo.
                let (lat, lon) = [(51.5074, -0.1278), (40.7128, -74.006), (35.6762, 139.6503)][*ip as usize];
                let mut record = event(minute / 10, json!({
                    "event": {"outcome": "failure", "action": action},
                    "source": {"ip": format!("10.0.0.{ip}"), "geo": {"location": {"lat": lat, "lon": lon}}},
                    "user": {"name": format!("u{user}")}}));
                record.id = uuid::Uuid::from_u128(i as u128);
                record
            })
            .collect();
        let cut = cut.min(records.len());
        let clock = |i: usize| records[i].timestamp + Duration::minutes(30);
        let feed = |evaluator: &mut Evaluator, range: std::ops::Range<usize>| {
            let mut drafts = Vec::new();
            for i in range {
                drafts.extend(evaluator.observe(&records[i]));
                // Absence's clock, moved as deterministically as the events.
                if i % 5 == 0 {
                    drafts.extend(evaluator.tick(clock(i)));
                }
            }
            drafts
        };
        let mut straight = Evaluator::new(&rule, &Lists::new(), started).unwrap();
        let expected = feed(&mut straight, 0..records.len());
        let mut first = Evaluator::new(&rule, &Lists::new(), started).unwrap();
        let mut got = feed(&mut first, 0..cut);
        let saved = serde_json::to_string(&first.save()).unwrap();
        let mut second = Evaluator::new(&rule, &Lists::new(), Utc::now()).unwrap();
        second.restore(serde_json::from_str(&saved).unwrap()).unwrap();
        got.extend(feed(&mut second, cut..records.len()));
        proptest::prop_assert_eq!(got, expected);
        proptest::prop_assert_eq!(second.save(), straight.save());
    }
}

fn login(minute: i64, user: &str, place: Value) -> EventRecord {
    event(
        minute,
        json!({"event": {"outcome": "failure"}, "user": {"name": user}, "source": {"geo": place}}),
    )
}

fn london() -> Value {
    json!({"location": {"lat": 51.5074, "lon": -0.1278}, "city_name": "London", "country_iso_code": "GB"})
}

fn sydney() -> Value {
    json!({"location": {"lat": -33.8688, "lon": 151.2093}, "city_name": "Sydney", "country_iso_code": "AU"})
}

#[test]
fn impossible_travel_needs_distance_and_speed() {
    let rule = rule(json!({
        "kind": "impossible_travel",
        "summary": "{user.name}: {from} to {to} in {elapsed}, {distance_km} km at {speed_kmh} km/h"
    }));
    let mut evaluator = Evaluator::new(&rule, &Lists::new(), Utc::now()).unwrap();
    let croydon = json!({"location": {"lat": 51.3762, "lon": -0.0982}, "city_name": "Croydon"});
    let events = [
        login(0, "alice", london()),
        // 15 km away: the same locality, however quick.
        login(1, "alice", croydon),
        // 17,000 km in two hours: impossible.
        login(121, "alice", sydney()),
        // Another user, same places, a day apart: a long flight, fine.
        login(0, "bob", london()),
        login(24 * 60, "bob", sydney()),
        // No place: skipped, not an error.
        event(
            122,
            json!({"event": {"outcome": "failure"}, "user": {"name": "alice"}}),
        ),
    ];
    let alerts = run(&mut evaluator, &events);
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    let alert = &alerts[0];
    assert_eq!(ids(alert), vec![events[1].id, events[2].id]);
    assert_eq!(
        alert.group.get("user.name").map(String::as_str),
        Some("alice")
    );
    assert_eq!(alert.window_start, events[1].timestamp);
    assert!(
        alert
            .summary
            .starts_with("alice: Croydon to Sydney, AU in 2 h, 169"),
        "{}",
        alert.summary
    );
}

#[test]
fn impossible_travel_takes_late_events_and_forgets_after_the_window() {
    let rule = rule(json!({"kind": "impossible_travel", "window_secs": 7200}));
    let mut evaluator = Evaluator::new(&rule, &Lists::new(), Utc::now()).unwrap();
    // A late event (older than the last one seen) is compared too, and the
    // newer place stays the group's place.
    let alerts = run(
        &mut evaluator,
        &[login(60, "carol", sydney()), login(30, "carol", london())],
    );
    assert_eq!(alerts.len(), 1);
    assert_eq!(
        alerts[0].window_start,
        login(30, "carol", london()).timestamp
    );
    // Sydney (minute 60) is still carol's place: London at 90 is impossible,
    let alerts = run(&mut evaluator, &[login(90, "carol", london())]);
    assert_eq!(alerts.len(), 1);
    // and after the window, a new place is only a new place.
    let alerts = run(&mut evaluator, &[login(90 + 121, "carol", sydney())]);
    assert_eq!(alerts, vec![]);
}

#[test]
fn geo_points_in_every_form_elasticsearch_takes() {
    for value in [
        json!({"lat": 51.5, "lon": -0.12}),
        json!({"lat": "51.5", "lon": "-0.12"}),
        json!("51.5, -0.12"),
        json!([-0.12, 51.5]),
        json!("POINT (-0.12 51.5)"),
    ] {
        assert_eq!(geo_point(&value), Some((51.5, -0.12)), "{value}");
    }
    for value in [
        json!({"lat": 95, "lon": 0}),
        json!("x"),
        json!([1]),
        json!(null),
    ] {
        assert_eq!(geo_point(&value), None, "{value}");
    }
}

#[test]
fn a_grouped_absence_rule_waits_for_a_group_to_go_silent() {
    let start: DateTime<Utc> = "2026-11-29T10:00:00Z".parse().unwrap();
    let grouped = rule(json!({"kind": "absence", "group_by": ["host.name"], "period_secs": 600}));
    let mut evaluator = Evaluator::new(&grouped, &Lists::new(), start).unwrap();
    // Hours with nothing at all: no host was ever seen, none is silent.
    assert!(evaluator.tick(start + Duration::hours(3)).is_empty());
    let ungrouped = rule(json!({"kind": "absence", "period_secs": 600}));
    let mut evaluator = Evaluator::new(&ungrouped, &Lists::new(), start).unwrap();
    assert_eq!(evaluator.tick(start + Duration::hours(3)).len(), 1);
}

#[test]
fn remembered_history_is_not_new() {
    let rule = rule(json!({"kind": "new_terms", "fields": ["user.name"], "history_days": 1}));
    let mut evaluator = Evaluator::new(&rule, &Lists::new(), Utc::now()).unwrap();
    evaluator.remember(&failure(0, "10.0.0.1"));
    // u0 was remembered; u5 was not.
    let alerts = run(
        &mut evaluator,
        &[failure(0, "10.0.0.1"), failure(5, "10.0.0.1")],
    );
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0].group["user.name"], "u5");
    // Only new-terms rules remember.
    let mut threshold = Evaluator::new(&kinds()[0], &Lists::new(), Utc::now()).unwrap();
    let before = threshold.save();
    threshold.remember(&failure(0, "10.0.0.1"));
    assert_eq!(threshold.save(), before);
}

#[test]
fn saved_state_of_another_kind_is_refused() {
    let all = kinds();
    let threshold = Evaluator::new(&all[0], &Lists::new(), Utc::now()).unwrap();
    let mut sequence = Evaluator::new(&all[2], &Lists::new(), Utc::now()).unwrap();
    assert!(sequence.restore(threshold.save()).is_err());
    assert!(sequence.restore(json!({"garbage": true})).is_err());
}

#[test]
fn sweeping_lets_go_of_groups_the_window_has_passed() {
    let rule = rule(
        json!({"kind": "threshold", "group_by": ["source.ip"], "threshold": 5, "window_secs": 600}),
    );
    let mut evaluator = Evaluator::new(&rule, &Lists::new(), Utc::now()).unwrap();
    for i in 0..200 {
        evaluator.observe(&failure(i, &format!("10.1.{}.{}", i / 250, i % 250)));
    }
    let Kind::Threshold(threshold) = &evaluator.kind else {
        panic!("a threshold rule keeps windows");
    };
    let groups = &threshold.groups;
    // One new address a minute, ten-minute window: at most the last
    // ten (and what arrived since the last sweep) are remembered.
    assert!(
        groups.len() <= 10 + SWEEP_EVERY as usize,
        "{} groups",
        groups.len()
    );
    assert!(groups.len() < 200);
}

#[test]
fn broken_rules_are_refused_with_the_field() {
    let mut broken = rule(json!({"kind": "query"}));
    broken.query = "x|re:\"(\"".into();
    let error = Evaluator::new(&broken, &Lists::new(), Utc::now()).unwrap_err();
    assert_eq!(error.field, "query");
    assert!(error.message.contains("regular expression"));
}

#[test]
fn checkpoints_saved_before_the_kinds_had_modules_restore() {
    // The checkpoint format rule_states holds: the kind's state under its
    // name, then the common memory.
    let rule = rule(
        json!({"kind": "threshold", "group_by": ["source.ip"], "threshold": 2,
                           "window_secs": 600}),
    );
    let mut evaluator = Evaluator::new(&rule, &Lists::new(), Utc::now()).unwrap();
    let first = failure(0, "10.0.0.1");
    let stored = json!({
        "state": {"window": {"10.0.0.1\u{1f}": {"events": [[first.timestamp, first.id, null]]}}},
        "suppressed_until": {}, "suppressed": 0, "selected": 1, "newest": first.timestamp,
    });
    evaluator.restore(stored.clone()).unwrap();
    assert_eq!(evaluator.save(), stored);
    let alerts = run(&mut evaluator, &[failure(1, "10.0.0.1")]);
    assert_eq!(
        alerts.len(),
        1,
        "the restored window counts the saved event"
    );
    assert_eq!(ids(&alerts[0])[0], first.id);
}

#[test]
fn a_flood_of_distinct_groups_is_bounded_and_a_real_attack_still_alerts() {
    let rule = rule(
        json!({"kind": "threshold", "group_by": ["source.ip"], "threshold": 3,
                           "window_secs": 600}),
    );
    let mut evaluator = Evaluator::new(&rule, &Lists::new(), Utc::now())
        .unwrap()
        .with_group_cap(1_000);
    let base: DateTime<Utc> = "2026-11-29T10:00:00Z".parse().unwrap();
    // Spoofed senders: one failure from each of many addresses, within a window.
    let flood = 6_000;
    for i in 0..flood {
        let record = EventRecord {
            id: uuid::Uuid::from_u128(i as u128 + 1),
            timestamp: base + Duration::milliseconds(i as i64),
            document: json!({"event": {"outcome": "failure"},
                             "source": {"ip": format!("10.{}.{}.{}", i >> 16, (i >> 8) & 255, i & 255)}}),
        };
        assert!(evaluator.observe(&record).is_empty());
    }
    let Kind::Threshold(kind) = &evaluator.kind else {
        unreachable!()
    };
    assert!(kind.groups.len() <= 1_000);
    assert!(evaluator.evicted() >= 5_000);
    // The rule still works for a group that keeps coming.
    let attack: Vec<EventRecord> = (0..3)
        .map(|i| EventRecord {
            id: uuid::Uuid::from_u128(10_000_000 + i),
            timestamp: base + Duration::seconds(200 + i as i64),
            document: json!({"event": {"outcome": "failure"}, "source": {"ip": "203.0.113.7"}}),
        })
        .collect();
    assert_eq!(run(&mut evaluator, &attack).len(), 1);
}
