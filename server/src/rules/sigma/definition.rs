//! The Vigil rule a Sigma document becomes: slug, name, severity, ATT&CK
//! tags from Sigma's, and the check that it compiles.

use app::rules::{RuleDefinition, RuleKind, Severity};
use rsigma_parser::Level;

/// Builds a Vigil rule from a Sigma rule's metadata and condition.
#[allow(clippy::too_many_arguments)]
pub fn definition_for(
    title: &str,
    id: Option<&str>,
    description: Option<&str>,
    author: Option<&str>,
    falsepositives: &[String],
    references: &[String],
    level: Option<Level>,
    tags: &[String],
    query: String,
) -> RuleDefinition {
    let mut text = description.unwrap_or_default().trim().to_owned();
    if !falsepositives.is_empty() {
        text.push_str(&format!(
            "\n\nFalse positives: {}.",
            falsepositives.join("; ")
        ));
    }
    text.push_str(&format!(
        "\n\nSigma rule{}{}.",
        id.map(|id| format!(" {id}")).unwrap_or_default(),
        author.map(|a| format!(" by {a}")).unwrap_or_default()
    ));
    if !references.is_empty() {
        text.push_str(&format!(" References: {}", references.join(" ")));
    }
    let text: String = text
        .trim()
        .chars()
        .take(app::rules::limits::MAX_DESCRIPTION)
        .collect();
    let (tactics, techniques) = attack_tags(tags);
    RuleDefinition {
        slug: slug(title, id),
        name: title.chars().take(app::rules::limits::MAX_NAME).collect(),
        description: text,
        severity: match level {
            Some(Level::Informational) => Severity::Informational,
            Some(Level::Low) => Severity::Low,
            Some(Level::High) => Severity::High,
            Some(Level::Critical) => Severity::Critical,
            Some(Level::Medium) | None => Severity::Medium,
        },
        tactics,
        techniques,
        enabled: true,
        query,
        kind: RuleKind::Query,
        exceptions: Vec::new(),
        suppression: None,
        summary: None,
        tests: Vec::new(),
    }
}

/// `sigma-<title>-<first 8 of the id>`, lower case, within the slug limit.
pub fn slug(title: &str, id: Option<&str>) -> String {
    let mut out = String::from("sigma-");
    let mut dash = false;
    for c in title.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
            dash = false;
        } else if !dash {
            out.push('-');
            dash = true;
        }
    }
    let suffix: String = id
        .unwrap_or_default()
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(8)
        .map(|c| c.to_ascii_lowercase())
        .collect();
    let room = app::rules::limits::MAX_SLUG - suffix.len() - 1;
    out.truncate(room);
    let mut out = out.trim_end_matches('-').to_owned();
    if !suffix.is_empty() {
        out.push('-');
        out.push_str(&suffix);
    }
    out
}

/// ATT&CK tactic and technique ids from Sigma tags (`attack.execution`,
/// `attack.t1059.001`).
pub fn attack_tags(tags: &[String]) -> (Vec<String>, Vec<String>) {
    const TACTICS: [(&str, &str); 14] = [
        ("reconnaissance", "TA0043"),
        ("resource_development", "TA0042"),
        ("initial_access", "TA0001"),
        ("execution", "TA0002"),
        ("persistence", "TA0003"),
        ("privilege_escalation", "TA0004"),
        ("defense_evasion", "TA0005"),
        ("credential_access", "TA0006"),
        ("discovery", "TA0007"),
        ("lateral_movement", "TA0008"),
        ("collection", "TA0009"),
        ("exfiltration", "TA0010"),
        ("command_and_control", "TA0011"),
        ("impact", "TA0040"),
    ];
    let (mut tactics, mut techniques) = (Vec::new(), Vec::new());
    for tag in tags {
        let Some(name) = tag
            .to_lowercase()
            .strip_prefix("attack.")
            .map(str::to_owned)
        else {
            continue;
        };
        let name = name.replace('-', "_");
        if let Some((_, id)) = TACTICS.iter().find(|(tactic, _)| *tactic == name) {
            tactics.push((*id).to_owned());
        } else if name.starts_with("ta") && name[2..].chars().all(|c| c.is_ascii_digit()) {
            tactics.push(name.to_uppercase());
        } else if name.starts_with('t')
            && name[1..].chars().next().is_some_and(|c| c.is_ascii_digit())
        {
            techniques.push(name.to_uppercase());
        }
    }
    tactics.retain(|t| app::rules::is_attack_id(t, "TA", false));
    techniques.retain(|t| app::rules::is_attack_id(t, "T", true));
    tactics.dedup();
    techniques.dedup();
    (tactics, techniques)
}

/// The rule must be valid and its regular expressions compile here.
pub fn check_compiles(definition: &RuleDefinition) -> Result<(), String> {
    if let Some(error) = definition.validate().into_iter().next() {
        return Err(format!("{}: {}", error.field, error.message));
    }
    crate::detect::eval::Evaluator::new(definition, &Default::default(), chrono::Utc::now())
        .map(|_| ())
        .map_err(|e| e.to_string())
}
