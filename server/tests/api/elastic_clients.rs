//! Real Elasticsearch clients deliver real logs to Vigil's Elasticsearch API,
//! exactly once: the official Python client (every call an application
//! makes), syslog-ng's `elasticsearch-http()` and rsyslog's
//! `omelasticsearch`. `make test` installs all three (scripts/install-deps.sh).

use crate::helpers::{TestApp, ingest_key, spawn_app, spawn_syslog_ng, syslog_ng_config_version};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

const APACHE_LOG: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/data/elastic-examples-apache/apache_logs"
);

fn target_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../target")
}

/// Returns how many events were stored for `index` (the Elasticsearch index
/// a client named), and how many distinct messages (the Python client:
/// line numbers) they hold.
async fn stored_in(app: &TestApp, index: &str) -> (i64, i64) {
    sqlx::query_as(
        "SELECT count(*), count(DISTINCT coalesce(payload->>'line', payload->>'message')) FROM events
         WHERE payload #>> '{vigil,index}' = $1",
    )
    .bind(index)
    .fetch_one(&app.pool)
    .await
    .unwrap()
}

/// Waits until `expected` events of `index` are stored (or a minute has
/// passed), then a little longer for duplicates that might follow.
async fn wait_for(
    app: &TestApp,
    index: &str,
    expected: i64,
    shipper: &mut tokio::process::Child,
) -> (i64, i64) {
    for _ in 0..1200 {
        if stored_in(app, index).await.0 >= expected {
            break;
        }
        if let Some(status) = shipper.try_wait().unwrap() {
            let mut error = String::new();
            if let Some(mut stderr) = shipper.stderr.take() {
                use tokio::io::AsyncReadExt;
                let _ = stderr.read_to_string(&mut error).await;
            }
            panic!("the shipper exited ({status}): {error}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(1000)).await;
    stored_in(app, index).await
}

fn python_client(address: &str, key: &str, mode: &str) -> serde_json::Value {
    let python = target_dir().join("pytools/bin/python");
    assert!(
        python.exists(),
        "{} is missing: run scripts/install-deps.sh test (make test does)",
        python.display()
    );
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/clients/es_python.py");
    let output = std::process::Command::new(python)
        .arg(script)
        .args([address, key, APACHE_LOG, mode])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "the Python client failed: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

#[tokio::test]
async fn the_official_python_client_stores_every_document_once_and_retries_store_nothing() {
    let app = spawn_app().await;
    let key = ingest_key(&app, "python").await;
    let (address, key_for_client) = (app.address.clone(), key.clone());
    let first =
        tokio::task::spawn_blocking(move || python_client(&address, &key_for_client, "first"))
            .await
            .unwrap();
    assert_eq!(
        first,
        serde_json::json!({"bulk": 5700, "streaming": 4000, "index": 200, "create": 100, "noop": 0, "conflict": 0}),
        "every call stored its documents"
    );
    assert_eq!(stored_in(&app, "apache").await, (10_000, 10_000));

    let address = app.address.clone();
    let retry = tokio::task::spawn_blocking(move || python_client(&address, &key, "retry"))
        .await
        .unwrap();
    // index with a known id: 200 noop (bulk counts it as done); create: 409.
    assert_eq!(
        retry,
        serde_json::json!({"bulk": 4850, "streaming": 0, "index": 0, "create": 0, "noop": 100, "conflict": 4950}),
        "a retry answers as Elasticsearch does for stored ids"
    );
    assert_eq!(
        stored_in(&app, "apache").await,
        (10_000, 10_000),
        "nothing stored twice"
    );
    let parsed: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM events WHERE payload #>> '{vigil,index}' = 'apache'
           AND payload #>> '{http,request,method}' IS NOT NULL AND source_ip IS NOT NULL",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert!(parsed >= 9_900, "access-log lines are parsed ({parsed})");
}

/// Writes the 2,000 sshd lines where a shipper follows them.
fn sshd_input(dir: &Path) -> PathBuf {
    let input = dir.join("auth.log");
    let lines = std::fs::read_to_string(crate::helpers::SSHD_LOG).unwrap();
    // A file shipper waits for the last line's newline before sending it.
    std::fs::write(&input, format!("{}\n", lines.trim_end())).unwrap();
    input
}

#[tokio::test]
async fn syslog_ng_elasticsearch_http_delivers_every_line_once() {
    let app = spawn_app().await;
    let key = ingest_key(&app, "syslog-ng").await;
    let dir = tempfile::tempdir().unwrap();
    let input = sshd_input(dir.path());
    let config = dir.path().join("syslog-ng.conf");
    std::fs::write(
        &config,
        format!(
            "@version: {version}\n\
             @include \"scl.conf\"\n\
             options {{ stats-freq(0); use-uniqid(yes); }};\n\
             source s_file {{ file(\"{input}\" follow-freq(0.1) flags(no-parse)); }};\n\
             destination d_vigil {{\n\
               elasticsearch-http(\n\
                 url(\"{address}/_bulk\") index(\"syslog-ng\") type(\"\")\n\
                 user(\"vigil\") password(\"{key}\")\n\
                 custom-id(\"${{UNIQID}}\")\n\
                 batch-lines(200) batch-timeout(200) workers(1)\n\
                 template(\"$(format-json --scope none message=${{MESSAGE}} host.name=${{HOST}})\")\n\
               );\n\
             }};\n\
             log {{ source(s_file); destination(d_vigil); }};\n",
            version = syslog_ng_config_version(),
            input = input.display(),
            address = app.address,
        ),
    )
    .unwrap();
    let mut shipper = spawn_syslog_ng(&config, dir.path());
    let (stored, distinct) = wait_for(&app, "syslog-ng", 2000, &mut shipper).await;
    shipper.kill().await.unwrap();
    assert_eq!(stored, 2000, "every line once");
    let lines = std::fs::read_to_string(crate::helpers::SSHD_LOG).unwrap();
    let unique: std::collections::HashSet<&str> = lines.lines().collect();
    assert_eq!(distinct, unique.len() as i64, "each line's own text");
}

#[tokio::test]
async fn rsyslog_omelasticsearch_delivers_every_line_once() {
    let app = spawn_app().await;
    let key = ingest_key(&app, "rsyslog").await;
    let root = target_dir().join("rsyslog");
    let rsyslogd = root.join("usr/sbin/rsyslogd");
    assert!(
        rsyslogd.exists(),
        "{} is missing: run scripts/install-deps.sh test (make test does)",
        rsyslogd.display()
    );
    let dir = tempfile::tempdir().unwrap();
    let input = sshd_input(dir.path());
    let work = dir.path().join("work");
    std::fs::create_dir(&work).unwrap();
    let errors = dir.path().join("es-errors.log");
    let port = app.address.rsplit(':').next().unwrap().to_owned();
    let config = dir.path().join("rsyslog.conf");
    std::fs::write(
        &config,
        format!(
            r#"global(workDirectory="{work}")
module(load="imfile" mode="polling" PollingInterval="1")
module(load="omelasticsearch")
template(name="vigil_json" type="string"
         string="{{\"message\":\"%msg:::json%\",\"host\":{{\"name\":\"%hostname:::json%\"}}}}")
template(name="vigil_id" type="string" string="%uuid%")
ruleset(name="to_vigil") {{
  action(type="omelasticsearch" name="vigil"
         server="127.0.0.1" serverport="{port}" searchIndex="rsyslog" searchType=""
         bulkmode="on" bulkid="vigil_id" dynbulkid="on" writeOperation="create"
         uid="vigil" pwd="{key}" template="vigil_json" errorfile="{errors}"
         queue.type="linkedlist" queue.dequeueBatchSize="200" action.resumeRetryCount="-1")
}}
input(type="imfile" File="{input}" Tag="sshd" ruleset="to_vigil")
"#,
            work = work.display(),
            errors = errors.display(),
            input = input.display(),
        ),
    )
    .unwrap();
    let modules = root.join("usr/lib/x86_64-linux-gnu/rsyslog");
    let mut shipper = tokio::process::Command::new(&rsyslogd)
        .arg("-n")
        .arg("-f")
        .arg(&config)
        .arg("-i")
        .arg(dir.path().join("rsyslogd.pid"))
        .arg("-M")
        .arg(&modules)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("starting rsyslogd");
    let (stored, distinct) = wait_for(&app, "rsyslog", 2000, &mut shipper).await;
    shipper.kill().await.unwrap();
    let refused = std::fs::read_to_string(&errors).unwrap_or_default();
    assert!(refused.is_empty(), "rsyslog recorded refusals: {refused}");
    assert_eq!(stored, 2000, "every line once");
    let lines = std::fs::read_to_string(crate::helpers::SSHD_LOG).unwrap();
    let unique: std::collections::HashSet<&str> = lines.lines().collect();
    assert_eq!(distinct, unique.len() as i64, "each line's own text");
}
