//! API keys for machines: generation, hashing, authentication, administration.
//!
//! A key is `vgl_` followed by 43 characters of base64url (256 random bits).
//! Only its SHA-256 is stored; the clear key is shown once, at creation.

pub mod handlers;
pub mod repo;

use crate::auth::AuthedKey;
use crate::error::ApiError;
use anyhow::anyhow;
use app::api_keys::ApiKeyScope;
use app::ids::ApiKeyId;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};
use sqlx::PgPool;

/// Every key starts with this, so secret scanners can recognise leaked keys.
pub const KEY_PREFIX: &str = "vgl_";
/// How many leading characters of a key are kept to recognise it.
pub const DISPLAY_PREFIX_LEN: usize = 12;

/// Returns a new random key.
pub fn generate_key() -> anyhow::Result<String> {
    let mut random = [0u8; 32];
    getrandom::fill(&mut random).map_err(|e| anyhow!("reading random bytes: {e}"))?;
    Ok(format!("{KEY_PREFIX}{}", URL_SAFE_NO_PAD.encode(random)))
}

/// Returns the stored form of a key.
pub fn hash_key(key: &str) -> Vec<u8> {
    Sha256::digest(key.as_bytes()).to_vec()
}

/// Returns the key's identity if `secret` is a live (unrevoked) key.
pub async fn authenticate_key(pool: &PgPool, secret: &str) -> Result<Option<AuthedKey>, ApiError> {
    if !secret.starts_with(KEY_PREFIX) || secret.len() > 128 {
        return Ok(None);
    }
    let Some(row) = repo::fetch_live_key_by_hash(pool, &hash_key(secret)).await? else {
        return Ok(None);
    };
    repo::touch_api_key(pool, row.id).await?;
    let scopes = row
        .scopes
        .iter()
        .filter_map(|s| ApiKeyScope::from_name(s))
        .collect();
    Ok(Some(AuthedKey {
        id: ApiKeyId(row.id),
        name: row.name,
        scopes,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_prefixed_long_and_distinct() {
        let a = generate_key().unwrap();
        let b = generate_key().unwrap();
        assert!(a.starts_with(KEY_PREFIX));
        assert_eq!(a.len(), KEY_PREFIX.len() + 43);
        assert_ne!(a, b);
        assert!(
            a.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        );
    }

    #[test]
    fn hashes_are_sha256_of_the_whole_key() {
        assert_eq!(hash_key("vgl_x").len(), 32);
        assert_ne!(hash_key("vgl_x"), hash_key("vgl_y"));
    }
}
