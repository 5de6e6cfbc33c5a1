//! Sigma aggregations (`| count() by … > n`, `near`): threshold and value
//! count rules, or why one cannot be translated.

use super::detection::{and, check_field, detection_query};
use super::logsource::logsource_constraint;
use app::rules::{RuleDefinition, RuleKind, SequenceStep};
use rsigma_parser::SigmaRule;
use yaml_serde::Value as Yaml;

/// A deprecated aggregation after the condition's `|`.
pub enum Aggregation {
    Count {
        field: Option<String>,
        by: Vec<String>,
        threshold: u64,
    },
    Near(Vec<String>),
}

/// Removes a deprecated `| count() …` or `| near …` from the condition,
/// returning what it asked for.
pub fn take_aggregation(document: &mut Yaml) -> Result<Option<Aggregation>, String> {
    let Some(detection) = document.get_mut("detection") else {
        return Ok(None);
    };
    let Some(condition) = detection.get("condition").and_then(Yaml::as_str) else {
        return Ok(None);
    };
    let Some((base, aggregation)) = condition.split_once('|') else {
        return Ok(None);
    };
    let (base, aggregation) = (base.trim().to_owned(), aggregation.trim().to_owned());
    let parsed = if let Some(rest) = aggregation.strip_prefix("near") {
        let parts: Vec<&str> = rest.split(" and ").map(str::trim).collect();
        if parts
            .iter()
            .any(|p| p.starts_with("not ") || p.contains(' '))
        {
            return Err(format!(
                "'| near {}' with 'not' or 'or' cannot be expressed: Vigil relates events that happened, not ones that did not",
                rest.trim()
            ));
        }
        Aggregation::Near(parts.iter().map(|p| (*p).to_owned()).collect())
    } else {
        count_aggregation(&aggregation)?
    };
    if let Some(mapping) = detection.as_mapping_mut() {
        mapping.insert(Yaml::from("condition"), Yaml::from(base));
    }
    Ok(Some(parsed))
}

/// `count() by f > N`, `count(field) by f >= N`.
pub fn count_aggregation(text: &str) -> Result<Aggregation, String> {
    let unsupported = || {
        format!(
            "the aggregation '| {text}' is not supported: Vigil counts events (count()) or distinct values (count(field)) reaching at least a threshold"
        )
    };
    let rest = text.strip_prefix("count(").ok_or_else(unsupported)?;
    let (field, rest) = rest.split_once(')').ok_or_else(unsupported)?;
    let rest = rest.trim();
    let (by, comparison) = match rest.strip_prefix("by ") {
        Some(after) => {
            let at = after.find(['>', '<', '=']).ok_or_else(unsupported)?;
            let by: Vec<String> = after[..at]
                .split(',')
                .map(|f| f.trim().to_owned())
                .filter(|f| !f.is_empty())
                .collect();
            (by, after[at..].trim())
        }
        None => (Vec::new(), rest),
    };
    let (operator, number) = if let Some(n) = comparison.strip_prefix(">=") {
        (">=", n)
    } else if let Some(n) = comparison.strip_prefix('>') {
        (">", n)
    } else {
        return Err(format!(
            "the aggregation '| {text}' asks for fewer events than a number; Vigil alerts on activity reaching a threshold (use an absence rule for silence)"
        ));
    };
    let number: u64 = number.trim().parse().map_err(|_| unsupported())?;
    Ok(Aggregation::Count {
        field: Some(field.trim().to_owned()).filter(|f| !f.is_empty()),
        by,
        threshold: if operator == ">" { number + 1 } else { number },
    })
}

pub fn apply_aggregation(
    definition: &mut RuleDefinition,
    rule: &SigmaRule,
    aggregation: Aggregation,
) -> Result<(), String> {
    let window = || -> Result<u64, String> {
        let text = rule
            .detection
            .timeframe
            .as_deref()
            .ok_or("an aggregation needs 'timeframe:' (the window it counts in)".to_owned())?;
        timespan_secs(text).ok_or_else(|| format!("timeframe '{text}' is not a duration like 5m"))
    };
    definition.kind = match aggregation {
        Aggregation::Count {
            field,
            by,
            threshold,
        } => {
            for name in by.iter().chain(field.iter()) {
                check_field(name)?;
            }
            match field {
                None => RuleKind::Threshold {
                    group_by: by,
                    threshold,
                    window_secs: window()?,
                },
                Some(field) => RuleKind::ValueCount {
                    field,
                    group_by: by,
                    threshold,
                    window_secs: window()?,
                },
            }
        }
        Aggregation::Near(others) => {
            let mut steps = vec![SequenceStep {
                name: "base".into(),
                query: std::mem::take(&mut definition.query),
            }];
            let constraint = logsource_constraint(&rule.logsource);
            for name in others {
                let detection = rule
                    .detection
                    .named
                    .get(&name)
                    .ok_or_else(|| format!("'| near {name}': no detection named {name}"))?;
                let query = and(vec![constraint.clone(), detection_query(detection, rule)?]);
                steps.push(SequenceStep {
                    name,
                    query: query.to_string(),
                });
            }
            RuleKind::Sequence {
                by: Vec::new(),
                steps,
                max_span_secs: window()?,
                ordered: false,
            }
        }
    };
    Ok(())
}

/// `30s`, `5m`, `1h`, `7d` in seconds.
pub fn timespan_secs(text: &str) -> Option<u64> {
    let text = text.trim();
    let (number, unit) = text.split_at(text.len().checked_sub(1)?);
    let number: u64 = number.parse().ok()?;
    let unit = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        "w" => 7 * 86_400,
        _ => return None,
    };
    Some(number * unit)
}
