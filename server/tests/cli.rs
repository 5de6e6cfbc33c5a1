//! The real `vigil` binary: first start, printed credentials, embedded Postgres, clean shutdown.

#![allow(
    clippy::unwrap_used,
    reason = "test helpers panic on setup failure by design"
)]

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// A `vigil serve` process and the lines it wrote to stderr.
struct Server {
    child: Child,
    lines: mpsc::Receiver<String>,
    seen: Vec<String>,
}

impl Server {
    fn start(data_dir: &Path, env: &[(&str, &str)]) -> Server {
        let mut command = Command::new(env!("CARGO_BIN_EXE_vigil"));
        command
            .arg("serve")
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
    fn wait_for(&mut self, needle: &str) -> String {
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

    fn base_url(&mut self) -> String {
        let line = self.wait_for("is running at ");
        let url = line.split("is running at ").nth(1).unwrap().trim();
        url.trim_end_matches('/').to_owned()
    }

    /// Sends SIGTERM and returns whether the process exited successfully, plus all output.
    fn terminate(mut self) -> (bool, String) {
        kill(Pid::from_raw(self.child.id() as i32), Signal::SIGTERM).unwrap();
        let status = self.child.wait().unwrap();
        while let Ok(line) = self.lines.recv_timeout(Duration::from_millis(500)) {
            self.seen.push(line);
        }
        (status.success(), self.seen.join("\n"))
    }
}

fn cleanup_relocated(data_dir: &Path) {
    if let Ok(target) = std::fs::read_link(data_dir.join("postgres")) {
        let _ = std::fs::remove_dir_all(target);
    }
}

#[tokio::test]
async fn first_start_prints_a_generated_password_once_and_shuts_down_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Server::start(dir.path(), &[]);
    let line = server.wait_for("generated password");
    let password = line
        .split("generated password ")
        .nth(1)
        .unwrap()
        .trim()
        .to_owned();
    assert!(password.len() >= 20, "{line}");
    let url = server.base_url();

    let client = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    let health = client
        .get(format!("{url}/api/v1/health"))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
    let login = client
        .post(format!("{url}/api/v1/auth/login"))
        .json(&serde_json::json!({"username": "admin", "password": password}))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 200);
    // Without a built SPA, unknown paths still get a JSON answer, not an empty 404.
    let missing = client.get(format!("{url}/status")).send().await.unwrap();
    assert_eq!(missing.status(), 404);
    assert!(missing.text().await.unwrap().contains("\"code\""));

    let (clean, output) = server.terminate();
    assert!(clean, "exit status after SIGTERM; output:\n{output}");
    assert!(output.contains("embedded postgres stopped"), "{output}");
    let pgdata = std::fs::canonicalize(dir.path().join("postgres"))
        .unwrap()
        .join("data");
    assert!(
        !pgdata.join("postmaster.pid").exists(),
        "postgres was stopped"
    );

    // Second start: the same cluster and account, and no password printed again.
    let mut server = Server::start(dir.path(), &[]);
    let url = server.base_url();
    let again = reqwest::Client::new()
        .post(format!("{url}/api/v1/auth/login"))
        .json(&serde_json::json!({"username": "admin", "password": password}))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 200);
    let (clean, output) = server.terminate();
    assert!(clean, "{output}");
    assert!(
        !output.contains(&password),
        "the password is printed only on first start"
    );
    cleanup_relocated(dir.path());
}

#[tokio::test]
async fn a_configured_admin_password_never_reaches_the_output() {
    let dir = tempfile::tempdir().unwrap();
    let secret = "configured-admin-secret-42";
    let mut server = Server::start(
        dir.path(),
        &[
            ("VIGIL_ADMIN_PASSWORD", secret),
            ("VIGIL_LOG", "debug"),
            ("VIGIL_LOG_FORMAT", "json"),
        ],
    );
    let url = server.base_url();
    let login = reqwest::Client::new()
        .post(format!("{url}/api/v1/auth/login"))
        .json(&serde_json::json!({"username": "admin", "password": secret}))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 200);
    let (clean, output) = server.terminate();
    assert!(clean, "{output}");
    assert!(!output.contains(secret), "the secret leaked:\n{output}");
    assert!(
        output.contains("VIGIL_ADMIN_PASSWORD"),
        "the operator is told where the password comes from"
    );
    cleanup_relocated(dir.path());
}

#[test]
fn invalid_configuration_exits_2_naming_the_problem() {
    let output = Command::new(env!("CARGO_BIN_EXE_vigil"))
        .arg("serve")
        .env_clear()
        .env("VIGIL_LISTEN", "not-an-address")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("VIGIL_LISTEN"), "{stderr}");
}
