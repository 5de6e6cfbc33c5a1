//! SQL for health and status: a probe and the database's facts.

use sqlx::PgExecutor;

/// Returns whether the database answers a trivial query.
pub async fn probe(db: impl PgExecutor<'_>) -> sqlx::Result<bool> {
    Ok(sqlx::query_scalar!(r#"SELECT 1 AS "one!""#)
        .fetch_one(db)
        .await?
        == 1)
}

/// The database's facts for the status page.
#[derive(Debug)]
pub struct DatabaseFacts {
    /// `server_version`.
    pub version: String,
    /// The database's size in bytes.
    pub size: i64,
    /// The newest migration applied.
    pub schema_version: Option<i64>,
}

/// Returns the database's version, size and schema version.
pub async fn fetch_database_facts(db: impl PgExecutor<'_>) -> sqlx::Result<DatabaseFacts> {
    sqlx::query_as!(
        DatabaseFacts,
        r#"SELECT current_setting('server_version') AS "version!",
                  pg_database_size(current_database()) AS "size!",
                  (SELECT max(version) FROM _sqlx_migrations WHERE success) AS schema_version"#
    )
    .fetch_one(db)
    .await
}

/// Returns each day partition (`YYYY-MM-DD`) with Postgres' estimate of its rows.
pub async fn fetch_partition_rows(db: impl PgExecutor<'_>) -> sqlx::Result<Vec<(String, i64)>> {
    let rows = sqlx::query!(
        r#"SELECT to_char(to_date(substr(c.relname, 9), 'YYYYMMDD'), 'YYYY-MM-DD') AS "day!",
                  greatest(c.reltuples, 0)::bigint AS "rows!"
           FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
           WHERE i.inhparent = 'events'::regclass AND c.relname ~ '^events_p[0-9]{8}$'
           ORDER BY c.relname"#
    )
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(|r| (r.day, r.rows)).collect())
}
