//! Syslog over UDP and TCP into storage, with real sshd lines and garbage.

use crate::helpers::{TestApp, spawn_app};
use std::time::Duration;
use tokio::io::AsyncWriteExt;

const SSHD_LOG: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/data/loghub/OpenSSH/OpenSSH_2k.log"
);

/// host_name, process_name, log_level, payload.
type StoredRow = (
    Option<String>,
    Option<String>,
    Option<String>,
    serde_json::Value,
);

async fn wait_for_events(app: &TestApp, expected: i64) -> i64 {
    let mut stored = 0;
    for _ in 0..200 {
        stored = sqlx::query_scalar("SELECT count(*) FROM events")
            .fetch_one(&app.pool)
            .await
            .unwrap();
        if stored >= expected {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    stored
}

#[tokio::test]
async fn udp_datagrams_of_both_rfcs_and_garbage_are_stored() {
    let app = spawn_app().await;
    let socket = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let now = chrono::Utc::now();
    let rfc5424 = format!(
        "<86>1 {} bastion-2 sudo 912 - - alice : TTY=pts/0 ; COMMAND=/bin/bash",
        now.to_rfc3339()
    );
    let rfc3164 = format!(
        "<38>{} LabSZ sshd[24200]: Invalid user webmaster from 173.234.31.186",
        now.format("%b %e %H:%M:%S")
    );
    for datagram in [
        rfc5424.as_bytes(),
        rfc3164.as_bytes(),
        b"\xff\x00 not syslog at all",
    ] {
        socket.send_to(datagram, app.syslog_udp).await.unwrap();
    }
    assert_eq!(wait_for_events(&app, 3).await, 3);
    let rows: Vec<StoredRow> = sqlx::query_as(
        "SELECT host_name, process_name, log_level, payload FROM events ORDER BY host_name NULLS LAST",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(rows[0].0.as_deref(), Some("LabSZ"));
    assert_eq!(rows[0].1.as_deref(), Some("sshd"));
    assert_eq!(rows[0].2.as_deref(), Some("informational"));
    assert_eq!(rows[1].0.as_deref(), Some("bastion-2"));
    assert_eq!(rows[1].1.as_deref(), Some("sudo"));
    assert_eq!(rows[1].3["log"]["syslog"]["facility"]["name"], "authpriv");
    assert_eq!(
        rows[2].3["vigil"]["flags"],
        serde_json::json!([
            "invalid_utf8_replaced",
            "syslog_unparsed",
            "timestamp_missing"
        ])
    );
    assert_eq!(
        rows[2].3["vigil"]["source"]["name"],
        format!("syslog-udp {}", app.syslog_udp)
    );
}

#[tokio::test]
async fn a_tcp_stream_of_real_sshd_lines_arrives_whole_and_garbage_does_not_hurt() {
    let app = spawn_app().await;
    // Garbage first, on its own connection: an absurd octet count closes it.
    let mut bad = tokio::net::TcpStream::connect(app.syslog_tcp)
        .await
        .unwrap();
    bad.write_all(b"999999 \x00\x01\x02garbage").await.unwrap();
    drop(bad);

    let lines = std::fs::read_to_string(SSHD_LOG).unwrap();
    let mut stream = tokio::net::TcpStream::connect(app.syslog_tcp)
        .await
        .unwrap();
    // Octet-counted frames and plain lines may be mixed by a relay.
    let framed = "<13>1 - relay1 app - - - framed";
    stream
        .write_all(
            format!(
                "{} {framed}
",
                framed.len()
            )
            .as_bytes(),
        )
        .await
        .unwrap();
    stream.write_all(lines.as_bytes()).await.unwrap();
    stream.shutdown().await.unwrap();
    assert_eq!(wait_for_events(&app, 2001).await, 2001);

    let failures: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM events WHERE process_name = 'sshd' AND host_name = 'LabSZ'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(failures, 2000);
    let framed: String =
        sqlx::query_scalar("SELECT message FROM events WHERE host_name = 'relay1'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(framed, "framed");

    let mut sources: Vec<app::ingest::SourceSummary> = Vec::new();
    app.login_as_admin().await;
    for _ in 0..100 {
        sources = app.get("/api/v1/sources").await.json().await.unwrap();
        if sources.iter().any(|s| s.accepted == 2001) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let listener = sources
        .iter()
        .find(|s| s.kind == app::ingest::SourceKind::Listener)
        .unwrap();
    assert_eq!(listener.accepted, 2001);
    assert_eq!(listener.name, format!("syslog-tcp {}", app.syslog_tcp));
}
