//! SQL for watchlists and their entries.

use app::ids::WatchlistId;
use app::watchlists::{Watchlist, WatchlistEntry};
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

/// Returns every watchlist (or only `id`) with its entry count, by slug.
pub async fn fetch_watchlists(
    db: impl PgExecutor<'_>,
    id: Option<WatchlistId>,
) -> sqlx::Result<Vec<Watchlist>> {
    let rows = sqlx::query!(
        r#"SELECT w.id, w.slug, w.name, w.description, w.created_at, w.updated_at,
                  u.username AS "created_by?",
                  (SELECT count(*) FROM watchlist_entries e WHERE e.watchlist_id = w.id) AS "entries!"
           FROM watchlists w LEFT JOIN users u ON u.id = w.created_by
           WHERE $1::uuid IS NULL OR w.id = $1
           ORDER BY w.slug"#,
        id.map(|id| id.as_uuid())
    )
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| Watchlist {
            id: WatchlistId(r.id),
            slug: r.slug,
            name: r.name,
            description: r.description,
            entries: r.entries,
            created_at: r.created_at,
            created_by: r.created_by,
            updated_at: r.updated_at,
        })
        .collect())
}

/// Inserts a watchlist.
pub async fn insert_watchlist(
    db: impl PgExecutor<'_>,
    id: WatchlistId,
    slug: &str,
    name: &str,
    description: &str,
    created_by: Option<Uuid>,
) -> sqlx::Result<()> {
    sqlx::query!(
        "INSERT INTO watchlists (id, slug, name, description, created_by) VALUES ($1, $2, $3, $4, $5)",
        id.as_uuid(),
        slug,
        name,
        description,
        created_by
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Updates a watchlist's slug, name and description; returns whether it exists.
pub async fn update_watchlist(
    db: impl PgExecutor<'_>,
    id: WatchlistId,
    slug: &str,
    name: &str,
    description: &str,
) -> sqlx::Result<bool> {
    let changed = sqlx::query!(
        "UPDATE watchlists SET slug = $2, name = $3, description = $4, updated_at = now() WHERE id = $1",
        id.as_uuid(),
        slug,
        name,
        description
    )
    .execute(db)
    .await?;
    Ok(changed.rows_affected() > 0)
}

/// Deletes a watchlist with its entries; returns its slug if it existed.
pub async fn delete_watchlist(
    db: impl PgExecutor<'_>,
    id: WatchlistId,
) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar!(
        "DELETE FROM watchlists WHERE id = $1 RETURNING slug",
        id.as_uuid()
    )
    .fetch_optional(db)
    .await
}

/// Returns a watchlist's entries by value (at most 100,000).
pub async fn fetch_entries(
    db: impl PgExecutor<'_>,
    id: WatchlistId,
) -> sqlx::Result<Vec<WatchlistEntry>> {
    let rows = sqlx::query!(
        r#"SELECT e.value, e.note, e.added_at, u.username AS "added_by?"
           FROM watchlist_entries e LEFT JOIN users u ON u.id = e.added_by
           WHERE e.watchlist_id = $1 ORDER BY e.value LIMIT 100000"#,
        id.as_uuid()
    )
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| WatchlistEntry {
            value: r.value,
            note: r.note,
            added_at: r.added_at,
            added_by: r.added_by,
        })
        .collect())
}

/// Adds (or re-notes) entries; returns, per value, whether it was new.
pub async fn upsert_entries(
    tx: &mut PgConnection,
    id: WatchlistId,
    values: &[String],
    notes: &[String],
    added_by: Option<Uuid>,
) -> sqlx::Result<Vec<bool>> {
    let added = sqlx::query_scalar!(
        r#"INSERT INTO watchlist_entries (watchlist_id, value, note, added_by)
           SELECT $1, v, n, $4 FROM unnest($2::text[], $3::text[]) AS t(v, n)
           ON CONFLICT (watchlist_id, value) DO UPDATE SET note = EXCLUDED.note
           RETURNING (xmax = 0) AS "inserted!""#,
        id.as_uuid(),
        values,
        notes,
        added_by
    )
    .fetch_all(&mut *tx)
    .await?;
    sqlx::query!(
        "UPDATE watchlists SET updated_at = now() WHERE id = $1",
        id.as_uuid()
    )
    .execute(&mut *tx)
    .await?;
    Ok(added)
}

/// Removes one entry; returns whether it was there.
pub async fn delete_entry(
    db: impl PgExecutor<'_>,
    id: WatchlistId,
    value: &str,
) -> sqlx::Result<bool> {
    let removed = sqlx::query!(
        "DELETE FROM watchlist_entries WHERE watchlist_id = $1 AND value = $2",
        id.as_uuid(),
        value
    )
    .execute(db)
    .await?;
    Ok(removed.rows_affected() > 0)
}
