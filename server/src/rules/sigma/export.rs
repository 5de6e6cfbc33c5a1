//! Vigil rules out as Sigma YAML, where the kind allows: a query rule as a
//! Sigma rule, threshold and value-count rules as a rule plus an
//! `event_count` / `value_count` correlation. Every condition becomes
//! selections and a condition expression, so importing the export gives the
//! same condition back (tested on every public rule).

use app::query::{Bound, Operator, PatternPart, Query, Term, Test};
use app::rules::{RuleDefinition, RuleKind, Severity};
use yaml_serde::{Mapping, Value as Yaml};

/// The Sigma YAML of `rule` (stored with `id`), or why it has none.
pub fn export(rule: &RuleDefinition, id: uuid::Uuid) -> Result<String, String> {
    let query = app::query::parse(&rule.query).map_err(|e| e.to_string())?;
    if query == Query::All {
        return Err("a rule over every event has no Sigma form".into());
    }
    let mut detection = Detection::default();
    let mut condition = detection.condition(&query)?;
    for exception in &rule.exceptions {
        let query = app::query::parse(exception).map_err(|e| e.to_string())?;
        let excluded = detection.condition(&query)?;
        condition = format!("{condition} and not {excluded}");
    }
    let mut detection_map = detection.selections;
    detection_map.insert("condition".into(), condition.into());
    let base_name = format!("{}-events", rule.slug);
    let mut base = Mapping::new();
    base.insert("title".into(), rule.name.clone().into());
    base.insert("id".into(), id.to_string().into());
    if !matches!(rule.kind, RuleKind::Query) {
        base.insert("name".into(), base_name.clone().into());
    }
    base.insert("status".into(), "experimental".into());
    if !rule.description.is_empty() {
        base.insert("description".into(), rule.description.clone().into());
    }
    let tags: Vec<Yaml> = rule
        .tactics
        .iter()
        .chain(&rule.techniques)
        .map(|t| format!("attack.{}", t.to_lowercase()).into())
        .collect();
    let base_tags = (!tags.is_empty()).then(|| Yaml::Sequence(tags));
    if let Some(tags) = &base_tags {
        base.insert("tags".into(), tags.clone());
    }
    let mut logsource = Mapping::new();
    logsource.insert(
        "definition".into(),
        "Exported from Vigil: the detection holds every condition, logsource constraints included"
            .into(),
    );
    base.insert("logsource".into(), Yaml::Mapping(logsource));
    base.insert("detection".into(), Yaml::Mapping(detection_map));
    base.insert("level".into(), level(rule.severity).into());
    let mut documents = vec![Yaml::Mapping(base)];
    let correlation = match &rule.kind {
        RuleKind::Query => None,
        RuleKind::Threshold {
            group_by,
            threshold,
            window_secs,
        } => Some(("event_count", None, group_by, *threshold, *window_secs)),
        RuleKind::ValueCount {
            field,
            group_by,
            threshold,
            window_secs,
        } => Some((
            "value_count",
            Some(field),
            group_by,
            *threshold,
            *window_secs,
        )),
        other => {
            return Err(format!(
                "rules of kind {} have no Sigma form",
                serde_json::to_value(other)
                    .ok()
                    .and_then(|v| v["kind"].as_str().map(str::to_owned))
                    .unwrap_or_default()
            ));
        }
    };
    if let Some((kind, field, group_by, threshold, window)) = correlation {
        let mut inner = Mapping::new();
        inner.insert("type".into(), kind.into());
        inner.insert("rules".into(), Yaml::Sequence(vec![base_name.into()]));
        if !group_by.is_empty() {
            inner.insert(
                "group-by".into(),
                Yaml::Sequence(group_by.iter().map(|f| f.clone().into()).collect()),
            );
        }
        inner.insert("timespan".into(), format!("{window}s").into());
        let mut condition = Mapping::new();
        if let Some(field) = field {
            condition.insert("field".into(), field.clone().into());
        }
        condition.insert("gte".into(), threshold.into());
        inner.insert("condition".into(), Yaml::Mapping(condition));
        let mut document = Mapping::new();
        document.insert("title".into(), rule.name.clone().into());
        if let Some(tags) = base_tags.clone() {
            document.insert("tags".into(), tags);
        }
        document.insert("correlation".into(), Yaml::Mapping(inner));
        document.insert("level".into(), level(rule.severity).into());
        documents.push(Yaml::Mapping(document));
    }
    let texts = documents
        .iter()
        .map(|d| yaml_serde::to_string(d).map_err(|e| e.to_string()))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(texts.join("---\n"))
}

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Informational => "informational",
        Severity::Low => "low",
        Severity::Medium => "medium",
        Severity::High => "high",
        Severity::Critical => "critical",
    }
}

/// Selections named as they are made, and the condition over them.
#[derive(Default)]
struct Detection {
    selections: Mapping,
}

impl Detection {
    fn add(&mut self, value: Yaml) -> String {
        let name = format!("selection_{}", self.selections.len() + 1);
        self.selections.insert(name.clone().into(), value);
        name
    }

    fn condition(&mut self, query: &Query) -> Result<String, String> {
        Ok(match query {
            Query::All => return Err("'every event' inside a condition has no Sigma form".into()),
            Query::And(parts) | Query::Or(parts) => {
                let joiner = if matches!(query, Query::And(_)) {
                    " and "
                } else {
                    " or "
                };
                let parts = parts
                    .iter()
                    .map(|p| self.condition(p))
                    .collect::<Result<Vec<_>, _>>()?;
                format!("({})", parts.join(joiner))
            }
            Query::Not(inner) => format!("not {}", self.condition(inner)?),
            Query::Text(term) => self.add(Yaml::Sequence(vec![sigma_value(term)?.into()])),
            Query::AnyField { prefix, .. } => {
                return Err(format!("the field wildcard {prefix}.* has no Sigma form"));
            }
            Query::Field { field, test } => {
                let mut selection = Mapping::new();
                for (key, value) in leaf(field, test)? {
                    selection.insert(key.into(), value);
                }
                self.add(Yaml::Mapping(selection))
            }
        })
    }
}

/// A term as a Sigma string: `*` and `?` are wildcards, escaped when literal.
fn sigma_value(term: &Term) -> Result<String, String> {
    let escape = |text: &str| {
        text.chars()
            .flat_map(|c| {
                let escaped = matches!(c, '*' | '?' | '\\');
                escaped.then_some('\\').into_iter().chain([c])
            })
            .collect::<String>()
    };
    Ok(match term {
        Term::Word(text) | Term::Phrase(text) => escape(text),
        Term::Pattern(parts) => parts
            .iter()
            .map(|part| match part {
                PatternPart::Literal(text) => escape(text),
                PatternPart::AnyChars => "*".into(),
                PatternPart::AnyChar => "?".into(),
            })
            .collect(),
    })
}

/// The key(s) and value(s) of one field test.
fn leaf(field: &str, test: &Test) -> Result<Vec<(String, Yaml)>, String> {
    let column = crate::event::columns::column(field);
    Ok(match test {
        Test::Exists => vec![(format!("{field}|exists"), Yaml::Bool(true))],
        Test::Matches { term } => {
            use crate::event::columns::Column;
            match column {
                // `message:` searches the message as free text does.
                Some(Column::Message) => {
                    vec![(format!("{field}|contains"), sigma_value(term)?.into())]
                }
                Some(Column::Inet(_)) if term.text().contains('/') => {
                    vec![(format!("{field}|cidr"), term.text().into())]
                }
                // Integers go out as YAML numbers, which Sigma compares exactly.
                _ => match term {
                    Term::Word(text)
                        if text.parse::<i64>().is_ok_and(|n| n.to_string() == *text) =>
                    {
                        vec![(
                            field.to_owned(),
                            text.parse::<i64>().unwrap_or_default().into(),
                        )]
                    }
                    Term::Word(text) if text == "true" || text == "false" => {
                        vec![(field.to_owned(), Yaml::Bool(text == "true"))]
                    }
                    _ => vec![(format!("{field}|cased"), sigma_value(term)?.into())],
                },
            }
        }
        Test::Compare { op, term, cased } => {
            let (modifier, value) = match op {
                Operator::Equals => ("", sigma_value(term)?),
                Operator::Contains => ("|contains", sigma_value(term)?),
                Operator::StartsWith => ("|startswith", sigma_value(term)?),
                Operator::EndsWith => ("|endswith", sigma_value(term)?),
                Operator::Regex => ("|re", term.text()),
                Operator::Cidr => ("|cidr", term.text()),
                Operator::FieldRef => ("|fieldref", term.text()),
                // A watchlist is a Sigma placeholder: the two map both ways.
                Operator::InList => ("|expand", format!("%{}%", term.text())),
                Operator::ContainsInList => {
                    return Err(format!(
                        "'{field}|contains|in:{}' (containing a watchlist's values) has no Sigma form",
                        term.text()
                    ));
                }
                Operator::Minute
                | Operator::Hour
                | Operator::Day
                | Operator::Week
                | Operator::Month
                | Operator::Year => {
                    let number: i64 = term
                        .text()
                        .parse()
                        .map_err(|_| format!("'{field}|{}' needs a number", op.modifier()))?;
                    return Ok(vec![(format!("{field}|{}", op.modifier()), number.into())]);
                }
            };
            let case = match (op, cased) {
                (Operator::Regex, false) => "|i",
                (Operator::Regex | Operator::Cidr | Operator::InList, _) => "",
                (_, true) => "|cased",
                (_, false) => "",
            };
            vec![(format!("{field}{modifier}{case}"), value.into())]
        }
        Test::Range { lower, upper } => {
            let bound = |bound: &Bound,
                         inclusive: &str,
                         exclusive: &str|
             -> Result<(String, Yaml), String> {
                let number: f64 = bound.value.parse().map_err(|_| {
                    format!("'{field}' has a text range, which Sigma cannot compare")
                })?;
                let modifier = if bound.inclusive {
                    inclusive
                } else {
                    exclusive
                };
                let value: Yaml = if number.fract() == 0.0 && number.abs() < 1e15 {
                    (number as i64).into()
                } else {
                    number.into()
                };
                Ok((format!("{field}|{modifier}"), value))
            };
            let mut keys = Vec::new();
            if let Some(lower) = lower {
                keys.push(bound(lower, "gte", "gt")?);
            }
            if let Some(upper) = upper {
                keys.push(bound(upper, "lte", "lt")?);
            }
            if keys.is_empty() {
                keys.push((format!("{field}|exists"), Yaml::Bool(true)));
            }
            keys
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::sigma::{Outcome, import};

    fn queries_of(yaml: &str) -> Vec<String> {
        import(yaml)
            .into_iter()
            .map(|o| match o {
                Outcome::Rule(rule) => rule.query,
                Outcome::Unsupported { reason, .. } => panic!("{reason}\n{yaml}"),
            })
            .collect()
    }

    /// Every public rule: imported, exported, imported again — the same condition.
    #[test]
    fn public_rules_survive_a_round_trip() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/sigma");
        let mut stack = vec![root.join("rules"), root.join("rules-threat-hunting")];
        let mut checked = 0;
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    stack.push(path);
                    continue;
                }
                let original = std::fs::read_to_string(&path).unwrap();
                let Outcome::Rule(rule) = import(&original).remove(0) else {
                    continue;
                };
                let yaml = export(&rule, uuid::Uuid::nil())
                    .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                assert_eq!(
                    queries_of(&yaml),
                    vec![rule.query.clone()],
                    "{}",
                    path.display()
                );
                checked += 1;
            }
        }
        assert_eq!(checked, 352);
    }

    #[test]
    fn watchlists_go_out_as_placeholders_and_come_back() {
        let rule: RuleDefinition = serde_json::from_value(serde_json::json!({
            "slug": "admin-logon", "name": "Admin logon", "severity": "high", "kind": "query",
            "query": "EventID:4624 AND TargetUserName|in:admins AND NOT IpAddress|in:jump-hosts"}))
        .unwrap();
        let yaml = export(&rule, uuid::Uuid::nil()).unwrap();
        assert!(yaml.contains("TargetUserName|expand: '%admins%'"), "{yaml}");
        assert_eq!(queries_of(&yaml), vec![rule.query.clone()], "{yaml}");
    }

    #[test]
    fn stateful_rules_export_as_correlations() {
        let rule: RuleDefinition = serde_json::from_value(serde_json::json!({
            "slug": "many-failures", "name": "Many failures", "severity": "high",
            "query": "event.outcome:failure AND user.name|i:root", "kind": "threshold",
            "group_by": ["source.ip"], "threshold": 5, "window_secs": 300,
            "exceptions": ["source.ip:10.0.0.0/8"], "tactics": ["TA0006"], "techniques": ["T1110"]
        }))
        .unwrap();
        let yaml = export(&rule, uuid::Uuid::nil()).unwrap();
        let back = import(&yaml);
        let Outcome::Rule(correlation) = &back[1] else {
            panic!("{back:?}")
        };
        assert_eq!(
            correlation.kind,
            RuleKind::Threshold {
                group_by: vec!["source.ip".into()],
                threshold: 5,
                window_secs: 300
            }
        );
        // The same condition; exact values come back quoted.
        assert_eq!(
            correlation.query,
            r#"event.outcome:"failure" AND user.name|i:"root" AND NOT source.ip|cidr:10.0.0.0/8"#
        );
        assert_eq!(correlation.techniques, ["T1110"]);
        let absence: RuleDefinition = serde_json::from_value(serde_json::json!({
            "slug": "quiet", "name": "Quiet", "severity": "low", "query": "x:1", "kind": "absence", "period_secs": 600
        }))
        .unwrap();
        assert!(
            export(&absence, uuid::Uuid::nil())
                .unwrap_err()
                .contains("absence")
        );
    }
}
