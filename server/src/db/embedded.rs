//! Runs a private Postgres cluster from the system's binaries inside Vigil's data directory.
//!
//! The cluster listens on a unix socket only (no TCP port), in a directory only
//! its owner can enter, with `trust` authentication: whoever can reach the
//! socket is the cluster's owner or root already. Postgres refuses to run as
//! root, so when Vigil is root the cluster runs as the `postgres` system user
//! (created by Debian's `postgresql` package).
//!
//! This module must not decide anything about Vigil's schema; it only starts,
//! checks and stops the server process.

use anyhow::{Context, anyhow, bail};
use nix::sys::signal::{Signal, kill};
use nix::unistd::{Pid, Uid, User};
use sha2::{Digest, Sha256};
use sqlx::postgres::PgConnectOptions;
use sqlx::{ConnectOptions, Connection};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};
use tokio::process::{Child, Command};

/// The superuser and database Vigil creates in its cluster.
pub const DB_USER: &str = "vigil";
/// The database name Vigil uses in its cluster.
pub const DB_NAME: &str = "vigil";
const PORT: u16 = 5432;
/// Unix socket paths are limited to 107 bytes on Linux.
const MAX_SOCKET_PATH: usize = 100;

/// Returns a running embedded cluster; call [`EmbeddedPostgres::stop`] to shut it down cleanly.
#[derive(Debug)]
pub struct EmbeddedPostgres {
    /// Held while this process owns the data directory.
    _lock: nix::fcntl::Flock<std::fs::File>,
    child: Option<Child>,
    pgdata: PathBuf,
    socket_dir: PathBuf,
    log_file: PathBuf,
}

/// Returns who the Postgres processes run as.
#[derive(Debug, Clone)]
struct RunAs {
    /// `None` when Vigil itself is unprivileged and runs Postgres as itself.
    user: Option<User>,
}

impl RunAs {
    fn detect() -> anyhow::Result<RunAs> {
        if !Uid::effective().is_root() {
            return Ok(RunAs { user: None });
        }
        let user = User::from_name("postgres")
            .context("looking up the postgres system user")?
            .ok_or_else(|| {
                anyhow!(
                    "Vigil runs as root and Postgres refuses to; no `postgres` system user exists \
                     to run it as (install Debian's postgresql package, which creates it, \
                     run Vigil as an unprivileged user, or set VIGIL_DATABASE_URL)"
                )
            })?;
        Ok(RunAs { user: Some(user) })
    }

    fn apply(&self, command: &mut Command) {
        if let Some(user) = &self.user {
            // std drops root's supplementary groups when it switches uid.
            command.uid(user.uid.as_raw()).gid(user.gid.as_raw());
            command.env("HOME", &user.dir);
            command.env("USER", &user.name);
        }
    }

    fn chown(&self, path: &Path) -> anyhow::Result<()> {
        if let Some(user) = &self.user {
            std::os::unix::fs::chown(path, Some(user.uid.as_raw()), Some(user.gid.as_raw()))
                .with_context(|| format!("giving {} to user {}", path.display(), user.name))?;
        }
        Ok(())
    }

    /// Returns whether this user may traverse every ancestor directory of `path`.
    fn can_reach(&self, path: &Path) -> bool {
        let Some(user) = &self.user else { return true };
        for dir in path.ancestors().skip(1) {
            let Ok(meta) = std::fs::metadata(dir) else {
                return false;
            };
            let mode = meta.permissions().mode();
            let allowed = if meta.uid() == user.uid.as_raw() {
                mode & 0o100 != 0
            } else if meta.gid() == user.gid.as_raw() {
                mode & 0o010 != 0
            } else {
                mode & 0o001 != 0
            };
            if !allowed {
                return false;
            }
        }
        true
    }
}

/// Returns the directory holding `initdb` and `postgres`.
pub fn find_bin_dir(configured: Option<&Path>) -> anyhow::Result<PathBuf> {
    if let Some(dir) = configured {
        if dir.join("postgres").is_file() && dir.join("initdb").is_file() {
            return Ok(dir.to_path_buf());
        }
        bail!("no postgres and initdb binaries in {}", dir.display());
    }
    // Debian installs server binaries off PATH, one directory per major version.
    let mut candidates: Vec<(u32, PathBuf)> = Vec::new();
    if let Ok(entries) = std::fs::read_dir("/usr/lib/postgresql") {
        for entry in entries.flatten() {
            let bin = entry.path().join("bin");
            let major = entry.file_name().to_string_lossy().parse::<u32>().ok();
            if let Some(major) = major
                && bin.join("postgres").is_file()
                && bin.join("initdb").is_file()
            {
                candidates.push((major, bin));
            }
        }
    }
    candidates.sort();
    if let Some((_, bin)) = candidates.pop() {
        return Ok(bin);
    }
    for dir in [
        "/usr/local/pgsql/bin",
        "/usr/pgsql/bin",
        "/usr/bin",
        "/usr/local/bin",
    ] {
        let dir = Path::new(dir);
        if dir.join("postgres").is_file() && dir.join("initdb").is_file() {
            return Ok(dir.to_path_buf());
        }
    }
    bail!(
        "no PostgreSQL server binaries found (looked in /usr/lib/postgresql/*/bin); \
         install them with `apt-get install -y postgresql` or set VIGIL_POSTGRES_BIN_DIR"
    )
}

impl EmbeddedPostgres {
    /// Returns a started cluster rooted at `<data_dir>/postgres`, initialising it on first use.
    pub async fn start(
        data_dir: &Path,
        bin_dir: Option<&Path>,
    ) -> anyhow::Result<EmbeddedPostgres> {
        let bin = find_bin_dir(bin_dir)?;
        let run_as = RunAs::detect()?;
        std::fs::create_dir_all(data_dir)
            .with_context(|| format!("creating data directory {}", data_dir.display()))?;
        let data_dir = std::fs::canonicalize(data_dir)
            .with_context(|| format!("resolving data directory {}", data_dir.display()))?;
        let lock = lock_data_dir(&data_dir)?;
        let root = cluster_root(&data_dir, &run_as)?;
        let pgdata = root.join("data");
        let mut socket_dir = root.join("run");
        if socket_dir
            .join(format!(".s.PGSQL.{PORT}"))
            .as_os_str()
            .len()
            > MAX_SOCKET_PATH
        {
            socket_dir = std::env::temp_dir().join(format!("vigil-pg-{}", short_hash(&root)));
        }
        let log_file = root.join("postgres.log");

        for dir in [&root, &socket_dir] {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
            run_as.chown(dir)?;
        }

        if !pgdata.join("PG_VERSION").is_file() {
            initdb(&bin, &pgdata, &run_as).await?;
        }
        clear_stale_pid(&pgdata).await?;

        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log_file)
            .with_context(|| format!("opening {}", log_file.display()))?;
        run_as.chown(&log_file)?;
        let mut command = Command::new(bin.join("postgres"));
        command
            .arg("-D")
            .arg(&pgdata)
            .arg("-c")
            .arg("listen_addresses=")
            .arg("-c")
            .arg(format!("unix_socket_directories={}", socket_dir.display()))
            .arg("-c")
            .arg("unix_socket_permissions=0700")
            .arg("-c")
            .arg(format!("port={PORT}"))
            .arg("-c")
            .arg("max_connections=100")
            .arg("-c")
            .arg("timezone=UTC")
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            // Its own process group: a terminal's ctrl-c reaches Vigil, which then
            // stops Postgres in order, after the HTTP server and workers.
            .process_group(0);
        run_as.apply(&mut command);
        let child = command
            .spawn()
            .with_context(|| format!("starting {}", bin.join("postgres").display()))?;

        let mut cluster = EmbeddedPostgres {
            _lock: lock,
            child: Some(child),
            pgdata,
            socket_dir,
            log_file,
        };
        if let Err(error) = cluster.wait_ready(Duration::from_secs(60)).await {
            let _ = cluster.stop().await;
            return Err(error);
        }
        cluster.ensure_database().await?;
        tracing::info!(pgdata = %cluster.pgdata.display(), socket = %cluster.socket_dir.display(), "embedded postgres ready");
        Ok(cluster)
    }

    /// Returns connection options for `database` over the unix socket.
    pub fn connect_options(&self, database: &str) -> PgConnectOptions {
        PgConnectOptions::new()
            .socket(&self.socket_dir)
            .port(PORT)
            .username(DB_USER)
            .database(database)
            .application_name("vigil")
    }

    /// Returns a `postgres://` URL for `database`, for tools and tests.
    pub fn url(&self, database: &str) -> String {
        let socket = self.socket_dir.display().to_string().replace('/', "%2F");
        format!("postgres://{DB_USER}@localhost:{PORT}/{database}?host={socket}")
    }

    /// Returns the path of the server's log file.
    pub fn log_file(&self) -> &Path {
        &self.log_file
    }

    async fn wait_ready(&mut self, limit: Duration) -> anyhow::Result<()> {
        let started = Instant::now();
        loop {
            if let Some(child) = self.child.as_mut()
                && let Some(status) = child.try_wait()?
            {
                bail!(
                    "postgres exited during start-up ({status}); last log lines:\n{}",
                    tail(&self.log_file, 15)
                );
            }
            let attempt = self
                .connect_options("postgres")
                .log_statements(tracing::log::LevelFilter::Off)
                .connect()
                .await;
            match attempt {
                Ok(conn) => {
                    let _ = conn.close().await;
                    return Ok(());
                }
                Err(_) if started.elapsed() < limit => {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(error) => {
                    return Err(anyhow!(error)).context(format!(
                        "postgres did not accept connections within {limit:?}; log: {}",
                        self.log_file.display()
                    ));
                }
            }
        }
    }

    async fn ensure_database(&self) -> anyhow::Result<()> {
        let mut conn = self.connect_options("postgres").connect().await?;
        let exists: bool =
            sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
                .bind(DB_NAME)
                .fetch_one(&mut conn)
                .await?;
        if !exists {
            // DB_NAME is a constant identifier, never input.
            sqlx::query("CREATE DATABASE vigil")
                .execute(&mut conn)
                .await?;
        }
        conn.close().await?;
        Ok(())
    }

    /// Lets go of the data directory but leaves Postgres running, as if this
    /// process had been killed; crash-recovery tests use it.
    pub fn abandon(mut self) {
        if let Some(child) = self.child.take() {
            std::mem::forget(child);
        }
    }

    /// Stops the cluster with a fast shutdown (active transactions roll back, a checkpoint is written).
    pub async fn stop(mut self) -> anyhow::Result<()> {
        let Some(mut child) = self.child.take() else {
            return Ok(());
        };
        if let Some(pid) = child.id() {
            let _ = kill(Pid::from_raw(pid as i32), Signal::SIGINT);
        }
        match tokio::time::timeout(Duration::from_secs(60), child.wait()).await {
            Ok(status) => {
                let status = status?;
                tracing::info!(%status, "embedded postgres stopped");
                Ok(())
            }
            Err(_) => {
                tracing::warn!("embedded postgres did not stop within 60 s; sending SIGQUIT");
                if let Some(pid) = child.id() {
                    let _ = kill(Pid::from_raw(pid as i32), Signal::SIGQUIT);
                }
                child.wait().await?;
                Ok(())
            }
        }
    }
}

impl Drop for EmbeddedPostgres {
    fn drop(&mut self) {
        // Reached only when `stop` was not called (an error path or a panic):
        // ask for a fast shutdown rather than leaving an orphan behind.
        if let Some(child) = self.child.as_ref()
            && let Some(pid) = child.id()
        {
            let _ = kill(Pid::from_raw(pid as i32), Signal::SIGINT);
        }
    }
}

/// Takes the data directory's lock file, so two Vigil processes never run (or,
/// after a crash, "recover") the same cluster at once.
fn lock_data_dir(data_dir: &Path) -> anyhow::Result<nix::fcntl::Flock<std::fs::File>> {
    use std::io::{Read, Seek, Write};
    let path = data_dir.join("vigil.lock");
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .read(true)
        .write(true)
        .open(&path)
        .with_context(|| format!("opening {}", path.display()))?;
    let mut holder = String::new();
    let _ = file.read_to_string(&mut holder);
    let mut lock = match nix::fcntl::Flock::lock(file, nix::fcntl::FlockArg::LockExclusiveNonblock)
    {
        Ok(lock) => lock,
        Err((_, _)) => bail!(
            "another Vigil process (pid {}) is using the data directory {}; stop it or choose another VIGIL_DATA_DIR",
            holder.trim(),
            data_dir.display()
        ),
    };
    lock.set_len(0)?;
    lock.rewind()?;
    write!(lock, "{}", std::process::id())?;
    Ok(lock)
}

/// Returns where the cluster lives: `<data_dir>/postgres`, or, when the `postgres`
/// user cannot reach the data directory (say under a 0700 home or temp directory),
/// a directory under `/var/lib/vigil` that `<data_dir>/postgres` links to.
fn cluster_root(data_dir: &Path, run_as: &RunAs) -> anyhow::Result<PathBuf> {
    let inside = data_dir.join("postgres");
    if let Ok(target) = std::fs::read_link(&inside) {
        return Ok(target);
    }
    if run_as.can_reach(&inside) {
        return Ok(inside);
    }
    let relocated = Path::new("/var/lib/vigil").join(format!("postgres-{}", short_hash(data_dir)));
    std::fs::create_dir_all(&relocated)
        .with_context(|| format!("creating {}", relocated.display()))?;
    std::fs::set_permissions("/var/lib/vigil", std::fs::Permissions::from_mode(0o755))?;
    std::os::unix::fs::symlink(&relocated, &inside)
        .with_context(|| format!("linking {} to {}", inside.display(), relocated.display()))?;
    tracing::warn!(
        data_dir = %data_dir.display(),
        cluster = %relocated.display(),
        "the postgres user cannot enter the data directory; the cluster lives in /var/lib/vigil instead"
    );
    Ok(relocated)
}

fn short_hash(path: &Path) -> String {
    let digest = Sha256::digest(path.as_os_str().as_encoded_bytes());
    hex::encode(&digest[..8])
}

async fn initdb(bin: &Path, pgdata: &Path, run_as: &RunAs) -> anyhow::Result<()> {
    // A half-finished initdb leaves files behind, and initdb wants an empty directory.
    if pgdata.exists() {
        std::fs::remove_dir_all(pgdata)
            .with_context(|| format!("removing incomplete cluster {}", pgdata.display()))?;
    }
    tracing::info!(pgdata = %pgdata.display(), "initialising embedded postgres cluster");
    let mut command = Command::new(bin.join("initdb"));
    command
        .arg("-D")
        .arg(pgdata)
        .arg("--username")
        .arg(DB_USER)
        .arg("--auth=trust")
        .arg("--encoding=UTF8")
        .arg("--locale=C.UTF-8")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    run_as.apply(&mut command);
    let output = command
        .output()
        .await
        .with_context(|| format!("running {}", bin.join("initdb").display()))?;
    if !output.status.success() {
        bail!(
            "initdb failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    Ok(())
}

/// Makes a crashed previous run harmless: an orphaned postmaster of this
/// cluster is shut down, and a pid file naming a dead or foreign process is removed.
async fn clear_stale_pid(pgdata: &Path) -> anyhow::Result<()> {
    let pid_file = pgdata.join("postmaster.pid");
    let Ok(text) = std::fs::read_to_string(&pid_file) else {
        return Ok(());
    };
    let pid = text
        .lines()
        .next()
        .and_then(|l| l.trim().parse::<i32>().ok());
    let Some(pid) = pid.filter(|p| *p > 0) else {
        std::fs::remove_file(&pid_file)?;
        return Ok(());
    };
    if is_postmaster_of(pid, pgdata) {
        tracing::warn!(
            pid,
            "an earlier embedded postgres is still running; shutting it down"
        );
        let _ = kill(Pid::from_raw(pid), Signal::SIGINT);
        let deadline = Instant::now() + Duration::from_secs(60);
        while process_alive(pid) && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        if process_alive(pid) {
            bail!("the earlier postgres (pid {pid}) did not stop; stop it by hand");
        }
    } else {
        tracing::warn!(pid, "removing stale postgres pid file");
    }
    if pid_file.exists() {
        std::fs::remove_file(&pid_file)?;
    }
    Ok(())
}

fn process_alive(pid: i32) -> bool {
    // Zombies still answer kill(0); /proc tells them apart.
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => !stat
            .rsplit_once(')')
            .is_some_and(|(_, rest)| rest.trim_start().starts_with('Z')),
        Err(_) => false,
    }
}

fn is_postmaster_of(pid: i32, pgdata: &Path) -> bool {
    let Ok(cmdline) = std::fs::read(format!("/proc/{pid}/cmdline")) else {
        return false;
    };
    let args: Vec<String> = cmdline
        .split(|b| *b == 0)
        .map(|a| String::from_utf8_lossy(a).into_owned())
        .collect();
    let is_postgres = args
        .first()
        .is_some_and(|a| a.ends_with("/postgres") || a == "postgres");
    is_postgres && args.iter().any(|a| Path::new(a) == pgdata)
}

fn tail(path: &Path, lines: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}
