//! SQL for API keys.

use app::api_keys::{ApiKeyScope, ApiKeySummary};
use app::ids::{ApiKeyId, UserId};
use chrono::{DateTime, Utc};
use sqlx::PgExecutor;
use uuid::Uuid;

/// Returns a live key's identity.
#[derive(Debug)]
pub struct LiveKeyRow {
    /// The key id.
    pub id: Uuid,
    /// The key name.
    pub name: String,
    /// Scope names.
    pub scopes: Vec<String>,
    /// When it stops working, if ever.
    pub expires_at: Option<DateTime<Utc>>,
}

/// Returns the unrevoked, unexpired key whose hash is `hash`.
pub async fn fetch_live_key_by_hash(
    db: impl PgExecutor<'_>,
    hash: &[u8],
) -> sqlx::Result<Option<LiveKeyRow>> {
    sqlx::query_as!(
        LiveKeyRow,
        "SELECT id, name, scopes, expires_at FROM api_keys
         WHERE key_hash = $1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now())",
        hash
    )
    .fetch_optional(db)
    .await
}

/// Records that a key was used, at most once a minute per key to spare writes on busy shippers.
pub async fn touch_api_key(db: impl PgExecutor<'_>, id: Uuid) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE api_keys SET last_used_at = now()
         WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < now() - interval '60 seconds')",
        id
    )
    .execute(db)
    .await?;
    Ok(())
}

/// A key to store.
#[derive(Debug)]
pub struct NewKey<'a> {
    pub id: ApiKeyId,
    pub name: &'a str,
    /// The first characters of the secret, shown in lists.
    pub prefix: &'a str,
    /// SHA-256 of the secret.
    pub hash: &'a [u8],
    pub scopes: &'a [ApiKeyScope],
    pub created_by: Option<UserId>,
    pub expires_at: Option<DateTime<Utc>>,
}

/// Inserts a key and returns its creation time.
#[tracing::instrument(skip_all)]
pub async fn insert_api_key(
    db: impl PgExecutor<'_>,
    key: &NewKey<'_>,
) -> sqlx::Result<DateTime<Utc>> {
    let scopes: Vec<String> = key.scopes.iter().map(|s| s.as_str().to_owned()).collect();
    sqlx::query_scalar!(
        "INSERT INTO api_keys (id, name, prefix, key_hash, scopes, created_by, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING created_at",
        key.id.as_uuid(),
        key.name,
        key.prefix,
        key.hash,
        &scopes,
        key.created_by.map(|u| u.as_uuid()),
        key.expires_at,
    )
    .fetch_one(db)
    .await
}

struct KeyRow {
    id: Uuid,
    name: String,
    prefix: String,
    scopes: Vec<String>,
    created_by: Option<String>,
    created_at: DateTime<Utc>,
    last_used_at: Option<DateTime<Utc>>,
    revoked_at: Option<DateTime<Utc>>,
    expires_at: Option<DateTime<Utc>>,
}

/// Returns every key, newest first, revoked ones included.
pub async fn fetch_api_keys(db: impl PgExecutor<'_>) -> sqlx::Result<Vec<ApiKeySummary>> {
    let rows = sqlx::query_as!(
        KeyRow,
        r#"SELECT k.id, k.name, k.prefix, k.scopes, u.username AS "created_by?",
                  k.created_at, k.last_used_at, k.revoked_at, k.expires_at
           FROM api_keys k LEFT JOIN users u ON u.id = k.created_by
           ORDER BY k.created_at DESC, k.id"#
    )
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| ApiKeySummary {
            id: ApiKeyId(row.id),
            name: row.name,
            prefix: row.prefix,
            scopes: row
                .scopes
                .iter()
                .filter_map(|s| ApiKeyScope::from_name(s))
                .collect(),
            created_by: row.created_by,
            created_at: row.created_at,
            last_used_at: row.last_used_at,
            revoked_at: row.revoked_at,
            expires_at: row.expires_at,
        })
        .collect())
}

/// Revokes a key; returns its name, or `None` when no live key has that id.
pub async fn revoke_api_key(db: impl PgExecutor<'_>, id: ApiKeyId) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar!(
        "UPDATE api_keys SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL RETURNING name",
        id.as_uuid()
    )
    .fetch_optional(db)
    .await
}
