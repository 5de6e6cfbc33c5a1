//! Two real `vigil serve` processes on one database: one leads detection,
//! the other stands by; both ingest. SIGKILL the leader under load and the
//! other takes over — every stored event has its alert, none twice.

#![allow(
    clippy::unwrap_used,
    reason = "test helpers panic on setup failure by design"
)]

mod common;

use common::detection::{
    alert_count, check_exactly_once, create_rules, ingest_key, spawn_load, status,
    wait_until_evaluated, wait_until_running,
};
use common::{Server, admin_client, fresh_database};
use sqlx::postgres::PgConnectOptions;
use sqlx::{ConnectOptions, Connection};
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

const PASSWORD: &str = "detection-failover-admin-password";

async fn leads(client: &reqwest::Client, url: &str) -> bool {
    status(client, url).await.this_instance_leads
}

#[tokio::test]
async fn the_standby_takes_over_from_a_killed_leader_without_double_or_missed_alerts() {
    let database = fresh_database().await;
    let dirs = [tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap()];
    let env = [
        ("VIGIL_ADMIN_PASSWORD", PASSWORD),
        ("VIGIL_DATABASE_URL", database.as_str()),
        ("VIGIL_DETECTION_CHECKPOINT_SECS", "1"),
    ];
    let mut first = Server::start(dirs[0].path(), &env);
    let first_url = first.base_url();
    let mut second = Server::start(dirs[1].path(), &env);
    let second_url = second.base_url();
    let (first_client, login) = admin_client(&first_url, PASSWORD).await;
    assert_eq!(login, 200);
    let (second_client, login) = admin_client(&second_url, PASSWORD).await;
    assert_eq!(login, 200);
    let key = ingest_key(&first_client, &first_url).await;
    create_rules(&first_client, &first_url).await;

    // Exactly one leads.
    let mut leader = None;
    for _ in 0..100 {
        match (
            leads(&first_client, &first_url).await,
            leads(&second_client, &second_url).await,
        ) {
            (true, true) => panic!("both instances lead"),
            (true, false) => leader = Some(0),
            (false, true) => leader = Some(1),
            (false, false) => {}
        }
        if leader.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let leader = leader.expect("one instance leads");
    let urls = [first_url.clone(), second_url.clone()];
    let clients = [first_client, second_client];
    wait_until_running(&clients[leader], &urls[leader]).await;

    // Both ingest.
    let stop = Arc::new(AtomicBool::new(false));
    let acknowledged = Arc::new(AtomicUsize::new(0));
    let load: Vec<_> = (0..4)
        .map(|n| {
            spawn_load(
                urls[n % 2].clone(),
                key.clone(),
                n,
                Arc::clone(&stop),
                Arc::clone(&acknowledged),
            )
        })
        .collect();
    let mut db = PgConnectOptions::from_str(&database)
        .unwrap()
        .connect()
        .await
        .unwrap();
    // While the leader lives, it alone commits rounds: the cursor names it
    // throughout, and the standby never leads.
    // Watched for longer than a standby waits between attempts to lead.
    let mut leaders = std::collections::HashSet::new();
    let watching = std::time::Instant::now();
    for _ in 0..1000 {
        let named: String = sqlx::query_scalar("SELECT leader FROM detection_cursor")
            .fetch_one(&mut db)
            .await
            .unwrap();
        leaders.insert(named);
        assert!(
            !leads(&clients[1 - leader], &urls[1 - leader]).await,
            "the standby leads while the leader lives"
        );
        if alert_count(&mut db, "exactly_once_each").await >= 2_000
            && watching.elapsed() >= Duration::from_secs(3)
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(leaders.len(), 1, "the lead changed hands: {leaders:?}");
    // The leader dies; the survivor's clients keep sending.
    let (mut survivor, killed) = if leader == 0 {
        (second, first)
    } else {
        (first, second)
    };
    killed.kill_hard();
    let survivor_url = urls[1 - leader].clone();
    let survivor_client = &clients[1 - leader];
    let mut took_over = false;
    for _ in 0..150 {
        if leads(survivor_client, &survivor_url).await {
            took_over = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(took_over, "the standby did not take the lead within 15 s");
    let before = alert_count(&mut db, "exactly_once_each").await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    stop.store(true, Ordering::Relaxed);
    for task in load {
        task.await.unwrap();
    }
    wait_until_evaluated(&mut db).await;
    let after = alert_count(&mut db, "exactly_once_each").await;
    assert!(
        after > before,
        "the new leader raised alerts ({before} → {after})"
    );
    let events = check_exactly_once(&mut db).await;
    eprintln!(
        "{events} probe events stored, {} acknowledged",
        acknowledged.load(Ordering::Relaxed)
    );
    db.close().await.unwrap();
    survivor.wait_for("this instance leads detection");
    let (clean, output) = survivor.terminate();
    assert!(clean, "{output}");
}
