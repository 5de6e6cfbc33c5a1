//! Building and running the application: database, migrations, identity bootstrap, HTTP server.

use crate::auth::{password, repo as auth_repo, token::TokenKeys};
use crate::config::Settings;
use crate::db::{self, Database};
use crate::http;
use crate::ingest::{self, EventWriter, IngestPolicy, SourceTally, WriterSettings, WriterTasks};
use crate::state::AppState;
use crate::users::{self, Bootstrap};
use anyhow::{Context, anyhow};
use chrono::Utc;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpListener;

/// Returns a built application, bound to its port, not yet serving.
#[derive(Debug)]
pub struct Application {
    listener: TcpListener,
    state: AppState,
    database: Database,
    bootstrap: Bootstrap,
    writers: WriterTasks,
    maintenance: Vec<tokio::task::JoinHandle<()>>,
    syslog_addresses: SyslogAddresses,
}

/// Returns the bound syslog listener addresses (UDP, TCP), when enabled.
pub type SyslogAddresses = (Option<SocketAddr>, Option<SocketAddr>);

/// Returns the bound syslog sockets, before their tasks start.
#[derive(Debug)]
pub struct SyslogSockets {
    udp: Option<tokio::net::UdpSocket>,
    tcp: Option<TcpListener>,
}

impl SyslogSockets {
    /// Binds the configured listeners; an address in use stops the start-up with a clear error.
    pub async fn bind(settings: &crate::config::SyslogSettings) -> anyhow::Result<SyslogSockets> {
        let udp = match settings.udp {
            Some(address) => Some(
                tokio::net::UdpSocket::bind(address)
                    .await
                    .with_context(|| format!("VIGIL_SYSLOG_UDP: binding {address}"))?,
            ),
            None => None,
        };
        let tcp = match settings.tcp {
            Some(address) => Some(
                TcpListener::bind(address)
                    .await
                    .with_context(|| format!("VIGIL_SYSLOG_TCP: binding {address}"))?,
            ),
            None => None,
        };
        Ok(SyslogSockets { udp, tcp })
    }

    /// Returns the bound addresses.
    pub fn addresses(&self) -> SyslogAddresses {
        (
            self.udp.as_ref().and_then(|s| s.local_addr().ok()),
            self.tcp.as_ref().and_then(|s| s.local_addr().ok()),
        )
    }

    /// Starts one task per listener.
    pub fn spawn(self, state: &AppState) -> Vec<tokio::task::JoinHandle<()>> {
        let mut tasks = Vec::new();
        if let Some(socket) = self.udp {
            tasks.push(tokio::spawn(ingest::syslog::run_udp(state.clone(), socket)));
        }
        if let Some(listener) = self.tcp {
            let syslog = &state.settings.syslog;
            let limits = ingest::syslog::TcpLimits {
                max_connections: syslog.max_connections,
                max_per_peer: syslog.max_connections_per_peer,
                idle_timeout: syslog.idle_timeout,
            };
            tasks.push(tokio::spawn(ingest::syslog::run_tcp(
                state.clone(),
                listener,
                limits,
            )));
        }
        tasks
    }
}

impl Application {
    /// Opens the database (starting the embedded one if configured), migrates,
    /// prepares identity, and binds the listener.
    pub async fn build(settings: Settings) -> anyhow::Result<Application> {
        raise_file_limit();
        let database = Database::open(&settings.database, &settings.data_dir).await?;
        match Self::prepare(settings, &database).await {
            Ok((listener, state, bootstrap, writers, syslog)) => {
                let syslog_addresses = syslog.addresses();
                let mut maintenance = syslog.spawn(&state);
                maintenance.extend([
                    tokio::spawn(crate::maintenance::run_maintenance(
                        state.pools.background.clone(),
                        state.settings.ingest.retention_days,
                    )),
                    tokio::spawn(crate::maintenance::run_login_upkeep(
                        state.pools.background.clone(),
                        crate::auth::throttle::Limits::of(&state.settings.login),
                    )),
                    tokio::spawn(crate::audit::checkpoint::run(
                        state.pools.background.clone(),
                        Arc::clone(&state.audit_signer),
                        state.settings.audit.checkpoint_interval,
                    )),
                    tokio::spawn(ingest::sources::run_flusher(
                        state.sources.clone(),
                        state.pools.background.clone(),
                        std::time::Duration::from_secs(5),
                    )),
                ]);
                if state.settings.detection.enabled {
                    maintenance.push(crate::detect::engine::spawn(
                        state.pools.background.clone(),
                        state.settings.detection.clone(),
                        Arc::clone(&state.detection),
                    ));
                }
                Ok(Application {
                    listener,
                    state,
                    database,
                    bootstrap,
                    writers,
                    maintenance,
                    syslog_addresses,
                })
            }
            Err(error) => {
                // Stop an embedded Postgres we started rather than orphan it.
                let _ = database.close().await;
                Err(error)
            }
        }
    }

    async fn prepare(
        settings: Settings,
        database: &Database,
    ) -> anyhow::Result<(TcpListener, AppState, Bootstrap, WriterTasks, SyslogSockets)> {
        let pools = database
            .pools(&settings.database, db::Budgets::of(&settings))
            .await?;
        let (state, writers) = build_state(pools, settings, database.embedded.is_some()).await?;
        if db::roles::audit_exposed_to(&state.pool).await? {
            tracing::warn!(
                "the app's database role can change the audit trail (it owns it, or is a superuser): \
                 set VIGIL_DATABASE_OWNER_URL and connect as a role of its own (docs/security.md, 14)"
            );
        }
        let bootstrap =
            users::bootstrap_admin(&state.pool, state.settings.admin_password.as_ref()).await?;
        crate::rules::packs::install(&state.pool).await?;
        if !state.settings.static_dir.join("index.html").is_file() {
            tracing::warn!(
                static_dir = %state.settings.static_dir.display(),
                "no index.html in the static directory; the web UI is not available (run `make build`)"
            );
        }
        let listener = TcpListener::bind(state.settings.listen)
            .await
            .with_context(|| format!("listening on {}", state.settings.listen))?;
        let syslog = SyslogSockets::bind(&state.settings.syslog).await?;
        Ok((listener, state, bootstrap, writers, syslog))
    }

    /// Returns the address actually bound (useful with port 0).
    pub fn local_addr(&self) -> anyhow::Result<SocketAddr> {
        Ok(self.listener.local_addr()?)
    }

    /// Loads `events` demo events in the background when the store is empty.
    pub fn load_demo_data(&self, events: u64) {
        let state = self.state.clone();
        tokio::spawn(async move {
            match crate::loadgen::demo::load_if_empty(&state, events).await {
                Ok(0) => tracing::info!("events are already stored; no demo data loaded"),
                Ok(loaded) => tracing::info!(
                    loaded,
                    "demo data loaded (tagged demo, source \"demo data\")"
                ),
                Err(error) => {
                    tracing::warn!(error = format!("{error:#}"), "loading demo data failed")
                }
            }
        });
    }

    /// Returns the syslog listeners' bound addresses (UDP, TCP).
    pub fn syslog_addresses(&self) -> SyslogAddresses {
        self.syslog_addresses
    }

    /// Returns what start-up did about the first admin account.
    pub fn bootstrap(&self) -> &Bootstrap {
        &self.bootstrap
    }

    /// Returns whether the database is embedded, with its log file.
    pub fn embedded_postgres_log(&self) -> Option<&std::path::Path> {
        self.database.embedded.as_ref().map(|e| e.log_file())
    }

    /// Serves until `shutdown` completes, drains requests, then closes the database.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let sources = self.state.sources.clone();
        let pools = self.state.pools.clone();
        let pool = pools.background.clone();
        let http = &self.state.settings.http;
        let limits = http::serve::ServeLimits {
            max_connections: http.max_connections,
            header_timeout: http.header_timeout,
            max_header_bytes: http.max_header_bytes,
        };
        let router = http::router(self.state);
        let served = http::serve::serve(self.listener, router, limits, shutdown)
            .await
            .context("serving HTTP");
        // The router (and with it every handle to the writer) is gone: the
        // writers store what they still hold, then stop.
        for task in &self.maintenance {
            task.abort();
        }
        self.writers.join().await;
        if let Err(error) = sources.flush(&pool).await {
            tracing::warn!(%error, "the last source statistics were not written");
        }
        tracing::info!("http server and writers stopped; closing the database");
        pools.close().await;
        let closed = self.database.close().await;
        served?;
        closed
    }
}

/// Returns the application state over `pools`: built-in roles synced, signing
/// secret loaded (created on first start), dummy hash computed, event
/// partitions for the coming days created and the event writers started.
pub async fn build_state(
    pools: db::Pools,
    settings: Settings,
    embedded_database: bool,
) -> anyhow::Result<(AppState, WriterTasks)> {
    let pool = pools.interactive.clone();
    crate::metrics::install();
    let mut conn = pool.acquire().await?;
    auth_repo::upsert_builtin_roles(&mut conn).await?;
    let mut candidate = [0u8; 64];
    getrandom::fill(&mut candidate).map_err(|e| anyhow!("reading random bytes: {e}"))?;
    let secret =
        auth_repo::fetch_or_insert_secret(&mut conn, "session_signing_key", &candidate).await?;
    drop(conn);
    ingest::ensure_upcoming_partitions(&pool).await?;
    let (events, writers) = EventWriter::start(
        pools.writers.clone(),
        WriterSettings {
            writers: settings.ingest.writers,
            max_queued_events: settings.ingest.max_queued_events,
            max_queued_bytes: settings.ingest.max_queued_bytes,
            ..WriterSettings::default()
        },
    );
    let ingest_policy = IngestPolicy {
        max_age: std::time::Duration::from_secs(
            u64::from(settings.ingest.retention_days) * 24 * 3600,
        ),
        max_event_bytes: settings.ingest.max_event_bytes,
        ..IngestPolicy::default()
    };
    let geo = open_geoip(&settings.ingest.geoip_databases).await?;
    let settings_exports = (
        settings.http.max_exports,
        settings.http.max_exports_per_user,
    );
    let verify_gate = Arc::new(crate::auth::throttle::VerifyGate::new(
        settings.login.max_concurrent_verifications,
        settings.login.verification_queue,
    ));
    let audit_signer = Arc::new(crate::audit::checkpoint::AuditSigner::open(
        &settings.audit_key_file(),
        &settings.audit.trusted_keys,
    )?);
    let state = AppState {
        pool,
        pools,
        audit_signer,
        settings: Arc::new(settings),
        tokens: TokenKeys::from_secret(&secret)?,
        dummy_hash: password::dummy_hash().await?.into(),
        routes: http::routes::access_table().into(),
        started_at: Utc::now(),
        embedded_database,
        events,
        ingest_policy,
        geo,
        sources: SourceTally::default(),
        api_keys: crate::api_keys::KeyCache::default(),
        detection: Arc::default(),
        verify_gate,
        exports: Arc::new(crate::search::ExportSlots::new(
            settings_exports.0,
            settings_exports.1,
        )),
    };
    Ok((state, writers))
}

/// Raises the open-file limit to its hard maximum: every HTTP and syslog
/// connection is a descriptor, and the caps on them should be what bounds
/// them, not a soft limit of 1,024 that makes `accept` fail for everyone.
fn raise_file_limit() {
    use nix::sys::resource::{Resource, getrlimit, setrlimit};
    if let Ok((soft, hard)) = getrlimit(Resource::RLIMIT_NOFILE)
        && soft < hard
        && let Err(error) = setrlimit(Resource::RLIMIT_NOFILE, hard, hard)
    {
        tracing::warn!(%error, soft, hard, "raising the open-file limit failed");
    }
}

/// Loads the geo-IP databases (off the async threads: they are large files).
async fn open_geoip(paths: &[std::path::PathBuf]) -> anyhow::Result<Option<ingest::GeoIp>> {
    if paths.is_empty() {
        return Ok(None);
    }
    let owned = paths.to_vec();
    let geo = tokio::task::spawn_blocking(move || ingest::GeoIp::open(&owned)).await??;
    tracing::info!(databases = ?geo.paths(), "geo-ip enrichment on");
    Ok(Some(geo))
}

/// Resolves on SIGTERM or ctrl-c.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::error!(%error, "cannot listen for ctrl-c");
            std::future::pending::<()>().await;
        }
    };
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::error!(%error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutdown requested");
}
