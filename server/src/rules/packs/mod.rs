//! Built-in rule packs, shipped in the binary as data (`server/packs/*.json`)
//! and installed on start: each rule once, then kept up to date with the
//! shipped definition for as long as no one edits it; a rule an admin
//! changed, disabled or deleted stays as they left it.
//!
//! Site values a pack's rules read (watched addresses, skip lists) are
//! watchlists the pack installs with sample values, once, for admins to
//! edit: a rule names them (`source.ip|in:mozdef-nsm-scanners`) instead of
//! holding them.
//!
//! Every pack rule carries its own positive and negative test cases; a unit
//! test runs them all through the rule-test path, so a pack cannot ship a
//! rule that does not do what its tests say.

pub mod repo;

use crate::audit::{AuditRecord, repo as audit_repo};
use app::rules::{RuleChange, RuleDefinition, RuleVersion};
use sqlx::PgPool;

/// How a pack is written.
enum Source {
    /// Vigil rules as JSON, each with its test cases.
    Rules(&'static str),
    /// Sigma YAML, imported as `POST /api/v1/rules/import/sigma` would.
    Sigma(&'static str),
}

/// The packs.
const PACKS: &[(&str, Source)] = &[
    (
        "mozdef",
        Source::Rules(include_str!("../../../packs/mozdef.json")),
    ),
    (
        "sigma-starter",
        Source::Sigma(include_str!("../../../packs/sigma-starter.yml")),
    ),
];

/// The watchlists of the packs: pack name and the lists as JSON.
const PACK_WATCHLISTS: &[(&str, &str)] = &[(
    "mozdef",
    include_str!("../../../packs/mozdef-watchlists.json"),
)];

/// A watchlist a pack installs.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PackWatchlist {
    pub slug: String,
    pub name: String,
    pub description: String,
    pub values: Vec<String>,
}

/// The watchlists of every pack, by pack name.
pub fn pack_watchlists() -> anyhow::Result<Vec<(&'static str, Vec<PackWatchlist>)>> {
    PACK_WATCHLISTS
        .iter()
        .map(|(name, json)| {
            let lists: Vec<PackWatchlist> = serde_json::from_str(json)
                .map_err(|e| anyhow::anyhow!("the {name} pack's watchlists do not read: {e}"))?;
            Ok((*name, lists))
        })
        .collect()
}

/// Installs every pack watchlist never installed before (an existing
/// watchlist of the same slug is left alone); returns how many.
async fn install_watchlists(pool: &PgPool) -> anyhow::Result<usize> {
    let mut installed = 0;
    for (pack, lists) in pack_watchlists()? {
        let mut tx = pool.begin().await?;
        let mut slugs = Vec::new();
        for list in lists {
            if !repo::record_pack_install(&mut tx, pack, &list.slug).await? {
                continue;
            }
            let id = uuid::Uuid::new_v4();
            let created = repo::insert_watchlist_if_absent(
                &mut tx,
                id,
                &list.slug,
                &list.name,
                &list.description,
            )
            .await?;
            if !created {
                continue;
            }
            let values = list
                .values
                .iter()
                .map(|v| {
                    app::watchlists::normalize_value(v)
                        .map_err(|e| anyhow::anyhow!("{}: {v:?}: {e}", list.slug))
                })
                .collect::<anyhow::Result<Vec<String>>>()?;
            let note = format!("installed with the {pack} pack");
            repo::insert_watchlist_values(&mut tx, id, &values, &note).await?;
            slugs.push(list.slug);
        }
        if !slugs.is_empty() {
            installed += slugs.len();
            let record = AuditRecord::system("watchlist.pack_install")
                .target(pack)
                .details(serde_json::json!({ "pack": pack, "watchlists": slugs }));
            audit_repo::insert_audit_record(&mut *tx, &record).await?;
        }
        tx.commit().await?;
    }
    Ok(installed)
}

/// The rules of every pack, by pack name.
pub fn packs() -> anyhow::Result<Vec<(&'static str, Vec<RuleDefinition>)>> {
    PACKS
        .iter()
        .map(|(name, source)| {
            let rules = match source {
                Source::Rules(json) => serde_json::from_str(json)
                    .map_err(|e| anyhow::anyhow!("the {name} pack does not read: {e}"))?,
                Source::Sigma(yaml) => super::sigma::import(yaml)
                    .into_iter()
                    .map(|outcome| match outcome {
                        super::sigma::Outcome::Rule(rule) => Ok(*rule),
                        super::sigma::Outcome::Unsupported { title, reason } => {
                            Err(anyhow::anyhow!(
                                "the {name} pack holds '{title}', which does not import: {reason}"
                            ))
                        }
                    })
                    .collect::<anyhow::Result<Vec<_>>>()?,
            };
            Ok((*name, rules))
        })
        .collect()
}

/// What [`install`] did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Installed {
    /// Pack rules installed for the first time.
    pub created: usize,
    /// Pack rules no one had edited, brought up to the shipped definition.
    pub updated: usize,
}

/// Installs every pack watchlist and rule never installed before, and
/// brings pack rules that no one edited since the pack wrote them up to the
/// definition this build ships (fixes to a pack rule reach existing
/// installations). A pack rule an admin changed, disabled or deleted is
/// left as they left it.
pub async fn install(pool: &PgPool) -> anyhow::Result<Installed> {
    install_watchlists(pool).await?;
    let mut done = Installed::default();
    for (pack, rules) in packs()? {
        let mut tx = pool.begin().await?;
        let (mut created, mut updated) = (Vec::new(), Vec::new());
        for rule in rules {
            let json = serde_json::to_value(&rule)?;
            let live = repo::lock_live_pack_rule(&mut tx, &rule.slug).await?;
            if let Some(live) = live {
                let current: Option<RuleDefinition> = serde_json::from_value(live.definition).ok();
                if live.by_pack && current.as_ref() != Some(&rule) {
                    let version = RuleVersion(live.version).next();
                    repo::update_pack_rule(&mut tx, live.id, version, rule.enabled, &json).await?;
                    repo::insert_pack_version(&mut tx, live.id, version, &json, RuleChange::Update)
                        .await?;
                    updated.push(rule.slug);
                }
                continue;
            }
            // Once deleted, or a rule of the same slug not from the pack: left alone.
            if repo::rule_slug_known(&mut tx, &rule.slug).await? {
                continue;
            }
            let id = uuid::Uuid::new_v4();
            repo::insert_pack_rule(&mut tx, id, &rule.slug, rule.enabled, &json).await?;
            repo::insert_pack_version(&mut tx, id, RuleVersion::FIRST, &json, RuleChange::Create)
                .await?;
            created.push(rule.slug);
        }
        for (action, slugs) in [
            ("rule.pack_install", &created),
            ("rule.pack_update", &updated),
        ] {
            if slugs.is_empty() {
                continue;
            }
            let record = AuditRecord::system(action)
                .target(pack)
                .details(serde_json::json!({ "pack": pack, "rules": slugs }));
            audit_repo::insert_audit_record(&mut *tx, &record).await?;
        }
        if !created.is_empty() || !updated.is_empty() {
            tracing::info!(
                pack,
                installed = created.len(),
                updated = updated.len(),
                "built-in detection rules installed or brought up to date"
            );
        }
        tx.commit().await?;
        done.created += created.len();
        done.updated += updated.len();
    }
    Ok(done)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every pack rule is valid and does what its test cases say — on
    /// MozDef's event format and on the same facts as ECS JSON or syslog —
    /// and every rule of the Sigma starter pack imports.
    #[test]
    fn every_pack_rule_passes_its_own_tests() {
        // The pack watchlists as installed: values normalised as stored.
        let mut lists = crate::detect::matcher::Lists::new();
        for (_, pack_lists) in pack_watchlists().unwrap() {
            for list in pack_lists {
                let values = list
                    .values
                    .iter()
                    .map(|v| app::watchlists::normalize_value(v).unwrap())
                    .collect();
                assert!(app::rules::is_slug(&list.slug), "{}", list.slug);
                lists.insert(list.slug, std::sync::Arc::new(values));
            }
        }
        for (pack, rules) in packs().unwrap() {
            assert!(!rules.is_empty(), "{pack} is empty");
            if pack == "sigma-starter" {
                assert_eq!(
                    rules.len(),
                    179,
                    "every document of the starter pack imports"
                );
                assert!(rules.iter().all(|r| r.enabled));
            }
            let mut slugs = std::collections::HashSet::new();
            for rule in &rules {
                assert!(slugs.insert(&rule.slug), "{pack}: {} twice", rule.slug);
                assert_eq!(rule.validate(), vec![], "{pack}/{}", rule.slug);
                // Sigma rules are checked by SigmaHQ's regression cases and
                // the OTRF comparison; Vigil's own rules by their cases.
                if pack != "sigma-starter" {
                    let positive = rule.tests.iter().filter(|t| t.expect_alerts > 0).count();
                    let negative = rule.tests.iter().filter(|t| t.expect_alerts == 0).count();
                    assert!(
                        positive >= 1 && negative >= 1,
                        "{pack}/{} needs positive and negative cases",
                        rule.slug
                    );
                }
                for slug in rule.watchlists() {
                    assert!(
                        lists.contains_key(&slug),
                        "{pack}/{} reads {slug}, which no pack installs",
                        rule.slug
                    );
                }
                for case in &rule.tests {
                    let answer = super::super::trial::trial(
                        rule,
                        &lists,
                        None,
                        case.events.clone(),
                        case.now,
                    )
                    .unwrap_or_else(|e| panic!("{pack}/{}: {}: {e:?}", rule.slug, case.name));
                    assert_eq!(
                        answer.alerts.len() as u32,
                        case.expect_alerts,
                        "{pack}/{}: {}: {:?}",
                        rule.slug,
                        case.name,
                        answer.alerts
                    );
                }
            }
        }
    }
}
