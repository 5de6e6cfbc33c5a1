//! The embedded Postgres supervisor against the system's real binaries.

#![allow(
    clippy::unwrap_used,
    reason = "test helpers panic on setup failure by design"
)]

use sqlx::{ConnectOptions, Connection};
use vigil::db::EmbeddedPostgres;

/// Removes a cluster that was relocated out of the temporary data directory
/// (as happens when tests run as root), so test runs leave nothing behind.
struct RelocatedCleanup(std::path::PathBuf);

impl Drop for RelocatedCleanup {
    fn drop(&mut self) {
        if let Ok(target) = std::fs::read_link(self.0.join("postgres")) {
            let _ = std::fs::remove_dir_all(target);
        }
    }
}

async fn answer(cluster: &EmbeddedPostgres) -> i32 {
    let mut conn = cluster.connect_options("vigil").connect().await.unwrap();
    let one: i32 = sqlx::query_scalar("SELECT 1")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    conn.close().await.unwrap();
    one
}

#[tokio::test]
async fn initialises_serves_on_a_socket_only_and_restarts_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let _cleanup = RelocatedCleanup(dir.path().to_path_buf());
    let cluster = EmbeddedPostgres::start(dir.path(), None).await.unwrap();
    assert_eq!(answer(&cluster).await, 1);

    let mut conn = cluster.connect_options("vigil").connect().await.unwrap();
    let listen: String = sqlx::query_scalar("SHOW listen_addresses")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(listen, "", "no TCP listener");
    sqlx::query("CREATE TABLE kept (v int)")
        .execute(&mut conn)
        .await
        .unwrap();
    sqlx::query("INSERT INTO kept VALUES (42)")
        .execute(&mut conn)
        .await
        .unwrap();
    conn.close().await.unwrap();
    cluster.stop().await.unwrap();
    assert!(
        !dir.path().join("postgres/data/postmaster.pid").exists(),
        "clean shutdown removes the pid file"
    );

    // Second start reuses the cluster and its data.
    let cluster = EmbeddedPostgres::start(dir.path(), None).await.unwrap();
    let mut conn = cluster.connect_options("vigil").connect().await.unwrap();
    let kept: i32 = sqlx::query_scalar("SELECT v FROM kept")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(kept, 42);
    conn.close().await.unwrap();
    cluster.stop().await.unwrap();
}

#[tokio::test]
async fn recovers_from_a_stale_pid_file_and_from_an_orphaned_server() {
    let dir = tempfile::tempdir().unwrap();
    let _cleanup = RelocatedCleanup(dir.path().to_path_buf());
    let cluster = EmbeddedPostgres::start(dir.path(), None).await.unwrap();
    cluster.stop().await.unwrap();

    // A pid file left by a crash whose pid now belongs to an unrelated process (this test).
    let pid_file = dir.path().join("postgres/data/postmaster.pid");
    std::fs::write(&pid_file, format!("{}\n/nowhere\n", std::process::id())).unwrap();
    let cluster = EmbeddedPostgres::start(dir.path(), None).await.unwrap();
    assert_eq!(answer(&cluster).await, 1);

    // Vigil dies without stopping its Postgres (as after SIGKILL): the next start
    // must shut the orphan down and take over.
    cluster.abandon();
    let cluster = EmbeddedPostgres::start(dir.path(), None).await.unwrap();
    assert_eq!(answer(&cluster).await, 1);
    cluster.stop().await.unwrap();
}

#[tokio::test]
async fn two_processes_cannot_share_a_data_directory() {
    let dir = tempfile::tempdir().unwrap();
    let _cleanup = RelocatedCleanup(dir.path().to_path_buf());
    let first = EmbeddedPostgres::start(dir.path(), None).await.unwrap();
    let second = EmbeddedPostgres::start(dir.path(), None).await.unwrap_err();
    assert!(
        format!("{second:#}").contains("another Vigil process"),
        "{second:#}"
    );
    // The running cluster was left alone.
    assert_eq!(answer(&first).await, 1);
    first.stop().await.unwrap();
}
