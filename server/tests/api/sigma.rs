//! SigmaHQ's regression cases through `POST /api/v1/rules/test`: each real
//! rule, imported from its YAML, on its real recorded event(s), must match
//! as many events as SigmaHQ says.

use crate::helpers::spawn_app;
use app::rules::RuleTestResponse;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Cases whose exported events hold more matching events than SigmaHQ's
/// `match_count` of 1: every one of them satisfies the rule (see docs/sigma.md).
const KNOWN_RECOUNTS: [(&str, u64); 2] = [
    // procdump.exe, procdump64.exe and procdump64a.exe dropped: three of six events.
    ("file_event_win_cred_dump_tools_dropped_files", 3),
    // AutoShareServer and AutoShareWks both set to 0: two of two events.
    ("registry_set_disable_administrative_share", 2),
];

fn shared(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/data/sigma")
        .join(path)
}

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            files(&path, out);
        } else {
            out.push(path);
        }
    }
}

/// Every rule's YAML by its id.
fn rules_by_id() -> HashMap<String, String> {
    let mut paths = Vec::new();
    files(&shared("rules"), &mut paths);
    files(&shared("rules-threat-hunting"), &mut paths);
    paths
        .into_iter()
        .filter_map(|path| {
            let text = std::fs::read_to_string(&path).ok()?;
            let id = text
                .lines()
                .find_map(|l| l.strip_prefix("id: "))?
                .trim()
                .to_owned();
            Some((id, text))
        })
        .collect()
}

/// `key: value` at the start of a line of `info.yml` (the first one).
fn info_value(info: &str, key: &str) -> Option<String> {
    info.lines()
        .map(str::trim_start)
        .find_map(|l| l.strip_prefix(key))
        .map(|v| v.trim().to_owned())
}

#[tokio::test]
async fn every_regression_case_matches_as_sigmahq_expects() {
    let app = spawn_app().await;
    app.login_as_admin().await;
    let rules = rules_by_id();
    let mut infos = Vec::new();
    files(&shared("regression_data"), &mut infos);
    infos.retain(|p| p.file_name().is_some_and(|n| n == "info.yml"));
    assert!(infos.len() >= 100, "{} cases", infos.len());

    let (mut passed, mut failures, mut skipped) = (0, Vec::new(), Vec::new());
    for info_path in &infos {
        let info = std::fs::read_to_string(info_path).unwrap();
        let dir = info_path.parent().unwrap();
        let rule_id = info_value(&info, "- id: ").unwrap();
        let case = dir.display().to_string();
        // A test that SigmaHQ commented out states nothing; one without a
        // count expects the rule to match at all.
        let Some(tests) = info.split("\nregression_tests_info:").nth(1) else {
            skipped.push(format!("{case}: no regression test"));
            continue;
        };
        let stated = tests
            .lines()
            .find(|l| l.trim_start().starts_with("match_count:"))
            .and_then(|l| l.split(':').nth(1))
            .and_then(|n| n.trim().parse::<u64>().ok());
        // Where the recorded file holds more matching events than SigmaHQ
        // counted (explained in docs/sigma.md), the count is the file's.
        let expected = KNOWN_RECOUNTS
            .iter()
            .find(|(name, _)| case.ends_with(name))
            .map(|(_, count)| Some(*count))
            .unwrap_or(stated);
        let Some(events_path) = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| p.extension().is_some_and(|e| e == "json"))
        else {
            skipped.push(format!("{case}: no JSON events"));
            continue;
        };
        let text = std::fs::read_to_string(&events_path).unwrap();
        let events: Vec<Value> = serde_json::Deserializer::from_str(&text)
            .into_iter::<Value>()
            .map(Result::unwrap)
            .collect();
        let yaml = rules
            .get(&rule_id)
            .unwrap_or_else(|| panic!("{case}: no rule {rule_id}"));
        let response = app
            .post_json(
                "/api/v1/rules/test",
                &json!({"sigma": yaml, "events": events}),
            )
            .await;
        let status = response.status();
        let body: Value = response.json().await.unwrap();
        if status != StatusCode::OK {
            failures.push(format!("{case}: {status} {body}"));
            continue;
        }
        let answer: RuleTestResponse = serde_json::from_value(body).unwrap();
        let right = match expected {
            Some(count) => answer.matches == count,
            None => answer.matches >= 1,
        };
        if right {
            passed += 1;
        } else {
            failures.push(format!(
                "{case}: {} matches, SigmaHQ expects {}",
                answer.matches,
                expected.map_or("at least 1".to_owned(), |c| c.to_string())
            ));
        }
    }
    eprintln!(
        "{passed} passed, {} failed, {} without an expectation:\n{}\n{}",
        failures.len(),
        skipped.len(),
        failures.join("\n"),
        skipped.join("\n")
    );
    assert!(
        failures.is_empty(),
        "{} regression cases failed",
        failures.len()
    );
}
