//! The real `vigil` binary: first start, printed credentials, embedded Postgres, clean shutdown.

#![allow(
    clippy::unwrap_used,
    reason = "test helpers panic on setup failure by design"
)]

mod common;

use common::{Server, admin_client, fresh_database};
use std::process::Command;

#[tokio::test]
async fn first_start_prints_a_generated_password_once_and_shuts_down_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let _relocated = common::Relocated(dir.path().to_path_buf());
    let mut server = Server::start(dir.path(), &[]);
    // Not a terminal here, as under Docker or systemd: the password goes to
    // a file only the owner can read, and the log names the file only.
    let line = server.wait_for("generated password");
    let file = dir.path().join("initial-admin-password");
    assert!(line.contains(&file.display().to_string()), "{line}");
    let password = std::fs::read_to_string(&file).unwrap().trim().to_owned();
    assert!(password.len() >= 20, "{password}");
    assert!(
        !server.output().contains(&password),
        "the password reached the log"
    );
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&file).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
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
}

#[tokio::test]
async fn a_configured_admin_password_never_reaches_the_output() {
    let dir = tempfile::tempdir().unwrap();
    let _relocated = common::Relocated(dir.path().to_path_buf());
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

async fn demo_source_count(url: &str, password: &str) -> Option<i64> {
    let (client, _) = admin_client(url, password).await;
    let sources: Vec<serde_json::Value> = client
        .get(format!("{url}/api/v1/sources"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    sources
        .iter()
        .find(|s| s["name"] == "demo data")
        .and_then(|s| s["accepted"].as_i64())
}

#[tokio::test]
async fn demo_data_fills_an_empty_store_once() {
    let dir = tempfile::tempdir().unwrap();
    let _relocated = common::Relocated(dir.path().to_path_buf());
    let password = "demo-admin-password";
    let env = [("VIGIL_ADMIN_PASSWORD", password)];
    let mut server = Server::start_with(dir.path(), &["--demo-data", "3000"], &env);
    let url = server.base_url();
    let mut loaded = None;
    for _ in 0..200 {
        loaded = demo_source_count(&url, password).await;
        if loaded == Some(3000) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(loaded, Some(3000));
    let (clean, output) = server.terminate();
    assert!(clean, "{output}");

    // A restart with the same option finds events and adds none.
    let mut server = Server::start_with(dir.path(), &["--demo-data", "3000"], &env);
    let url = server.base_url();
    server.wait_for("no demo data loaded");
    assert_eq!(demo_source_count(&url, password).await, Some(3000));
    let (clean, output) = server.terminate();
    assert!(clean, "{output}");
}

/// Runs `vigil user ARGS` on the database at `database`, with `stdin`;
/// returns whether it succeeded and what it wrote.
fn vigil_user(database: &str, args: &[&str], stdin: &str) -> (bool, String) {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_vigil"))
        .arg("user")
        .args(args)
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("VIGIL_DATA_DIR", dir.path())
        .env("VIGIL_DATABASE_URL", database)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&output.stderr).into_owned()
        + &String::from_utf8_lossy(&output.stdout);
    (output.status.success(), text)
}

async fn signed_in(client: &reqwest::Client, url: &str) -> reqwest::StatusCode {
    client
        .get(format!("{url}/api/v1/auth/me"))
        .send()
        .await
        .unwrap()
        .status()
}

/// The operator's way back in, run against a live server: every command
/// takes effect at once on the running server's sessions and sign-ins, and
/// each leaves an audit record saying it came from the command line.
#[tokio::test]
async fn user_commands_end_sessions_disable_enable_and_reset_passwords_on_a_running_server() {
    const OLD: &str = "cli-user-commands-old-password";
    const NEW: &str = "cli-user-commands-new-password";
    let database = fresh_database().await;
    let dir = tempfile::tempdir().unwrap();
    let mut server = Server::start(
        dir.path(),
        &[
            ("VIGIL_ADMIN_PASSWORD", OLD),
            ("VIGIL_DATABASE_URL", database.as_str()),
        ],
    );
    let url = server.base_url();

    let (client, login) = admin_client(&url, OLD).await;
    assert_eq!(login, 200);
    assert_eq!(signed_in(&client, &url).await, 200);
    let (ok, said) = vigil_user(&database, &["revoke-sessions", "admin"], "");
    assert!(ok, "{said}");
    assert!(said.contains("1 sessions of admin ended"), "{said}");
    assert_eq!(
        signed_in(&client, &url).await,
        401,
        "the session outlived its revocation"
    );

    let (client, login) = admin_client(&url, OLD).await;
    assert_eq!(login, 200);
    let (ok, said) = vigil_user(&database, &["disable", "admin"], "");
    assert!(
        ok && said.contains("admin disabled; 1 sessions ended"),
        "{said}"
    );
    assert_eq!(signed_in(&client, &url).await, 401);
    let (_, login) = admin_client(&url, OLD).await;
    assert!(
        login.is_client_error(),
        "a disabled account signed in: {login}"
    );

    let (ok, said) = vigil_user(&database, &["enable", "admin"], "");
    assert!(ok && said.contains("admin enabled"), "{said}");
    let (client, login) = admin_client(&url, OLD).await;
    assert_eq!(login, 200);

    let (ok, said) = vigil_user(&database, &["set-password", "admin"], "short\n");
    assert!(!ok && said.contains("at least"), "{said}");
    let (ok, said) = vigil_user(&database, &["set-password", "admin"], &format!("{NEW}\n"));
    assert!(ok && said.contains("password of admin changed"), "{said}");
    assert_eq!(
        signed_in(&client, &url).await,
        401,
        "a session kept after a password reset"
    );
    let (_, login) = admin_client(&url, OLD).await;
    assert_eq!(login, 401);
    let (client, login) = admin_client(&url, NEW).await;
    assert_eq!(login, 200);

    let (ok, said) = vigil_user(&database, &["disable", "nobody"], "");
    assert!(!ok && said.contains("no account named nobody"), "{said}");

    let page: app::audit::AuditPage = client
        .get(format!("{url}/api/v1/audit?limit=500"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let from_cli: Vec<(&str, Option<&str>)> = page
        .entries
        .iter()
        .rev()
        .filter(|e| e.details["via"] == "command line")
        .map(|e| (e.action.as_str(), e.target.as_deref()))
        .collect();
    let admin = Some("admin");
    assert_eq!(
        from_cli,
        [
            ("user.sessions.revoke", admin),
            ("user.disable", admin),
            ("user.enable", admin),
            ("user.set_password", admin),
        ]
    );
    let (clean, output) = server.terminate();
    assert!(clean, "{output}");
    assert!(!output.contains(NEW), "the new password reached the log");
}

/// An operator who gives Vigil a role that owns nothing, as the security
/// guide advises, but forgets the owner's URL, is told what to set.
#[test]
fn a_role_that_cannot_migrate_is_told_to_give_the_owner_url() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let database = runtime.block_on(fresh_database());
    let role = format!("no_owner_{}", uuid::Uuid::new_v4().simple());
    runtime.block_on(async {
        use sqlx::Connection;
        let mut owner = sqlx::PgConnection::connect(&database).await.unwrap();
        // Generated above, not input; identifiers cannot be bound.
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE ROLE {role} LOGIN")))
            .execute(&mut owner)
            .await
            .unwrap();
    });
    let mut url = reqwest::Url::parse(&database).unwrap();
    url.set_username(&role).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_vigil"))
        .arg("serve")
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("VIGIL_LISTEN", "127.0.0.1:0")
        .env("VIGIL_DATA_DIR", dir.path())
        .env("VIGIL_DATABASE_URL", url.as_str())
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("VIGIL_DATABASE_OWNER_URL"), "{stderr}");
    assert!(stderr.contains("may not change the schema"), "{stderr}");
}
