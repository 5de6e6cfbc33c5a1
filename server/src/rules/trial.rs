//! The rule test: what a rule raises on given events, evaluated by the
//! engine's own evaluator, storing nothing (`POST /api/v1/rules/test`, and
//! every pack rule's own test cases).

use super::sigma::Outcome;
use crate::detect::eval::{Evaluator, EventRecord};
use crate::detect::matcher::Lists;
use crate::error::ApiError;
use crate::ingest::normalize::{IngestContext, IngestPolicy, normalize};
use app::rules::{RuleDefinition, RuleKind, RuleTestRequest, RuleTestResponse, TestAlert};
use chrono::{Duration, Utc};
use std::collections::HashMap;

/// The rule to test: given whole, or the last rule of the Sigma YAML.
pub fn rule_of(
    request: &RuleTestRequest,
    stored: Option<RuleDefinition>,
) -> Result<RuleDefinition, ApiError> {
    let rule = match (&request.rule, &request.sigma, stored) {
        (Some(rule), None, None) => rule.clone(),
        (None, None, Some(stored)) => stored,
        (None, Some(yaml), None) => {
            let mut last = None;
            for outcome in super::sigma::import(yaml) {
                match outcome {
                    Outcome::Rule(rule) => last = Some(*rule),
                    Outcome::Unsupported { title, reason } => {
                        return Err(ApiError::validation("sigma", format!("{title}: {reason}"))
                            .with_details(serde_json::json!({ "field": "sigma", "title": title, "unsupported": reason })));
                    }
                }
            }
            last.ok_or_else(|| ApiError::validation("sigma", "the YAML holds no rule"))?
        }
        _ => {
            return Err(ApiError::validation(
                "rule",
                "give the rule as one of 'rule', 'sigma' or 'slug'",
            ));
        }
    };
    super::check(&rule)?;
    Ok(rule)
}

/// What `rule` raises on `events` (normalised as ingest does, their times
/// kept), evaluated in time order with the clock at `now` (default: the
/// latest event's time): the rule test, and the check of a rule's own test
/// cases.
pub fn trial(
    rule: &RuleDefinition,
    lists: &Lists,
    geo: Option<crate::ingest::GeoIp>,
    events: Vec<serde_json::Value>,
    now: Option<chrono::DateTime<Utc>>,
) -> Result<RuleTestResponse, ApiError> {
    let received_at = Utc::now();
    let context = IngestContext {
        geo,
        source_id: None,
        source_kind: app::ingest::SourceKind::User,
        source_name: "rule-test".to_owned(),
        received_at,
    };
    // Test events are often recordings from years ago: keep their times.
    let policy = IngestPolicy {
        max_age: std::time::Duration::from_secs(100 * 365 * 86_400),
        max_future: std::time::Duration::from_secs(100 * 365 * 86_400),
        ..IngestPolicy::default()
    };
    let mut records = Vec::with_capacity(events.len());
    for (index, event) in events.into_iter().enumerate() {
        let normalized = normalize(event, &context, policy).map_err(|rejection| {
            ApiError::validation(
                "events",
                format!("event {index}: {}", rejection.message),
            )
            .with_details(serde_json::json!({ "field": "events", "index": index, "code": rejection.code }))
        })?;
        records.push((
            index,
            EventRecord {
                id: normalized.id,
                timestamp: normalized.ts,
                document: normalized.document(),
            },
        ));
    }
    // Time order, as the events happened; ties keep the request's order.
    records.sort_by_key(|(index, record)| (record.timestamp, *index));
    let latest = records.last().map(|(_, r)| r.timestamp);
    let now = now.or(latest).unwrap_or(received_at);
    let started = match (&rule.kind, records.first()) {
        (_, Some((_, first))) => first.timestamp,
        (RuleKind::Absence { period_secs, .. }, None) => {
            now - Duration::seconds(*period_secs as i64)
        }
        (_, None) => now,
    };
    let mut evaluator = Evaluator::new(rule, lists, started)
        .map_err(|e| ApiError::validation(&e.field, e.message.clone()))?;
    let positions: HashMap<uuid::Uuid, usize> =
        records.iter().map(|(index, r)| (r.id, *index)).collect();
    let mut matches = 0;
    let mut drafts = Vec::new();
    for (_, record) in records.iter().filter(|(_, r)| r.timestamp <= now) {
        if evaluator.selects(record) {
            matches += 1;
        }
        drafts.extend(evaluator.observe(record));
    }
    drafts.extend(evaluator.tick(now));
    let alerts = drafts
        .into_iter()
        .map(|draft| TestAlert {
            summary: draft.summary,
            severity: draft.severity,
            group: draft.group,
            events: draft
                .events
                .iter()
                .filter_map(|(_, id)| positions.get(id).copied())
                .collect(),
            window_start: draft.window_start,
            window_end: draft.window_end,
        })
        .collect();
    Ok(RuleTestResponse {
        matches,
        alerts,
        suppressed: evaluator.suppressed(),
    })
}
