//! Password hashing with Argon2id, off the async runtime.

use anyhow::{Context, anyhow};
use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use secrecy::{ExposeSecret, SecretString};

/// Returns an Argon2id PHC string for `password`, computed on a blocking thread.
pub async fn hash_password(password: SecretString) -> anyhow::Result<String> {
    tokio::task::spawn_blocking(move || hash_blocking(&password))
        .await
        .context("password hashing task failed")?
}

fn hash_blocking(password: &SecretString) -> anyhow::Result<String> {
    let mut random = [0u8; 16];
    getrandom::fill(&mut random).map_err(|e| anyhow!("reading random bytes: {e}"))?;
    let salt = SaltString::encode_b64(&random).map_err(|e| anyhow!("encoding a salt: {e}"))?;
    Argon2::default()
        .hash_password(password.expose_secret().as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| anyhow!("hashing a password: {e}"))
}

/// Returns whether `password` matches `stored`.
///
/// With no stored hash (unknown user, account without a password) the password
/// is checked against `dummy` and the answer is `false`, so the response time
/// does not tell whether the account exists.
pub async fn verify_password(
    stored: Option<String>,
    dummy: String,
    password: SecretString,
) -> anyhow::Result<bool> {
    tokio::task::spawn_blocking(move || {
        let (phc, real) = match stored {
            Some(hash) => (hash, true),
            None => (dummy, false),
        };
        let parsed =
            PasswordHash::new(&phc).map_err(|e| anyhow!("stored password hash is invalid: {e}"))?;
        let matches = Argon2::default()
            .verify_password(password.expose_secret().as_bytes(), &parsed)
            .is_ok();
        Ok(real && matches)
    })
    .await
    .context("password verification task failed")?
}

/// Returns the hash of a random password, to verify against for unknown users.
pub async fn dummy_hash() -> anyhow::Result<String> {
    let mut random = [0u8; 24];
    getrandom::fill(&mut random).map_err(|e| anyhow!("reading random bytes: {e}"))?;
    hash_password(SecretString::from(hex::encode(random))).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_password_verifies_against_its_own_hash_only() {
        let hash = hash_password(SecretString::from("correct horse battery"))
            .await
            .unwrap();
        assert!(hash.starts_with("$argon2id$"), "{hash}");
        let dummy = dummy_hash().await.unwrap();
        assert!(
            verify_password(
                Some(hash.clone()),
                dummy.clone(),
                "correct horse battery".into()
            )
            .await
            .unwrap()
        );
        assert!(
            !verify_password(Some(hash), dummy.clone(), "Correct horse battery".into())
                .await
                .unwrap()
        );
    }

    #[tokio::test]
    async fn unknown_users_never_verify_even_with_the_dummy_password() {
        let dummy = dummy_hash().await.unwrap();
        assert!(
            !verify_password(None, dummy, "anything".into())
                .await
                .unwrap()
        );
    }

    #[tokio::test]
    async fn the_same_password_gets_distinct_salts() {
        let a = hash_password("same password!".into()).await.unwrap();
        let b = hash_password("same password!".into()).await.unwrap();
        assert_ne!(a, b);
    }
}
