//! The database: connecting (to an external Postgres or the embedded one), pooling, migrating.

pub mod embedded;
pub mod locks;
pub mod roles;

use crate::config::DatabaseSettings;
use anyhow::Context;
use secrecy::{ExposeSecret, SecretString};
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
    /// The connection pool for interactive requests (and the CLI).
    pub pool: PgPool,
    /// The embedded server, when `VIGIL_DATABASE_URL` is unset.
    pub embedded: Option<EmbeddedPostgres>,
    /// How the app's own connections reach the database.
    app: PgConnectOptions,
}

impl Database {
    /// Returns a connected database, its schema migrated: the configured URL,
    /// or an embedded cluster in `data_dir`.
    pub async fn open(settings: &DatabaseSettings, data_dir: &Path) -> anyhow::Result<Database> {
        match &settings.url {
            Some(url) => {
                let app = PgConnectOptions::from_str(url.expose_secret())
                    .context("VIGIL_DATABASE_URL is not a valid postgres URL")?;
                let owner = settings
                    .owner_url
                    .as_ref()
                    .map(|owner| {
                        PgConnectOptions::from_str(owner.expose_secret())
                            .context("VIGIL_DATABASE_OWNER_URL is not a valid postgres URL")
                    })
                    .transpose()?;
                let app_password = url_password(url.expose_secret());
                let mut database = Database::connect(app, owner, app_password, settings).await?;
                database.embedded = None;
                Ok(database)
            }
            None => {
                let cluster =
                    EmbeddedPostgres::start(data_dir, settings.postgres_bin_dir.as_deref()).await?;
                let owner = cluster.connect_options(embedded::DB_NAME);
                let app = owner.clone().username(roles::EMBEDDED_APP_ROLE);
                match Database::connect(app, Some(owner), None, settings).await {
                    Ok(mut database) => {
                        database.embedded = Some(cluster);
                        Ok(database)
                    }
                    Err(error) => {
                        let _ = cluster.stop().await;
                        Err(error)
                    }
                }
            }
        }
    }

    async fn connect(
        app: PgConnectOptions,
        owner: Option<PgConnectOptions>,
        app_password: Option<SecretString>,
        settings: &DatabaseSettings,
    ) -> anyhow::Result<Database> {
        // Migrations run as the owner when there is one (granting the app
        // role its privileges again, covering new tables), else through the
        // app's own pool, which then owns everything (docs/security.md, 14).
        if let Some(owner) = &owner {
            prepare_as_owner(owner, &app, app_password.as_ref()).await?;
        }
        let pool = Pools::interactive(&app, settings).await?;
        if owner.is_none() {
            migrate(&pool).await.map_err(|error| {
                // The operator gave Vigil a role that owns nothing (as
                // docs/security.md advises) but not the owner to migrate with.
                if permission_denied(&error) {
                    error.context(
                        "the database role in VIGIL_DATABASE_URL may not change the schema; \
                         set VIGIL_DATABASE_OWNER_URL to the owner's URL so that \
                         migrations run as the owner (docs/security.md, item 14)",
                    )
                } else {
                    error
                }
            })?;
        }
        Ok(Database {
            pool,
            embedded: None,
            app,
        })
    }

    /// Returns every budget's pool: `self.pool` for interactive requests,
    /// new pools for the others.
    pub async fn pools(
        &self,
        settings: &DatabaseSettings,
        budgets: Budgets,
    ) -> anyhow::Result<Pools> {
        Pools::beside(self.pool.clone(), &self.app, settings, budgets).await
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

/// Connections per budget, beside the interactive pool.
#[derive(Debug, Clone, Copy)]
pub struct Budgets {
    /// The engine, maintenance, retention, statistics.
    pub background: u32,
    /// The event writers (one connection each while they commit).
    pub writers: u32,
    /// Exports (each holds a connection for its whole stream).
    pub exports: u32,
}

impl Budgets {
    /// Returns the budgets `settings` give.
    pub fn of(settings: &crate::config::Settings) -> Budgets {
        Budgets {
            background: settings.database.background_connections,
            writers: settings.ingest.writers as u32,
            exports: settings.http.max_exports as u32,
        }
    }
}

/// The connection budgets: each kind of work has its own pool, so a flood of
/// one (a dozen exports, a slow engine round, an ingest burst) cannot take the
/// connections the others need.
#[derive(Debug, Clone)]
pub struct Pools {
    /// Interactive requests: sign-in, search, the UI's reads and writes.
    pub interactive: PgPool,
    /// The detection engine and maintenance.
    pub background: PgPool,
    /// The event writers.
    pub writers: PgPool,
    /// Export streams.
    pub exports: PgPool,
}

impl Pools {
    /// Returns `interactive` with new pools for the other budgets, connected
    /// with `app`.
    pub async fn beside(
        interactive: PgPool,
        app: &PgConnectOptions,
        settings: &DatabaseSettings,
        budgets: Budgets,
    ) -> anyhow::Result<Pools> {
        let slow = settings.background_statement_timeout;
        Ok(Pools {
            interactive,
            background: pool(budget(app, "vigil-background", slow), budgets.background).await?,
            writers: pool(budget(app, "vigil-writer", slow), budgets.writers).await?,
            exports: pool(budget(app, "vigil-export", slow), budgets.exports).await?,
        })
    }

    /// Returns the interactive pool for `app` (see [`Pools::beside`] for the rest).
    pub async fn interactive(
        app: &PgConnectOptions,
        settings: &DatabaseSettings,
    ) -> anyhow::Result<PgPool> {
        pool(
            budget(app, "vigil", settings.statement_timeout),
            settings.max_connections,
        )
        .await
    }

    /// Returns one pool serving every budget (tests and tools that need no isolation).
    pub fn shared(pool: PgPool) -> Pools {
        Pools {
            interactive: pool.clone(),
            background: pool.clone(),
            writers: pool.clone(),
            exports: pool,
        }
    }

    /// Closes every pool.
    pub async fn close(&self) {
        for pool in [
            &self.interactive,
            &self.background,
            &self.writers,
            &self.exports,
        ] {
            pool.close().await;
        }
    }

    /// Returns `(budget, in use, size)` for each pool, for the status page and `/metrics`.
    pub fn usage(&self) -> [(&'static str, u32, u32); 4] {
        let of = |pool: &PgPool| {
            let size = pool.size();
            (
                size.saturating_sub(pool.num_idle() as u32),
                pool.options().get_max_connections(),
            )
        };
        let (a, b) = of(&self.interactive);
        let (c, d) = of(&self.background);
        let (e, f) = of(&self.writers);
        let (g, h) = of(&self.exports);
        [
            ("interactive", a, b),
            ("background", c, d),
            ("writers", e, f),
            ("exports", g, h),
        ]
    }
}

/// Returns `options` for one budget: named in `pg_stat_activity`, with a
/// statement timeout and a bound on idling inside a transaction, so no
/// statement or forgotten transaction holds a connection for long.
fn budget(options: &PgConnectOptions, name: &str, statement_timeout: Duration) -> PgConnectOptions {
    let millis = statement_timeout.as_millis().max(1);
    options.clone().application_name(name).options([
        ("statement_timeout", format!("{millis}ms")),
        (
            "idle_in_transaction_session_timeout",
            format!("{}ms", millis.max(120_000)),
        ),
    ])
}

/// Migrates as the owner and prepares the app's role, over one connection
/// closed before the app starts.
async fn prepare_as_owner(
    owner: &PgConnectOptions,
    app: &PgConnectOptions,
    app_password: Option<&SecretString>,
) -> anyhow::Result<()> {
    let owner_pool = PgPoolOptions::new()
        .max_connections(1)
        .acquire_timeout(Duration::from_secs(30))
        .connect_with(owner.clone().application_name("vigil-migrate"))
        .await
        .context("connecting to the database as its owner")?;
    let outcome = async {
        migrate(&owner_pool).await?;
        let mut conn = owner_pool.acquire().await?;
        roles::prepare_app_role(&mut conn, app.get_username(), app_password).await
    }
    .await;
    owner_pool.close().await;
    outcome
}

/// Returns the password of a `postgres://` URL, if it has one.
fn url_password(url: &str) -> Option<SecretString> {
    let rest = url.split_once("://")?.1;
    let authority = rest.split(['/', '?']).next()?;
    let credentials = authority.rsplit_once('@')?.0;
    let password = credentials.split_once(':')?.1;
    let decoded = percent_decode(password)?;
    Some(SecretString::from(decoded))
}

fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = text.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// Returns a pool for `options`, checked with one connection.
pub async fn pool(options: PgConnectOptions, max_connections: u32) -> anyhow::Result<PgPool> {
    let options = options
        .log_statements(tracing::log::LevelFilter::Trace)
        .log_slow_statements(tracing::log::LevelFilter::Warn, Duration::from_secs(2));
    PgPoolOptions::new()
        .max_connections(max_connections.max(1))
        .min_connections(1)
        .acquire_timeout(Duration::from_secs(5))
        .connect_with(options)
        .await
        .context("connecting to the database")
}

/// Whether `error` stems from Postgres refusing a privilege (42501).
fn permission_denied(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        let database = cause
            .downcast_ref::<sqlx::Error>()
            .and_then(|e| e.as_database_error())
            .or_else(|| {
                cause
                    .downcast_ref::<sqlx::migrate::MigrateError>()
                    .and_then(|m| match m {
                        sqlx::migrate::MigrateError::Execute(e)
                        | sqlx::migrate::MigrateError::ExecuteMigration(e, _) => {
                            e.as_database_error()
                        }
                        _ => None,
                    })
            });
        database.and_then(|e| e.code()).as_deref() == Some("42501")
    })
}

/// Applies pending migrations.
pub async fn migrate(pool: &PgPool) -> anyhow::Result<()> {
    MIGRATOR
        .run(pool)
        .await
        .context("applying database migrations")?;
    Ok(())
}
