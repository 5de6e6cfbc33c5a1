//! The audit trail: what is recorded, and that it cannot be changed unnoticed.

use crate::helpers::{ADMIN_PASSWORD, spawn_app};
use app::audit::{AuditPage, AuditProblem, AuditVerification};
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
async fn the_apps_own_role_cannot_alter_the_audit_trail() {
    let app = spawn_app().await;
    app.login_as_admin().await;
    // Each statement is what an injection through the app's connections
    // would try; only the owner (or a superuser) could run them.
    for statement in [
        "ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update",
        "ALTER TABLE audit_log DISABLE TRIGGER ALL",
        "DROP TRIGGER audit_log_no_update ON audit_log",
        "UPDATE audit_log SET outcome = 'success'",
        "DELETE FROM audit_log",
        "TRUNCATE audit_log",
        "ALTER TABLE audit_checkpoints DISABLE TRIGGER ALL",
        "DELETE FROM audit_checkpoints",
        "CREATE OR REPLACE FUNCTION audit_log_refuse_change() RETURNS trigger \
         LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$",
        "SELECT setval('audit_log_seq', 1)",
        "DROP TABLE audit_log",
    ] {
        let error = sqlx::query(statement)
            .execute(&app.app_pool)
            .await
            .unwrap_err();
        let code = error
            .as_database_error()
            .and_then(|e| e.code())
            .map(|c| c.into_owned());
        // 42501 insufficient_privilege, whether by grant or by ownership.
        assert_eq!(code.as_deref(), Some("42501"), "{statement}: {error}");
    }
    let exposed = vigil::db::roles::audit_exposed_to(&app.app_pool)
        .await
        .unwrap();
    assert!(!exposed);
    // While it still appends, reads, and runs its partition DDL.
    app.login_response("admin", "wrong password").await;
    let partitions: i64 =
        sqlx::query_scalar("SELECT count(*) FROM pg_inherits WHERE inhparent = 'events'::regclass")
            .fetch_one(&app.app_pool)
            .await
            .unwrap();
    assert!(partitions > 0);
    let created: bool = sqlx::query_scalar("SELECT vigil_ensure_event_partition('2031-01-01')")
        .fetch_one(&app.app_pool)
        .await
        .unwrap();
    assert!(created);
    let exposed_as_owner = vigil::db::roles::audit_exposed_to(&app.pool).await.unwrap();
    assert!(
        exposed_as_owner,
        "the owner can; that is what checkpoints are for"
    );
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

    // The database's owner bypasses the guard triggers and edits history.
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

/// Runs `statements` in one transaction as the database's owner.
async fn as_owner<const N: usize>(app: &crate::helpers::TestApp, statements: [String; N]) {
    let mut tx = app.pool.begin().await.unwrap();
    for statement in statements {
        sqlx::query(sqlx::AssertSqlSafe(statement))
            .execute(&mut *tx)
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();
}

/// As the database's owner: edits record `seq` and recomputes the chain from
/// it onward, so the chain alone verifies.
async fn edit_and_recompute(app: &crate::helpers::TestApp, seq: i64) {
    as_owner(
        app,
        [
            "ALTER TABLE audit_log DISABLE TRIGGER USER".to_owned(),
            format!("UPDATE audit_log SET outcome = 'success' WHERE seq = {seq}"),
            format!(
                "DO $$
             DECLARE
                 r audit_log;
                 previous bytea := coalesce(
                     (SELECT hash FROM audit_log WHERE seq < {seq} ORDER BY seq DESC LIMIT 1),
                     '\\x0000000000000000000000000000000000000000000000000000000000000000'::bytea);
             BEGIN
                 FOR r IN SELECT * FROM audit_log WHERE seq >= {seq} ORDER BY seq LOOP
                     r.prev_hash := previous;
                     r.hash := sha256(previous || convert_to(audit_log_canonical(r), 'UTF8'));
                     UPDATE audit_log SET prev_hash = r.prev_hash, hash = r.hash WHERE seq = r.seq;
                     previous := r.hash;
                 END LOOP;
             END $$"
            ),
            "ALTER TABLE audit_log ENABLE TRIGGER USER".to_owned(),
        ],
    )
    .await;
}

async fn first_failure_seq(app: &crate::helpers::TestApp) -> i64 {
    sqlx::query_scalar("SELECT min(seq) FROM audit_log WHERE outcome = 'failure'")
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_recomputed_chain_no_longer_matches_its_signed_checkpoint() {
    let app = spawn_app().await;
    app.login_response("admin", "wrong password").await;
    app.login_as_admin().await;
    let signed = app.sign_audit_checkpoint().await.expect("a checkpoint");
    let verification = app.verify_audit().await;
    assert!(verification.intact, "{verification:?}");
    assert_eq!(verification.checkpoints.verified, 1);
    assert_eq!(verification.checkpoints.latest_seq, Some(signed));
    // The verification's own audit-free read adds nothing; the login did.
    assert_eq!(
        app.sign_audit_checkpoint().await,
        None,
        "nothing new to sign"
    );

    edit_and_recompute(&app, first_failure_seq(&app).await).await;
    let verification = app.verify_audit().await;
    assert_eq!(
        verification.first_broken_seq, None,
        "the chain alone is fooled"
    );
    assert!(!verification.intact);
    assert!(
        verification
            .problems
            .contains(&AuditProblem::CheckpointMismatch { seq: signed }),
        "{verification:?}"
    );
}

#[tokio::test]
async fn cutting_the_newest_records_and_their_checkpoints_is_detected() {
    let app = spawn_app().await;
    app.login_as_admin().await;
    let first = app.sign_audit_checkpoint().await.unwrap();
    app.login_response("admin", "wrong password").await;
    app.login_response("admin", "wrong again").await;
    let second = app.sign_audit_checkpoint().await.unwrap();
    assert!(app.verify_audit().await.intact);

    // The owner cuts what came after the first checkpoint, its checkpoint too.
    as_owner(
        &app,
        [
            "ALTER TABLE audit_log DISABLE TRIGGER USER".to_owned(),
            "ALTER TABLE audit_checkpoints DISABLE TRIGGER USER".to_owned(),
            format!("DELETE FROM audit_log WHERE seq > {first}"),
            format!("DELETE FROM audit_checkpoints WHERE seq > {first}"),
            "ALTER TABLE audit_log ENABLE TRIGGER USER".to_owned(),
            "ALTER TABLE audit_checkpoints ENABLE TRIGGER USER".to_owned(),
        ],
    )
    .await;
    let verification = app.verify_audit().await;
    assert_eq!(verification.first_broken_seq, None);
    assert!(!verification.intact);
    // The anchor, outside the database, still names the second checkpoint.
    assert_eq!(
        verification.problems,
        vec![AuditProblem::CheckpointsMissing { seq: second }],
        "{verification:?}"
    );
}

#[tokio::test]
async fn forged_checkpoints_fail_and_unknown_keys_are_not_believed() {
    let app = spawn_app().await;
    app.login_as_admin().await;
    let signed = app.sign_audit_checkpoint().await.unwrap();
    // A checkpoint under a key the server does not trust proves nothing
    // either way: counted, not believed.
    sqlx::query(
        "INSERT INTO audit_checkpoints (seq, hash, signed_at, key_id, signature)
         SELECT seq, hash, now(), '00112233deadbeef', '\\x00'::bytea FROM audit_log ORDER BY seq LIMIT 1",
    )
    .execute(&app.app_pool)
    .await
    .unwrap();
    let verification = app.verify_audit().await;
    assert!(verification.intact, "{verification:?}");
    assert_eq!(verification.checkpoints.unverifiable, 1);

    // A signature altered under the server's own key id is a forgery.
    as_owner(&app, [
        "ALTER TABLE audit_checkpoints DISABLE TRIGGER USER".to_owned(),
        format!(
            "UPDATE audit_checkpoints SET signature = set_byte(signature, 0, get_byte(signature, 0) # 1) \
             WHERE seq = {signed}"
        ),
        "ALTER TABLE audit_checkpoints ENABLE TRIGGER USER".to_owned(),
    ])
    .await;
    let verification = app.verify_audit().await;
    assert!(!verification.intact);
    assert!(
        verification
            .problems
            .contains(&AuditProblem::BadSignature { seq: signed }),
        "{verification:?}"
    );
}

#[tokio::test]
async fn checkpoints_and_the_public_key_can_be_exported_and_checked_outside() {
    let app = spawn_app().await;
    app.login_as_admin().await;
    app.sign_audit_checkpoint().await.unwrap();
    let key: app::audit::AuditPublicKey = app
        .get("/api/v1/audit/public-key")
        .await
        .json()
        .await
        .unwrap();
    let checkpoints: Vec<app::audit::AuditCheckpoint> = app
        .get("/api/v1/audit/checkpoints")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(checkpoints.len(), 1);
    let checkpoint = &checkpoints[0];
    assert_eq!(checkpoint.key_id, key.key_id);
    // What a third party does with the documented text and the public key.
    let text = format!(
        "vigil-audit-checkpoint/1\nseq {}\nhash {}\nsigned_at {}\n",
        checkpoint.seq,
        checkpoint.hash,
        checkpoint.signed_at.format("%Y-%m-%dT%H:%M:%S%.6fZ")
    );
    let public = hex::decode(&key.public_key).unwrap();
    ring::signature::UnparsedPublicKey::new(&ring::signature::ED25519, public)
        .verify(
            text.as_bytes(),
            &hex::decode(&checkpoint.signature).unwrap(),
        )
        .expect("the exported checkpoint verifies with the exported key");
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
