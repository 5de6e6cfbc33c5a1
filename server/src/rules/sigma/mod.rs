//! Sigma rules in: YAML documents (rules, correlation rules, and the
//! deprecated `| count()` and `| near` conditions) become Vigil rules whose
//! conditions are written in the search query language, so an imported rule
//! runs, tests and reads exactly like a rule built in the UI. What cannot be
//! expressed faithfully is refused with a precise reason, never dropped.
//!
//! Parsing is `rsigma-parser`'s; the meaning is ours: logsources become the
//! event constraints pySigma's `sysmon` and `windows-logsources` pipelines
//! add, modifiers become query-language modifiers (`|contains`, `|re`, …) or
//! are expanded here (`windash`, `base64`, `base64offset`, `wide`).

mod aggregation;
mod definition;
mod detection;
pub mod export;
mod logsource;

pub use logsource::logsource_constraint;

use self::aggregation::{Aggregation, apply_aggregation, take_aggregation};
use self::definition::{check_compiles, definition_for};
use self::detection::{and, check_field, condition_query, or};

use app::query::Query;
use app::rules::{RuleDefinition, RuleKind, SequenceStep};
use rsigma_parser::{
    ConditionOperator, CorrelationCondition, CorrelationRule, CorrelationType, SigmaRule,
};
use std::collections::HashMap;
use yaml_serde::Value as Yaml;

/// What became of one YAML document.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// The rule, ready to validate and store.
    Rule(Box<RuleDefinition>),
    /// Why the document cannot be a Vigil rule.
    Unsupported { title: String, reason: String },
}

/// Imports every document of `yaml`, in order.
pub fn import(yaml: &str) -> Vec<Outcome> {
    let mut outcomes = Vec::new();
    // Conditions of imported rules, by Sigma name and id, for correlations.
    let mut conditions: HashMap<String, (usize, String)> = HashMap::new();
    let mut correlations: Vec<(usize, Yaml)> = Vec::new();
    let documents = match split_documents(yaml) {
        Ok(documents) => documents,
        Err(reason) => {
            return vec![Outcome::Unsupported {
                title: String::new(),
                reason,
            }];
        }
    };
    if documents.iter().any(|d| d.get("action").is_some()) {
        let aggregated = documents.iter().any(|d| {
            d.get("detection")
                .and_then(|d| d.get("condition"))
                .and_then(Yaml::as_str)
                .is_some_and(|c| c.contains('|'))
        });
        if aggregated {
            return vec![Outcome::Unsupported {
                title: documents.iter().map(title_of).find(|t| !t.is_empty()).unwrap_or_default(),
                reason: "a rule collection (action: global) whose condition aggregates ('| count', '| near') is not supported; write each rule as its own document"
                    .into(),
            }];
        }
        return collection(yaml);
    }
    for document in documents {
        let title = title_of(&document);
        if document.get("correlation").is_some() {
            correlations.push((outcomes.len(), document));
            outcomes.push(Outcome::Unsupported {
                title,
                reason: String::new(),
            });
            continue;
        }
        match rule_document(document) {
            Ok((rule, names)) => {
                for name in names {
                    conditions.insert(name, (outcomes.len(), rule.query.clone()));
                }
                outcomes.push(Outcome::Rule(Box::new(rule)));
            }
            Err(reason) => outcomes.push(Outcome::Unsupported { title, reason }),
        }
    }
    for (at, document) in correlations {
        outcomes[at] = match correlation_document(&document, &conditions) {
            Ok((rule, referenced, generate)) => {
                // Base rules of a correlation raise no alerts of their own
                // unless the correlation says `generate: true`.
                if !generate {
                    for index in referenced {
                        if let Outcome::Rule(base) = &mut outcomes[index] {
                            base.enabled = false;
                        }
                    }
                }
                Outcome::Rule(Box::new(rule))
            }
            Err(reason) => Outcome::Unsupported {
                title: title_of(&document),
                reason,
            },
        };
    }
    outcomes
}

fn title_of(document: &Yaml) -> String {
    document
        .get("title")
        .and_then(Yaml::as_str)
        .unwrap_or_default()
        .to_owned()
}

/// The documents of a YAML stream; a syntax error ends the stream.
fn split_documents(yaml: &str) -> Result<Vec<Yaml>, String> {
    use serde::Deserialize;
    let mut documents = Vec::new();
    for document in yaml_serde::Deserializer::from_str(yaml) {
        let value = Yaml::deserialize(document).map_err(|e| format!("not valid YAML: {e}"))?;
        if !value.is_null() {
            documents.push(value);
        }
    }
    if documents.is_empty() {
        return Err("no YAML document".into());
    }
    Ok(documents)
}

/// Parses one document with rsigma-parser.
fn parse_one(document: &Yaml) -> Result<rsigma_parser::SigmaCollection, String> {
    let text = yaml_serde::to_string(document).map_err(|e| e.to_string())?;
    let collection =
        rsigma_parser::parse_sigma_yaml(&text).map_err(|e| format!("not a Sigma rule: {e}"))?;
    if let Some(error) = collection.errors.first() {
        return Err(format!("not a Sigma rule: {error}"));
    }
    Ok(collection)
}

/// A detection rule; returns it with the names a correlation may use for it.
fn rule_document(mut document: Yaml) -> Result<(RuleDefinition, Vec<String>), String> {
    let aggregation = take_aggregation(&mut document)?;
    let collection = parse_one(&document)?;
    let Some(rule) = collection.rules.into_iter().next() else {
        return Err("the document holds no detection rule".into());
    };
    from_rule(rule, aggregation)
}

/// A rule collection (`action: global` with the rules it applies to),
/// merged by rsigma-parser into whole rules.
fn collection(yaml: &str) -> Vec<Outcome> {
    let parsed = match rsigma_parser::parse_sigma_yaml(yaml) {
        Ok(parsed) => parsed,
        Err(e) => {
            return vec![Outcome::Unsupported {
                title: String::new(),
                reason: format!("not a Sigma rule collection: {e}"),
            }];
        }
    };
    let mut outcomes: Vec<Outcome> = parsed
        .errors
        .iter()
        .map(|error| Outcome::Unsupported {
            title: String::new(),
            reason: format!("not a Sigma rule: {error}"),
        })
        .collect();
    for rule in parsed.rules {
        let title = rule.title.clone();
        outcomes.push(match from_rule(rule, None) {
            Ok((definition, _)) => Outcome::Rule(Box::new(definition)),
            Err(reason) => Outcome::Unsupported { title, reason },
        });
    }
    outcomes
}

fn from_rule(
    rule: SigmaRule,
    aggregation: Option<Aggregation>,
) -> Result<(RuleDefinition, Vec<String>), String> {
    let condition = rule_condition(&rule)?;
    let mut definition = definition_for(
        &rule.title,
        rule.id.as_deref(),
        rule.description.as_deref(),
        rule.author.as_deref(),
        &rule.falsepositives,
        &rule.references,
        rule.level,
        &rule.tags,
        condition.to_string(),
    );
    if let Some(aggregation) = aggregation {
        apply_aggregation(&mut definition, &rule, aggregation)?;
    }
    check_compiles(&definition)?;
    let names = rule.id.into_iter().chain(rule.name).collect();
    Ok((definition, names))
}

/// The whole condition of a rule: its logsource's constraint and its detection.
fn rule_condition(rule: &SigmaRule) -> Result<Query, String> {
    let conditions = rule
        .detection
        .conditions
        .iter()
        .map(|c| condition_query(c, rule))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(and(vec![
        logsource_constraint(&rule.logsource),
        or(conditions),
    ]))
}

/// A correlation rule over rules imported with it.
fn correlation_document(
    document: &Yaml,
    conditions: &HashMap<String, (usize, String)>,
) -> Result<(RuleDefinition, Vec<usize>, bool), String> {
    let collection = parse_one(document)?;
    let Some(correlation) = collection.correlations.into_iter().next() else {
        return Err("the document holds no correlation rule".into());
    };
    if !correlation.aliases.is_empty() {
        return Err(
            "correlation field aliases are not supported; name the field the same in every rule"
                .into(),
        );
    }
    let mut referenced = Vec::new();
    let mut queries = Vec::new();
    for name in &correlation.rules {
        let (index, query) = conditions.get(name).ok_or_else(|| {
            format!(
                "the correlation refers to '{name}', which is not among the rules imported with it"
            )
        })?;
        referenced.push(*index);
        queries.push(query.clone());
    }
    for field in &correlation.group_by {
        check_field(field)?;
    }
    let window = correlation.timespan.seconds;
    let threshold = || correlation_threshold(&correlation);
    let kind = match correlation.correlation_type {
        CorrelationType::EventCount => RuleKind::Threshold {
            group_by: correlation.group_by.clone(),
            threshold: threshold()?,
            window_secs: window,
        },
        CorrelationType::ValueCount => {
            let field = match &correlation.condition {
                CorrelationCondition::Threshold {
                    field: Some(fields),
                    ..
                } if fields.len() == 1 => fields[0].clone(),
                _ => return Err("a value_count correlation needs one 'field' to count".into()),
            };
            check_field(&field)?;
            RuleKind::ValueCount {
                field,
                group_by: correlation.group_by.clone(),
                threshold: threshold()?,
                window_secs: window,
            }
        }
        CorrelationType::Temporal | CorrelationType::TemporalOrdered => {
            if queries.len() < 2 {
                return Err("a temporal correlation relates at least two rules".into());
            }
            RuleKind::Sequence {
                by: correlation.group_by.clone(),
                steps: correlation
                    .rules
                    .iter()
                    .zip(&queries)
                    .map(|(name, query)| SequenceStep {
                        name: name.clone(),
                        query: query.clone(),
                    })
                    .collect(),
                max_span_secs: window,
                ordered: correlation.correlation_type == CorrelationType::TemporalOrdered,
            }
        }
        other => {
            return Err(format!(
                "the correlation type {} is not supported (event_count, value_count, temporal and temporal_ordered are)",
                other.as_str()
            ));
        }
    };
    let query = match &kind {
        RuleKind::Sequence { .. } => String::new(),
        _ => or(queries
            .iter()
            .map(|q| app::query::parse(q).unwrap_or(Query::All))
            .collect())
        .to_string(),
    };
    let mut definition = definition_for(
        &correlation.title,
        correlation.id.as_deref(),
        correlation.description.as_deref(),
        correlation.author.as_deref(),
        &correlation.falsepositives,
        &correlation.references,
        correlation.level,
        &correlation.tags,
        query,
    );
    definition.kind = kind;
    check_compiles(&definition)?;
    Ok((definition, referenced, correlation.generate))
}

/// The count a correlation must reach: `gte: N`, or `gt: N`.
fn correlation_threshold(correlation: &CorrelationRule) -> Result<u64, String> {
    let CorrelationCondition::Threshold { predicates, .. } = &correlation.condition else {
        return Err("only threshold conditions (gte, gt) are supported in correlations".into());
    };
    match predicates.as_slice() {
        [(ConditionOperator::Gte, n)] => Ok((*n).max(1)),
        [(ConditionOperator::Gt, n)] => Ok(n + 1),
        _ => Err(
            "the correlation condition must be one 'gte' or 'gt': Vigil alerts on activity reaching a threshold"
                .into(),
        ),
    }
}

#[cfg(test)]
mod tests;
