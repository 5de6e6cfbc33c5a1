//! Running the real `vigil` binary in tests: start, read its output, stop.

#![allow(dead_code, reason = "each test binary uses a different part")]

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use sqlx::postgres::PgConnectOptions;
use sqlx::{ConnectOptions, Connection};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::str::FromStr;
use std::sync::mpsc;
use std::time::Duration;

/// A `vigil serve` process and the lines it wrote to stderr.
pub struct Server {
    child: Child,
    lines: mpsc::Receiver<String>,
    seen: Vec<String>,
}

impl Server {
    pub fn start(data_dir: &Path, env: &[(&str, &str)]) -> Server {
        Server::start_with(data_dir, &[], env)
    }

    /// Starts `vigil serve` with extra arguments.
    pub fn start_with(data_dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Server {
        let mut command = Command::new(env!("CARGO_BIN_EXE_vigil"));
        command
            .arg("serve")
            .args(args)
            .env_clear()
            .env("PATH", "/usr/bin:/bin")
            .env("VIGIL_LISTEN", "127.0.0.1:0")
            .env("VIGIL_DATA_DIR", data_dir)
            .env("VIGIL_STATIC_DIR", data_dir.join("no-spa"))
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (name, value) in env {
            command.env(name, value);
        }
        let mut child = command.spawn().unwrap();
        let (sender, lines) = mpsc::channel();
        for stream in [
            Box::new(child.stderr.take().unwrap()) as Box<dyn std::io::Read + Send>,
            Box::new(child.stdout.take().unwrap()),
        ] {
            let sender = sender.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stream).lines().map_while(Result::ok) {
                    if sender.send(line).is_err() {
                        break;
                    }
                }
            });
        }
        Server {
            child,
            lines,
            seen: Vec::new(),
        }
    }

    /// Returns the first line containing `needle`, seen already or arriving within a minute.
    pub fn wait_for(&mut self, needle: &str) -> String {
        if let Some(line) = self.seen.iter().find(|l| l.contains(needle)) {
            return line.clone();
        }
        loop {
            match self.lines.recv_timeout(Duration::from_secs(60)) {
                Ok(line) => {
                    self.seen.push(line.clone());
                    if line.contains(needle) {
                        return line;
                    }
                }
                Err(_) => panic!(
                    "no line with {needle:?}; output so far:\n{}",
                    self.seen.join("\n")
                ),
            }
        }
    }

    /// Every line written so far (without waiting for more).
    pub fn output(&mut self) -> String {
        while let Ok(line) = self.lines.try_recv() {
            self.seen.push(line);
        }
        self.seen.join("\n")
    }

    /// The process's resident memory now and at its peak, in KiB.
    pub fn memory_kib(&self) -> (u64, u64) {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        let field = |name: &str| -> u64 {
            status
                .lines()
                .find_map(|l| l.strip_prefix(name))
                .and_then(|rest| rest.split_whitespace().next())
                .and_then(|n| n.parse().ok())
                .unwrap()
        };
        (field("VmRSS:"), field("VmHWM:"))
    }

    pub fn base_url(&mut self) -> String {
        let line = self.wait_for("is running at ");
        let url = line.split("is running at ").nth(1).unwrap().trim();
        url.trim_end_matches('/').to_owned()
    }

    /// Sends SIGTERM and returns whether the process exited successfully, plus all output.
    pub fn terminate(mut self) -> (bool, String) {
        kill(Pid::from_raw(self.child.id() as i32), Signal::SIGTERM).unwrap();
        let status = self.child.wait().unwrap();
        while let Ok(line) = self.lines.recv_timeout(Duration::from_millis(500)) {
            self.seen.push(line);
        }
        (status.success(), self.seen.join("\n"))
    }
}

impl Drop for Server {
    /// A test that fails midway must not leave its server (or the server's
    /// embedded Postgres) running: ask it to stop, then insist.
    fn drop(&mut self) {
        if !matches!(self.child.try_wait(), Ok(None)) {
            return;
        }
        let _ = kill(Pid::from_raw(self.child.id() as i32), Signal::SIGTERM);
        for _ in 0..100 {
            if !matches!(self.child.try_wait(), Ok(None)) {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Removes the embedded cluster relocated out of `data_dir` (as happens
/// when tests run as root), stopping a postmaster still running on it first
/// (one a killed server left behind).
pub fn cleanup_relocated(data_dir: &Path) {
    if let Ok(target) = std::fs::read_link(data_dir.join("postgres")) {
        let pid = std::fs::read_to_string(target.join("data/postmaster.pid"))
            .ok()
            .and_then(|text| text.lines().next()?.trim().parse::<i32>().ok());
        if let Some(pid) = pid
            && kill(Pid::from_raw(pid), Signal::SIGQUIT).is_ok()
        {
            for _ in 0..50 {
                if !Path::new(&format!("/proc/{pid}")).exists() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
        }
        let _ = std::fs::remove_dir_all(target);
    }
}

/// Cleans up the relocated cluster of a data directory when dropped — also
/// when a test fails midway, so that failures do not fill the disk. Declare
/// it before the servers of the directory: it then drops after them.
pub struct Relocated(pub std::path::PathBuf);

impl Drop for Relocated {
    fn drop(&mut self) {
        cleanup_relocated(&self.0);
    }
}

impl Server {
    /// Kills the process with SIGKILL, as a crash or the OOM killer would.
    pub fn kill_hard(mut self) {
        kill(Pid::from_raw(self.child.id() as i32), Signal::SIGKILL).unwrap();
        let _ = self.child.wait();
    }
}

/// Returns the unix socket directory of the embedded cluster in `data_dir`.
pub fn socket_dir(data_dir: &Path) -> std::path::PathBuf {
    std::fs::canonicalize(data_dir.join("postgres"))
        .unwrap()
        .join("run")
}

/// Returns a cookie-keeping client after signing in as `admin`, with the login's status.
pub async fn admin_client(url: &str, password: &str) -> (reqwest::Client, reqwest::StatusCode) {
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    let status = client
        .post(format!("{url}/api/v1/auth/login"))
        .json(&serde_json::json!({"username": "admin", "password": password}))
        .send()
        .await
        .unwrap()
        .status();
    (client, status)
}

/// Creates an ingest key named `name` as the signed-in `client`.
pub async fn create_ingest_key(
    client: &reqwest::Client,
    url: &str,
    name: &str,
) -> app::api_keys::CreatedApiKey {
    let response = client
        .post(format!("{url}/api/v1/api-keys"))
        .json(&app::api_keys::CreateApiKeyRequest {
            name: name.into(),
            scopes: vec![app::api_keys::ApiKeyScope::Ingest],
            expires_in_days: None,
        })
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201, "creating an ingest key");
    response.json().await.unwrap()
}

pub mod detection;

/// A new empty database on the test server; returns its URL.
pub async fn fresh_database() -> String {
    #[allow(
        clippy::disallowed_methods,
        reason = "tests locate their database server"
    )]
    let url = std::env::var("TEST_DATABASE_URL").expect(
        "TEST_DATABASE_URL must point at a Postgres server whose user may create databases",
    );
    let name = format!("binary_{}", uuid::Uuid::new_v4().simple());
    let mut admin = PgConnectOptions::from_str(&url)
        .unwrap()
        .database("postgres")
        .connect()
        .await
        .unwrap();
    // The name is generated above, not input; identifiers cannot be bound.
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut admin)
        .await
        .unwrap();
    admin.close().await.unwrap();
    // The database goes in the path; a host given as a query parameter stays.
    let (base, query) = url
        .split_once('?')
        .map_or((url.as_str(), ""), |(b, q)| (b, q));
    let base = base.rsplit_once('/').map_or(base, |(server, _)| server);
    if query.is_empty() {
        format!("{base}/{name}")
    } else {
        format!("{base}/{name}?{query}")
    }
}
