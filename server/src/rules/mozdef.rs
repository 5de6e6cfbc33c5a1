//! MozDef's generic alerts in: each JSON-configured threshold rule of
//! MozDef's `generic_alert_loader` becomes a Vigil threshold rule, so a
//! MozDef site keeps the rules it wrote without Python.
//!
//! A generic alert has `search_string` (Lucene), `filters` (`[field, value]`
//! pairs that must match), `aggregation_key` (the field counted per value),
//! `num_aggregations` (the threshold), `time_window` (minutes),
//! `alert_severity`, `alert_summary`, `alert_category`, `alert_tags`,
//! `alert_url`, `additional_summary_fields`, and settings of MozDef's chat
//! bot (`channel`, `notify_mozdefbot`, `num_samples`) that Vigil's
//! notifications replace. The Lucene query is read by Vigil's query language,
//! which shares its syntax for fields, phrases, `AND`/`OR`/`NOT`, ranges and
//! wildcards; `_exists_:field` becomes `field:*`, and `summary` (MozDef's
//! message, matched word by word there) becomes a match in the message.
//! Lucene regular expressions (`field:/…/`) are refused with the rewrite.

use app::query::{Query, Term, Test};
use app::rules::{RuleDefinition, RuleKind, Severity, limits};
use serde_json::Value;

/// The rule a generic alert from file `file` becomes, or why it cannot.
pub fn convert(file: &str, rule: &Value) -> Result<RuleDefinition, String> {
    let object = rule.as_object().ok_or("a generic alert is a JSON object")?;
    for key in object.keys() {
        if !KNOWN.contains(&key.as_str()) {
            return Err(format!(
                "unknown key '{key}' (a MozDef generic alert has {})",
                KNOWN.join(", ")
            ));
        }
    }
    let text = |key: &str| object.get(key).and_then(Value::as_str).map(str::trim);
    let number = |key: &str| -> Result<u64, String> {
        let value = object
            .get(key)
            .ok_or_else(|| format!("'{key}' is missing"))?;
        value
            .as_u64()
            .or_else(|| value.as_str().and_then(|s| s.trim().parse().ok()))
            .filter(|n| *n > 0)
            .ok_or_else(|| format!("'{key}' must be a positive whole number"))
    };

    let search = text("search_string").unwrap_or_default();
    if search.contains(":/") {
        return Err(
            "the search string holds a Lucene regular expression (field:/…/): rewrite it as field|re:\"…\""
                .into(),
        );
    }
    let mut parts = Vec::new();
    if !search.is_empty() {
        let parsed = app::query::parse(search)
            .map_err(|e| format!("search_string at {}: {}", e.position, e.message))?;
        parts.push(translate(parsed));
    }
    for filter in object
        .get("filters")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let pair = filter.as_array().filter(|p| p.len() == 2);
        let (Some(field), Some(value)) = (
            pair.and_then(|p| p[0].as_str()),
            pair.and_then(|p| scalar(&p[1])),
        ) else {
            return Err(format!("a filter is a [field, value] pair, not {filter}"));
        };
        if !app::query::is_field_name(field) {
            return Err(format!("filter field '{field}' is not a field name"));
        }
        parts.push(translate(Query::Field {
            field: field.to_owned(),
            test: Test::Matches {
                term: Term::Phrase(value),
            },
        }));
    }
    let query = match parts.len() {
        0 => {
            return Err(
                "neither search_string nor filters: the rule would match everything".into(),
            );
        }
        1 => parts.remove(0),
        _ => Query::And(parts),
    };

    let key = text("aggregation_key").ok_or("'aggregation_key' is missing")?;
    let key = if key == "summary" { "message" } else { key };
    if !app::query::is_field_name(key) {
        return Err(format!("aggregation_key '{key}' is not a field name"));
    }
    let threshold = number("num_aggregations")?;
    let minutes = number("time_window")?;
    let window_secs = minutes.saturating_mul(60);
    if window_secs > limits::MAX_WINDOW_SECS {
        return Err(format!(
            "time_window of {minutes} minutes is longer than Vigil's longest window ({} days)",
            limits::MAX_WINDOW_SECS / 86_400
        ));
    }
    let severity = match text("alert_severity")
        .unwrap_or("NOTICE")
        .to_ascii_uppercase()
        .as_str()
    {
        "INFO" | "DEBUG" => Severity::Informational,
        "NOTICE" => Severity::Low,
        "WARNING" => Severity::Medium,
        "ERROR" => Severity::High,
        "CRITICAL" | "ALERT" | "EMERGENCY" => Severity::Critical,
        other => return Err(format!("alert_severity '{other}' is not a MozDef severity")),
    };
    let headline = text("alert_summary")
        .filter(|s| !s.is_empty())
        .ok_or("'alert_summary' is missing")?;
    // MozDef: "<alert_summary> (<count>): <value>", then " (<field>=<values>)".
    let mut summary = format!("{headline} ({{count}}): {{{key}}}");
    for field in object
        .get("additional_summary_fields")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
    {
        if app::query::is_field_name(field) {
            summary.push_str(&format!(" ({field}={{{field}}})"));
        }
    }
    let mut description = format!("Imported from MozDef's generic alert {file}.");
    if let Some(category) = text("alert_category").filter(|c| !c.is_empty()) {
        description.push_str(&format!("\n\nCategory: {category}."));
    }
    let tags: Vec<&str> = object
        .get("alert_tags")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    if !tags.is_empty() {
        description.push_str(&format!("\n\nTags: {}.", tags.join(", ")));
    }
    if let Some(url) = text("alert_url").filter(|u| !u.is_empty()) {
        description.push_str(&format!("\n\nRunbook: {url}"));
    }

    let definition = RuleDefinition {
        slug: slug(file)?,
        name: headline.chars().take(200).collect(),
        description,
        severity,
        tactics: Vec::new(),
        techniques: Vec::new(),
        enabled: true,
        query: query.to_string(),
        kind: RuleKind::Threshold {
            group_by: vec![key.to_owned()],
            threshold,
            window_secs,
        },
        exceptions: Vec::new(),
        suppression: None,
        summary: Some(summary),
        tests: Vec::new(),
    };
    if let Some(error) = definition.validate().into_iter().next() {
        return Err(format!("{}: {}", error.field, error.message));
    }
    Ok(definition)
}

/// The keys a generic alert may have.
const KNOWN: &[&str] = &[
    "search_string",
    "filters",
    "aggregation_key",
    "time_window",
    "num_samples",
    "num_aggregations",
    "alert_category",
    "alert_tags",
    "alert_severity",
    "alert_summary",
    "alert_url",
    "channel",
    "notify_mozdefbot",
    "additional_summary_fields",
];

/// A filter's value as text.
fn scalar(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// `mozdef-` and the file's name without its extension, as a slug.
fn slug(file: &str) -> Result<String, String> {
    let stem = file
        .rsplit('/')
        .next()
        .unwrap_or(file)
        .trim_end_matches(".json")
        .trim_end_matches(".hjson");
    let mut slug = String::from("mozdef-");
    for c in stem.chars() {
        let c = c.to_ascii_lowercase();
        slug.push(if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
            c
        } else {
            '-'
        });
    }
    let slug: String = slug.chars().take(limits::MAX_SLUG).collect();
    if !stem.chars().any(|c| c.is_ascii_alphanumeric()) || !app::rules::is_slug(&slug) {
        return Err(format!("'{file}' gives no usable rule name"));
    }
    Ok(slug)
}

/// Lucene's `_exists_:field` is `field:*`; MozDef's `summary` is Vigil's
/// message, which matches as a case-insensitive substring as Elasticsearch's
/// analysed `summary` matched words.
fn translate(query: Query) -> Query {
    match query {
        Query::And(parts) => Query::And(parts.into_iter().map(translate).collect()),
        Query::Or(parts) => Query::Or(parts.into_iter().map(translate).collect()),
        Query::Not(inner) => Query::Not(Box::new(translate(*inner))),
        Query::Field {
            field,
            test: Test::Matches { term },
        } if field == "_exists_" => Query::Field {
            field: term.text(),
            test: Test::Exists,
        },
        Query::Field { field, test } if field == "summary" => Query::Field {
            field: "message".to_owned(),
            test,
        },
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_generic_alert_becomes_a_threshold_rule() {
        let rule = convert(
            "unauth_ssh.json",
            &json!({
                "search_string": "category:syslog AND details.program:sshd AND _exists_:details.sourceipaddress AND summary:\"Invalid user\"",
                "filters": [["details.hostname", "bastion1"]],
                "aggregation_key": "details.sourceipaddress",
                "time_window": 10,
                "num_samples": 5,
                "num_aggregations": 3,
                "alert_category": "bruteforce",
                "alert_tags": ["ssh", "bruteforce"],
                "alert_severity": "WARNING",
                "alert_summary": "Invalid SSH users",
                "alert_url": "https://wiki.example/ssh",
                "channel": null,
                "additional_summary_fields": ["details.hostname"]
            }),
        )
        .unwrap();
        assert_eq!(rule.slug, "mozdef-unauth_ssh");
        assert_eq!(rule.severity, Severity::Medium);
        assert_eq!(
            rule.query,
            "category:syslog AND details.program:sshd AND details.sourceipaddress:* AND message:\"Invalid user\" AND details.hostname:\"bastion1\""
        );
        assert_eq!(
            rule.kind,
            RuleKind::Threshold {
                group_by: vec!["details.sourceipaddress".into()],
                threshold: 3,
                window_secs: 600
            }
        );
        assert_eq!(
            rule.summary.as_deref(),
            Some(
                "Invalid SSH users ({count}): {details.sourceipaddress} (details.hostname={details.hostname})"
            )
        );
        assert!(
            rule.description
                .contains("Runbook: https://wiki.example/ssh")
        );
        assert!(rule.description.contains("Tags: ssh, bruteforce."));
    }

    #[test]
    fn what_does_not_convert_says_why() {
        let base = json!({"search_string": "category:x", "aggregation_key": "a",
                          "time_window": 5, "num_aggregations": 2, "alert_summary": "S"});
        let with = |key: &str, value: Value| {
            let mut rule = base.clone();
            rule[key] = value;
            convert("r.json", &rule).unwrap_err()
        };
        assert!(with("search_string", json!("summary:/fail.*/")).contains("field|re"));
        assert!(with("search_string", json!("a:(b")).contains("search_string at"));
        assert!(with("time_window", json!(0)).contains("positive"));
        assert!(with("time_window", json!(20_000)).contains("longest window"));
        assert!(with("alert_severity", json!("SEVERE")).contains("not a MozDef severity"));
        assert!(with("filters", json!([["a"]])).contains("[field, value]"));
        assert!(with("colour", json!("red")).contains("unknown key 'colour'"));
        assert!(with("aggregation_key", json!("a b")).contains("not a field name"));
        assert!(
            convert("r.json", &json!([]))
                .unwrap_err()
                .contains("JSON object")
        );
        assert!(
            convert("!!!.json", &base)
                .unwrap_err()
                .contains("rule name")
        );
        let mut empty = base.clone();
        empty["search_string"] = json!("");
        assert!(
            convert("r.json", &empty)
                .unwrap_err()
                .contains("match everything")
        );
    }
}
