//! Rule validation: every mistake of a definition, by field, and parsing a
//! valid one into the form the evaluator takes.

use super::{ParsedRule, RuleDefinition, RuleError, RuleKind, is_attack_id, is_slug, limits};
use crate::query::{self, Query, QueryError};
use std::collections::HashMap;

impl RuleDefinition {
    /// Returns every mistake in the rule; empty when it can be saved.
    pub fn validate(&self) -> Vec<RuleError> {
        self.check().errors
    }

    /// Returns the rule with its queries parsed, or every mistake in it:
    /// each query is parsed once, here, and the evaluator takes the result.
    pub fn parse(self) -> Result<ParsedRule, Vec<RuleError>> {
        let mut checked = self.check();
        if !checked.errors.is_empty() {
            return Err(checked.errors);
        }
        let mut take = |field: &str| {
            checked.queries.remove(field).ok_or_else(|| {
                vec![RuleError {
                    field: field.to_owned(),
                    message: "the query was not checked".to_owned(),
                    position: None,
                }]
            })
        };
        let query = take("query")?;
        let exceptions = (0..self.exceptions.len())
            .map(|i| take(&format!("exceptions[{i}]")))
            .collect::<Result<Vec<_>, _>>()?;
        let steps = match &self.kind {
            RuleKind::Sequence { steps, .. } => (0..steps.len())
                .map(|i| take(&format!("steps[{i}].query")))
                .collect::<Result<Vec<_>, _>>()?,
            _ => Vec::new(),
        };
        Ok(ParsedRule {
            definition: self,
            query,
            exceptions,
            steps,
        })
    }

    fn check(&self) -> Errors {
        let mut errors = Errors::default();
        if !is_slug(&self.slug) {
            errors.add(
                "slug",
                format!(
                    "use 1 to {} lower-case letters, digits, '_' or '-', starting with a letter or digit",
                    limits::MAX_SLUG
                ),
            );
        }
        let name_length = self.name.trim().chars().count();
        if name_length == 0 || name_length > limits::MAX_NAME {
            errors.add(
                "name",
                format!("a name of 1 to {} characters is needed", limits::MAX_NAME),
            );
        }
        if self.description.chars().count() > limits::MAX_DESCRIPTION {
            errors.add(
                "description",
                format!("at most {} characters", limits::MAX_DESCRIPTION),
            );
        }
        for (i, tactic) in self.tactics.iter().enumerate() {
            if !is_attack_id(tactic, "TA", false) {
                errors.add(
                    format!("tactics[{i}]"),
                    format!("'{tactic}' is not an ATT&CK tactic id like TA0006"),
                );
            }
        }
        for (i, technique) in self.techniques.iter().enumerate() {
            if !is_attack_id(technique, "T", true) {
                errors.add(
                    format!("techniques[{i}]"),
                    format!("'{technique}' is not an ATT&CK technique id like T1110 or T1110.001"),
                );
            }
        }
        errors.query("query", &self.query);
        if self.exceptions.len() > limits::MAX_EXCEPTIONS {
            errors.add(
                "exceptions",
                format!("at most {} exceptions", limits::MAX_EXCEPTIONS),
            );
        }
        for (i, exception) in self.exceptions.iter().enumerate() {
            errors.query(&format!("exceptions[{i}]"), exception);
        }
        self.validate_kind(&mut errors);
        if let Some(suppression) = &self.suppression {
            errors.fields("suppression.group_by", &suppression.group_by);
            errors.duration(
                "suppression.duration_secs",
                suppression.duration_secs,
                limits::MAX_PERIOD_SECS,
            );
        }
        if let Some(summary) = &self.summary {
            validate_summary(summary, &mut errors);
        }
        if self.tests.len() > limits::MAX_TEST_CASES {
            errors.add(
                "tests",
                format!("at most {} test cases", limits::MAX_TEST_CASES),
            );
        }
        for (i, case) in self.tests.iter().enumerate() {
            if case.name.trim().is_empty() {
                errors.add(format!("tests[{i}].name"), "a test case needs a name");
            }
            if case.events.is_empty() || case.events.len() > limits::MAX_TEST_EVENTS {
                errors.add(
                    format!("tests[{i}].events"),
                    format!("1 to {} events", limits::MAX_TEST_EVENTS),
                );
            }
            if let Some(j) = case.events.iter().position(|e| !e.is_object()) {
                errors.add(
                    format!("tests[{i}].events[{j}]"),
                    "an event is a JSON object",
                );
            }
        }
        errors
    }

    fn validate_kind(&self, errors: &mut Errors) {
        match &self.kind {
            RuleKind::Query => {}
            RuleKind::Threshold {
                group_by,
                threshold,
                window_secs,
            } => {
                errors.fields("group_by", group_by);
                errors.count("threshold", *threshold);
                errors.duration("window_secs", *window_secs, limits::MAX_WINDOW_SECS);
            }
            RuleKind::ValueCount {
                field,
                group_by,
                threshold,
                window_secs,
            } => {
                errors.field("field", field);
                errors.fields("group_by", group_by);
                errors.count("threshold", *threshold);
                errors.duration("window_secs", *window_secs, limits::MAX_WINDOW_SECS);
            }
            RuleKind::Sequence {
                by,
                steps,
                max_span_secs,
                ..
            } => {
                errors.fields("by", by);
                if !(2..=limits::MAX_STEPS).contains(&steps.len()) {
                    errors.add(
                        "steps",
                        format!("a sequence has 2 to {} steps", limits::MAX_STEPS),
                    );
                }
                for (i, step) in steps.iter().enumerate() {
                    errors.query(&format!("steps[{i}].query"), &step.query);
                }
                errors.duration("max_span_secs", *max_span_secs, limits::MAX_WINDOW_SECS);
            }
            RuleKind::NewTerms {
                fields,
                history_days,
            } => {
                if fields.is_empty() || fields.len() > 3 {
                    errors.add("fields", "1 to 3 fields make a new term");
                }
                errors.fields("fields", fields);
                if !(1..=limits::MAX_HISTORY_DAYS).contains(history_days) {
                    errors.add(
                        "history_days",
                        format!("1 to {} days of history", limits::MAX_HISTORY_DAYS),
                    );
                }
            }
            RuleKind::Indicator { field, watchlist } => {
                errors.field("field", field);
                if !is_slug(watchlist) {
                    errors.add("watchlist", "name a watchlist by its slug");
                }
            }
            RuleKind::ImpossibleTravel {
                by,
                field,
                max_speed_kmh,
                min_distance_km,
                window_secs,
            } => {
                if by.is_empty() {
                    errors.add("by", "name the field that says who travels (user.name)");
                }
                errors.fields("by", by);
                errors.field("field", field);
                if !(100..=limits::MAX_SPEED_KMH).contains(max_speed_kmh) {
                    errors.add(
                        "max_speed_kmh",
                        format!("from 100 to {} km/h", limits::MAX_SPEED_KMH),
                    );
                }
                if *min_distance_km > limits::MAX_DISTANCE_KM {
                    errors.add(
                        "min_distance_km",
                        format!("at most {} km", limits::MAX_DISTANCE_KM),
                    );
                }
                errors.duration("window_secs", *window_secs, limits::MAX_WINDOW_SECS);
            }
            RuleKind::Absence {
                group_by,
                period_secs,
            } => {
                errors.fields("group_by", group_by);
                if *period_secs < 60 || *period_secs > limits::MAX_PERIOD_SECS {
                    errors.add(
                        "period_secs",
                        format!(
                            "from 60 seconds to {} days",
                            limits::MAX_PERIOD_SECS / 86_400
                        ),
                    );
                }
            }
        }
    }
}

/// The mistakes found so far, and the queries that parsed (by field).
#[derive(Default)]
struct Errors {
    errors: Vec<RuleError>,
    queries: HashMap<String, Query>,
}

impl Errors {
    fn add(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.errors.push(RuleError {
            field: field.into(),
            message: message.into(),
            position: None,
        });
    }

    fn query(&mut self, field: &str, text: &str) {
        match query::parse(text) {
            Ok(parsed) if query::time::relative(&parsed) => self.errors.push(RuleError {
                field: field.to_owned(),
                message: "a rule reads each event as it arrives: a time relative to now (now-1h) means nothing there; use an absolute time, @timestamp|hour, or the rule's window".into(),
                position: text.find("now").map(|byte| text[..byte].chars().count()),
            }),
            Ok(parsed) => {
                self.queries.insert(field.to_owned(), parsed);
            }
            Err(QueryError { position, message }) => self.errors.push(RuleError {
                field: field.to_owned(),
                message,
                position: Some(position),
            }),
        }
    }

    fn field(&mut self, field: &str, name: &str) {
        if !query::is_field_name(name) {
            self.add(field, format!("'{name}' is not a field name"));
        }
    }

    fn fields(&mut self, field: &str, names: &[String]) {
        if names.len() > limits::MAX_GROUP_FIELDS {
            self.add(
                field,
                format!("at most {} fields", limits::MAX_GROUP_FIELDS),
            );
        }
        for (i, name) in names.iter().enumerate() {
            self.field(&format!("{field}[{i}]"), name);
        }
    }

    fn count(&mut self, field: &str, count: u64) {
        if count == 0 {
            self.add(field, "at least 1");
        }
    }

    fn duration(&mut self, field: &str, secs: u64, max: u64) {
        if secs == 0 || secs > max {
            self.add(field, format!("from 1 second to {} days", max / 86_400));
        }
    }
}

/// A summary's placeholders must be closed and name fields.
fn validate_summary(summary: &str, errors: &mut Errors) {
    if summary.chars().count() > limits::MAX_SUMMARY {
        errors.add(
            "summary",
            format!("at most {} characters", limits::MAX_SUMMARY),
        );
        return;
    }
    let chars: Vec<char> = summary.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        if chars[i] == '{' {
            let Some(length) = chars[i + 1..].iter().position(|c| *c == '}') else {
                errors.errors.push(RuleError {
                    field: "summary".into(),
                    message: "this '{' is never closed".into(),
                    position: Some(i),
                });
                return;
            };
            let name: String = chars[i + 1..i + 1 + length].iter().collect();
            if name != "count" && !query::is_field_name(&name) {
                errors.errors.push(RuleError {
                    field: "summary".into(),
                    message: format!("'{{{name}}}' names no field"),
                    position: Some(i),
                });
            }
            i += length + 2;
        } else {
            i += 1;
        }
    }
}
