//! Session tokens: short-lived HS256 JWTs carried in an HttpOnly cookie.
//!
//! The token only names a session; every request also checks the session row,
//! so logout and revocation take effect at once on every server node.

use anyhow::anyhow;
use app::ids::{SessionId, UserId};
use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::time::Duration;

/// The session cookie's name.
pub const COOKIE_NAME: &str = "vigil_session";

/// Returns the claims of a session token.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    /// The user id.
    pub sub: UserId,
    /// The session id.
    pub sid: SessionId,
    /// Issued at, seconds since the epoch.
    pub iat: i64,
    /// Expiry, seconds since the epoch.
    pub exp: i64,
}

/// Returns the signing keys, shared by every node through the database.
#[derive(Clone)]
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
}

impl fmt::Debug for TokenKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TokenKeys([redacted])")
    }
}

impl TokenKeys {
    /// Returns keys for the HMAC secret `secret`.
    pub fn from_secret(secret: &[u8]) -> anyhow::Result<TokenKeys> {
        Ok(TokenKeys {
            encoding: EncodingKey::from_secret(secret)
                .map_err(|e| anyhow!("session signing key: {e}"))?,
            decoding: DecodingKey::from_secret(secret)
                .map_err(|e| anyhow!("session signing key: {e}"))?,
        })
    }

    /// Returns a signed token for the session, valid for `ttl` but never past `session_end`.
    pub fn issue(
        &self,
        user: UserId,
        session: SessionId,
        now: DateTime<Utc>,
        ttl: Duration,
        session_end: DateTime<Utc>,
    ) -> anyhow::Result<(String, DateTime<Utc>)> {
        let ttl = chrono::Duration::from_std(ttl)?;
        let expires = (now + ttl).min(session_end);
        let claims = Claims {
            sub: user,
            sid: session,
            iat: now.timestamp(),
            exp: expires.timestamp(),
        };
        let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|e| anyhow!("signing a session token: {e}"))?;
        Ok((token, expires))
    }

    /// Returns the claims of a valid, unexpired token signed by these keys.
    pub fn verify(&self, token: &str) -> Option<Claims> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 5;
        validation.set_required_spec_claims(&["exp", "sub"]);
        jsonwebtoken::decode::<Claims>(token, &self.decoding, &validation)
            .ok()
            .map(|data| data.claims)
    }
}

/// Returns a `Set-Cookie` value carrying `token`.
pub fn session_cookie(token: &str, max_age: Duration, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!(
        "{COOKIE_NAME}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{secure}",
        max_age.as_secs()
    )
}

/// Returns a `Set-Cookie` value that deletes the session cookie.
pub fn clearing_cookie(secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!("{COOKIE_NAME}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0{secure}")
}

/// Returns the session token from a `Cookie` header value, if present.
pub fn token_from_cookie_header(header: &str) -> Option<&str> {
    header
        .split(';')
        .map(str::trim)
        .find_map(|pair| pair.strip_prefix(COOKIE_NAME)?.strip_prefix('='))
        .filter(|value| !value.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    fn keys() -> TokenKeys {
        TokenKeys::from_secret(&[7u8; 32]).unwrap()
    }

    #[test]
    fn an_issued_token_verifies_and_carries_its_ids() {
        let now = Utc::now();
        let (user, session) = (UserId(Uuid::new_v4()), SessionId(Uuid::new_v4()));
        let (token, expires) = keys()
            .issue(
                user,
                session,
                now,
                Duration::from_secs(900),
                now + chrono::Duration::hours(12),
            )
            .unwrap();
        let claims = keys().verify(&token).unwrap();
        assert_eq!(claims.sub, user);
        assert_eq!(claims.sid, session);
        assert_eq!(claims.exp, expires.timestamp());
    }

    #[test]
    fn tokens_never_outlive_their_session() {
        let now = Utc::now();
        let end = now + chrono::Duration::seconds(60);
        let (_, expires) = keys()
            .issue(
                UserId(Uuid::nil()),
                SessionId(Uuid::nil()),
                now,
                Duration::from_secs(900),
                end,
            )
            .unwrap();
        assert_eq!(expires, end);
    }

    #[test]
    fn expired_forged_and_garbage_tokens_are_refused() {
        let past = Utc::now() - chrono::Duration::hours(2);
        let (expired, _) = keys()
            .issue(
                UserId(Uuid::nil()),
                SessionId(Uuid::nil()),
                past,
                Duration::from_secs(60),
                Utc::now(),
            )
            .unwrap();
        assert!(keys().verify(&expired).is_none());

        let now = Utc::now();
        let other = TokenKeys::from_secret(&[8u8; 32]).unwrap();
        let (forged, _) = other
            .issue(
                UserId(Uuid::nil()),
                SessionId(Uuid::nil()),
                now,
                Duration::from_secs(60),
                now + chrono::Duration::hours(1),
            )
            .unwrap();
        assert!(keys().verify(&forged).is_none());
        assert!(keys().verify("not.a.jwt").is_none());
        assert!(keys().verify("").is_none());
    }

    #[test]
    fn cookie_header_parsing_finds_only_our_cookie() {
        assert_eq!(
            token_from_cookie_header("a=1; vigil_session=abc.def; b=2"),
            Some("abc.def")
        );
        assert_eq!(token_from_cookie_header("vigil_sessionx=1"), None);
        assert_eq!(token_from_cookie_header("vigil_session="), None);
        assert_eq!(token_from_cookie_header(""), None);
    }

    #[test]
    fn cookies_are_http_only_and_strict() {
        let cookie = session_cookie("t", Duration::from_secs(900), true);
        for part in [
            "HttpOnly",
            "SameSite=Strict",
            "Path=/",
            "Max-Age=900",
            "Secure",
        ] {
            assert!(cookie.contains(part), "{cookie} lacks {part}");
        }
        assert!(!session_cookie("t", Duration::from_secs(1), false).contains("Secure"));
        assert!(clearing_cookie(false).contains("Max-Age=0"));
    }
}
