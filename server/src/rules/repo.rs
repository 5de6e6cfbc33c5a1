//! SQL for stored rules and their versions.

use app::rules::{RuleChange, RuleVersion};
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

/// A live rule as stored.
#[derive(Debug)]
pub struct RuleRow {
    /// The rule id.
    pub id: Uuid,
    /// Its current version.
    pub version: i32,
    /// Where it came from (`vigil`, `sigma`, `pack`).
    pub origin: String,
    /// Its definition as JSON.
    pub definition: serde_json::Value,
    /// When it was created.
    pub created_at: chrono::DateTime<chrono::Utc>,
    /// Who created it.
    pub created_by: Option<String>,
    /// When it last changed.
    pub updated_at: chrono::DateTime<chrono::Utc>,
    /// Who last changed it.
    pub updated_by: Option<String>,
}

/// Returns the live rules (all, or the one with `id`), newest change first.
pub async fn fetch_live_rules(
    db: impl PgExecutor<'_>,
    id: Option<Uuid>,
) -> sqlx::Result<Vec<RuleRow>> {
    sqlx::query_as!(
        RuleRow,
        r#"SELECT r.id, r.version, r.origin, r.definition, r.created_at, r.updated_at,
                  c.username AS "created_by?", u.username AS "updated_by?"
           FROM rules r
           LEFT JOIN users c ON c.id = r.created_by
           LEFT JOIN users u ON u.id = r.updated_by
           WHERE r.deleted_at IS NULL AND ($1::uuid IS NULL OR r.id = $1)
           ORDER BY r.updated_at DESC, r.id"#,
        id
    )
    .fetch_all(db)
    .await
}

/// Returns the id of the live rule with `slug`.
pub async fn fetch_live_rule_id_by_slug(
    db: impl PgExecutor<'_>,
    slug: &str,
) -> sqlx::Result<Option<Uuid>> {
    sqlx::query_scalar!(
        "SELECT id FROM rules WHERE slug = $1 AND deleted_at IS NULL",
        slug
    )
    .fetch_optional(db)
    .await
}

/// Inserts a rule at version 1.
pub async fn insert_rule(
    db: impl PgExecutor<'_>,
    id: Uuid,
    slug: &str,
    enabled: bool,
    definition: &serde_json::Value,
    origin: &str,
    by: Option<Uuid>,
) -> sqlx::Result<()> {
    sqlx::query!(
        "INSERT INTO rules (id, slug, version, enabled, definition, origin, created_by, updated_by)
         VALUES ($1, $2, 1, $3, $4, $5, $6, $6)",
        id,
        slug,
        enabled,
        definition,
        origin,
        by
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Records a version of a rule.
pub async fn insert_rule_version(
    db: impl PgExecutor<'_>,
    id: Uuid,
    version: RuleVersion,
    definition: &serde_json::Value,
    change: RuleChange,
    by: Option<Uuid>,
) -> sqlx::Result<()> {
    sqlx::query!(
        "INSERT INTO rule_versions (rule_id, version, definition, change, changed_by)
         VALUES ($1, $2, $3, $4, $5)",
        id,
        version.0,
        definition,
        change.name(),
        by
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Locks the live rule `id`; returns its version.
pub async fn lock_rule_version(tx: &mut PgConnection, id: Uuid) -> sqlx::Result<Option<i32>> {
    sqlx::query_scalar!(
        "SELECT version FROM rules WHERE id = $1 AND deleted_at IS NULL FOR UPDATE",
        id
    )
    .fetch_optional(tx)
    .await
}

/// Replaces a rule's definition at `version`.
pub async fn update_rule(
    db: impl PgExecutor<'_>,
    id: Uuid,
    slug: &str,
    version: RuleVersion,
    enabled: bool,
    definition: &serde_json::Value,
    by: Option<Uuid>,
) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE rules SET slug = $2, version = $3, enabled = $4, definition = $5,
                updated_at = now(), updated_by = $6
         WHERE id = $1",
        id,
        slug,
        version.0,
        enabled,
        definition,
        by
    )
    .execute(db)
    .await?;
    Ok(())
}

/// A rule as it was deleted.
#[derive(Debug)]
pub struct DeletedRule {
    /// Its slug.
    pub slug: String,
    /// The version its deletion is.
    pub version: i32,
    /// Its last definition.
    pub definition: serde_json::Value,
}

/// Marks a live rule deleted (and disabled, at a new version).
pub async fn delete_rule(
    db: impl PgExecutor<'_>,
    id: Uuid,
    by: Option<Uuid>,
) -> sqlx::Result<Option<DeletedRule>> {
    sqlx::query_as!(
        DeletedRule,
        "UPDATE rules SET deleted_at = now(), enabled = false, version = version + 1,
                updated_at = now(), updated_by = $2
         WHERE id = $1 AND deleted_at IS NULL
         RETURNING slug, version, definition",
        id,
        by
    )
    .fetch_optional(db)
    .await
}

/// A version of a rule as stored.
#[derive(Debug)]
pub struct VersionRow {
    /// The version.
    pub version: i32,
    /// What changed (create, update, delete).
    pub change: String,
    /// The definition at that version.
    pub definition: serde_json::Value,
    /// When.
    pub changed_at: chrono::DateTime<chrono::Utc>,
    /// By whom.
    pub changed_by: Option<String>,
}

/// Returns a rule's versions, newest first.
pub async fn fetch_rule_versions(
    db: impl PgExecutor<'_>,
    id: Uuid,
) -> sqlx::Result<Vec<VersionRow>> {
    sqlx::query_as!(
        VersionRow,
        r#"SELECT v.version, v.change, v.definition, v.changed_at, u.username AS "changed_by?"
           FROM rule_versions v LEFT JOIN users u ON u.id = v.changed_by
           WHERE v.rule_id = $1
           ORDER BY v.version DESC"#,
        id
    )
    .fetch_all(db)
    .await
}
