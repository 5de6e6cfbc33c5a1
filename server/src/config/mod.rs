//! Typed settings, read once at start from an optional TOML file and `VIGIL_*` variables.
//!
//! This is the only module that reads the process environment (clippy's
//! `disallowed-methods` enforces it); everything else gets typed settings.
//! Secrets are `SecretString`s, so `Debug` and logs never show them.

use anyhow::{Context, bail};
use secrecy::SecretString;
use serde::Deserialize;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Returns the whole validated configuration of one Vigil process.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Where the HTTP server listens.
    pub listen: SocketAddr,
    /// Vigil's own state: the embedded Postgres cluster lives in `<data_dir>/postgres`.
    pub data_dir: PathBuf,
    /// The directory with the built SPA (`index.html`, wasm, css).
    pub static_dir: PathBuf,
    /// The database.
    pub database: DatabaseSettings,
    /// Sessions and cookies.
    pub session: SessionSettings,
    /// Login throttling.
    pub login: LoginSettings,
    /// HTTP limits.
    pub http: HttpSettings,
    /// Logging.
    pub log: LogSettings,
    /// Event intake.
    pub ingest: IngestSettings,
    /// Syslog listeners.
    pub syslog: SyslogSettings,
    /// The detection engine.
    pub detection: DetectionSettings,
    /// Audit checkpoints.
    pub audit: AuditSettings,
    /// The first admin's password; only used when the database has no user yet.
    pub admin_password: Option<SecretString>,
}

/// Returns how the audit chain is anchored (docs/security.md, 14).
#[derive(Debug, Clone)]
pub struct AuditSettings {
    /// The Ed25519 signing key; `<data dir>/audit-signing-key.p8` when unset.
    pub key_file: Option<PathBuf>,
    /// Further public keys (hex) whose checkpoints are believed: other
    /// instances, earlier keys.
    pub trusted_keys: Vec<String>,
    /// How often the newest record is signed.
    pub checkpoint_interval: Duration,
}

impl Settings {
    /// Returns where the audit signing key lives.
    pub fn audit_key_file(&self) -> PathBuf {
        self.audit
            .key_file
            .clone()
            .unwrap_or_else(|| self.data_dir.join("audit-signing-key.p8"))
    }
}

/// Returns where the events and everything else are stored.
#[derive(Debug, Clone)]
pub struct DatabaseSettings {
    /// An external Postgres; `None` runs an embedded one in the data directory.
    pub url: Option<SecretString>,
    /// The role that migrates (and prepares the app's role), when the app
    /// connects as another; see `docs/security.md`, 14.
    pub owner_url: Option<SecretString>,
    /// Connections for interactive requests.
    pub max_connections: u32,
    /// Connections for the detection engine and maintenance.
    pub background_connections: u32,
    /// Longest statement of an interactive request.
    pub statement_timeout: Duration,
    /// Longest statement of background work, writers and exports.
    pub background_statement_timeout: Duration,
    /// Where the embedded Postgres binaries live; found automatically when `None`.
    pub postgres_bin_dir: Option<PathBuf>,
}

/// Returns how sessions behave.
#[derive(Debug, Clone)]
pub struct SessionSettings {
    /// Lifetime of one signed token. Every request renews it, so this is also
    /// how long an unused session survives.
    pub token_ttl: Duration,
    /// A session ends this long after login, active or not.
    pub max_lifetime: Duration,
    /// Mark the cookie `Secure` (set this when Vigil is served over HTTPS).
    pub cookie_secure: bool,
}

/// Returns how failed logins are throttled.
#[derive(Debug, Clone)]
pub struct LoginSettings {
    /// Failures counted over this window.
    pub window: Duration,
    /// Failures allowed per username and client address within the window.
    pub max_failures_per_user: i64,
    /// Failures allowed per client address within the window, across usernames.
    pub max_failures_per_ip: i64,
    /// Failures per username, from any address, before each further attempt
    /// from an address the account never signed in from waits (1 s, doubling).
    pub account_free_failures: i64,
    /// The longest such wait.
    pub account_max_delay: Duration,
    /// Failures recorded one by one per window; beyond, they are counted.
    pub max_audited_failures: i64,
    /// Password verifications running at once.
    pub max_concurrent_verifications: usize,
    /// Sign-ins waiting for a verification; beyond, 503.
    pub verification_queue: usize,
}

/// Returns HTTP limits.
#[derive(Debug, Clone)]
pub struct HttpSettings {
    /// A request taking longer is answered 408.
    pub request_timeout: Duration,
    /// The largest accepted request body on ordinary API routes.
    pub body_limit_bytes: usize,
    /// Proxies whose `X-Forwarded-For` / `Forwarded` name the client.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// Open HTTP connections at most.
    pub max_connections: usize,
    /// Request headers must arrive within this (and an idle keep-alive
    /// connection's next request must begin within it).
    pub header_timeout: Duration,
    /// The largest request head accepted.
    pub max_header_bytes: usize,
    /// Exports running at once; beyond, 429.
    pub max_exports: usize,
    /// Exports one user (or key) may run at once.
    pub max_exports_per_user: usize,
}

/// Returns how events are accepted and stored.
#[derive(Debug, Clone)]
pub struct IngestSettings {
    /// The largest accepted body on the ingest routes.
    pub body_limit_bytes: usize,
    /// Events accepted but not yet committed before requests get 503.
    pub max_queued_events: usize,
    /// Bytes of such events (as stored rows) before requests get 503.
    pub max_queued_bytes: usize,
    /// The largest accepted event (its JSON text); larger ones are refused
    /// alone, as `too_large`.
    pub max_event_bytes: usize,
    /// Concurrent writers (database connections while writing).
    pub writers: usize,
    /// Default retention in days; events older than this are stored at their receive time, flagged.
    pub retention_days: u32,
    /// MaxMind DB files for geo-IP enrichment, in order of preference; none: no enrichment.
    pub geoip_databases: Vec<PathBuf>,
}

/// Returns how the detection engine runs.
#[derive(Debug, Clone)]
pub struct DetectionSettings {
    /// Whether this instance takes part in running rules (one instance of
    /// all that do leads; the others stand by).
    pub enabled: bool,
    /// How often rule state is saved; after a crash at most this much is
    /// evaluated again.
    pub checkpoint_interval: Duration,
    /// How often the engine looks for events without being woken, and how
    /// often a standby instance tries to take the lead.
    pub poll_interval: Duration,
    /// Most events evaluated in one round (one transaction of alerts).
    pub round_events: usize,
    /// Most bytes of events read for one round (at least one batch).
    pub round_bytes: usize,
}

impl Default for DetectionSettings {
    fn default() -> Self {
        DetectionSettings {
            enabled: true,
            checkpoint_interval: Duration::from_secs(10),
            poll_interval: Duration::from_secs(1),
            round_events: 20_000,
            round_bytes: 64 << 20,
        }
    }
}

/// Returns which syslog listeners run; each is off unless given an address.
#[derive(Debug, Clone)]
pub struct SyslogSettings {
    /// Address for RFC 5424/3164 over UDP, for example `0.0.0.0:5514`.
    pub udp: Option<SocketAddr>,
    /// Address for syslog over TCP (octet-counting or newline framing).
    pub tcp: Option<SocketAddr>,
    /// Open TCP connections at most.
    pub max_connections: usize,
    /// Open TCP connections per peer address at most.
    pub max_connections_per_peer: usize,
    /// A TCP connection that delivers no complete frame for this long is closed.
    pub idle_timeout: Duration,
}

/// Returns the log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LogFormat {
    /// Human-readable lines.
    Pretty,
    /// One JSON object per line, for log collectors.
    Json,
}

/// Returns logging settings.
#[derive(Debug, Clone)]
pub struct LogSettings {
    /// An `EnvFilter` directive, for example `info,vigil=debug`.
    pub filter: String,
    /// The output format.
    pub format: LogFormat,
}

/// Returns the file form of the settings: every field optional, unknown keys refused.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileSettings {
    listen: Option<String>,
    data_dir: Option<PathBuf>,
    static_dir: Option<PathBuf>,
    admin_password: Option<String>,
    #[serde(default)]
    database: FileDatabase,
    #[serde(default)]
    session: FileSession,
    #[serde(default)]
    login: FileLogin,
    #[serde(default)]
    http: FileHttp,
    #[serde(default)]
    log: FileLog,
    #[serde(default)]
    ingest: FileIngest,
    #[serde(default)]
    syslog: FileSyslog,
    #[serde(default)]
    detection: FileDetection,
    #[serde(default)]
    audit: FileAudit,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileAudit {
    key_file: Option<PathBuf>,
    trusted_keys: Option<Vec<String>>,
    checkpoint_secs: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileDetection {
    enabled: Option<bool>,
    checkpoint_interval_secs: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileSyslog {
    udp: Option<String>,
    tcp: Option<String>,
    max_connections: Option<usize>,
    max_connections_per_peer: Option<usize>,
    idle_timeout_secs: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileIngest {
    body_limit_bytes: Option<usize>,
    max_queued_events: Option<usize>,
    max_queued_bytes: Option<usize>,
    max_event_bytes: Option<usize>,
    writers: Option<usize>,
    retention_days: Option<u32>,
    geoip_databases: Option<Vec<PathBuf>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileDatabase {
    url: Option<String>,
    owner_url: Option<String>,
    max_connections: Option<u32>,
    background_connections: Option<u32>,
    statement_timeout_secs: Option<u64>,
    background_statement_timeout_secs: Option<u64>,
    postgres_bin_dir: Option<PathBuf>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileSession {
    token_ttl_secs: Option<u64>,
    max_lifetime_secs: Option<u64>,
    cookie_secure: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileLogin {
    window_secs: Option<u64>,
    max_failures_per_user: Option<i64>,
    max_failures_per_ip: Option<i64>,
    account_free_failures: Option<i64>,
    account_max_delay_secs: Option<u64>,
    max_audited_failures: Option<i64>,
    max_concurrent_verifications: Option<usize>,
    verification_queue: Option<usize>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileHttp {
    request_timeout_secs: Option<u64>,
    body_limit_bytes: Option<usize>,
    trusted_proxies: Option<Vec<String>>,
    max_connections: Option<usize>,
    header_timeout_secs: Option<u64>,
    max_header_bytes: Option<usize>,
    max_exports: Option<usize>,
    max_exports_per_user: Option<usize>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileLog {
    filter: Option<String>,
    format: Option<LogFormat>,
}

/// The environment variables Vigil reads; any other `VIGIL_*` variable is an
/// error, so a typo in a security setting cannot pass unnoticed.
pub const ENV_VARS: &[(&str, &str)] = &[
    ("VIGIL_CONFIG", "path of a TOML settings file"),
    (
        "VIGIL_LISTEN",
        "address:port to listen on (default 127.0.0.1:8080)",
    ),
    ("VIGIL_DATA_DIR", "state directory (default ./.vigil)"),
    ("VIGIL_STATIC_DIR", "built SPA directory (default ./dist)"),
    (
        "VIGIL_DATABASE_URL",
        "external Postgres URL; unset runs an embedded Postgres",
    ),
    (
        "VIGIL_DATABASE_OWNER_URL",
        "the owner's Postgres URL: migrates and prepares the app's role",
    ),
    (
        "VIGIL_DATABASE_MAX_CONNECTIONS",
        "connections for interactive requests (default 12)",
    ),
    (
        "VIGIL_DATABASE_BACKGROUND_CONNECTIONS",
        "connections for the engine and maintenance (default 4)",
    ),
    (
        "VIGIL_DATABASE_STATEMENT_TIMEOUT_SECS",
        "longest statement of a request (default 30)",
    ),
    (
        "VIGIL_DATABASE_BACKGROUND_STATEMENT_TIMEOUT_SECS",
        "longest statement of background work and exports (default 600)",
    ),
    (
        "VIGIL_POSTGRES_BIN_DIR",
        "directory holding initdb and postgres",
    ),
    (
        "VIGIL_ADMIN_PASSWORD",
        "password of the first admin account",
    ),
    ("VIGIL_COOKIE_SECURE", "true when served over HTTPS"),
    (
        "VIGIL_SESSION_TOKEN_TTL_SECS",
        "session token lifetime (default 900)",
    ),
    (
        "VIGIL_SESSION_MAX_LIFETIME_SECS",
        "absolute session lifetime (default 43200)",
    ),
    (
        "VIGIL_LOGIN_WINDOW_SECS",
        "failed-login counting window (default 900)",
    ),
    (
        "VIGIL_LOGIN_MAX_FAILURES_PER_USER",
        "failures per username and address (default 5)",
    ),
    (
        "VIGIL_LOGIN_MAX_FAILURES_PER_IP",
        "failures per address (default 20)",
    ),
    (
        "VIGIL_LOGIN_ACCOUNT_FREE_FAILURES",
        "failures per username before new addresses wait (default 5)",
    ),
    (
        "VIGIL_LOGIN_ACCOUNT_MAX_DELAY_SECS",
        "longest wait per username (default 60)",
    ),
    (
        "VIGIL_LOGIN_MAX_AUDITED_FAILURES",
        "failed sign-ins recorded one by one per window (default 1000)",
    ),
    (
        "VIGIL_LOGIN_MAX_CONCURRENT_VERIFICATIONS",
        "password verifications at once (default 4)",
    ),
    (
        "VIGIL_LOGIN_VERIFICATION_QUEUE",
        "sign-ins waiting to verify before 503 (default 32)",
    ),
    (
        "VIGIL_AUDIT_SIGNING_KEY_FILE",
        "Ed25519 key signing audit checkpoints (default <data dir>/audit-signing-key.p8)",
    ),
    (
        "VIGIL_AUDIT_TRUSTED_KEYS",
        "comma-separated hex public keys whose checkpoints are believed too",
    ),
    (
        "VIGIL_AUDIT_CHECKPOINT_SECS",
        "how often the audit chain is signed (default 60)",
    ),
    (
        "VIGIL_TRUSTED_PROXIES",
        "comma-separated CIDRs of reverse proxies whose X-Forwarded-For is believed (default none)",
    ),
    ("VIGIL_REQUEST_TIMEOUT_SECS", "request timeout (default 30)"),
    (
        "VIGIL_HTTP_MAX_CONNECTIONS",
        "open HTTP connections at most (default 4096)",
    ),
    (
        "VIGIL_HTTP_HEADER_TIMEOUT_SECS",
        "request headers must arrive within this (default 10)",
    ),
    (
        "VIGIL_HTTP_MAX_HEADER_BYTES",
        "largest request head (default 65536)",
    ),
    (
        "VIGIL_EXPORT_MAX_CONCURRENT",
        "exports running at once (default 4)",
    ),
    (
        "VIGIL_EXPORT_MAX_PER_USER",
        "exports one user runs at once (default 2)",
    ),
    ("VIGIL_BODY_LIMIT_BYTES", "API body limit (default 1048576)"),
    (
        "VIGIL_INGEST_BODY_LIMIT_BYTES",
        "ingest body limit (default 33554432)",
    ),
    (
        "VIGIL_INGEST_MAX_QUEUED_EVENTS",
        "events queued before 503 (default 50000)",
    ),
    (
        "VIGIL_INGEST_MAX_QUEUED_BYTES",
        "bytes of events queued before 503 (default 268435456)",
    ),
    (
        "VIGIL_INGEST_MAX_EVENT_BYTES",
        "largest accepted event (default 1048576)",
    ),
    (
        "VIGIL_INGEST_WRITERS",
        "concurrent event writers (default 4)",
    ),
    (
        "VIGIL_RETENTION_DAYS",
        "default event retention in days (default 90)",
    ),
    (
        "VIGIL_DETECTION",
        "run detection rules on this instance: true or false (default true)",
    ),
    (
        "VIGIL_DETECTION_CHECKPOINT_SECS",
        "seconds between saves of rule state (default 10)",
    ),
    (
        "VIGIL_SYSLOG_UDP",
        "syslog UDP listen address, e.g. 0.0.0.0:5514 (default off)",
    ),
    (
        "VIGIL_SYSLOG_TCP",
        "syslog TCP listen address, e.g. 0.0.0.0:5514 (default off)",
    ),
    (
        "VIGIL_SYSLOG_MAX_CONNECTIONS",
        "open syslog TCP connections at most (default 1024)",
    ),
    (
        "VIGIL_SYSLOG_MAX_CONNECTIONS_PER_PEER",
        "open syslog TCP connections per peer address (default 64)",
    ),
    (
        "VIGIL_SYSLOG_IDLE_TIMEOUT_SECS",
        "close a syslog TCP connection after this long without a complete message (default 600)",
    ),
    (
        "VIGIL_GEOIP_DATABASES",
        "comma-separated MaxMind DB files for geo-IP enrichment (default none)",
    ),
    ("VIGIL_LOG", "log filter (default info)"),
    ("VIGIL_LOG_FORMAT", "pretty or json (default pretty)"),
];

impl Settings {
    /// Returns the settings from the process environment and the file it names.
    pub fn from_process_env(config_file: Option<&Path>) -> anyhow::Result<Settings> {
        #[allow(
            clippy::disallowed_methods,
            reason = "the one place that reads the environment"
        )]
        let vars: Vec<(String, String)> = std::env::vars().collect();
        Settings::from_sources(config_file, &vars)
    }

    /// Returns the settings from `vars` (name, value pairs) and an optional file.
    ///
    /// Precedence: environment over file over defaults. `VIGIL_CONFIG` in
    /// `vars` names the file when `config_file` is `None`.
    pub fn from_sources(
        config_file: Option<&Path>,
        vars: &[(String, String)],
    ) -> anyhow::Result<Settings> {
        for (name, _) in vars {
            if name.starts_with("VIGIL_") && !ENV_VARS.iter().any(|(known, _)| known == name) {
                bail!(
                    "unknown environment variable {name}; known VIGIL_* variables: {}",
                    ENV_VARS
                        .iter()
                        .map(|(n, _)| *n)
                        .collect::<Vec<_>>()
                        .join(", ")
                );
            }
        }
        let env = |name: &str| -> Option<&str> {
            vars.iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.as_str())
                .filter(|v| !v.is_empty())
        };

        let file_path = config_file
            .map(Path::to_path_buf)
            .or_else(|| env("VIGIL_CONFIG").map(PathBuf::from));
        let file: FileSettings = match &file_path {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .with_context(|| format!("reading settings file {}", path.display()))?;
                toml::from_str(&text)
                    .with_context(|| format!("parsing settings file {}", path.display()))?
            }
            None => FileSettings::default(),
        };

        let listen_text = env("VIGIL_LISTEN")
            .map(str::to_owned)
            .or(file.listen)
            .unwrap_or_else(|| "127.0.0.1:8080".to_owned());
        let listen: SocketAddr = listen_text.parse().with_context(|| {
            format!("VIGIL_LISTEN / listen: {listen_text:?} is not an address:port")
        })?;

        let secret = |value: String| -> SecretString { SecretString::from(value) };

        let settings = Settings {
            listen,
            data_dir: env("VIGIL_DATA_DIR")
                .map(PathBuf::from)
                .or(file.data_dir)
                .unwrap_or_else(|| PathBuf::from(".vigil")),
            static_dir: env("VIGIL_STATIC_DIR")
                .map(PathBuf::from)
                .or(file.static_dir)
                .unwrap_or_else(|| PathBuf::from("dist")),
            admin_password: env("VIGIL_ADMIN_PASSWORD")
                .map(str::to_owned)
                .or(file.admin_password)
                .map(secret),
            database: DatabaseSettings {
                url: env("VIGIL_DATABASE_URL")
                    .map(str::to_owned)
                    .or(file.database.url)
                    .map(secret),
                owner_url: env("VIGIL_DATABASE_OWNER_URL")
                    .map(str::to_owned)
                    .or(file.database.owner_url)
                    .map(secret),
                max_connections: parse_env(env, "VIGIL_DATABASE_MAX_CONNECTIONS")?
                    .or(file.database.max_connections)
                    .unwrap_or(12),
                background_connections: parse_env(env, "VIGIL_DATABASE_BACKGROUND_CONNECTIONS")?
                    .or(file.database.background_connections)
                    .unwrap_or(4),
                statement_timeout: secs(
                    parse_env(env, "VIGIL_DATABASE_STATEMENT_TIMEOUT_SECS")?
                        .or(file.database.statement_timeout_secs),
                    30,
                ),
                background_statement_timeout: secs(
                    parse_env(env, "VIGIL_DATABASE_BACKGROUND_STATEMENT_TIMEOUT_SECS")?
                        .or(file.database.background_statement_timeout_secs),
                    600,
                ),
                postgres_bin_dir: env("VIGIL_POSTGRES_BIN_DIR")
                    .map(PathBuf::from)
                    .or(file.database.postgres_bin_dir),
            },
            session: SessionSettings {
                token_ttl: secs(
                    parse_env(env, "VIGIL_SESSION_TOKEN_TTL_SECS")?.or(file.session.token_ttl_secs),
                    900,
                ),
                max_lifetime: secs(
                    parse_env(env, "VIGIL_SESSION_MAX_LIFETIME_SECS")?
                        .or(file.session.max_lifetime_secs),
                    12 * 3600,
                ),
                // Reachable from other machines means served over HTTPS
                // (through a TLS proxy): cookies are `Secure` unless told
                // otherwise. Browsers accept them on http://localhost too.
                cookie_secure: parse_env(env, "VIGIL_COOKIE_SECURE")?
                    .or(file.session.cookie_secure)
                    .unwrap_or(!listen.ip().is_loopback()),
            },
            login: LoginSettings {
                window: secs(
                    parse_env(env, "VIGIL_LOGIN_WINDOW_SECS")?.or(file.login.window_secs),
                    900,
                ),
                max_failures_per_user: parse_env(env, "VIGIL_LOGIN_MAX_FAILURES_PER_USER")?
                    .or(file.login.max_failures_per_user)
                    .unwrap_or(5),
                max_failures_per_ip: parse_env(env, "VIGIL_LOGIN_MAX_FAILURES_PER_IP")?
                    .or(file.login.max_failures_per_ip)
                    .unwrap_or(20),
                account_free_failures: parse_env(env, "VIGIL_LOGIN_ACCOUNT_FREE_FAILURES")?
                    .or(file.login.account_free_failures)
                    .unwrap_or(5),
                account_max_delay: secs(
                    parse_env(env, "VIGIL_LOGIN_ACCOUNT_MAX_DELAY_SECS")?
                        .or(file.login.account_max_delay_secs),
                    60,
                ),
                max_audited_failures: parse_env(env, "VIGIL_LOGIN_MAX_AUDITED_FAILURES")?
                    .or(file.login.max_audited_failures)
                    .unwrap_or(1000),
                max_concurrent_verifications: parse_env(
                    env,
                    "VIGIL_LOGIN_MAX_CONCURRENT_VERIFICATIONS",
                )?
                .or(file.login.max_concurrent_verifications)
                .unwrap_or(4),
                verification_queue: parse_env(env, "VIGIL_LOGIN_VERIFICATION_QUEUE")?
                    .or(file.login.verification_queue)
                    .unwrap_or(32),
            },
            http: HttpSettings {
                request_timeout: secs(
                    parse_env(env, "VIGIL_REQUEST_TIMEOUT_SECS")?
                        .or(file.http.request_timeout_secs),
                    30,
                ),
                body_limit_bytes: parse_env(env, "VIGIL_BODY_LIMIT_BYTES")?
                    .or(file.http.body_limit_bytes)
                    .unwrap_or(1024 * 1024),
                max_connections: parse_env(env, "VIGIL_HTTP_MAX_CONNECTIONS")?
                    .or(file.http.max_connections)
                    .unwrap_or(4096),
                header_timeout: secs(
                    parse_env(env, "VIGIL_HTTP_HEADER_TIMEOUT_SECS")?
                        .or(file.http.header_timeout_secs),
                    10,
                ),
                max_header_bytes: parse_env(env, "VIGIL_HTTP_MAX_HEADER_BYTES")?
                    .or(file.http.max_header_bytes)
                    .unwrap_or(64 * 1024),
                max_exports: parse_env(env, "VIGIL_EXPORT_MAX_CONCURRENT")?
                    .or(file.http.max_exports)
                    .unwrap_or(4),
                max_exports_per_user: parse_env(env, "VIGIL_EXPORT_MAX_PER_USER")?
                    .or(file.http.max_exports_per_user)
                    .unwrap_or(2),
                trusted_proxies: match env("VIGIL_TRUSTED_PROXIES") {
                    Some(list) => cidrs(list.split(','), "VIGIL_TRUSTED_PROXIES")?,
                    None => cidrs(
                        file.http
                            .trusted_proxies
                            .iter()
                            .flatten()
                            .map(String::as_str),
                        "http.trusted_proxies",
                    )?,
                },
            },
            ingest: IngestSettings {
                body_limit_bytes: parse_env(env, "VIGIL_INGEST_BODY_LIMIT_BYTES")?
                    .or(file.ingest.body_limit_bytes)
                    .unwrap_or(32 * 1024 * 1024),
                max_queued_events: parse_env(env, "VIGIL_INGEST_MAX_QUEUED_EVENTS")?
                    .or(file.ingest.max_queued_events)
                    .unwrap_or(50_000),
                max_queued_bytes: parse_env(env, "VIGIL_INGEST_MAX_QUEUED_BYTES")?
                    .or(file.ingest.max_queued_bytes)
                    .unwrap_or(256 * 1024 * 1024),
                max_event_bytes: parse_env(env, "VIGIL_INGEST_MAX_EVENT_BYTES")?
                    .or(file.ingest.max_event_bytes)
                    .unwrap_or(1024 * 1024),
                writers: parse_env(env, "VIGIL_INGEST_WRITERS")?
                    .or(file.ingest.writers)
                    .unwrap_or(4),
                retention_days: parse_env(env, "VIGIL_RETENTION_DAYS")?
                    .or(file.ingest.retention_days)
                    .unwrap_or(90),
                geoip_databases: match env("VIGIL_GEOIP_DATABASES") {
                    Some(list) => list
                        .split(',')
                        .map(str::trim)
                        .filter(|path| !path.is_empty())
                        .map(PathBuf::from)
                        .collect(),
                    None => file.ingest.geoip_databases.unwrap_or_default(),
                },
            },
            audit: AuditSettings {
                key_file: env("VIGIL_AUDIT_SIGNING_KEY_FILE")
                    .map(PathBuf::from)
                    .or(file.audit.key_file),
                trusted_keys: match env("VIGIL_AUDIT_TRUSTED_KEYS") {
                    Some(list) => list
                        .split(',')
                        .map(str::trim)
                        .filter(|k| !k.is_empty())
                        .map(str::to_owned)
                        .collect(),
                    None => file.audit.trusted_keys.unwrap_or_default(),
                },
                checkpoint_interval: secs(
                    parse_env(env, "VIGIL_AUDIT_CHECKPOINT_SECS")?.or(file.audit.checkpoint_secs),
                    60,
                ),
            },
            detection: DetectionSettings {
                enabled: parse_env(env, "VIGIL_DETECTION")?
                    .or(file.detection.enabled)
                    .unwrap_or(true),
                checkpoint_interval: secs(
                    parse_env(env, "VIGIL_DETECTION_CHECKPOINT_SECS")?
                        .or(file.detection.checkpoint_interval_secs),
                    10,
                ),
                ..DetectionSettings::default()
            },
            syslog: SyslogSettings {
                udp: listen_address(
                    env("VIGIL_SYSLOG_UDP")
                        .map(str::to_owned)
                        .or(file.syslog.udp),
                    "VIGIL_SYSLOG_UDP",
                )?,
                tcp: listen_address(
                    env("VIGIL_SYSLOG_TCP")
                        .map(str::to_owned)
                        .or(file.syslog.tcp),
                    "VIGIL_SYSLOG_TCP",
                )?,
                max_connections: parse_env(env, "VIGIL_SYSLOG_MAX_CONNECTIONS")?
                    .or(file.syslog.max_connections)
                    .unwrap_or(1024),
                max_connections_per_peer: parse_env(env, "VIGIL_SYSLOG_MAX_CONNECTIONS_PER_PEER")?
                    .or(file.syslog.max_connections_per_peer)
                    .unwrap_or(64),
                idle_timeout: secs(
                    parse_env(env, "VIGIL_SYSLOG_IDLE_TIMEOUT_SECS")?
                        .or(file.syslog.idle_timeout_secs),
                    600,
                ),
            },
            log: LogSettings {
                filter: env("VIGIL_LOG")
                    .map(str::to_owned)
                    .or(file.log.filter)
                    .unwrap_or_else(|| "info".to_owned()),
                format: match env("VIGIL_LOG_FORMAT") {
                    Some("json") => LogFormat::Json,
                    Some("pretty") => LogFormat::Pretty,
                    Some(other) => bail!("VIGIL_LOG_FORMAT: {other:?} is neither pretty nor json"),
                    None => file.log.format.unwrap_or(LogFormat::Pretty),
                },
            },
        };
        settings.validate()?;
        Ok(settings)
    }

    fn validate(&self) -> anyhow::Result<()> {
        let s = &self.session;
        if s.token_ttl.as_secs() < 30 {
            bail!("session token ttl must be at least 30 seconds");
        }
        if s.max_lifetime < s.token_ttl {
            bail!("session max lifetime must not be shorter than the token ttl");
        }
        if self.database.max_connections < 2 {
            bail!("database max_connections must be at least 2");
        }
        let login = &self.login;
        if login.max_failures_per_user < 1
            || login.max_failures_per_ip < 1
            || login.account_free_failures < 1
            || login.max_audited_failures < 1
        {
            bail!("login failure limits must be at least 1");
        }
        if login.max_concurrent_verifications < 1 {
            bail!("at least one password verification must be able to run");
        }
        if login.window.as_secs() < 1 {
            bail!("the login window must be at least 1 second");
        }
        if self.http.body_limit_bytes < 1024 {
            bail!("http body limit must be at least 1024 bytes");
        }
        let ingest = &self.ingest;
        if ingest.body_limit_bytes < 1024 || ingest.max_queued_events < 1000 {
            bail!(
                "ingest body limit must be at least 1024 bytes and the queue at least 1000 events"
            );
        }
        if ingest.max_event_bytes < 1024 || ingest.max_queued_bytes < ingest.max_event_bytes {
            bail!(
                "the event size limit must be at least 1024 bytes and the queue hold at least one event"
            );
        }
        if !(1..=16).contains(&ingest.writers) {
            bail!("ingest writers must be between 1 and 16");
        }
        let database = &self.database;
        if database.max_connections < 2 || database.background_connections < 2 {
            bail!("the interactive and background connection budgets must be at least 2 each");
        }
        if database.statement_timeout.as_secs() < 1
            || database.background_statement_timeout < database.statement_timeout
        {
            bail!(
                "the statement timeout must be at least 1 second, and the background one no shorter"
            );
        }
        if ingest.retention_days < 1 {
            bail!("retention must be at least one day");
        }
        let syslog = &self.syslog;
        if syslog.max_connections < 1 || syslog.max_connections_per_peer < 1 {
            bail!("syslog connection limits must be at least 1");
        }
        if syslog.idle_timeout.as_secs() < 1 {
            bail!("the syslog idle timeout must be at least 1 second");
        }
        if self.http.max_connections < 1 || self.http.header_timeout.as_secs() < 1 {
            bail!("the HTTP connection cap and header timeout must be at least 1");
        }
        if self.http.max_exports < 1 || self.http.max_exports_per_user < 1 {
            bail!("at least one export must be able to run");
        }
        if self.http.max_header_bytes < 8192 {
            bail!("the HTTP header limit must be at least 8192 bytes");
        }
        if self.audit.checkpoint_interval.as_secs() < 1 {
            bail!("the audit checkpoint interval must be at least 1 second");
        }
        if self.http.request_timeout.as_secs() < 1 {
            bail!("request timeout must be at least 1 second");
        }
        if let Some(password) = &self.admin_password {
            use secrecy::ExposeSecret;
            let length = password.expose_secret().chars().count();
            if length < app::users::CreateUserRequest::MIN_PASSWORD_LEN {
                bail!(
                    "VIGIL_ADMIN_PASSWORD must be at least {} characters",
                    app::users::CreateUserRequest::MIN_PASSWORD_LEN
                );
            }
        }
        Ok(())
    }
}

fn listen_address(value: Option<String>, name: &str) -> anyhow::Result<Option<SocketAddr>> {
    match value.as_deref().map(str::trim) {
        None | Some("") | Some("off") => Ok(None),
        Some(text) => text
            .parse()
            .map(Some)
            .with_context(|| format!("{name}: {text:?} is not an address:port")),
    }
}

fn secs(value: Option<u64>, default: u64) -> Duration {
    Duration::from_secs(value.unwrap_or(default))
}

/// Reads CIDRs (a bare address is a single host).
fn cidrs<'a>(
    items: impl Iterator<Item = &'a str>,
    name: &str,
) -> anyhow::Result<Vec<ipnet::IpNet>> {
    items
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(|item| {
            item.parse::<ipnet::IpNet>()
                .or_else(|_| item.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                .map_err(|_| anyhow::anyhow!("{name}: {item:?} is not a CIDR or an address"))
        })
        .collect()
}

fn parse_env<'a, T>(env: impl Fn(&str) -> Option<&'a str>, name: &str) -> anyhow::Result<Option<T>>
where
    T: std::str::FromStr,
    T::Err: std::fmt::Display,
{
    match env(name) {
        None => Ok(None),
        Some(raw) => raw
            .trim()
            .parse::<T>()
            .map(Some)
            .map_err(|e| anyhow::anyhow!("{name}: {raw:?} is invalid: {e}")),
    }
}

#[cfg(test)]
mod tests;
