//! Acknowledged means stored: SIGKILL the server under sustained ingest, restart
//! it, and every event that got a 2xx is in the database, exactly once.

#![allow(
    clippy::unwrap_used,
    reason = "test helpers panic on setup failure by design"
)]

mod common;

use common::{Server, admin_client, create_ingest_key, socket_dir};
use sqlx::{ConnectOptions, Connection};
use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

const PASSWORD: &str = "crash-test-admin-password";

async fn ingest_key(url: &str) -> String {
    let (client, login) = admin_client(url, PASSWORD).await;
    assert_eq!(login, 200);
    create_ingest_key(&client, url, "crash-test").await.key
}

#[tokio::test]
async fn a_sigkill_under_load_loses_no_acknowledged_event_and_duplicates_none() {
    let dir = tempfile::tempdir().unwrap();
    let _relocated = common::Relocated(dir.path().to_path_buf());
    let env = [("VIGIL_ADMIN_PASSWORD", PASSWORD)];
    let mut server = Server::start(dir.path(), &env);
    let url = server.base_url();
    let key = ingest_key(&url).await;

    let acknowledged: Arc<Mutex<Vec<String>>> = Arc::default();
    let mut clients = Vec::new();
    for client_number in 0..4 {
        let (url, key, acknowledged) = (url.clone(), key.clone(), Arc::clone(&acknowledged));
        clients.push(tokio::spawn(async move {
            let http = reqwest::Client::new();
            for batch in 0.. {
                let messages: Vec<String> = (0..50)
                    .map(|i| format!("c{client_number}-b{batch}-e{i}"))
                    .collect();
                let body: String = messages
                    .iter()
                    .map(|m| format!("{{\"message\":\"{m}\"}}\n"))
                    .collect();
                let sent = http
                    .post(format!("{url}/api/v1/events/bulk"))
                    .bearer_auth(&key)
                    .body(body)
                    .timeout(Duration::from_secs(10))
                    .send()
                    .await;
                match sent {
                    Ok(response) if response.status() == 200 => {
                        let answer: serde_json::Value = match response.json().await {
                            Ok(answer) => answer,
                            Err(_) => return,
                        };
                        assert_eq!(answer["accepted"], 50);
                        acknowledged.lock().unwrap().extend(messages);
                    }
                    _ => return,
                }
            }
        }));
    }
    // Let the load run, then kill the server without warning.
    for _ in 0..100 {
        if acknowledged.lock().unwrap().len() >= 5_000 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    server.kill_hard();
    for client in clients {
        client.await.unwrap();
    }
    let acknowledged: Vec<String> = acknowledged.lock().unwrap().clone();
    eprintln!("acknowledged before the kill: {}", acknowledged.len());
    assert!(
        acknowledged.len() >= 1_000,
        "the load ran before the kill ({} acknowledged)",
        acknowledged.len()
    );

    // The restart takes over the orphaned Postgres and recovers.
    let mut server = Server::start(dir.path(), &env);
    server.base_url();
    let mut conn = sqlx::postgres::PgConnectOptions::new()
        .socket(socket_dir(dir.path()))
        .username("vigil")
        .database("vigil")
        .connect()
        .await
        .unwrap();
    let stored: Vec<(String, i64)> =
        sqlx::query_as("SELECT message, count(*) FROM events GROUP BY message")
            .fetch_all(&mut conn)
            .await
            .unwrap();
    conn.close().await.unwrap();
    let duplicates: Vec<&(String, i64)> = stored.iter().filter(|(_, n)| *n > 1).collect();
    assert!(
        duplicates.is_empty(),
        "stored twice: {:?}",
        &duplicates[..duplicates.len().min(5)]
    );
    let stored: HashSet<&str> = stored.iter().map(|(m, _)| m.as_str()).collect();
    let lost: Vec<&String> = acknowledged
        .iter()
        .filter(|m| !stored.contains(m.as_str()))
        .collect();
    assert!(
        lost.is_empty(),
        "{} acknowledged events lost, e.g. {:?}",
        lost.len(),
        &lost[..lost.len().min(5)]
    );

    let (clean, output) = server.terminate();
    assert!(clean, "{output}");
}
