//! An export of a million events streams through the real server in bounded
//! memory: the process's peak resident size stays far below the size of what
//! it sent, and every row arrives once, in order.

#![allow(
    clippy::unwrap_used,
    reason = "test helpers panic on setup failure by design"
)]

mod common;

use common::{Server, admin_client, socket_dir};
use sqlx::{ConnectOptions, Connection};

const PASSWORD: &str = "export-test-admin-password";
const ROWS: i64 = 1_000_000;

#[tokio::test]
async fn a_million_row_export_streams_in_bounded_memory() {
    let dir = tempfile::tempdir().unwrap();
    let _relocated = common::Relocated(dir.path().to_path_buf());
    let mut server = Server::start(dir.path(), &[("VIGIL_ADMIN_PASSWORD", PASSWORD)]);
    let url = server.base_url();

    // A million events of about 600 bytes yesterday, written straight into
    // the table: this test is about reading them out.
    let mut conn = sqlx::postgres::PgConnectOptions::new()
        .socket(socket_dir(dir.path()))
        .username("vigil")
        .database("vigil")
        .connect()
        .await
        .unwrap();
    let day: chrono::NaiveDate = sqlx::query_scalar("SELECT current_date - 1")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    sqlx::query("SELECT vigil_ensure_event_partition($1)")
        .bind(day)
        .execute(&mut conn)
        .await
        .unwrap();
    sqlx::query(
        r#"INSERT INTO events (ts, id, ingested_at, host_name, message, payload)
           SELECT $1::date + i * interval '50 ms', gen_random_uuid(), now(), 'web-' || (i % 50),
                  'export row ' || i,
                  jsonb_build_object('message', 'export row ' || i, 'n', i,
                                     'host', jsonb_build_object('name', 'web-' || (i % 50)),
                                     'padding', repeat('x', 480))
           FROM generate_series(0, $2 - 1) AS i"#,
    )
    .bind(day)
    .bind(ROWS)
    .execute(&mut conn)
    .await
    .unwrap();
    conn.close().await.unwrap();

    let (client, login) = admin_client(&url, PASSWORD).await;
    assert_eq!(login, 200);
    let (baseline, _) = server.memory_kib();
    let mut response = client
        .post(format!("{url}/api/v1/search/export"))
        .json(&serde_json::json!({
            "query": "",
            "from": format!("{day}T00:00:00Z"),
            "to": format!("{}T00:00:00Z", day.succ_opt().unwrap()),
            "format": "ndjson",
            "sort": "asc",
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);

    let (mut bytes, mut lines, mut next, mut carry) = (0u64, 0i64, 0i64, Vec::<u8>::new());
    let mut peak_rss = 0;
    while let Some(chunk) = response.chunk().await.unwrap() {
        bytes += chunk.len() as u64;
        carry.extend_from_slice(&chunk);
        let end = carry.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
        for line in carry[..end]
            .split(|b| *b == b'\n')
            .filter(|l| !l.is_empty())
        {
            let event: serde_json::Value = serde_json::from_slice(line).unwrap();
            assert_eq!(event["n"], next, "rows arrive once each, in time order");
            next += 1;
            lines += 1;
        }
        carry.drain(..end);
        if lines % 50_000 < 200 {
            peak_rss = peak_rss.max(server.memory_kib().0);
        }
    }
    assert!(carry.is_empty(), "the export ends with a whole line");
    assert_eq!(lines, ROWS);

    let (_, high_water) = server.memory_kib();
    let grown_mib = high_water.saturating_sub(baseline) / 1024;
    let sent_mib = bytes / (1024 * 1024);
    eprintln!(
        "exported {lines} rows, {sent_mib} MiB; server RSS before {} MiB, \
         sampled peak {} MiB, high-water {} MiB (+{grown_mib} MiB)",
        baseline / 1024,
        peak_rss / 1024,
        high_water / 1024
    );
    assert!(sent_mib > 500, "the export is large: {sent_mib} MiB");
    assert!(
        grown_mib < 64,
        "the server grew by {grown_mib} MiB while sending {sent_mib} MiB"
    );

    let (clean, output) = server.terminate();
    assert!(clean, "{output}");
}
