//! SQL for user accounts.

use app::auth::{AuthSource, Username};
use app::ids::UserId;
use app::users::UserSummary;
use chrono::{DateTime, Utc};
use sqlx::PgExecutor;
use uuid::Uuid;

/// Returns how many accounts exist.
pub async fn count_users(db: impl PgExecutor<'_>) -> sqlx::Result<i64> {
    sqlx::query_scalar!(r#"SELECT count(*) AS "count!" FROM users"#)
        .fetch_one(db)
        .await
}

/// Inserts an account. Fails with a unique violation when the username is taken.
#[tracing::instrument(skip(db, password_hash))]
pub async fn insert_user(
    db: impl PgExecutor<'_>,
    id: UserId,
    username: &Username,
    display_name: Option<&str>,
    auth_source: AuthSource,
    password_hash: Option<&str>,
) -> sqlx::Result<()> {
    sqlx::query!(
        "INSERT INTO users (id, username, display_name, auth_source, password_hash)
         VALUES ($1, $2, $3, $4, $5)",
        id.as_uuid(),
        username.as_str(),
        display_name,
        auth_source.as_str(),
        password_hash,
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Grants roles; fails with a foreign-key violation when a role does not exist.
pub async fn grant_roles(
    db: impl PgExecutor<'_>,
    user: UserId,
    roles: &[String],
) -> sqlx::Result<()> {
    sqlx::query!(
        "INSERT INTO user_roles (user_id, role) SELECT $1, unnest($2::text[]) ON CONFLICT DO NOTHING",
        user.as_uuid(),
        roles,
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Returns the names among `roles` that do not exist.
pub async fn fetch_unknown_roles(
    db: impl PgExecutor<'_>,
    roles: &[String],
) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar!(
        r#"SELECT r AS "r!" FROM unnest($1::text[]) AS r WHERE r NOT IN (SELECT name FROM roles)"#,
        roles
    )
    .fetch_all(db)
    .await
}

/// Replaces a local account's password hash.
pub async fn set_password_hash(
    db: impl PgExecutor<'_>,
    username: &Username,
    hash: &str,
) -> sqlx::Result<bool> {
    let result = sqlx::query!(
        "UPDATE users SET password_hash = $2, updated_at = now() WHERE username = $1 AND auth_source = 'local'",
        username.as_str(),
        hash
    )
    .execute(db)
    .await?;
    Ok(result.rows_affected() == 1)
}

struct UserRow {
    id: Uuid,
    username: String,
    display_name: Option<String>,
    auth_source: String,
    disabled: bool,
    created_at: DateTime<Utc>,
    last_login_at: Option<DateTime<Utc>>,
    roles: Vec<String>,
}

/// Returns accounts, by username; `only` restricts to one id.
pub async fn fetch_users(
    db: impl PgExecutor<'_>,
    only: Option<UserId>,
) -> sqlx::Result<Vec<UserSummary>> {
    let rows = sqlx::query_as!(
        UserRow,
        r#"SELECT u.id, u.username, u.display_name, u.auth_source, u.disabled, u.created_at, u.last_login_at,
                  coalesce(array(SELECT ur.role FROM user_roles ur WHERE ur.user_id = u.id ORDER BY ur.role), '{}')
                      AS "roles!"
           FROM users u
           WHERE $1::uuid IS NULL OR u.id = $1
           ORDER BY u.username"#,
        only.map(|u| u.as_uuid()),
    )
    .fetch_all(db)
    .await?;
    let mut users = Vec::with_capacity(rows.len());
    for row in rows {
        let Ok(username) = Username::parse(&row.username) else {
            tracing::warn!(id = %row.id, "skipping an account with an invalid stored username");
            continue;
        };
        users.push(UserSummary {
            id: UserId(row.id),
            username,
            display_name: row.display_name,
            auth_source: AuthSource::from_stored(&row.auth_source),
            roles: row.roles,
            disabled: row.disabled,
            created_at: row.created_at,
            last_login_at: row.last_login_at,
        });
    }
    Ok(users)
}

/// Takes the transaction lock that serialises creating the first admin.
pub async fn lock_first_admin(tx: &mut sqlx::PgConnection) -> sqlx::Result<()> {
    sqlx::query!(
        "SELECT pg_advisory_xact_lock($1)",
        crate::db::locks::FIRST_ADMIN
    )
    .execute(tx)
    .await?;
    Ok(())
}

/// Disables or enables the account `id`; returns its username, if it exists.
pub async fn set_disabled(
    db: impl PgExecutor<'_>,
    id: UserId,
    disabled: bool,
) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar!(
        "UPDATE users SET disabled = $2, updated_at = now() WHERE id = $1 RETURNING username",
        id.as_uuid(),
        disabled
    )
    .fetch_optional(db)
    .await
}

/// Returns the id of the account `username`.
pub async fn fetch_user_id(
    db: impl PgExecutor<'_>,
    username: &Username,
) -> sqlx::Result<Option<Uuid>> {
    sqlx::query_scalar!(
        "SELECT id FROM users WHERE username = $1",
        username.as_str()
    )
    .fetch_optional(db)
    .await
}

/// Returns the username of the account `id`.
pub async fn fetch_username(db: impl PgExecutor<'_>, id: UserId) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar!("SELECT username FROM users WHERE id = $1", id.as_uuid())
        .fetch_optional(db)
        .await
}

/// Ends every live session of `user`; returns how many.
pub async fn revoke_sessions(db: impl PgExecutor<'_>, user: Uuid) -> sqlx::Result<u64> {
    Ok(sqlx::query!(
        "UPDATE sessions SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL",
        user
    )
    .execute(db)
    .await?
    .rows_affected())
}
