//! The command line: `vigil serve` (default), `vigil migrate`, `vigil postgres`, `vigil user`.

use crate::config::{ENV_VARS, Settings};
use crate::db::{self, Database, EmbeddedPostgres};
use crate::startup::{self, Application};
use crate::users::{self, Bootstrap};
use anyhow::{Context, bail};
use app::auth::Username;
use clap::{Parser, Subcommand};
use secrecy::SecretString;
use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

/// Vigil: an open-source SIEM.
#[derive(Debug, Parser)]
#[command(name = "vigil", version, about, after_help = env_help())]
struct Cli {
    /// A TOML settings file (also VIGIL_CONFIG); environment variables override it.
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the server (the default).
    Serve {
        /// When no event is stored yet, load this many realistic demo events
        /// (the last 24 hours, tagged `demo`) so a new install has data to explore.
        #[arg(long, value_name = "EVENTS")]
        demo_data: Option<u64>,
    },
    /// Apply database migrations and exit.
    Migrate,
    /// Run only the embedded Postgres of the data directory, until ctrl-c or SIGTERM.
    Postgres {
        /// Write the connection URL to this file once the server is ready.
        #[arg(long)]
        url_file: Option<PathBuf>,
    },
    /// Manage local accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// Send realistic generated events to a running Vigil over HTTP bulk.
    Loadgen(LoadgenArgs),
    /// Benchmarks against the configured database.
    #[command(subcommand)]
    Bench(BenchCommand),
}

#[derive(Debug, clap::Args)]
struct LoadgenArgs {
    /// Vigil's base URL.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    url: String,
    /// An API key with the ingest scope.
    #[arg(long)]
    key: String,
    /// How many events to send.
    #[arg(long, default_value_t = 100_000)]
    events: u64,
    /// Concurrent connections.
    #[arg(long, default_value_t = 4)]
    connections: usize,
    /// Events per request.
    #[arg(long, default_value_t = 1000)]
    batch: usize,
    /// Spread event times over this many days before now.
    #[arg(long, default_value_t = 1)]
    days: u32,
    /// Cap on events per second (default: as fast as Vigil accepts).
    #[arg(long)]
    rate: Option<f64>,
    /// Generator seed (the same seed sends the same events).
    #[arg(long, default_value_t = 1)]
    seed: u64,
}

#[derive(Debug, Subcommand)]
enum BenchCommand {
    /// Raw binary COPY of generated events into a scratch copy of `events`: the ingest baseline.
    Copy {
        /// How many events.
        #[arg(long, default_value_t = 1_000_000)]
        events: u64,
        /// Spread event times over this many days before now.
        #[arg(long, default_value_t = 1)]
        days: u32,
        /// Generator seed.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Rows per COPY transaction.
        #[arg(long, default_value_t = 10_000)]
        batch: usize,
        /// Concurrent connections.
        #[arg(long, default_value_t = 2)]
        connections: usize,
    },
    /// Fill `events` with generated events by binary COPY (the search benchmark's data).
    Load {
        /// How many events.
        #[arg(long, default_value_t = 10_000_000)]
        events: u64,
        /// Spread event times over this many days before now.
        #[arg(long, default_value_t = 7)]
        days: u32,
        /// Generator seed.
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// Time the search issue's queries against a running Vigil, warm, several runs each.
    Search {
        /// Vigil's base URL.
        #[arg(long, default_value = "http://127.0.0.1:8080")]
        url: String,
        /// A user with the events:search permission.
        #[arg(long, default_value = "admin")]
        user: String,
        /// Its password (or the BENCH_PASSWORD environment variable).
        #[arg(long, env = "BENCH_PASSWORD")]
        password: String,
        /// Timed runs per query (after two warm-ups).
        #[arg(long, default_value_t = 20)]
        runs: usize,
    },
}

#[derive(Debug, Subcommand)]
enum UserCommand {
    /// Set a local account's password, read from standard input (for a
    /// locked-out admin); the account's sessions end.
    SetPassword {
        /// The account's username.
        username: String,
    },
    /// Disable an account: sign-in refused, every session ended at once.
    Disable {
        /// The account's username.
        username: String,
    },
    /// Enable a disabled account.
    Enable {
        /// The account's username.
        username: String,
    },
    /// End every session of an account at once.
    RevokeSessions {
        /// The account's username.
        username: String,
    },
}

fn env_help() -> String {
    let mut help = String::from("Environment:\n");
    for (name, description) in ENV_VARS {
        help.push_str(&format!("  {name:<36} {description}\n"));
    }
    help
}

/// Runs the command line; returns the process exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let settings = match Settings::from_process_env(cli.config.as_deref()) {
        Ok(settings) => settings,
        Err(error) => {
            report(&format!("vigil: invalid configuration: {error:#}"));
            return ExitCode::from(2);
        }
    };
    if let Err(error) = crate::telemetry::init(
        &settings.log,
        std::io::stderr,
        std::io::stderr().is_terminal(),
    ) {
        report(&format!("vigil: {error:#}"));
        return ExitCode::from(2);
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            report(&format!("vigil: cannot start the async runtime: {error}"));
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async move {
        match cli.command.unwrap_or(Command::Serve { demo_data: None }) {
            Command::Serve { demo_data } => serve(settings, demo_data).await,
            Command::Migrate => migrate(settings).await,
            Command::Postgres { url_file } => postgres(settings, url_file).await,
            Command::User(UserCommand::SetPassword { username }) => {
                set_password(settings, &username).await
            }
            Command::User(UserCommand::Disable { username }) => {
                user_access(settings, &username, UserAccess::Disable).await
            }
            Command::User(UserCommand::Enable { username }) => {
                user_access(settings, &username, UserAccess::Enable).await
            }
            Command::User(UserCommand::RevokeSessions { username }) => {
                user_access(settings, &username, UserAccess::RevokeSessions).await
            }
            Command::Loadgen(args) => loadgen(args).await,
            Command::Bench(BenchCommand::Copy {
                events,
                days,
                seed,
                batch,
                connections,
            }) => bench_copy(settings, events, days, seed, batch, connections).await,
            Command::Bench(BenchCommand::Load { events, days, seed }) => {
                bench_load(settings, events, days, seed).await
            }
            Command::Bench(BenchCommand::Search {
                url,
                user,
                password,
                runs,
            }) => bench_search(&url, &user, &password, runs).await,
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!(error = format!("{error:#}"), "vigil stopped with an error");
            report(&format!("vigil: {error:#}"));
            ExitCode::FAILURE
        }
    }
}

#[allow(
    clippy::print_stderr,
    reason = "the command line talks to its operator on stderr"
)]
fn report(message: &str) {
    eprintln!("{message}");
}

async fn serve(settings: Settings, demo_data: Option<u64>) -> anyhow::Result<()> {
    let app = Application::build(settings.clone()).await?;
    if let Some(events) = demo_data.filter(|n| *n > 0) {
        app.load_demo_data(events);
    }
    let address = app.local_addr()?;
    if let Some(log) = app.embedded_postgres_log() {
        tracing::info!(log = %log.display(), "using the embedded postgres");
    }
    let login_hint = match app.bootstrap() {
        Bootstrap::AlreadyInitialised => "sign in with your account".to_owned(),
        Bootstrap::CreatedWithConfiguredPassword => {
            "sign in as `admin` with the password from VIGIL_ADMIN_PASSWORD".to_owned()
        }
        Bootstrap::CreatedWithGeneratedPassword(password) => {
            generated_password_hint(&settings.data_dir, password)?
        }
    };
    let (udp, tcp) = app.syslog_addresses();
    let syslog = match (udp, tcp) {
        (None, None) => String::new(),
        (udp, tcp) => format!(
            "\n  syslog: {}{}",
            udp.map(|a| format!("udp {a} ")).unwrap_or_default(),
            tcp.map(|a| format!("tcp {a}")).unwrap_or_default()
        ),
    };
    report(&format!(
        "\n  Vigil {} is running at http://{address}/{syslog}\n  {login_hint}\n",
        app::VERSION
    ));
    tracing::info!(%address, version = app::VERSION, "vigil is serving");
    app.run_until(startup::shutdown_signal()).await
}

/// Tells the operator the first admin's generated password: on their
/// terminal, or, when stderr goes elsewhere (Docker, journald keep it for
/// years), in a file only the owner may read, naming the file instead.
fn generated_password_hint(
    data_dir: &std::path::Path,
    password: &secrecy::SecretString,
) -> anyhow::Result<String> {
    use secrecy::ExposeSecret;
    use std::os::unix::fs::OpenOptionsExt;
    if std::io::stderr().is_terminal() {
        return Ok(format!(
            "sign in as `admin` with the generated password {}\n  (shown only this once; change it with `vigil user set-password admin`)",
            password.expose_secret()
        ));
    }
    let path = data_dir.join("initial-admin-password");
    std::fs::create_dir_all(data_dir)?;
    let _ = std::fs::remove_file(&path);
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&path)
        .with_context(|| format!("writing {}", path.display()))?;
    writeln!(file, "{}", password.expose_secret())?;
    Ok(format!(
        "sign in as `admin` with the generated password in {} (readable by this user only; delete it once read, and change the password with `vigil user set-password admin`)",
        path.display()
    ))
}

async fn migrate(settings: Settings) -> anyhow::Result<()> {
    // Opening migrates (as the owner, when one is configured).
    let database = Database::open(&settings.database, &settings.data_dir).await?;
    database.close().await?;
    tracing::info!("migrations applied");
    Ok(())
}

async fn postgres(settings: Settings, url_file: Option<PathBuf>) -> anyhow::Result<()> {
    if settings.database.url.is_some() {
        bail!("VIGIL_DATABASE_URL is set: there is no embedded postgres to run");
    }
    let cluster = EmbeddedPostgres::start(
        &settings.data_dir,
        settings.database.postgres_bin_dir.as_deref(),
    )
    .await?;
    let url = cluster.url(db::embedded::DB_NAME);
    if let Some(path) = url_file {
        std::fs::write(&path, format!("{url}\n"))
            .with_context(|| format!("writing {}", path.display()))?;
    }
    report(&format!("embedded postgres is ready: {url}"));
    startup::shutdown_signal().await;
    cluster.stop().await
}

/// What `vigil user disable|enable|revoke-sessions` does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum UserAccess {
    Disable,
    Enable,
    RevokeSessions,
}

async fn user_access(settings: Settings, username: &str, what: UserAccess) -> anyhow::Result<()> {
    let username = Username::parse(username).map_err(|e| anyhow::anyhow!("{e}"))?;
    let database = Database::open(&settings.database, &settings.data_dir).await?;
    let result = async {
        let mut tx = database.pool.begin().await?;
        let Some(id) = users::repo::fetch_user_id(&mut *tx, &username).await? else {
            bail!("no account named {username}");
        };
        if what != UserAccess::RevokeSessions {
            let disabled = what == UserAccess::Disable;
            users::repo::set_disabled(&mut *tx, app::ids::UserId(id), disabled).await?;
        }
        let revoked = if what == UserAccess::Enable {
            0
        } else {
            users::repo::revoke_sessions(&mut *tx, id).await?
        };
        let action = match what {
            UserAccess::Disable => "user.disable",
            UserAccess::Enable => "user.enable",
            UserAccess::RevokeSessions => "user.sessions.revoke",
        };
        let record = crate::audit::AuditRecord::system(action)
            .target(username.to_string())
            .details(serde_json::json!({ "via": "command line", "sessions_revoked": revoked }));
        crate::audit::repo::insert_audit_record(&mut *tx, &record).await?;
        tx.commit().await?;
        Ok(revoked)
    }
    .await;
    database.close().await?;
    let revoked = result?;
    report(&match what {
        UserAccess::Disable => format!("{username} disabled; {revoked} sessions ended"),
        UserAccess::Enable => format!("{username} enabled"),
        UserAccess::RevokeSessions => format!("{revoked} sessions of {username} ended"),
    });
    Ok(())
}

async fn set_password(settings: Settings, username: &str) -> anyhow::Result<()> {
    let username = Username::parse(username).map_err(|e| anyhow::anyhow!("{e}"))?;
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        #[allow(clippy::print_stderr, reason = "interactive prompt")]
        {
            eprint!("new password for {username} (input is shown): ");
            std::io::stderr().flush()?;
        }
    }
    let mut line = String::new();
    stdin.lock().read_line(&mut line)?;
    let password = SecretString::from(line.trim_end_matches(['\r', '\n']).to_owned());
    if !users::password_long_enough(&password) {
        bail!(
            "the password must be at least {} characters",
            app::users::CreateUserRequest::MIN_PASSWORD_LEN
        );
    }
    let database = Database::open(&settings.database, &settings.data_dir).await?;
    let result = async {
        let hash = crate::auth::password::hash_password(password).await?;
        let mut tx = database.pool.begin().await?;
        if !users::repo::set_password_hash(&mut *tx, &username, &hash).await? {
            bail!("no local account named {username}");
        }
        // Whoever knew the old password may hold a session: end them all.
        let revoked = match users::repo::fetch_user_id(&mut *tx, &username).await? {
            Some(id) => users::repo::revoke_sessions(&mut *tx, id).await?,
            None => 0,
        };
        let record = crate::audit::AuditRecord::system("user.set_password")
            .target(username.to_string())
            .details(serde_json::json!({ "via": "command line", "sessions_revoked": revoked }));
        crate::audit::repo::insert_audit_record(&mut *tx, &record).await?;
        tx.commit().await?;
        Ok(())
    }
    .await;
    database.close().await?;
    result?;
    report(&format!("password of {username} changed"));
    Ok(())
}

async fn loadgen(args: LoadgenArgs) -> anyhow::Result<()> {
    let options = crate::loadgen::LoadgenOptions {
        url: args.url,
        key: args.key,
        events: args.events,
        connections: args.connections,
        batch: args.batch,
        days: args.days,
        rate: args.rate,
        seed: args.seed,
    };
    let total = options.events;
    report(&format!(
        "sending {total} events in batches of {} over {} connections to {}",
        options.batch, options.connections, options.url
    ));
    let result = crate::loadgen::run(options, move |accepted, elapsed| {
        let rate = accepted as f64 / elapsed.as_secs_f64().max(0.001);
        report(&format!(
            "  {accepted:>10} / {total} stored  {rate:>9.0} events/s  {:>6.1} s",
            elapsed.as_secs_f64()
        ));
    })
    .await?;
    report(&format!(
        "stored {} events ({} rejected, {} retried requests) in {:.1} s: {:.0} events/s, {:.1} MB/s; \
         request latency p50 {:.0} ms, p95 {:.0} ms, p99 {:.0} ms; client CPU {}",
        result.accepted,
        result.rejected,
        result.retries,
        result.elapsed.as_secs_f64(),
        result.events_per_second(),
        result.bytes as f64 / 1e6 / result.elapsed.as_secs_f64().max(0.001),
        result.latency_ms(0.5),
        result.latency_ms(0.95),
        result.latency_ms(0.99),
        result
            .client_cpu
            .map_or("unknown".to_owned(), |cpu| format!(
                "{:.1} s",
                cpu.as_secs_f64()
            )),
    ));
    Ok(())
}

async fn bench_load(settings: Settings, events: u64, days: u32, seed: u64) -> anyhow::Result<()> {
    let database = Database::open(&settings.database, &settings.data_dir).await?;
    let result = async {
        let step = (events / 20).max(1);
        crate::loadgen::bulk_load::run(&database.pool, events, days, seed, move |written| {
            if written % step < 20_000 {
                report(&format!("  {written:>10} / {events} written"));
            }
        })
        .await
    }
    .await;
    database.close().await?;
    let (written, elapsed) = result?;
    report(&format!(
        "loaded {written} events over {days} days in {:.1} s: {:.0} events/s",
        elapsed.as_secs_f64(),
        written as f64 / elapsed.as_secs_f64().max(0.001)
    ));
    Ok(())
}

async fn bench_search(url: &str, user: &str, password: &str, runs: usize) -> anyhow::Result<()> {
    let reports = crate::loadgen::search_bench::run(url, user, password, runs.max(1)).await?;
    for case in reports {
        report(&format!(
            "{}: p50 {:.0} ms, p95 {:.0} ms, max {:.0} ms ({} runs; {})",
            case.name,
            case.quantile(0.5),
            case.quantile(0.95),
            case.millis.last().copied().unwrap_or_default(),
            case.millis.len(),
            case.summary
        ));
    }
    Ok(())
}

async fn bench_copy(
    settings: Settings,
    events: u64,
    days: u32,
    seed: u64,
    batch: usize,
    connections: usize,
) -> anyhow::Result<()> {
    // The same rows as ingest stores: placed too when ingest places them.
    let geo = match settings.ingest.geoip_databases.as_slice() {
        [] => None,
        paths => Some(crate::ingest::GeoIp::open(paths)?),
    };
    let database = Database::open(&settings.database, &settings.data_dir).await?;
    let result = async {
        let pool = &database.pool;
        crate::loadgen::baseline::run(pool, geo, events, days, seed, batch, connections).await
    }
    .await;
    database.close().await?;
    let result = result?;
    report(&format!(
        "raw binary COPY: {} rows in {:.1} s: {:.0} rows/s ({} connections, {} rows per transaction); {:.0} bytes per row on disk",
        result.rows,
        result.elapsed.as_secs_f64(),
        result.rows as f64 / result.elapsed.as_secs_f64().max(0.001),
        connections,
        batch,
        result.bytes_per_row,
    ));
    Ok(())
}
