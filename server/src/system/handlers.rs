//! `GET /api/v1/health` (public, for load balancers) and `GET /api/v1/system/status`.

use crate::auth::Access;
use crate::error::AppJson;
use crate::http::route::Route;
use crate::state::AppState;
use app::permissions::Permission;
use app::system::{BuildInfo, ComponentStatus, DatabaseStatus, Health, SystemStatus};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use std::time::Duration;

/// The health and status routes.
pub fn routes() -> Vec<Route> {
    vec![
        Route::get("/api/v1/health", Access::Public, health),
        Route::get(
            "/api/v1/system/status",
            Access::Permission(Permission::ViewSystem),
            system_status,
        ),
    ]
}

async fn database_answers(state: &AppState) -> bool {
    let probe = super::repo::probe(&state.pool);
    matches!(
        tokio::time::timeout(Duration::from_secs(2), probe).await,
        Ok(Ok(true))
    )
}

/// `GET /api/v1/health`: 200 when the database answers, 503 otherwise; always JSON.
pub async fn health(State(state): State<AppState>) -> Response {
    let database = if database_answers(&state).await {
        ComponentStatus::Ok
    } else {
        ComponentStatus::Unavailable
    };
    let body = Health {
        status: database,
        version: app::VERSION.to_owned(),
        database,
    };
    let status = match database {
        ComponentStatus::Ok => StatusCode::OK,
        ComponentStatus::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
    };
    (status, AppJson(body)).into_response()
}

/// `GET /api/v1/system/status`: build, uptime and database facts for admins.
pub async fn system_status(State(state): State<AppState>) -> AppJson<SystemStatus> {
    let now = Utc::now();
    let facts = super::repo::fetch_database_facts(&state.pool);
    let facts = tokio::time::timeout(Duration::from_secs(5), facts).await;
    let (status, server_version, size_bytes, schema_version) = match facts {
        Ok(Ok(row)) => (
            ComponentStatus::Ok,
            Some(row.version),
            Some(row.size),
            row.schema_version,
        ),
        Ok(Err(error)) => {
            tracing::warn!(error = %error, "system status: database query failed");
            (ComponentStatus::Unavailable, None, None, None)
        }
        Err(_) => (ComponentStatus::Unavailable, None, None, None),
    };
    let queued = state.events.queued();
    AppJson(SystemStatus {
        status,
        build: BuildInfo {
            version: app::VERSION.to_owned(),
            git_commit: option_env!("BUILD_GIT_COMMIT").map(str::to_owned),
            profile: if cfg!(debug_assertions) {
                "debug"
            } else {
                "release"
            }
            .to_owned(),
            target: format!("{}-{}", std::env::consts::ARCH, std::env::consts::OS),
        },
        started_at: state.started_at,
        uptime_secs: (now - state.started_at).num_seconds().max(0) as u64,
        server_time: now,
        database: DatabaseStatus {
            status,
            embedded: state.embedded_database,
            server_version,
            size_bytes,
            schema_version,
            pool_connections: state.pool.size(),
            pool_max_connections: state.pool.options().get_max_connections(),
            budgets: state
                .pools
                .usage()
                .into_iter()
                .map(|(budget, in_use, max)| app::system::ConnectionBudget {
                    budget: budget.to_owned(),
                    in_use,
                    max,
                })
                .collect(),
            audit_protected: crate::db::roles::audit_exposed_to(&state.pool)
                .await
                .ok()
                .map(|exposed| !exposed),
            queued_events: queued.0 as u64,
            queued_bytes: queued.1 as u64,
        },
    })
}
