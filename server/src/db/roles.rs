//! Database roles: the owner migrates, the app runs as a role that cannot alter the audit trail.
//!
//! The owner (who ran the migrations) creates the app's login role when it is
//! missing, then grants it what it needs (`vigil_grant_app_role`, a migration):
//! read and write on the working tables, read and append only on the audit
//! tables, ownership of the events hierarchy (partition DDL is an owner's
//! right in Postgres). Nothing here runs on the app's own connections.

use anyhow::Context;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use secrecy::{ExposeSecret, SecretString};
use sqlx::PgConnection;

/// The role the embedded cluster's app connections use.
pub const EMBEDDED_APP_ROLE: &str = "vigil_app";

/// Ensures `role` exists (created with `password`, if given, when missing)
/// and holds exactly the app's privileges. `owner` is a connection of the
/// role that ran the migrations.
pub async fn prepare_app_role(
    owner: &mut PgConnection,
    role: &str,
    password: Option<&SecretString>,
) -> anyhow::Result<()> {
    let current: String = sqlx::query_scalar("SELECT current_user::text")
        .fetch_one(&mut *owner)
        .await?;
    anyhow::ensure!(
        current != role,
        "the app role `{role}` is the owner's role too: VIGIL_DATABASE_URL must name a \
         different role than VIGIL_DATABASE_OWNER_URL"
    );
    if !role_exists(owner, role).await? {
        create_login_role(owner, role, password).await?;
    }
    let superuser: bool =
        sqlx::query_scalar("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
            .fetch_one(&mut *owner)
            .await?;
    if !superuser {
        // Giving the events hierarchy to the app needs membership in it (the
        // owner acting as the app, never the other way round).
        let grant: String = sqlx::query_scalar("SELECT format('GRANT %I TO current_user', $1)")
            .bind(role)
            .fetch_one(&mut *owner)
            .await?;
        sqlx::query(sqlx::AssertSqlSafe(grant))
            .execute(&mut *owner)
            .await
            .with_context(|| format!("making the owner a member of `{role}`"))?;
    }
    sqlx::query("SELECT vigil_grant_app_role($1)")
        .bind(role)
        .execute(&mut *owner)
        .await
        .with_context(|| format!("granting the app role `{role}` its privileges"))?;
    Ok(())
}

async fn role_exists(db: &mut PgConnection, role: &str) -> sqlx::Result<bool> {
    sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1)")
        .bind(role)
        .fetch_one(db)
        .await
}

/// Creates `role` with LOGIN. A password is sent as a SCRAM verifier computed
/// here, so the clear text never reaches the server's statement log.
async fn create_login_role(
    db: &mut PgConnection,
    role: &str,
    password: Option<&SecretString>,
) -> anyhow::Result<()> {
    let verifier = password
        .map(|p| scram_verifier(p.expose_secret()))
        .transpose()?;
    // Identifiers and literals are quoted by Postgres' own format().
    let statement: String = sqlx::query_scalar(
        "SELECT CASE WHEN $2::text IS NULL THEN format('CREATE ROLE %I LOGIN', $1::text)
                     ELSE format('CREATE ROLE %I LOGIN PASSWORD %L', $1::text, $2::text) END",
    )
    .bind(role)
    .bind(verifier)
    .fetch_one(&mut *db)
    .await?;
    match sqlx::query(sqlx::AssertSqlSafe(statement))
        .execute(db)
        .await
    {
        Ok(_) => {
            tracing::info!(role, "created the app's database role");
            Ok(())
        }
        // Another instance (or test) created it at the same moment.
        Err(sqlx::Error::Database(error))
            if matches!(error.code().as_deref(), Some("42710" | "23505")) =>
        {
            Ok(())
        }
        Err(error) => Err(anyhow::Error::new(error).context(format!(
            "creating the app role `{role}` (the owner needs CREATEROLE, or create it yourself)"
        ))),
    }
}

/// Returns Postgres' SCRAM-SHA-256 verifier of `password` (RFC 5802/7677).
fn scram_verifier(password: &str) -> anyhow::Result<String> {
    const ITERATIONS: u32 = 4096;
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| anyhow::anyhow!("reading random bytes: {e}"))?;
    Ok(scram_verifier_with(password, &salt, ITERATIONS))
}

fn scram_verifier_with(password: &str, salt: &[u8], iterations: u32) -> String {
    use ring::{digest, hmac, pbkdf2};
    let mut salted = [0u8; 32];
    let rounds = std::num::NonZeroU32::new(iterations.max(1)).unwrap_or(std::num::NonZeroU32::MIN);
    pbkdf2::derive(
        pbkdf2::PBKDF2_HMAC_SHA256,
        rounds,
        salt,
        password.as_bytes(),
        &mut salted,
    );
    let key = hmac::Key::new(hmac::HMAC_SHA256, &salted);
    let client_key = hmac::sign(&key, b"Client Key");
    let stored_key = digest::digest(&digest::SHA256, client_key.as_ref());
    let server_key = hmac::sign(&key, b"Server Key");
    format!(
        "SCRAM-SHA-256${iterations}:{}${}:{}",
        B64.encode(salt),
        B64.encode(stored_key.as_ref()),
        B64.encode(server_key.as_ref())
    )
}

/// Returns whether the connected role could change the audit trail (as a
/// superuser, its owner, or through UPDATE, DELETE or TRUNCATE privileges).
pub async fn audit_exposed_to(db: impl sqlx::PgExecutor<'_>) -> sqlx::Result<bool> {
    sqlx::query_scalar(
        "SELECT r.rolsuper
                OR pg_has_role(current_user, c.relowner, 'USAGE')
                OR has_table_privilege('audit_log', 'UPDATE')
                OR has_table_privilege('audit_log', 'DELETE')
                OR has_table_privilege('audit_log', 'TRUNCATE')
         FROM pg_roles r, pg_class c
         WHERE r.rolname = current_user AND c.oid = 'audit_log'::regclass",
    )
    .fetch_one(db)
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scram_verifier_matches_the_rfc_7677_example() {
        // RFC 7677, section 3: user "user", password "pencil", salt
        // W22ZaJ0SNY7soEsUEjb6gQ==, 4096 iterations; the server's stored and
        // server keys follow from the exchange shown there.
        let salt = B64.decode("W22ZaJ0SNY7soEsUEjb6gQ==").unwrap();
        let verifier = scram_verifier_with("pencil", &salt, 4096);
        let (head, keys) = verifier.split_once('$').unwrap();
        assert_eq!(head, "SCRAM-SHA-256");
        let (params, keys) = keys.split_once('$').unwrap();
        assert_eq!(params, "4096:W22ZaJ0SNY7soEsUEjb6gQ==");
        let (_stored, server) = keys.split_once(':').unwrap();
        // ServerSignature = HMAC(ServerKey, AuthMessage) is the "v=" value of
        // the RFC's final server message.
        let auth_message = "n=user,r=rOprNGfwEbeRWgbNEkqO,\
            r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096,\
            c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0";
        let server_key = B64.decode(server).unwrap();
        let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, &server_key);
        let signature = ring::hmac::sign(&key, auth_message.as_bytes());
        assert_eq!(
            B64.encode(signature.as_ref()),
            "6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="
        );
    }
}
