//! HTTP handlers for rules: CRUD with versions, Sigma export, imports,
//! the rule test and the engine's status.

use super::sigma::{self, Outcome};
use super::{by_slug, check, definition_of, insert, live, one, replace, repo, within_import_limit};
use crate::audit::{AuditRecord, RequestContext, repo as audit_repo};
use crate::auth::{Access, Principal};
use crate::error::{ApiError, AppJson, AppPath};
use crate::http::openapi::Created;
use crate::http::route::Route;
use crate::state::AppState;
use app::alerts::{BrokenRule, DetectionStatus};
use app::ids::RuleId;
use app::permissions::Permission::{EditRules, ViewRules};
use app::rules::{
    Rule, RuleChange, RuleDefinition, RuleHistoryEntry, RuleOrigin, RuleTestRequest,
    RuleTestResponse, RuleUpdate, RuleVersion, SigmaImportOutcome, SigmaImportResponse, limits,
};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use std::sync::Arc;
use std::sync::atomic::Ordering;

/// The rule routes.
pub fn routes() -> Vec<Route> {
    let (view, edit) = (Access::Permission(ViewRules), Access::Permission(EditRules));
    vec![
        // Rule tests carry events, as ingest requests do.
        Route::post("/api/v1/rules/test", view, test_rule).large_body(),
        Route::get("/api/v1/rules", view, list_rules),
        Route::post("/api/v1/rules", edit, create_rule),
        Route::get("/api/v1/rules/{id}", view, get_rule),
        Route::put("/api/v1/rules/{id}", edit, update_rule),
        Route::delete("/api/v1/rules/{id}", edit, delete_rule),
        Route::get("/api/v1/rules/{id}/versions", view, list_rule_versions),
        Route::get("/api/v1/rules/{id}/sigma", view, export_rule_sigma),
        Route::post("/api/v1/rules/import/sigma", edit, import_sigma).large_body(),
        Route::post("/api/v1/rules/import/mozdef", edit, import_mozdef).large_body(),
        Route::get("/api/v1/detection/status", view, detection_status),
    ]
}

/// `GET /api/v1/rules`.
pub async fn list_rules(State(state): State<AppState>) -> Result<AppJson<Vec<Rule>>, ApiError> {
    Ok(AppJson(live(&state.pool, None).await?))
}

/// `GET /api/v1/rules/{id}`.
pub async fn get_rule(
    State(state): State<AppState>,
    AppPath(id): AppPath<RuleId>,
) -> Result<AppJson<Rule>, ApiError> {
    Ok(AppJson(one(&state.pool, id).await?))
}

/// `POST /api/v1/rules`.
#[tracing::instrument(skip_all)]
pub async fn create_rule(
    State(state): State<AppState>,
    ctx: RequestContext,
    principal: Principal,
    AppJson(definition): AppJson<RuleDefinition>,
) -> Result<Created<AppJson<Rule>>, ApiError> {
    check(&definition)?;
    let mut tx = state.pool.begin().await?;
    let id = insert(&mut tx, &definition, RuleOrigin::Vigil, principal.user_id()).await?;
    let record = AuditRecord::by(&principal, "rule.create", &ctx)
        .target(id.to_string())
        .details(serde_json::json!({ "slug": definition.slug, "version": 1 }));
    audit_repo::insert_audit_record(&mut *tx, &record).await?;
    tx.commit().await?;
    Ok(Created(AppJson(one(&state.pool, id).await?)))
}

/// `PUT /api/v1/rules/{id}`: a new version, if `version` is still current.
#[tracing::instrument(skip_all)]
pub async fn update_rule(
    State(state): State<AppState>,
    ctx: RequestContext,
    principal: Principal,
    AppPath(id): AppPath<RuleId>,
    AppJson(request): AppJson<RuleUpdate>,
) -> Result<AppJson<Rule>, ApiError> {
    check(&request.definition)?;
    let mut tx = state.pool.begin().await?;
    let version = replace(
        &mut tx,
        id,
        Some(request.version),
        &request.definition,
        principal.user_id(),
    )
    .await?;
    let record = AuditRecord::by(&principal, "rule.update", &ctx)
        .target(id.to_string())
        .details(serde_json::json!({
            "slug": request.definition.slug,
            "version": version,
            "enabled": request.definition.enabled,
        }));
    audit_repo::insert_audit_record(&mut *tx, &record).await?;
    tx.commit().await?;
    Ok(AppJson(one(&state.pool, id).await?))
}

/// `DELETE /api/v1/rules/{id}`: the rule stops and its slug is freed; its
/// versions (and the alerts that name it) stay.
#[tracing::instrument(skip_all)]
pub async fn delete_rule(
    State(state): State<AppState>,
    ctx: RequestContext,
    principal: Principal,
    AppPath(id): AppPath<RuleId>,
) -> Result<StatusCode, ApiError> {
    let mut tx = state.pool.begin().await?;
    let row = repo::delete_rule(&mut *tx, id.as_uuid(), principal.user_id())
        .await?
        .ok_or_else(|| ApiError::not_found("no rule with this id"))?;
    repo::insert_rule_version(
        &mut *tx,
        id.as_uuid(),
        RuleVersion(row.version),
        &row.definition,
        RuleChange::Delete,
        principal.user_id(),
    )
    .await?;
    let record = AuditRecord::by(&principal, "rule.delete", &ctx)
        .target(id.to_string())
        .details(serde_json::json!({ "slug": row.slug }));
    audit_repo::insert_audit_record(&mut *tx, &record).await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /api/v1/rules/{id}/sigma`: the rule as Sigma YAML, where its kind
/// has a Sigma form (query, threshold, value count); a 400 says why not.
pub async fn export_rule_sigma(
    State(state): State<AppState>,
    AppPath(id): AppPath<RuleId>,
) -> Result<Response, ApiError> {
    let rule = one(&state.pool, id).await?;
    let yaml = sigma::export::export(&rule.definition, rule.id.as_uuid())
        .map_err(|reason| ApiError::validation("kind", reason))?;
    Ok((
        [(header::CONTENT_TYPE, "application/yaml; charset=utf-8")],
        yaml,
    )
        .into_response())
}

/// `GET /api/v1/rules/{id}/versions`: newest first.
pub async fn list_rule_versions(
    State(state): State<AppState>,
    AppPath(id): AppPath<RuleId>,
) -> Result<AppJson<Vec<RuleHistoryEntry>>, ApiError> {
    let rows = repo::fetch_rule_versions(&state.pool, id.as_uuid()).await?;
    if rows.is_empty() {
        return Err(ApiError::not_found("no rule with this id"));
    }
    rows.into_iter()
        .map(|r| {
            Ok(RuleHistoryEntry {
                version: RuleVersion(r.version),
                change: RuleChange::parse(&r.change).ok_or_else(|| {
                    ApiError::internal(anyhow::anyhow!("unknown rule change {:?}", r.change))
                })?,
                definition: definition_of(r.definition)?,
                changed_at: r.changed_at,
                changed_by: r.changed_by,
            })
        })
        .collect::<Result<Vec<_>, ApiError>>()
        .map(AppJson)
}

/// `POST /api/v1/rules/import/sigma`: YAML (one or many documents) as the
/// body (`application/yaml`, `text/plain`), or `{"yaml": "..."}` as JSON.
/// Each document becomes a rule — a new one, or a new version of the rule
/// with its slug — or says precisely why it cannot.
#[tracing::instrument(skip_all)]
pub async fn import_sigma(
    State(state): State<AppState>,
    ctx: RequestContext,
    headers: HeaderMap,
    principal: Principal,
    body: String,
) -> Result<AppJson<SigmaImportResponse>, ApiError> {
    within_import_limit(&body, "yaml")?;
    let json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    let yaml = if json {
        #[derive(serde::Deserialize)]
        struct Body {
            yaml: String,
        }
        serde_json::from_str::<Body>(&body)
            .map_err(|e| ApiError::bad_request(format!("expected {{\"yaml\": \"...\"}}: {e}")))?
            .yaml
    } else {
        body
    };
    let outcomes = tokio::task::spawn_blocking(move || sigma::import(&yaml))
        .await
        .map_err(ApiError::internal)?;
    store_imported(
        &state,
        &ctx,
        &principal,
        outcomes,
        RuleOrigin::Sigma,
        "rule.import_sigma",
    )
    .await
    .map(AppJson)
}

/// Stores imported rules — a new rule, or a new version of the live rule
/// with the same slug — in one transaction, audited as `action`; answers
/// per document, in order.
async fn store_imported(
    state: &AppState,
    ctx: &RequestContext,
    principal: &Principal,
    outcomes: Vec<Outcome>,
    origin: RuleOrigin,
    action: &'static str,
) -> Result<SigmaImportResponse, ApiError> {
    let by = principal.user_id();
    let mut tx = state.pool.begin().await?;
    let mut stored: Vec<(RuleId, bool)> = Vec::new();
    let mut documents = Vec::with_capacity(outcomes.len());
    for outcome in outcomes {
        match outcome {
            Outcome::Rule(definition) => {
                let existing = repo::fetch_live_rule_id_by_slug(&mut *tx, &definition.slug)
                    .await?
                    .map(RuleId);
                let (id, updated) = match existing {
                    Some(id) => {
                        replace(&mut tx, id, None, &definition, by).await?;
                        (id, true)
                    }
                    None => (insert(&mut tx, &definition, origin, by).await?, false),
                };
                stored.push((id, updated));
                documents.push(None);
            }
            Outcome::Unsupported { title, reason } => {
                documents.push(Some(SigmaImportOutcome::Unsupported {
                    title,
                    unsupported: reason,
                }));
            }
        }
    }
    let imported = stored.len();
    let unsupported = documents.len() - imported;
    let record = AuditRecord::by(principal, action, ctx).details(serde_json::json!({
        "imported": imported,
        "unsupported": unsupported,
        "rules": stored.iter().map(|(id, _)| id.to_string()).collect::<Vec<_>>(),
    }));
    audit_repo::insert_audit_record(&mut *tx, &record).await?;
    tx.commit().await?;
    let mut stored = stored.into_iter();
    let mut answer = Vec::with_capacity(documents.len());
    for document in documents {
        match document {
            Some(refused) => answer.push(refused),
            None => {
                let Some((id, updated)) = stored.next() else {
                    break;
                };
                answer.push(SigmaImportOutcome::Imported {
                    rule: Box::new(one(&state.pool, id).await?),
                    updated,
                });
            }
        }
    }
    Ok(SigmaImportResponse {
        documents: answer,
        imported,
        unsupported,
    })
}

/// `POST /api/v1/rules/import/mozdef`: MozDef's generic (JSON-configured)
/// alerts, as a JSON object of file name → rule; per file the stored rule
/// or why it cannot be one.
#[tracing::instrument(skip_all)]
pub async fn import_mozdef(
    State(state): State<AppState>,
    ctx: RequestContext,
    principal: Principal,
    body: String,
) -> Result<AppJson<SigmaImportResponse>, ApiError> {
    within_import_limit(&body, "rules")?;
    let files: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(&body).map_err(|e| {
            ApiError::bad_request(format!(
                "expected a JSON object of file name to MozDef generic alert: {e}"
            ))
        })?;
    let outcomes = files
        .iter()
        .map(|(file, rule)| match super::mozdef::convert(file, rule) {
            Ok(definition) => Outcome::Rule(Box::new(definition)),
            Err(reason) => Outcome::Unsupported {
                title: file.clone(),
                reason,
            },
        })
        .collect();
    store_imported(
        &state,
        &ctx,
        &principal,
        outcomes,
        RuleOrigin::Vigil,
        "rule.import_mozdef",
    )
    .await
    .map(AppJson)
}

/// `POST /api/v1/rules/test`.
#[tracing::instrument(skip_all)]
pub async fn test_rule(
    State(state): State<AppState>,
    AppJson(request): AppJson<RuleTestRequest>,
) -> Result<AppJson<RuleTestResponse>, ApiError> {
    let stored = match &request.slug {
        Some(slug) => Some(
            by_slug(&state.pool, slug)
                .await?
                .ok_or_else(|| ApiError::not_found(format!("no rule with the slug {slug}")))?
                .definition,
        ),
        None => None,
    };
    if request.events.len() > limits::MAX_TRIAL_EVENTS {
        return Err(ApiError::validation(
            "events",
            format!("at most {} events", limits::MAX_TRIAL_EVENTS),
        ));
    }
    // Conversion (Sigma) and evaluation are CPU work bounded by the limits:
    // off the async workers.
    let (rule, request) = tokio::task::spawn_blocking(move || {
        super::trial::rule_of(&request, stored).map(|rule| (rule, request))
    })
    .await
    .map_err(ApiError::internal)??;
    let lists = crate::detect::repo::lists_of(&state.pool, &rule).await?;
    let geo = state.geo.clone();
    tokio::task::spawn_blocking(move || {
        super::trial::trial(&rule, &lists, geo, request.events, request.now)
    })
    .await
    .map_err(ApiError::internal)?
    .map(AppJson)
}

/// `GET /api/v1/detection/status`: the engine's leader, lag and broken
/// rules (compiled here, once per rule version, so any instance answers
/// the same).
pub async fn detection_status(
    State(state): State<AppState>,
) -> Result<AppJson<DetectionStatus>, ApiError> {
    use crate::detect::repo as engine_repo;
    let cursor = engine_repo::fetch_cursor(&state.pool).await?;
    let watermark = cursor.as_ref().map_or(0, |c| c.watermark);
    let pending = engine_repo::fetch_pending(&state.pool, watermark).await?;
    let rules = engine_repo::fetch_enabled_rules(&state.pool).await?;
    let rules_enabled = rules.len() as i64;
    let engine = Arc::clone(&state.detection);
    let broken = tokio::task::spawn_blocking(move || {
        let mut known = engine.compiled.lock().unwrap_or_else(|p| p.into_inner());
        let mut current = std::collections::HashMap::with_capacity(rules.len());
        let mut broken = Vec::new();
        for row in rules {
            let key = (row.id, RuleVersion(row.version));
            let error = known.remove(&key).unwrap_or_else(|| {
                match serde_json::from_value::<RuleDefinition>(row.definition) {
                    Ok(definition) => crate::detect::eval::Evaluator::new(
                        &definition,
                        &Default::default(),
                        Utc::now(),
                    )
                    .err()
                    .map(|e| e.to_string()),
                    Err(error) => Some(format!("stored definition unreadable: {error}")),
                }
            });
            if let Some(error) = &error {
                broken.push(BrokenRule {
                    rule_id: RuleId(row.id),
                    slug: row.slug,
                    error: error.clone(),
                });
            }
            current.insert(key, error);
        }
        // Versions no longer enabled are forgotten.
        *known = current;
        broken
    })
    .await
    .map_err(ApiError::internal)?;
    let engine = &state.detection;
    let leads = engine.leading.load(Ordering::Relaxed);
    let mut broken: Vec<BrokenRule> = broken;
    let mut stopped = 0;
    if leads {
        let failed = engine.failed.lock().unwrap_or_else(|p| p.into_inner());
        stopped = failed.len() as u64;
        broken.extend(failed.iter().map(|(rule_id, slug, message)| BrokenRule {
            rule_id: RuleId(*rule_id),
            slug: slug.clone(),
            error: format!("stopped after failing while evaluating: {message}"),
        }));
    }
    Ok(AppJson(DetectionStatus {
        rules_running: leads.then(|| engine.rules.load(Ordering::Relaxed).saturating_sub(stopped)),
        leader: cursor.as_ref().map(|c| c.leader.clone()),
        leader_seen_at: cursor.as_ref().map(|c| c.updated_at),
        this_instance_leads: leads,
        rules_enabled,
        broken,
        pending_events: pending.events,
        lag_secs: pending.lag.unwrap_or(0.0).max(0.0),
        events_evaluated: engine.events.load(Ordering::Relaxed),
        alerts_raised: engine.alerts.load(Ordering::Relaxed),
        capped: engine
            .capped
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .map(|(id, (slug, evicted))| app::alerts::CappedRule {
                id: RuleId(*id),
                slug: slug.clone(),
                evicted: *evicted,
            })
            .collect(),
    }))
}
