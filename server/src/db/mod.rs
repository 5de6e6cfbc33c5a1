//! The database: connecting (to an external Postgres or the embedded one), pooling, migrating.

pub mod embedded;
pub mod locks;

use crate::config::DatabaseSettings;
use anyhow::Context;
use secrecy::ExposeSecret;
use sqlx::ConnectOptions;
use sqlx::PgPool;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

pub use embedded::EmbeddedPostgres;

/// The migrations in `migrations/`, compiled into the binary.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations");

/// Returns the database Vigil talks to, and the embedded server when it runs one.
#[derive(Debug)]
pub struct Database {
    /// The connection pool.
    pub pool: PgPool,
    /// The embedded server, when `VIGIL_DATABASE_URL` is unset.
    pub embedded: Option<EmbeddedPostgres>,
}

impl Database {
    /// Returns a connected database: the configured URL, or an embedded cluster in `data_dir`.
    pub async fn open(settings: &DatabaseSettings, data_dir: &Path) -> anyhow::Result<Database> {
        match &settings.url {
            Some(url) => {
                let options = PgConnectOptions::from_str(url.expose_secret())
                    .context("VIGIL_DATABASE_URL is not a valid postgres URL")?;
                let pool = pool(options, settings.max_connections).await?;
                Ok(Database {
                    pool,
                    embedded: None,
                })
            }
            None => {
                let cluster =
                    EmbeddedPostgres::start(data_dir, settings.postgres_bin_dir.as_deref()).await?;
                let options = cluster.connect_options(embedded::DB_NAME);
                let pool = match pool(options, settings.max_connections).await {
                    Ok(pool) => pool,
                    Err(error) => {
                        let _ = cluster.stop().await;
                        return Err(error);
                    }
                };
                Ok(Database {
                    pool,
                    embedded: Some(cluster),
                })
            }
        }
    }

    /// Closes the pool, then stops the embedded server if there is one.
    pub async fn close(self) -> anyhow::Result<()> {
        self.pool.close().await;
        if let Some(cluster) = self.embedded {
            cluster.stop().await?;
        }
        Ok(())
    }
}

/// Returns a pool for `options`, checked with one connection.
pub async fn pool(options: PgConnectOptions, max_connections: u32) -> anyhow::Result<PgPool> {
    let options = options
        .log_statements(tracing::log::LevelFilter::Trace)
        .log_slow_statements(tracing::log::LevelFilter::Warn, Duration::from_secs(2));
    PgPoolOptions::new()
        .max_connections(max_connections)
        .min_connections(1)
        .acquire_timeout(Duration::from_secs(5))
        .connect_with(options)
        .await
        .context("connecting to the database")
}

/// Applies pending migrations.
pub async fn migrate(pool: &PgPool) -> anyhow::Result<()> {
    MIGRATOR
        .run(pool)
        .await
        .context("applying database migrations")?;
    Ok(())
}
