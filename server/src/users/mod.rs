//! Local user accounts: administration and the first admin at start-up.

pub mod handlers;
pub mod repo;

use crate::audit::{AuditRecord, repo as audit_repo};
use crate::auth::password;
use anyhow::{Context, anyhow};
use app::auth::{AuthSource, Username};
use app::ids::UserId;
use secrecy::{ExposeSecret, SecretString};
use sqlx::PgPool;
use uuid::Uuid;

/// Returns what happened to the first admin account at start-up.
#[derive(Debug)]
pub enum Bootstrap {
    /// Users already existed; nothing was done.
    AlreadyInitialised,
    /// `admin` was created with the configured password.
    CreatedWithConfiguredPassword,
    /// `admin` was created with this generated password, to be shown once.
    CreatedWithGeneratedPassword(SecretString),
}

/// Creates the `admin` account when the database has no user yet.
pub async fn bootstrap_admin(
    pool: &PgPool,
    configured: Option<&SecretString>,
) -> anyhow::Result<Bootstrap> {
    // Several nodes may start at once: serialise on a transaction lock and re-check.
    let mut tx = pool.begin().await?;
    repo::lock_first_admin(&mut tx).await?;
    if repo::count_users(&mut *tx).await? > 0 {
        return Ok(Bootstrap::AlreadyInitialised);
    }
    let (password, generated) = match configured {
        Some(password) => (password.clone(), false),
        None => (SecretString::from(generate_password()?), true),
    };
    let hash = password::hash_password(password.clone()).await?;
    let id = UserId(Uuid::new_v4());
    let username = Username::parse("admin").map_err(|e| anyhow!(e))?;
    repo::insert_user(
        &mut *tx,
        id,
        &username,
        Some("Administrator"),
        AuthSource::Local,
        Some(&hash),
    )
    .await?;
    repo::grant_roles(&mut *tx, id, &["admin".to_owned()]).await?;
    let record = AuditRecord::system("user.create")
        .target("admin")
        .details(serde_json::json!({ "roles": ["admin"], "reason": "first start", "generated_password": generated }));
    audit_repo::insert_audit_record(&mut *tx, &record).await?;
    tx.commit().await.context("creating the first admin")?;
    Ok(if generated {
        Bootstrap::CreatedWithGeneratedPassword(password)
    } else {
        Bootstrap::CreatedWithConfiguredPassword
    })
}

/// Returns a random password of 24 characters, easy to copy (no look-alike symbols).
pub fn generate_password() -> anyhow::Result<String> {
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
    let mut random = [0u8; 24];
    getrandom::fill(&mut random).map_err(|e| anyhow!("reading random bytes: {e}"))?;
    // 256 is not a multiple of 57, so reject the biased tail instead of using modulo alone.
    let mut out = String::with_capacity(24);
    let mut pool = random.to_vec();
    while out.len() < 24 {
        if pool.is_empty() {
            let mut more = [0u8; 24];
            getrandom::fill(&mut more).map_err(|e| anyhow!("reading random bytes: {e}"))?;
            pool.extend_from_slice(&more);
        }
        let byte = pool.remove(0) as usize;
        if byte < 256 - (256 % ALPHABET.len()) {
            out.push(ALPHABET[byte % ALPHABET.len()] as char);
        }
    }
    Ok(out)
}

/// Returns a password's length check shared by the API and the CLI.
pub fn password_long_enough(password: &SecretString) -> bool {
    password.expose_secret().chars().count() >= app::users::CreateUserRequest::MIN_PASSWORD_LEN
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_passwords_are_long_unambiguous_and_distinct() {
        let a = generate_password().unwrap();
        let b = generate_password().unwrap();
        assert_eq!(a.len(), 24);
        assert_ne!(a, b);
        assert!(!a.contains(['0', 'O', '1', 'l', 'I']), "{a}");
        assert!(password_long_enough(&SecretString::from(a)));
    }
}
