//! A real log shipper from Debian's packages, syslog-ng, forwards the 2,000
//! loghub sshd lines to Vigil's syslog TCP listener: every line arrives once.

use crate::helpers::{spawn_app, spawn_syslog_ng, syslog_ng_config_version};
use std::collections::HashMap;
use std::time::Duration;

#[tokio::test]
async fn syslog_ng_delivers_every_line_exactly_once() {
    let app = spawn_app().await;
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("auth.log");
    let lines = std::fs::read_to_string(crate::helpers::SSHD_LOG).unwrap();
    // The sample lacks a final newline; a file shipper waits for it before
    // sending the last line, as it should.
    std::fs::write(&input, format!("{}\n", lines.trim_end())).unwrap();
    let config = dir.path().join("syslog-ng.conf");
    std::fs::write(
        &config,
        format!(
            "@version: {version}\n\
             options {{ keep-hostname(yes); stats_freq(0); }};\n\
             source s_file {{ file(\"{input}\" follow-freq(0.1)); }};\n\
             destination d_vigil {{ syslog(\"127.0.0.1\" port({port}) transport(\"tcp\")); }};\n\
             log {{ source(s_file); destination(d_vigil); }};\n",
            version = syslog_ng_config_version(),
            input = input.display(),
            port = app.syslog_tcp.port(),
        ),
    )
    .unwrap();
    let mut shipper = spawn_syslog_ng(&config, dir.path());

    let mut stored = 0i64;
    for _ in 0..600 {
        stored = sqlx::query_scalar("SELECT count(*) FROM events")
            .fetch_one(&app.pool)
            .await
            .unwrap();
        if stored >= 2000 {
            break;
        }
        if let Some(status) = shipper.try_wait().unwrap() {
            let mut error = String::new();
            if let Some(mut stderr) = shipper.stderr.take() {
                use tokio::io::AsyncReadExt;
                let _ = stderr.read_to_string(&mut error).await;
            }
            panic!("syslog-ng exited ({status}): {error}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Give a duplicate, if any were coming, the chance to arrive.
    tokio::time::sleep(Duration::from_millis(500)).await;
    shipper.kill().await.unwrap();

    let mut expected: HashMap<String, i64> = HashMap::new();
    for line in lines.lines() {
        let message = line.split_once("]: ").map(|(_, m)| m).unwrap_or(line);
        // The message column holds the trimmed text (the document keeps the original).
        *expected.entry(message.trim().to_owned()).or_default() += 1;
    }
    let rows: Vec<(String, i64)> = sqlx::query_as(
        "SELECT message, count(*) FROM events WHERE host_name = 'LabSZ' AND process_name = 'sshd' GROUP BY message",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    let arrived: HashMap<String, i64> = rows.into_iter().collect();
    assert_eq!(stored, 2000, "every line, and nothing else");
    let mut mismatches: Vec<String> = Vec::new();
    for (message, count) in &expected {
        let got = arrived.get(message).copied().unwrap_or(0);
        if got != *count {
            mismatches.push(format!("{message:?}: sent {count}, stored {got}"));
        }
    }
    for (message, got) in &arrived {
        if !expected.contains_key(message) {
            mismatches.push(format!("{message:?}: never sent, stored {got}"));
        }
    }
    mismatches.sort();
    assert!(
        mismatches.is_empty(),
        "each line exactly as often as it was written:\n{}",
        mismatches[..mismatches.len().min(10)].join("\n")
    );
    let structured: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM events WHERE action = 'ssh_login' AND outcome = 'failure' AND user_name IS NOT NULL AND source_ip IS NOT NULL",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert!(
        structured >= 518,
        "failed logins carry user and address ({structured})"
    );
}
