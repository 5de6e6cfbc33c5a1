//! SQL of the pack installer: what was installed once, pack watchlists,
//! and pack rules with the versions the pack wrote.

use app::rules::{RuleChange, RuleVersion};
use sqlx::PgConnection;
use uuid::Uuid;

/// Records that `pack` installed `kind` `slug`; returns false when it had before.
pub async fn record_pack_install(
    tx: &mut PgConnection,
    pack: &str,
    slug: &str,
) -> sqlx::Result<bool> {
    let recorded = sqlx::query!(
        "INSERT INTO pack_installs (pack, kind, slug) VALUES ($1, 'watchlist', $2)
                 ON CONFLICT DO NOTHING",
        pack,
        slug
    )
    .execute(tx)
    .await?
    .rows_affected();
    Ok(recorded > 0)
}

/// Creates a watchlist unless one has its slug; returns whether it did.
pub async fn insert_watchlist_if_absent(
    tx: &mut PgConnection,
    id: Uuid,
    slug: &str,
    name: &str,
    description: &str,
) -> sqlx::Result<bool> {
    let created = sqlx::query!(
        "INSERT INTO watchlists (id, slug, name, description) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (slug) DO NOTHING",
        id,
        slug,
        name,
        description
    )
    .execute(tx)
    .await?
    .rows_affected();
    Ok(created > 0)
}

/// Adds values to a watchlist with one note.
pub async fn insert_watchlist_values(
    tx: &mut PgConnection,
    id: Uuid,
    values: &[String],
    note: &str,
) -> sqlx::Result<()> {
    sqlx::query!(
        "INSERT INTO watchlist_entries (watchlist_id, value, note)
                 SELECT $1, v, $3 FROM unnest($2::text[]) AS t(v) ON CONFLICT DO NOTHING",
        id,
        values,
        note
    )
    .execute(tx)
    .await?;
    Ok(())
}

/// A live pack rule, locked.
#[derive(Debug)]
pub struct LivePackRule {
    /// The rule id.
    pub id: Uuid,
    /// Its version.
    pub version: i32,
    /// Its definition.
    pub definition: serde_json::Value,
    /// Whether the pack wrote that version (no one edited it since).
    pub by_pack: bool,
}

/// Returns and locks the live pack rule `slug`.
pub async fn lock_live_pack_rule(
    tx: &mut PgConnection,
    slug: &str,
) -> sqlx::Result<Option<LivePackRule>> {
    sqlx::query_as!(
        LivePackRule,
        r#"SELECT r.id, r.version, r.definition, v.by_pack
                     FROM rules r JOIN rule_versions v ON v.rule_id = r.id AND v.version = r.version
                    WHERE r.slug = $1 AND r.origin = 'pack' AND r.deleted_at IS NULL
                      FOR UPDATE OF r"#,
        slug
    )
    .fetch_optional(tx)
    .await
}

/// Sets a pack rule's definition at `version`.
pub async fn update_pack_rule(
    tx: &mut PgConnection,
    id: Uuid,
    version: RuleVersion,
    enabled: bool,
    definition: &serde_json::Value,
) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE rules SET version = $2, enabled = $3, definition = $4, updated_at = now()
                          WHERE id = $1",
        id,
        version.0,
        enabled,
        definition
    )
    .execute(tx)
    .await?;
    Ok(())
}

/// Says whether a rule `slug` was ever a pack's, or is live from elsewhere.
pub async fn rule_slug_known(tx: &mut PgConnection, slug: &str) -> sqlx::Result<bool> {
    Ok(sqlx::query_scalar!(
        "SELECT EXISTS (SELECT 1 FROM rules WHERE slug = $1 AND (origin = 'pack' OR deleted_at IS NULL))",
        slug
    )
    .fetch_one(tx)
    .await?
    .unwrap_or(true))
}

/// Inserts a pack rule at version 1.
pub async fn insert_pack_rule(
    tx: &mut PgConnection,
    id: Uuid,
    slug: &str,
    enabled: bool,
    definition: &serde_json::Value,
) -> sqlx::Result<()> {
    sqlx::query!(
        "INSERT INTO rules (id, slug, version, enabled, definition, origin)
                 VALUES ($1, $2, 1, $3, $4, 'pack')",
        id,
        slug,
        enabled,
        definition
    )
    .execute(tx)
    .await?;
    Ok(())
}

/// Records a version of a pack rule as the pack's own.
pub async fn insert_pack_version(
    tx: &mut PgConnection,
    rule: Uuid,
    version: RuleVersion,
    definition: &serde_json::Value,
    change: RuleChange,
) -> sqlx::Result<()> {
    sqlx::query!(
        "INSERT INTO rule_versions (rule_id, version, definition, change, by_pack)
         VALUES ($1, $2, $3, $4, true)",
        rule,
        version.0,
        definition,
        change.name()
    )
    .execute(tx)
    .await?;
    Ok(())
}
