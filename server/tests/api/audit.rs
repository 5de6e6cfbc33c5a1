//! The audit trail: what is recorded, and that it cannot be changed unnoticed.

use crate::helpers::{ADMIN_PASSWORD, spawn_app};
use app::audit::{AuditPage, AuditVerification};
use reqwest::StatusCode;

#[tokio::test]
async fn identity_events_are_recorded_in_order() {
    let app = spawn_app().await;
    app.login_response("admin", "wrong password").await;
    app.login_response("admin", ADMIN_PASSWORD).await;
    let key = app.create_ingest_key("syslog-relay").await;
    app.client
        .delete(app.url(&format!("/api/v1/api-keys/{}", key.id)))
        .send()
        .await
        .unwrap();
    app.client
        .post(app.url("/api/v1/auth/logout"))
        .send()
        .await
        .unwrap();

    let actions = app.audit_actions().await;
    let expected = [
        ("user.create", "success", Some("admin")),
        ("auth.login", "failure", Some("admin")),
        ("auth.login", "success", Some("admin")),
        ("api_key.create", "success", None),
        ("api_key.revoke", "success", None),
        ("auth.logout", "success", None),
    ];
    assert_eq!(actions.len(), expected.len(), "{actions:?}");
    for ((action, outcome, target), (want_action, want_outcome, want_target)) in
        actions.iter().zip(expected)
    {
        assert_eq!(action, want_action);
        assert_eq!(outcome, want_outcome, "{action}");
        if let Some(want) = want_target {
            assert_eq!(target.as_deref(), Some(want), "{action}");
        }
    }
    let details: serde_json::Value =
        sqlx::query_scalar("SELECT details FROM audit_log WHERE action = 'api_key.create'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert!(
        !details.to_string().contains(&key.key),
        "secrets never reach the audit log"
    );
}

#[tokio::test]
async fn the_audit_log_refuses_updates_deletes_and_truncation() {
    let app = spawn_app().await;
    app.login_as_admin().await;
    for statement in [
        "UPDATE audit_log SET outcome = 'success'",
        "DELETE FROM audit_log",
        "TRUNCATE audit_log",
    ] {
        let error = sqlx::query(statement).execute(&app.pool).await.unwrap_err();
        assert!(
            error.to_string().contains("append-only"),
            "{statement}: {error}"
        );
    }
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM audit_log")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(count, 2);
}

#[tokio::test]
async fn the_hash_chain_verifies_and_exposes_tampering() {
    let app = spawn_app().await;
    app.login_as_admin().await;
    app.login_response("admin", "wrong password").await;
    app.login_as_admin().await;

    let verification: AuditVerification =
        app.get("/api/v1/audit/verify").await.json().await.unwrap();
    assert!(verification.intact);
    assert_eq!(verification.checked, 4);

    // Someone with superuser rights bypasses the guard triggers and edits history.
    let mut tx = app.pool.begin().await.unwrap();
    sqlx::query("ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update")
        .execute(&mut *tx)
        .await
        .unwrap();
    sqlx::query("UPDATE audit_log SET outcome = 'success' WHERE outcome = 'failure'")
        .execute(&mut *tx)
        .await
        .unwrap();
    sqlx::query("ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_update")
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let tampered_seq: i64 =
        sqlx::query_scalar("SELECT seq FROM audit_log ORDER BY seq OFFSET 2 LIMIT 1")
            .fetch_one(&app.pool)
            .await
            .unwrap();

    let verification: AuditVerification =
        app.get("/api/v1/audit/verify").await.json().await.unwrap();
    assert!(!verification.intact);
    assert_eq!(verification.first_broken_seq, Some(tampered_seq));
}

#[tokio::test]
async fn concurrent_writers_keep_one_unbroken_chain() {
    let app = spawn_app().await;
    let mut attempts = Vec::new();
    for i in 0..16 {
        let client = crate::helpers::new_client();
        let url = app.url("/api/v1/auth/login");
        attempts.push(tokio::spawn(async move {
            client
                .post(url)
                .json(&serde_json::json!({"username": format!("user{i}"), "password": "nope"}))
                .send()
                .await
                .unwrap()
                .status()
        }));
    }
    for attempt in attempts {
        assert_eq!(attempt.await.unwrap(), StatusCode::UNAUTHORIZED);
    }
    app.login_as_admin().await;
    let verification: AuditVerification =
        app.get("/api/v1/audit/verify").await.json().await.unwrap();
    assert!(verification.intact, "{verification:?}");
    assert_eq!(verification.checked, 18);
}

#[tokio::test]
async fn audit_pages_walk_backwards_without_gaps() {
    let app = spawn_app().await;
    for _ in 0..4 {
        app.login_response("admin", "wrong").await;
    }
    app.login_as_admin().await;
    let first: AuditPage = app.get("/api/v1/audit?limit=4").await.json().await.unwrap();
    assert_eq!(first.entries.len(), 4);
    assert_eq!(first.entries[0].action, "auth.login");
    assert_eq!(first.entries[0].actor_name.as_deref(), Some("admin"));
    assert_eq!(first.entries[0].client_ip.as_deref(), Some("127.0.0.1"));
    let before = first.next_before.unwrap();
    let second: AuditPage = app
        .get(&format!("/api/v1/audit?limit=4&before={before}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(second.entries.len(), 2);
    assert!(second.next_before.is_none());
    let mut seqs: Vec<i64> = first
        .entries
        .iter()
        .chain(&second.entries)
        .map(|e| e.seq)
        .collect();
    seqs.reverse();
    assert_eq!(seqs, (seqs[0]..seqs[0] + 6).collect::<Vec<_>>());
    let bad = app.get("/api/v1/audit?limit=0").await;
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
}
