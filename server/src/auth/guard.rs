//! The guard that enforces each route's declared [`Access`]: it
//! authenticates the caller (API key or session), checks the requirement,
//! audits refusals of authenticated callers, and renews session cookies.

use super::access::{Access, lookup};
use super::{AuthedKey, AuthedUser, Principal, repo, token};
use crate::api_keys;
use crate::audit::{self, AuditRecord, RequestContext};
use crate::error::ApiError;
use crate::state::AppState;
use app::audit::AuditOutcome;
use app::auth::{AuthSource, CurrentUser, Username};
use app::ids::{SessionId, UserId};
use app::permissions::Permission;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use chrono::Utc;

/// The middleware that enforces [`Access`] on every API route.
pub async fn guard(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let Some(matched) = request
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_owned())
    else {
        return next.run(request).await;
    };
    let Some(spec) = lookup(&state.routes, request.method(), &matched).cloned() else {
        tracing::error!(method = %request.method(), path = %matched, "route has no declared access; refusing");
        return ApiError::forbidden("this route declares no access rule and is refused")
            .into_response();
    };
    if spec.access == Access::Public {
        return next.run(request).await;
    }
    let authenticated = match authenticate(&state, request.headers()).await {
        Ok(Some(found)) => found,
        Ok(None) => return ApiError::unauthenticated().into_response(),
        Err(error) => return error.into_response(),
    };
    // A session rides on a cookie the browser attaches by itself: a request
    // that changes state must come from Vigil's own pages.
    if matches!(authenticated.principal, Principal::User(_))
        && let Some(refusal) = cross_site_refusal(request.method(), request.headers())
    {
        return refusal.into_response();
    }
    let allowed = match (&spec.access, &authenticated.principal) {
        (Access::Public, _) => true,
        (Access::Session, principal) => matches!(principal, Principal::User(_)),
        (Access::ApiKey, principal) => matches!(principal, Principal::ApiKey(_)),
        (Access::Permission(permission), principal) => principal.has(*permission),
    };
    if !allowed {
        let message = match spec.access {
            Access::Permission(p) => format!("this action requires the {p} permission"),
            Access::Session => "this route needs a user session".to_owned(),
            _ => "this route needs an API key".to_owned(),
        };
        let ctx = RequestContext::from_parts(request.headers(), request.extensions());
        let record = AuditRecord::by(&authenticated.principal, "access.denied", &ctx)
            .outcome(AuditOutcome::Denied)
            .target(format!("{} {}", spec.method, matched));
        if let Err(error) = audit::repo::insert_audit_record(&state.pool, &record).await {
            tracing::warn!(error = %error, "could not audit a denied request");
        }
        return ApiError::forbidden(message).into_response();
    }
    request.extensions_mut().insert(authenticated.principal);
    let mut response = next.run(request).await;
    if let Some(cookie) = authenticated.renewed_cookie {
        // A handler that ends the session (logout) sets its own cookie; keep it.
        if !response.headers().contains_key(header::SET_COOKIE)
            && let Ok(value) = HeaderValue::from_str(&cookie)
        {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
    }
    response
}

/// Returns why a cookie-authenticated request that changes state is refused
/// as possibly cross-site (CSRF), if it is. SameSite=Strict alone lets a
/// sibling subdomain through (it is the same site), so: the browser's
/// `Sec-Fetch-Site` must say same-origin; without it, an `Origin` must name
/// this host; and bodies of the types a plain HTML form can send (which
/// need no CORS preflight) are refused outright.
fn cross_site_refusal(method: &axum::http::Method, headers: &HeaderMap) -> Option<ApiError> {
    use axum::http::Method;
    if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
        return None;
    }
    let text = |name| {
        headers
            .get(name)
            .and_then(|v: &HeaderValue| v.to_str().ok())
    };
    let cross_site = || {
        ApiError::forbidden(
            "a request from another site cannot act with this session (cross-site request refused)",
        )
    };
    if let Some(site) = text("sec-fetch-site") {
        if site != "same-origin" {
            return Some(cross_site());
        }
    } else if let Some(origin) = text("origin") {
        let origin_host = origin
            .split_once("://")
            .map(|(_, rest)| rest.trim_end_matches('/'));
        let hosts = [text("host"), text("x-forwarded-host")];
        let same =
            origin_host.is_some_and(|o| hosts.iter().flatten().any(|h| h.eq_ignore_ascii_case(o)));
        if !same {
            return Some(cross_site());
        }
    }
    let content_type = text("content-type")
        .unwrap_or_default()
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    if matches!(
        content_type.as_str(),
        "application/x-www-form-urlencoded" | "multipart/form-data" | "text/plain"
    ) {
        return Some(ApiError::new(
            app::ErrorCode::UnsupportedMediaType,
            format!(
                "{content_type} bodies are not accepted with a session cookie (an HTML form could send them from any site); send JSON or the route's own type"
            ),
        ));
    }
    None
}

/// Returns the caller and, for a session, a renewed cookie to send back.
#[derive(Debug)]
pub struct Authenticated {
    /// Who is calling.
    pub principal: Principal,
    /// A fresh session cookie, when the token was renewed.
    pub renewed_cookie: Option<String>,
}

/// Returns the caller of a request: an API key from `Authorization`, or else a
/// session from the cookie. `Ok(None)` when no credentials were presented or
/// they are invalid, expired or revoked.
pub async fn authenticate(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<Option<Authenticated>, ApiError> {
    if let Some(value) = headers.get(header::AUTHORIZATION) {
        // A request that presents a key is judged by the key alone.
        let Some(secret) = value.to_str().ok().and_then(key_from_authorization) else {
            return Ok(None);
        };
        let key = api_keys::authenticate_key(&state.pool, &state.api_keys, &secret).await?;
        return Ok(key.map(|key: AuthedKey| Authenticated {
            principal: Principal::ApiKey(key),
            renewed_cookie: None,
        }));
    }
    let Some(token) = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(token::token_from_cookie_header)
    else {
        return Ok(None);
    };
    let Some(claims) = state.tokens.verify(token) else {
        return Ok(None);
    };
    let Some(row) = repo::fetch_live_session(&state.pool, claims.sid, claims.sub).await? else {
        return Ok(None);
    };
    let now = Utc::now();
    if now - row.last_seen_at > chrono::Duration::seconds(60) {
        repo::touch_session(&state.pool, claims.sid).await?;
    }
    let user = session_user(row, claims.sid)?;
    // Renew once half the token's life has passed, so an active user stays signed in.
    let ttl = state.settings.session.token_ttl;
    let half_life = chrono::Duration::from_std(ttl / 2).unwrap_or(chrono::Duration::zero());
    let renewed_cookie = if now.timestamp() - claims.iat >= half_life.num_seconds() {
        let (token, expires) = state.tokens.issue(
            user.profile.id,
            user.session_id,
            now,
            ttl,
            user.profile.session_expires_at,
        )?;
        let max_age = (expires - now).to_std().unwrap_or_default();
        Some(token::session_cookie(
            &token,
            max_age,
            state.settings.session.cookie_secure,
        ))
    } else {
        None
    };
    Ok(Some(Authenticated {
        principal: Principal::User(user),
        renewed_cookie,
    }))
}

pub(crate) fn session_user(
    row: repo::SessionUserRow,
    session: SessionId,
) -> Result<AuthedUser, ApiError> {
    let username = Username::parse(&row.username)
        .map_err(|e| ApiError::internal(anyhow::anyhow!("stored username is invalid: {e}")))?;
    let auth_source = AuthSource::from_stored(&row.auth_source);
    let mut permissions = Vec::with_capacity(row.permissions.len());
    for name in &row.permissions {
        match name.parse::<Permission>() {
            Ok(p) => permissions.push(p),
            Err(_) => {
                tracing::warn!(permission = %name, "ignoring an unknown permission stored in a role")
            }
        }
    }
    permissions.sort();
    permissions.dedup();
    Ok(AuthedUser {
        profile: CurrentUser {
            id: UserId(row.user_id),
            username,
            display_name: row.display_name,
            auth_source,
            roles: row.roles,
            permissions,
            session_expires_at: row.expires_at,
        },
        session_id: session,
    })
}

/// Returns the API key carried by an `Authorization` header value:
/// `Bearer <key>`, `ApiKey base64(id:key)` (Elasticsearch's form) or
/// `Basic base64(anything:key)` (for shippers that only know basic auth).
pub fn key_from_authorization(value: &str) -> Option<String> {
    let (scheme, rest) = value.trim().split_once(' ')?;
    let rest = rest.trim();
    match scheme.to_ascii_lowercase().as_str() {
        "bearer" => Some(rest.to_owned()).filter(|k| !k.is_empty()),
        "apikey" | "basic" => {
            let decoded = BASE64.decode(rest).ok()?;
            let text = String::from_utf8(decoded).ok()?;
            let (_, key) = text.split_once(':')?;
            Some(key.to_owned()).filter(|k| !k.is_empty())
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_read_from_every_supported_scheme() {
        let key = "vgl_abc123";
        assert_eq!(
            key_from_authorization("Bearer vgl_abc123").as_deref(),
            Some(key)
        );
        assert_eq!(
            key_from_authorization("bearer   vgl_abc123 ").as_deref(),
            Some(key)
        );
        let es = BASE64.encode("0b0e7c0e-0000-4000-8000-000000000000:vgl_abc123");
        assert_eq!(
            key_from_authorization(&format!("ApiKey {es}")).as_deref(),
            Some(key)
        );
        let basic = BASE64.encode("shipper:vgl_abc123");
        assert_eq!(
            key_from_authorization(&format!("Basic {basic}")).as_deref(),
            Some(key)
        );
    }

    #[test]
    fn malformed_authorization_yields_no_key() {
        for value in [
            "",
            "Bearer",
            "Bearer ",
            "Token abc",
            "Basic !!!",
            "ApiKey bm9jb2xvbg==",
        ] {
            assert_eq!(key_from_authorization(value), None, "{value:?}");
        }
    }
}
