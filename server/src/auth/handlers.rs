//! Login, logout, the current user and key introspection.

use super::access::Access;
use super::{AuthedKey, AuthedUser, password, repo, throttle, token};
use crate::audit::{AuditRecord, RequestContext, repo as audit_repo};
use crate::error::{ApiError, AppJson};
use crate::http::route::Route;
use crate::state::AppState;
use app::ErrorCode;
use app::api_keys::ApiKeyIdentity;
use app::audit::AuditOutcome;
use app::auth::{CurrentUser, LoginRequest, Username};
use app::ids::{SessionId, UserId};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use secrecy::SecretString;
use uuid::Uuid;

/// Sign-in, sign-out and who is calling.
pub fn routes() -> Vec<Route> {
    vec![
        Route::post("/api/v1/auth/login", Access::Public, login),
        Route::post("/api/v1/auth/logout", Access::Session, logout),
        Route::get("/api/v1/auth/me", Access::Session, me),
        Route::get("/api/v1/auth/key", Access::ApiKey, key_identity),
    ]
}

/// `POST /api/v1/auth/login`: checks a username and password and starts a session.
#[tracing::instrument(skip_all)]
pub async fn login(
    State(state): State<AppState>,
    ctx: RequestContext,
    headers: HeaderMap,
    AppJson(request): AppJson<LoginRequest>,
) -> Result<Response, ApiError> {
    let username = Username::parse(&request.username).ok();
    let account = match &username {
        Some(name) => repo::fetch_login_user(&state.pool, name.as_str()).await?,
        None => None,
    };
    // Failed guesses show in the audit log under the name typed (bounded),
    // unless it looks like a password typed into the wrong field.
    let shown = throttle::recorded_username(&request.username, account.is_some());
    let keys = throttle::Keys::new(
        &username.as_ref().map_or(shown.clone(), |u| u.to_string()),
        ctx.client_ip,
    );
    let known = match &account {
        Some(account) => throttle::known_address(&state.pool, account.id, &keys.address).await?,
        None => false,
    };
    let limits = throttle::Limits::of(&state.settings.login);
    let record = match throttle::reserve(&state.pool, &keys, known, &limits).await? {
        throttle::Verdict::Proceed { record } => record,
        throttle::Verdict::Refuse {
            retry_after_secs, ..
        } => {
            crate::metrics::count_login("throttled");
            return Err(ApiError::too_many_requests(
                "too many failed sign-in attempts; wait before trying again",
                retry_after_secs,
            ));
        }
    };

    let stored_hash = account.as_ref().and_then(|a| a.password_hash.clone());
    let Some(permit) = state.verify_gate.enter().await else {
        throttle::release(&state.pool, &keys, false).await?;
        crate::metrics::count_login("busy");
        return Err(ApiError::overloaded(
            "too many sign-ins at once; try again in a moment",
            1,
        ));
    };
    let password_ok = password::verify_password(
        stored_hash,
        state.dummy_hash.to_string(),
        SecretString::from(request.password),
    )
    .await?;
    drop(permit);

    let failed = |reason| {
        crate::metrics::count_login("failure");
        fail_login(&state, &ctx, &shown, reason, record)
    };
    let (Some(account), Some(username)) = (account, username) else {
        return failed("unknown user").await;
    };
    if !password_ok {
        return failed("wrong password").await;
    }
    if account.disabled {
        return failed("account disabled").await;
    }
    throttle::release(&state.pool, &keys, true).await?;
    crate::metrics::count_login("success");

    // A new session id at every login; a session the browser still carried is ended.
    let previous = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(token::token_from_cookie_header)
        .and_then(|t| state.tokens.verify(t));
    let user_id = UserId(account.id);
    let session_id = SessionId(Uuid::new_v4());
    let now = Utc::now();
    let session_end =
        now + chrono::Duration::from_std(state.settings.session.max_lifetime).unwrap_or_default();

    let mut tx = state.pool.begin().await?;
    if let Some(previous) = previous {
        repo::revoke_session(&mut *tx, previous.sid).await?;
    }
    repo::insert_session(
        &mut *tx,
        session_id,
        user_id,
        session_end,
        ctx.client_ip,
        ctx.user_agent.as_deref(),
    )
    .await?;
    repo::set_last_login(&mut *tx, user_id).await?;
    repo::remember_address(&mut *tx, account.id, &keys.address).await?;
    let record = AuditRecord::anonymous("auth.login", &ctx)
        .target(username.to_string())
        .details(serde_json::json!({ "session_id": session_id }));
    let record = AuditRecord {
        actor_kind: app::audit::ActorKind::User,
        actor_id: Some(account.id),
        actor_name: Some(username.to_string()),
        ..record
    };
    audit_repo::insert_audit_record(&mut *tx, &record).await?;
    let session = repo::fetch_live_session(&mut *tx, session_id, user_id)
        .await?
        .ok_or_else(|| {
            ApiError::internal(anyhow::anyhow!("session vanished right after insert"))
        })?;
    tx.commit().await?;

    let user = super::guard::session_user(session, session_id)?;
    let (jwt, expires) = state.tokens.issue(
        user_id,
        session_id,
        now,
        state.settings.session.token_ttl,
        session_end,
    )?;
    let cookie = token::session_cookie(
        &jwt,
        (expires - now).to_std().unwrap_or_default(),
        state.settings.session.cookie_secure,
    );
    tracing::info!(user = %user.profile.username, "user signed in");
    let mut response = AppJson(user.profile.clone()).into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_str(&cookie).map_err(|e| ApiError::internal(anyhow::anyhow!(e)))?,
    );
    Ok(response)
}

async fn fail_login(
    state: &AppState,
    ctx: &crate::audit::RequestContext,
    target: &str,
    reason: &str,
    record: bool,
) -> Result<Response, ApiError> {
    // Beyond the window's budget the failure is only counted (its window's
    // summary says how many).
    if record {
        let record = AuditRecord::anonymous("auth.login", ctx)
            .outcome(AuditOutcome::Failure)
            .target(target)
            .details(serde_json::json!({ "reason": reason }));
        audit_repo::insert_audit_record(&state.pool, &record).await?;
    }
    // One answer for every cause, so the response does not reveal which accounts exist.
    Err(ApiError::new(
        ErrorCode::InvalidCredentials,
        "invalid username or password",
    ))
}

/// `POST /api/v1/auth/logout`: ends the current session at once.
#[tracing::instrument(skip_all, fields(user = %user.profile.username))]
pub async fn logout(
    State(state): State<AppState>,
    ctx: RequestContext,
    user: AuthedUser,
) -> Result<Response, ApiError> {
    let mut tx = state.pool.begin().await?;
    repo::revoke_session(&mut *tx, user.session_id).await?;
    let record = AuditRecord::by(&super::Principal::User(user.clone()), "auth.logout", &ctx)
        .details(serde_json::json!({ "session_id": user.session_id }));
    audit_repo::insert_audit_record(&mut *tx, &record).await?;
    tx.commit().await?;
    let mut response = StatusCode::NO_CONTENT.into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_str(&token::clearing_cookie(
            state.settings.session.cookie_secure,
        ))
        .map_err(|e| ApiError::internal(anyhow::anyhow!(e)))?,
    );
    Ok(response)
}

/// `GET /api/v1/auth/me`: the signed-in user, roles and permissions.
pub async fn me(user: AuthedUser) -> AppJson<CurrentUser> {
    AppJson(user.profile)
}

/// `GET /api/v1/auth/key`: the API key that authenticated this request, so a
/// shipper's configuration can be checked without sending events.
pub async fn key_identity(key: AuthedKey) -> AppJson<ApiKeyIdentity> {
    AppJson(ApiKeyIdentity {
        id: key.id,
        name: key.name,
        scopes: key.scopes,
    })
}
