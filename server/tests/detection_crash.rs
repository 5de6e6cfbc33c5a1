//! Alerts exactly once across a crash: SIGKILL the server while it ingests
//! and detects, restart it, and every stored event has its alert, none twice
//! — the restart restores rule state from the checkpoint and evaluates the
//! events since then again.

#![allow(
    clippy::unwrap_used,
    reason = "test helpers panic on setup failure by design"
)]

mod common;

use common::detection::{
    alert_count, check_exactly_once, create_rules, ingest_key, spawn_load, wait_until_evaluated,
    wait_until_running,
};
use common::{Server, admin_client, socket_dir};
use sqlx::{ConnectOptions, Connection};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

const PASSWORD: &str = "detection-crash-admin-password";

async fn connect(dir: &std::path::Path) -> sqlx::PgConnection {
    sqlx::postgres::PgConnectOptions::new()
        .socket(socket_dir(dir))
        .username("vigil")
        .database("vigil")
        .connect()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_sigkill_while_detecting_misses_no_alert_and_raises_none_twice() {
    let dir = tempfile::tempdir().unwrap();
    let _relocated = common::Relocated(dir.path().to_path_buf());
    // No checkpoint but the one when the rules load: after the kill, every
    // event since is evaluated again.
    let env = [
        ("VIGIL_ADMIN_PASSWORD", PASSWORD),
        ("VIGIL_DETECTION_CHECKPOINT_SECS", "3600"),
        ("VIGIL_LOG", "info,vigil::detect=debug"),
    ];
    let mut server = Server::start(dir.path(), &env);
    let url = server.base_url();
    let (client, login) = admin_client(&url, PASSWORD).await;
    assert_eq!(login, 200);
    let key = ingest_key(&client, &url).await;
    create_rules(&client, &url).await;
    wait_until_running(&client, &url).await;

    let stop = Arc::new(AtomicBool::new(false));
    let acknowledged = Arc::new(AtomicUsize::new(0));
    let load: Vec<_> = (0..3)
        .map(|n| {
            spawn_load(
                url.clone(),
                key.clone(),
                n,
                Arc::clone(&stop),
                Arc::clone(&acknowledged),
            )
        })
        .collect();
    // Kill it mid-stream: alerts being raised, events still arriving.
    let mut db = connect(dir.path()).await;
    for _ in 0..600 {
        if acknowledged.load(Ordering::Relaxed) >= 3_000
            && alert_count(&mut db, "exactly_once_each").await >= 500
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    db.close().await.unwrap();
    let before = server.output();
    server.kill_hard();
    for task in load {
        task.await.unwrap();
    }
    eprintln!(
        "acknowledged before the kill: {}",
        acknowledged.load(Ordering::Relaxed)
    );
    let mut db = connect(dir.path()).await;
    let cursor: (i64, i64) = sqlx::query_as("SELECT watermark, checkpoint FROM detection_cursor")
        .fetch_one(&mut db)
        .await
        .unwrap();
    eprintln!(
        "cursor after the kill: {cursor:?}, alerts {}",
        alert_count(&mut db, "exactly_once_each").await
    );
    db.close().await.unwrap();

    let mut server = Server::start(dir.path(), &env);
    server.base_url();
    server.wait_for("this instance leads detection");
    if !server
        .output()
        .contains("evaluating events since the last checkpoint again")
    {
        eprintln!("before the kill:\n{before}");
    }
    let replayed = server.wait_for("evaluating events since the last checkpoint again");
    eprintln!("{replayed}");
    let mut db = connect(dir.path()).await;
    wait_until_evaluated(&mut db).await;
    let events = check_exactly_once(&mut db).await;
    assert!(events >= 3_000, "{events} probe events stored");
    db.close().await.unwrap();

    let (clean, output) = server.terminate();
    assert!(clean, "{output}");
}
