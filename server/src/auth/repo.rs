//! SQL for sessions, login lookups, built-in roles and the signing secret.

use app::ids::{SessionId, UserId};
use app::permissions::BuiltinRole;
use chrono::{DateTime, Utc};
use sqlx::types::ipnet::IpNet;
use sqlx::{PgConnection, PgExecutor};
use std::net::IpAddr;
use uuid::Uuid;

/// Returns what a login needs to know about an account.
#[derive(Debug)]
pub struct LoginUserRow {
    /// The account id.
    pub id: Uuid,
    /// The Argon2id hash; `None` for accounts that sign in elsewhere.
    pub password_hash: Option<String>,
    /// Whether the account is disabled.
    pub disabled: bool,
}

/// Returns the account named `username`.
#[tracing::instrument(skip_all)]
pub async fn fetch_login_user(
    db: impl PgExecutor<'_>,
    username: &str,
) -> sqlx::Result<Option<LoginUserRow>> {
    sqlx::query_as!(
        LoginUserRow,
        "SELECT id, password_hash, disabled FROM users WHERE username = $1",
        username
    )
    .fetch_optional(db)
    .await
}

/// Inserts a session that ends at `expires_at`.
#[tracing::instrument(skip_all)]
pub async fn insert_session(
    db: impl PgExecutor<'_>,
    id: SessionId,
    user: UserId,
    expires_at: DateTime<Utc>,
    client_ip: Option<IpAddr>,
    user_agent: Option<&str>,
) -> sqlx::Result<()> {
    sqlx::query!(
        "INSERT INTO sessions (id, user_id, expires_at, client_ip, user_agent)
         VALUES ($1, $2, $3, $4, $5)",
        id.as_uuid(),
        user.as_uuid(),
        expires_at,
        client_ip.map(IpNet::from) as Option<IpNet>,
        user_agent,
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Returns a live session's user with roles and permissions.
#[derive(Debug)]
pub struct SessionUserRow {
    /// The account id.
    pub user_id: Uuid,
    /// The login name.
    pub username: String,
    /// The name to show.
    pub display_name: Option<String>,
    /// `local`, `oidc` or `ldap`.
    pub auth_source: String,
    /// When the session ends at the latest.
    pub expires_at: DateTime<Utc>,
    /// When the session was last used (updated at most once a minute).
    pub last_seen_at: DateTime<Utc>,
    /// Role names, sorted.
    pub roles: Vec<String>,
    /// Permission wire names, sorted, deduplicated.
    pub permissions: Vec<String>,
}

/// Returns the session `session` of `user` if it is neither revoked nor expired
/// and the account is enabled.
#[tracing::instrument(skip_all)]
pub async fn fetch_live_session(
    db: impl PgExecutor<'_>,
    session: SessionId,
    user: UserId,
) -> sqlx::Result<Option<SessionUserRow>> {
    sqlx::query_as!(
        SessionUserRow,
        r#"SELECT u.id AS user_id, u.username, u.display_name, u.auth_source,
                  s.expires_at, s.last_seen_at,
                  coalesce(array(SELECT ur.role FROM user_roles ur
                                 WHERE ur.user_id = u.id ORDER BY ur.role), '{}') AS "roles!",
                  coalesce(array(SELECT DISTINCT p FROM user_roles ur
                                 JOIN roles r ON r.name = ur.role, unnest(r.permissions) AS p
                                 WHERE ur.user_id = u.id ORDER BY p), '{}') AS "permissions!"
           FROM sessions s JOIN users u ON u.id = s.user_id
           WHERE s.id = $1 AND s.user_id = $2
             AND s.revoked_at IS NULL AND s.expires_at > now() AND NOT u.disabled"#,
        session.as_uuid(),
        user.as_uuid(),
    )
    .fetch_optional(db)
    .await
}

/// Records that the session was used now.
pub async fn touch_session(db: impl PgExecutor<'_>, session: SessionId) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE sessions SET last_seen_at = now() WHERE id = $1",
        session.as_uuid()
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Revokes a session; later requests carrying its token are refused.
#[tracing::instrument(skip_all)]
pub async fn revoke_session(db: impl PgExecutor<'_>, session: SessionId) -> sqlx::Result<bool> {
    let result = sqlx::query!(
        "UPDATE sessions SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL",
        session.as_uuid()
    )
    .execute(db)
    .await?;
    Ok(result.rows_affected() == 1)
}

/// Records a successful login.
pub async fn set_last_login(db: impl PgExecutor<'_>, user: UserId) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE users SET last_login_at = now() WHERE id = $1",
        user.as_uuid()
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Writes the built-in roles' current permission sets.
#[tracing::instrument(skip_all)]
pub async fn upsert_builtin_roles(conn: &mut PgConnection) -> sqlx::Result<()> {
    for role in BuiltinRole::ALL {
        let permissions: Vec<String> = role
            .permissions()
            .into_iter()
            .map(|p| p.as_str().to_owned())
            .collect();
        sqlx::query!(
            "INSERT INTO roles (name, description, permissions, builtin)
             VALUES ($1, $2, $3, true)
             ON CONFLICT (name) DO UPDATE
             SET description = EXCLUDED.description, permissions = EXCLUDED.permissions,
                 builtin = true, updated_at = now()
             WHERE roles.permissions IS DISTINCT FROM EXCLUDED.permissions
                OR roles.description IS DISTINCT FROM EXCLUDED.description
                OR NOT roles.builtin",
            role.name(),
            role.description(),
            &permissions,
        )
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Returns the secret named `name`, storing `candidate` first if there is none yet.
/// Concurrent first starts of several nodes agree on one secret.
pub async fn fetch_or_insert_secret(
    db: &mut PgConnection,
    name: &str,
    candidate: &[u8],
) -> sqlx::Result<Vec<u8>> {
    sqlx::query!(
        "INSERT INTO server_secrets (name, secret) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
        name,
        candidate
    )
    .execute(&mut *db)
    .await?;
    sqlx::query_scalar!("SELECT secret FROM server_secrets WHERE name = $1", name)
        .fetch_one(&mut *db)
        .await
}

/// One sign-in throttling counter as stored.
#[derive(Debug)]
pub struct ThrottleRow {
    pub scope: String,
    pub key: String,
    pub window_start: DateTime<Utc>,
    pub failures: i32,
    pub refused: i32,
    pub last_failure: Option<DateTime<Utc>>,
}

/// Locks the throttling counters named by `scopes` and `keys` (pairwise),
/// creating missing ones with a window starting at `now`; in a fixed order,
/// so concurrent attempts never deadlock.
pub async fn lock_throttle(
    tx: &mut PgConnection,
    scopes: &[&str],
    keys: &[String],
    now: DateTime<Utc>,
) -> sqlx::Result<Vec<ThrottleRow>> {
    sqlx::query!(
        "INSERT INTO login_throttle (scope, key, window_start)
         SELECT scope, key, $3 FROM unnest($1::text[], $2::text[]) AS k(scope, key)
         ORDER BY scope, key
         ON CONFLICT DO NOTHING",
        scopes as &[&str],
        keys,
        now
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query_as!(
        ThrottleRow,
        "SELECT t.scope, t.key, t.window_start, t.failures, t.refused, t.last_failure
         FROM login_throttle t JOIN unnest($1::text[], $2::text[]) AS k(scope, key)
              ON t.scope = k.scope AND t.key = k.key
         ORDER BY t.scope, t.key
         FOR UPDATE OF t",
        scopes as &[&str],
        keys,
    )
    .fetch_all(&mut *tx)
    .await
}

/// Writes throttling counters (pairwise arrays), inserting any missing.
#[allow(clippy::too_many_arguments)]
pub async fn store_throttle(
    tx: &mut PgConnection,
    scopes: &[&str],
    keys: &[&str],
    window_starts: &[DateTime<Utc>],
    failures: &[i32],
    refused: &[i32],
    last_failures: &[Option<DateTime<Utc>>],
) -> sqlx::Result<()> {
    sqlx::query!(
        r#"INSERT INTO login_throttle (scope, key, window_start, failures, refused, last_failure)
           SELECT * FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::int[], $5::int[],
                                $6::timestamptz[])
           ON CONFLICT (scope, key) DO UPDATE
           SET window_start = EXCLUDED.window_start, failures = EXCLUDED.failures,
               refused = EXCLUDED.refused, last_failure = EXCLUDED.last_failure"#,
        scopes as &[&str],
        keys as &[&str],
        window_starts,
        failures,
        refused,
        last_failures as &[Option<DateTime<Utc>>],
    )
    .execute(tx)
    .await?;
    Ok(())
}

/// Removes and returns the throttling counters whose window started before `before`.
pub async fn take_throttles_started_before(
    tx: &mut PgConnection,
    before: DateTime<Utc>,
) -> sqlx::Result<Vec<ThrottleRow>> {
    sqlx::query_as!(
        ThrottleRow,
        "DELETE FROM login_throttle WHERE window_start < $1
         RETURNING scope, key, window_start, failures, refused, last_failure",
        before
    )
    .fetch_all(tx)
    .await
}

/// Says whether `user` signed in from `address` since `since`.
pub async fn is_known_address(
    db: impl PgExecutor<'_>,
    user: Uuid,
    address: &str,
    since: DateTime<Utc>,
) -> sqlx::Result<bool> {
    sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM login_known_addresses
                          WHERE user_id = $1 AND address = $2 AND last_seen >= $3) AS "known!""#,
        user,
        address,
        since
    )
    .fetch_one(db)
    .await
}

/// Records that `user` signed in from `address` now.
pub async fn remember_address(
    db: impl PgExecutor<'_>,
    user: Uuid,
    address: &str,
) -> sqlx::Result<()> {
    sqlx::query!(
        "INSERT INTO login_known_addresses (user_id, address, last_seen) VALUES ($1, $2, now())
         ON CONFLICT (user_id, address) DO UPDATE SET last_seen = now()",
        user,
        address
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Forgets addresses not signed in from since `before`.
pub async fn forget_known_addresses(
    db: impl PgExecutor<'_>,
    before: DateTime<Utc>,
) -> sqlx::Result<()> {
    sqlx::query!(
        "DELETE FROM login_known_addresses WHERE last_seen < $1",
        before
    )
    .execute(db)
    .await?;
    Ok(())
}
