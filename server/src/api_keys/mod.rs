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
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

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

/// How long a key found live is trusted without asking the database again.
/// A key revoked on this node stops working at once; on other nodes of a
/// cluster within this time.
pub const KEY_CACHE_TTL: Duration = Duration::from_secs(10);
/// Most keys remembered; beyond it the cache starts over.
const KEY_CACHE_LIMIT: usize = 10_000;

/// Live keys recently found in the database, by hash. Shippers send many
/// small requests: two queries per request (lookup, last-used) were half the
/// server's and Postgres's fixed cost of a request.
#[derive(Debug, Clone, Default)]
pub struct KeyCache {
    inner: Arc<Mutex<CacheState>>,
}

#[derive(Debug, Default)]
struct CacheState {
    entries: HashMap<Vec<u8>, Cached>,
    /// Moves on every revocation: a lookup that read the database before a
    /// revocation must not cache what it read after it.
    revocations: u64,
}

/// A key, when the database last said it was live, and when it expires.
type Cached = (Instant, AuthedKey, Option<chrono::DateTime<chrono::Utc>>);

impl KeyCache {
    fn get(&self, hash: &[u8]) -> Option<AuthedKey> {
        let state = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let now = chrono::Utc::now();
        state
            .entries
            .get(hash)
            .filter(|(found, _, expires)| {
                found.elapsed() < KEY_CACHE_TTL && expires.is_none_or(|at| at > now)
            })
            .map(|(_, key, _)| key.clone())
    }

    /// The revocation count now, to hand back to [`KeyCache::put`].
    fn revocations(&self) -> u64 {
        self.inner
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .revocations
    }

    /// Caches a key read from the database, unless a key was revoked since
    /// `revocations` was taken (it may be this one).
    fn put(
        &self,
        hash: Vec<u8>,
        key: AuthedKey,
        expires: Option<chrono::DateTime<chrono::Utc>>,
        revocations: u64,
    ) {
        let mut state = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        if state.revocations != revocations {
            return;
        }
        if state.entries.len() >= KEY_CACHE_LIMIT {
            state.entries.clear();
        }
        state.entries.insert(hash, (Instant::now(), key, expires));
    }

    /// Forgets key `id` (revoked here: it must stop working now).
    pub fn forget(&self, id: ApiKeyId) {
        let mut state = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        state.revocations += 1;
        state.entries.retain(|_, (_, key, _)| key.id != id);
    }
}

/// Returns the key's identity if `secret` is a live (unrevoked) key.
pub async fn authenticate_key(
    pool: &PgPool,
    cache: &KeyCache,
    secret: &str,
) -> Result<Option<AuthedKey>, ApiError> {
    if !secret.starts_with(KEY_PREFIX) || secret.len() > 128 {
        return Ok(None);
    }
    let hash = hash_key(secret);
    if let Some(key) = cache.get(&hash) {
        return Ok(Some(key));
    }
    let revocations = cache.revocations();
    let Some(row) = repo::fetch_live_key_by_hash(pool, &hash).await? else {
        return Ok(None);
    };
    repo::touch_api_key(pool, row.id).await?;
    let scopes = row
        .scopes
        .iter()
        .filter_map(|s| ApiKeyScope::from_name(s))
        .collect();
    let key = AuthedKey {
        id: ApiKeyId(row.id),
        name: row.name,
        scopes,
    };
    cache.put(hash, key.clone(), row.expires_at, revocations);
    Ok(Some(key))
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
    fn a_lookup_that_raced_a_revocation_caches_nothing() {
        let cache = KeyCache::default();
        let key = AuthedKey {
            id: ApiKeyId(uuid::Uuid::now_v7()),
            name: "edge".into(),
            scopes: vec![ApiKeyScope::Ingest],
        };
        // Read from the database, then revoked (here), then cached: no.
        let before = cache.revocations();
        cache.forget(key.id);
        cache.put(b"h".to_vec(), key.clone(), None, before);
        assert!(cache.get(b"h").is_none());
        // Expired keys are not served from the cache either.
        let past = chrono::Utc::now() - chrono::Duration::seconds(1);
        cache.put(b"h".to_vec(), key, Some(past), cache.revocations());
        assert!(cache.get(b"h").is_none());
    }

    #[test]
    fn cached_keys_are_found_until_forgotten() {
        let cache = KeyCache::default();
        let key = AuthedKey {
            id: ApiKeyId(uuid::Uuid::now_v7()),
            name: "edge".into(),
            scopes: vec![ApiKeyScope::Ingest],
        };
        assert!(cache.get(b"h").is_none());
        cache.put(b"h".to_vec(), key.clone(), None, cache.revocations());
        assert_eq!(cache.get(b"h").map(|k| k.id), Some(key.id));
        cache.forget(ApiKeyId(uuid::Uuid::now_v7()));
        assert!(cache.get(b"h").is_some(), "another key's revocation");
        cache.forget(key.id);
        assert!(cache.get(b"h").is_none());
    }

    #[test]
    fn hashes_are_sha256_of_the_whole_key() {
        assert_eq!(hash_key("vgl_x").len(), 32);
        assert_ne!(hash_key("vgl_x"), hash_key("vgl_y"));
    }
}
