//! Stored rules: each change a new version (with optimistic concurrency),
//! deletion kept and marked, import from Sigma and MozDef, the built-in
//! packs, and the rule test. A change moves the detection generation and
//! wakes the engine on the `vigil_rules` channel (triggers in the
//! migrations); the engine itself is `detect`.

pub mod handlers;
pub mod mozdef;
pub mod packs;
pub mod repo;
pub mod sigma;
pub mod trial;

use crate::detect::eval::Evaluator;
use crate::error::ApiError;
use app::error::ErrorCode;
use app::ids::RuleId;
use app::rules::{Rule, RuleChange, RuleDefinition, RuleOrigin, RuleVersion};
use sqlx::PgConnection;
use uuid::Uuid;

/// The largest Sigma or MozDef import accepted, in bytes.
const MAX_IMPORT_BYTES: usize = 4 * 1024 * 1024;

/// Refuses a rule that does not validate or whose regular expressions do
/// not compile: a 400 listing every mistake.
pub fn check(definition: &RuleDefinition) -> Result<(), ApiError> {
    let parsed = definition.clone().parse().map_err(|errors| {
        let first = errors
            .first()
            .map_or_else(String::new, |e| format!("{}: {}", e.field, e.message));
        ApiError::new(ErrorCode::ValidationFailed, first)
            .with_details(serde_json::json!({ "errors": errors }))
    })?;
    Evaluator::compile(parsed, &Default::default(), chrono::Utc::now())
        .map(|_| ())
        .map_err(|e| ApiError::validation(&e.field, e.message))
}

fn slug_taken(error: sqlx::Error) -> ApiError {
    ApiError::on_duplicate("a rule with this slug exists")(error)
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

/// Returns a stored definition read back.
pub fn definition_of(value: serde_json::Value) -> Result<RuleDefinition, ApiError> {
    serde_json::from_value(value)
        .map_err(|e| ApiError::internal(anyhow::anyhow!("a stored rule does not read back: {e}")))
}

/// Returns the live rules (all, or the one with `id`), newest change first.
pub async fn live(
    db: impl sqlx::PgExecutor<'_>,
    id: Option<RuleId>,
) -> Result<Vec<Rule>, ApiError> {
    repo::fetch_live_rules(db, id.map(|id| id.as_uuid()))
        .await?
        .into_iter()
        .map(|r| {
            Ok(Rule {
                id: RuleId(r.id),
                version: RuleVersion(r.version),
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

/// Returns the live rule `id`, or a 404.
pub async fn one(db: impl sqlx::PgExecutor<'_>, id: RuleId) -> Result<Rule, ApiError> {
    live(db, Some(id))
        .await?
        .pop()
        .ok_or_else(|| ApiError::not_found("no rule with this id"))
}

/// Returns the live rule with `slug`, if any.
pub async fn by_slug(pool: &sqlx::PgPool, slug: &str) -> Result<Option<Rule>, ApiError> {
    match repo::fetch_live_rule_id_by_slug(pool, slug).await? {
        Some(id) => Ok(Some(one(pool, RuleId(id)).await?)),
        None => Ok(None),
    }
}

/// Stores a new rule (version 1) in `tx`.
pub async fn insert(
    tx: &mut PgConnection,
    definition: &RuleDefinition,
    origin: RuleOrigin,
    by: Option<Uuid>,
) -> Result<RuleId, ApiError> {
    let id = Uuid::new_v4();
    let json = serde_json::to_value(definition).map_err(ApiError::internal)?;
    repo::insert_rule(
        &mut *tx,
        id,
        &definition.slug,
        definition.enabled,
        &json,
        origin_name(origin),
        by,
    )
    .await
    .map_err(slug_taken)?;
    repo::insert_rule_version(
        &mut *tx,
        id,
        RuleVersion::FIRST,
        &json,
        RuleChange::Create,
        by,
    )
    .await?;
    Ok(RuleId(id))
}

/// Replaces a rule's definition if it is still at `expected` version;
/// returns the new version.
pub async fn replace(
    tx: &mut PgConnection,
    id: RuleId,
    expected: Option<RuleVersion>,
    definition: &RuleDefinition,
    by: Option<Uuid>,
) -> Result<RuleVersion, ApiError> {
    let json = serde_json::to_value(definition).map_err(ApiError::internal)?;
    let id = id.as_uuid();
    let current = repo::lock_rule_version(&mut *tx, id)
        .await?
        .map(RuleVersion)
        .ok_or_else(|| ApiError::not_found("no rule with this id"))?;
    if let Some(expected) = expected
        && expected != current
    {
        return Err(ApiError::conflict(format!(
            "the rule changed since version {expected}: it is at version {current}; reload it"
        ))
        .with_details(serde_json::json!({ "version": current })));
    }
    let version = current.next();
    repo::update_rule(
        &mut *tx,
        id,
        &definition.slug,
        version,
        definition.enabled,
        &json,
        by,
    )
    .await
    .map_err(slug_taken)?;
    repo::insert_rule_version(&mut *tx, id, version, &json, RuleChange::Update, by).await?;
    Ok(version)
}

/// Refuses an import body over the limit (`field` names what it holds).
pub fn within_import_limit(body: &str, field: &str) -> Result<(), ApiError> {
    if body.len() > MAX_IMPORT_BYTES {
        return Err(ApiError::validation(
            field,
            format!("at most {} MiB per import", MAX_IMPORT_BYTES >> 20),
        ));
    }
    Ok(())
}
