//! Stored rules: create, read, change (each change a new version, with
//! optimistic concurrency), delete (kept, marked), list versions, and import
//! from Sigma. Every change is audited; a change notifies the engine
//! through the `vigil_rules` channel (a trigger in the migration).

use super::eval::Evaluator;
use super::sigma::{self, Outcome};
use crate::audit::{AuditRecord, repo as audit_repo};
use crate::auth::Principal;
use crate::auth::access::context_from_parts;
use crate::error::{ApiError, AppJson, AppPath};
use crate::state::AppState;
use app::error::ErrorCode;
use app::rules::{
    Rule, RuleDefinition, RuleOrigin, RuleUpdate, RuleVersion, SigmaImportOutcome,
    SigmaImportResponse,
};
use axum::extract::State;
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use uuid::Uuid;

/// The largest Sigma import accepted, in bytes.
const MAX_SIGMA_BYTES: usize = 4 * 1024 * 1024;

/// Refuses a rule that does not validate or whose regular expressions do
/// not compile: a 400 listing every mistake.
pub fn check(definition: &RuleDefinition) -> Result<(), ApiError> {
    let errors = definition.validate();
    if let Some(first) = errors.first() {
        return Err(ApiError::new(
            ErrorCode::ValidationFailed,
            format!("{}: {}", first.field, first.message),
        )
        .with_details(serde_json::json!({ "errors": errors })));
    }
    Evaluator::new(definition, &Default::default(), chrono::Utc::now())
        .map(|_| ())
        .map_err(|e| ApiError::validation(&e.field, e.message))
}

fn slug_taken(error: sqlx::Error) -> ApiError {
    match &error {
        sqlx::Error::Database(db) if db.is_unique_violation() => {
            ApiError::conflict("a rule with this slug exists")
        }
        _ => ApiError::from(error),
    }
}

fn origin_name(origin: RuleOrigin) -> &'static str {
    match origin {
        RuleOrigin::Vigil => "vigil",
        RuleOrigin::Sigma => "sigma",
        RuleOrigin::Pack => "pack",
    }
}

fn parse_origin(name: &str) -> RuleOrigin {
    match name {
        "sigma" => RuleOrigin::Sigma,
        "pack" => RuleOrigin::Pack,
        _ => RuleOrigin::Vigil,
    }
}

fn definition_of(value: serde_json::Value) -> Result<RuleDefinition, ApiError> {
    serde_json::from_value(value)
        .map_err(|e| ApiError::internal(anyhow::anyhow!("a stored rule does not read back: {e}")))
}

/// The live rules (all, or the one with `id`), newest change first.
async fn live(
    executor: impl sqlx::PgExecutor<'_>,
    id: Option<Uuid>,
) -> Result<Vec<Rule>, ApiError> {
    let rows = sqlx::query!(
        r#"SELECT r.id, r.version, r.origin, r.definition, r.created_at, r.updated_at,
                  c.username AS "created_by?", u.username AS "updated_by?"
           FROM rules r
           LEFT JOIN users c ON c.id = r.created_by
           LEFT JOIN users u ON u.id = r.updated_by
           WHERE r.deleted_at IS NULL AND ($1::uuid IS NULL OR r.id = $1)
           ORDER BY r.updated_at DESC, r.id"#,
        id
    )
    .fetch_all(executor)
    .await?;
    rows.into_iter()
        .map(|r| {
            Ok(Rule {
                id: r.id,
                version: r.version,
                origin: parse_origin(&r.origin),
                definition: definition_of(r.definition)?,
                created_at: r.created_at,
                created_by: r.created_by,
                updated_at: r.updated_at,
                updated_by: r.updated_by,
            })
        })
        .collect()
}

async fn one(executor: impl sqlx::PgExecutor<'_>, id: Uuid) -> Result<Rule, ApiError> {
    live(executor, Some(id))
        .await?
        .pop()
        .ok_or_else(|| ApiError::not_found("no rule with this id"))
}

/// The live rule with `slug`, if any.
pub async fn by_slug(state: &AppState, slug: &str) -> Result<Option<Rule>, ApiError> {
    let id = sqlx::query_scalar!(
        "SELECT id FROM rules WHERE slug = $1 AND deleted_at IS NULL",
        slug
    )
    .fetch_optional(&state.pool)
    .await?;
    match id {
        Some(id) => Ok(Some(one(&state.pool, id).await?)),
        None => Ok(None),
    }
}

/// Stores a new rule (version 1) in `tx`.
async fn insert(
    tx: &mut sqlx::PgConnection,
    definition: &RuleDefinition,
    origin: RuleOrigin,
    by: Option<Uuid>,
) -> Result<Uuid, ApiError> {
    let id = Uuid::new_v4();
    let json = serde_json::to_value(definition).map_err(ApiError::internal)?;
    sqlx::query!(
        "INSERT INTO rules (id, slug, version, enabled, definition, origin, created_by, updated_by)
         VALUES ($1, $2, 1, $3, $4, $5, $6, $6)",
        id,
        definition.slug,
        definition.enabled,
        json,
        origin_name(origin),
        by
    )
    .execute(&mut *tx)
    .await
    .map_err(slug_taken)?;
    sqlx::query!(
        "INSERT INTO rule_versions (rule_id, version, definition, change, changed_by)
         VALUES ($1, 1, $2, 'create', $3)",
        id,
        json,
        by
    )
    .execute(&mut *tx)
    .await?;
    Ok(id)
}

/// Replaces a rule's definition if it is still at `expected` version;
/// returns the new version.
async fn replace(
    tx: &mut sqlx::PgConnection,
    id: Uuid,
    expected: Option<i32>,
    definition: &RuleDefinition,
    by: Option<Uuid>,
) -> Result<i32, ApiError> {
    let json = serde_json::to_value(definition).map_err(ApiError::internal)?;
    let current = sqlx::query_scalar!(
        "SELECT version FROM rules WHERE id = $1 AND deleted_at IS NULL FOR UPDATE",
        id
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or_else(|| ApiError::not_found("no rule with this id"))?;
    if let Some(expected) = expected
        && expected != current
    {
        return Err(ApiError::conflict(format!(
            "the rule changed since version {expected}: it is at version {current}; reload it"
        ))
        .with_details(serde_json::json!({ "version": current })));
    }
    let version = current + 1;
    sqlx::query!(
        "UPDATE rules SET slug = $2, version = $3, enabled = $4, definition = $5,
                updated_at = now(), updated_by = $6
         WHERE id = $1",
        id,
        definition.slug,
        version,
        definition.enabled,
        json,
        by
    )
    .execute(&mut *tx)
    .await
    .map_err(slug_taken)?;
    sqlx::query!(
        "INSERT INTO rule_versions (rule_id, version, definition, change, changed_by)
         VALUES ($1, $2, $3, 'update', $4)",
        id,
        version,
        json,
        by
    )
    .execute(&mut *tx)
    .await?;
    Ok(version)
}

/// `GET /api/v1/rules`.
pub async fn list(State(state): State<AppState>) -> Result<AppJson<Vec<Rule>>, ApiError> {
    Ok(AppJson(live(&state.pool, None).await?))
}

/// `GET /api/v1/rules/{id}`.
pub async fn get(
    State(state): State<AppState>,
    AppPath(id): AppPath<Uuid>,
) -> Result<AppJson<Rule>, ApiError> {
    Ok(AppJson(one(&state.pool, id).await?))
}

/// `POST /api/v1/rules`.
#[tracing::instrument(skip_all)]
pub async fn create(
    State(state): State<AppState>,
    parts: Parts,
    principal: Principal,
    AppJson(definition): AppJson<RuleDefinition>,
) -> Result<(StatusCode, AppJson<Rule>), ApiError> {
    check(&definition)?;
    let ctx = context_from_parts(&parts.headers, &parts.extensions);
    let mut tx = state.pool.begin().await?;
    let id = insert(&mut tx, &definition, RuleOrigin::Vigil, principal.user_id()).await?;
    let record = AuditRecord::by(&principal, "rule.create", &ctx)
        .target(id.to_string())
        .details(serde_json::json!({ "slug": definition.slug, "version": 1 }));
    audit_repo::insert_audit_record(&mut *tx, &record).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, AppJson(one(&state.pool, id).await?)))
}

/// `PUT /api/v1/rules/{id}`: a new version, if `version` is still current.
#[tracing::instrument(skip_all)]
pub async fn update(
    State(state): State<AppState>,
    parts: Parts,
    principal: Principal,
    AppPath(id): AppPath<Uuid>,
    AppJson(request): AppJson<RuleUpdate>,
) -> Result<AppJson<Rule>, ApiError> {
    check(&request.definition)?;
    let ctx = context_from_parts(&parts.headers, &parts.extensions);
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
pub async fn delete(
    State(state): State<AppState>,
    parts: Parts,
    principal: Principal,
    AppPath(id): AppPath<Uuid>,
) -> Result<StatusCode, ApiError> {
    let ctx = context_from_parts(&parts.headers, &parts.extensions);
    let mut tx = state.pool.begin().await?;
    let row = sqlx::query!(
        "UPDATE rules SET deleted_at = now(), enabled = false, version = version + 1,
                updated_at = now(), updated_by = $2
         WHERE id = $1 AND deleted_at IS NULL
         RETURNING slug, version, definition",
        id,
        principal.user_id()
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or_else(|| ApiError::not_found("no rule with this id"))?;
    sqlx::query!(
        "INSERT INTO rule_versions (rule_id, version, definition, change, changed_by)
         VALUES ($1, $2, $3, 'delete', $4)",
        id,
        row.version,
        row.definition,
        principal.user_id()
    )
    .execute(&mut *tx)
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
pub async fn sigma(
    State(state): State<AppState>,
    AppPath(id): AppPath<Uuid>,
) -> Result<axum::response::Response, ApiError> {
    use axum::response::IntoResponse;
    let rule = one(&state.pool, id).await?;
    let yaml = super::sigma_export::export(&rule.definition, rule.id)
        .map_err(|reason| ApiError::validation("kind", reason))?;
    Ok((
        [(header::CONTENT_TYPE, "application/yaml; charset=utf-8")],
        yaml,
    )
        .into_response())
}

/// `GET /api/v1/rules/{id}/versions`: newest first.
pub async fn versions(
    State(state): State<AppState>,
    AppPath(id): AppPath<Uuid>,
) -> Result<AppJson<Vec<RuleVersion>>, ApiError> {
    let rows = sqlx::query!(
        r#"SELECT v.version, v.change, v.definition, v.changed_at, u.username AS "changed_by?"
           FROM rule_versions v LEFT JOIN users u ON u.id = v.changed_by
           WHERE v.rule_id = $1
           ORDER BY v.version DESC"#,
        id
    )
    .fetch_all(&state.pool)
    .await?;
    if rows.is_empty() {
        return Err(ApiError::not_found("no rule with this id"));
    }
    rows.into_iter()
        .map(|r| {
            Ok(RuleVersion {
                version: r.version,
                change: r.change,
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
    parts: Parts,
    principal: Principal,
    body: String,
) -> Result<AppJson<SigmaImportResponse>, ApiError> {
    within_import_limit(&body, "yaml")?;
    let json = parts
        .headers
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
        &parts,
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
    parts: &Parts,
    principal: &Principal,
    outcomes: Vec<Outcome>,
    origin: RuleOrigin,
    action: &'static str,
) -> Result<SigmaImportResponse, ApiError> {
    let ctx = context_from_parts(&parts.headers, &parts.extensions);
    let by = principal.user_id();
    let mut tx = state.pool.begin().await?;
    let mut stored: Vec<(Uuid, bool)> = Vec::new();
    let mut documents = Vec::with_capacity(outcomes.len());
    for outcome in outcomes {
        match outcome {
            Outcome::Rule(definition) => {
                let existing = sqlx::query_scalar!(
                    "SELECT id FROM rules WHERE slug = $1 AND deleted_at IS NULL",
                    definition.slug
                )
                .fetch_optional(&mut *tx)
                .await?;
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
    let record = AuditRecord::by(principal, action, &ctx).details(serde_json::json!({
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

/// Refuses an import body over the limit (`field` names what it holds).
fn within_import_limit(body: &str, field: &str) -> Result<(), ApiError> {
    if body.len() > MAX_SIGMA_BYTES {
        return Err(ApiError::validation(
            field,
            format!("at most {} MiB per import", MAX_SIGMA_BYTES >> 20),
        ));
    }
    Ok(())
}

/// `POST /api/v1/rules/import/mozdef`: MozDef's generic (JSON-configured)
/// alerts, as a JSON object of file name → rule; per file the stored rule
/// or why it cannot be one.
#[tracing::instrument(skip_all)]
pub async fn import_mozdef(
    State(state): State<AppState>,
    parts: Parts,
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
        &parts,
        &principal,
        outcomes,
        RuleOrigin::Vigil,
        "rule.import_mozdef",
    )
    .await
    .map(AppJson)
}
