//! The real server under the network-level abuse anyone can send without
//! credentials: an endless syslog line, thousands of idle syslog
//! connections, and HTTP clients trickling their headers (slowloris).

#![allow(
    clippy::unwrap_used,
    reason = "test helpers panic on setup failure by design"
)]

mod common;

use common::{Server, socket_dir};
use sqlx::{ConnectOptions, Connection};
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Opens a connection to `to` from the loopback address `from`, so that
/// tests can play several peers.
async fn connect_from(from: [u8; 4], to: SocketAddr) -> std::io::Result<TcpStream> {
    let socket = TcpSocket::new_v4()?;
    socket.bind(SocketAddr::from((from, 0)))?;
    socket.connect(to).await
}

/// Says whether the server closed `stream` (or reset it) within `wait`.
async fn closed_within(stream: &mut TcpStream, wait: Duration) -> bool {
    let mut byte = [0u8; 1];
    matches!(
        tokio::time::timeout(wait, stream.read(&mut byte)).await,
        Ok(Ok(0) | Err(_))
    )
}

#[tokio::test]
async fn an_endless_syslog_line_and_idle_floods_leave_memory_bounded_and_syslog_flowing() {
    let dir = tempfile::tempdir().unwrap();
    let _relocated = common::Relocated(dir.path().to_path_buf());
    let port = free_port();
    let syslog: SocketAddr = ([127, 0, 0, 1], port).into();
    let mut server = Server::start(
        dir.path(),
        &[
            ("VIGIL_SYSLOG_TCP", &syslog.to_string()),
            ("VIGIL_DETECTION", "false"),
        ],
    );
    server.wait_for("syslog TCP listener started");
    let _url = server.base_url();

    // 2,000 idle connections from one address: beyond its share the server
    // closes them at once.
    let mut idle = Vec::new();
    for _ in 0..2_000 {
        if let Ok(stream) = connect_from([127, 0, 0, 2], syslog).await {
            idle.push(stream);
        }
    }
    let mut refused = 0;
    for stream in idle.iter_mut().rev().take(200) {
        refused += usize::from(closed_within(stream, Duration::from_millis(200)).await);
    }
    assert!(refused >= 190, "only {refused} of the last 200 were closed");

    // 500 MB that starts like an octet count and never ends its line.
    let flood = tokio::spawn(async move {
        let mut stream = connect_from([127, 0, 0, 3], syslog).await.unwrap();
        stream.write_all(b"1x").await.unwrap();
        let chunk = vec![b'a'; 1024 * 1024];
        for _ in 0..500 {
            if stream.write_all(&chunk).await.is_err() {
                return false;
            }
        }
        true
    });

    // Meanwhile a well-behaved sender's messages arrive.
    let mut good = connect_from([127, 0, 0, 1], syslog).await.unwrap();
    for i in 0..20 {
        let line = format!("<13>Dec  4 10:00:{i:02} web-1 app: well-behaved message {i}\n");
        good.write_all(line.as_bytes()).await.unwrap();
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(flood.await.unwrap(), "the server stopped reading the flood");
    good.shutdown().await.unwrap();

    let mut conn = sqlx::postgres::PgConnectOptions::new()
        .socket(socket_dir(dir.path()))
        .username("vigil")
        .database("vigil")
        .connect()
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let stored: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM events WHERE message LIKE 'well-behaved message %'",
        )
        .fetch_one(&mut conn)
        .await
        .unwrap();
        if stored == 20 {
            break;
        }
        assert!(Instant::now() < deadline, "{stored} of 20 messages stored");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // The endless line was kept as one bounded message.
    let longest: Option<i32> =
        sqlx::query_scalar("SELECT max(length(message)) FROM events WHERE message LIKE '1xaaaa%'")
            .fetch_one(&mut conn)
            .await
            .unwrap();
    assert!(longest.unwrap_or(0) <= 64 * 1024, "{longest:?}");
    conn.close().await.unwrap();

    let (_, peak_kib) = server.memory_kib();
    assert!(
        peak_kib < 300 * 1024,
        "peak resident memory {} MiB",
        peak_kib / 1024
    );
    drop(idle);
    let (clean, output) = server.terminate();
    assert!(clean, "{output}");
}

#[tokio::test]
async fn clients_trickling_headers_are_cut_off_and_health_answers_throughout() {
    let dir = tempfile::tempdir().unwrap();
    let _relocated = common::Relocated(dir.path().to_path_buf());
    let mut server = Server::start(
        dir.path(),
        &[
            ("VIGIL_HTTP_HEADER_TIMEOUT_SECS", "3"),
            ("VIGIL_DETECTION", "false"),
        ],
    );
    let url = server.base_url();
    let address: SocketAddr = url.trim_start_matches("http://").parse().unwrap();

    // 1,000 connections each sending a byte of a request head per second.
    let started = Instant::now();
    let mut tricklers = tokio::task::JoinSet::new();
    for _ in 0..1_000 {
        tricklers.spawn(async move {
            let Ok(mut stream) = TcpStream::connect(address).await else {
                return None;
            };
            let head = b"GET /api/v1/health HTTP/1.1\r\nHost: vigil\r\nX-Slow: ";
            for byte in head.iter().chain(std::iter::repeat(&b'a')) {
                if stream.write_all(&[*byte]).await.is_err() {
                    break;
                }
                if closed_within(&mut stream, Duration::from_secs(1)).await {
                    break;
                }
            }
            Some(started.elapsed())
        });
    }

    // Throughout, health answers within a second.
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(1))
        .build()
        .unwrap();
    while started.elapsed() < Duration::from_secs(6) {
        let response = client
            .get(format!("{url}/api/v1/health"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        tokio::time::sleep(Duration::from_millis(250)).await;
    }

    // Every trickler was cut off soon after the header deadline.
    let mut cut = 0;
    while let Some(ended) = tokio::time::timeout(Duration::from_secs(10), tricklers.join_next())
        .await
        .unwrap()
    {
        if let Some(after) = ended.unwrap() {
            assert!(
                after < Duration::from_secs(8),
                "closed only after {after:?}"
            );
            cut += 1;
        }
    }
    assert!(cut >= 990, "{cut} connections were cut off");
    let (clean, output) = server.terminate();
    assert!(clean, "{output}");
}

#[tokio::test]
async fn a_gzip_bomb_of_bad_lines_answers_briefly_in_bounded_memory() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let _relocated = common::Relocated(dir.path().to_path_buf());
    let password = "hostile-test-admin-password";
    let mut server = Server::start(
        dir.path(),
        &[
            ("VIGIL_ADMIN_PASSWORD", password),
            ("VIGIL_DETECTION", "false"),
        ],
    );
    let url = server.base_url();
    let (client, status) = common::admin_client(&url, password).await;
    assert_eq!(status, 200);
    let key = common::create_ingest_key(&client, &url, "bomb").await.key;

    // 16 MiB of `1\n` (8 million lines that are not objects), 16 KiB gzipped.
    let lines = 8 << 20;
    let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    let chunk = "1\n".repeat(1 << 16);
    for _ in 0..lines / (1 << 16) {
        gzip.write_all(chunk.as_bytes()).unwrap();
    }
    let bomb = gzip.finish().unwrap();
    assert!(bomb.len() < 64 * 1024);
    let (_, before_kib) = server.memory_kib();
    let response = reqwest::Client::new()
        .post(format!("{url}/api/v1/events/bulk"))
        .bearer_auth(&key)
        .header("content-type", "application/x-ndjson")
        .header("content-encoding", "gzip")
        .body(bomb)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let text = response.text().await.unwrap();
    assert!(text.len() < 200_000, "an answer of {} bytes", text.len());
    let answer: app::ingest::IngestResponse = serde_json::from_str(&text).unwrap();
    assert_eq!(answer.rejected_total, lines as u64);
    assert_eq!(answer.rejected.len(), 1_000);
    let (_, peak_kib) = server.memory_kib();
    assert!(
        peak_kib < before_kib + 200 * 1024,
        "peak resident memory grew by {} MiB",
        (peak_kib - before_kib) / 1024
    );
    let (clean, output) = server.terminate();
    assert!(clean, "{output}");
}
