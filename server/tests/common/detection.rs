//! Load and checks shared by the engine's crash and failover tests: rules
//! whose correct alerts follow from the stored events alone, so that any
//! alert missed or raised twice shows.

use serde_json::json;
use sqlx::PgConnection;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

/// One alert per event (`exactly_once_each`), and one per five events of a
/// source address (`exactly_once_fives`, its window longer than the test).
pub async fn create_rules(client: &reqwest::Client, url: &str) {
    for rule in [
        json!({"slug": "exactly_once_each", "name": "Each probe", "severity": "low",
               "query": "event.action:exactly_once_probe", "kind": "query"}),
        json!({"slug": "exactly_once_fives", "name": "Five probes", "severity": "medium",
               "query": "event.action:exactly_once_probe", "kind": "threshold",
               "group_by": ["source.ip"], "threshold": 5, "window_secs": 86400}),
    ] {
        let response = client
            .post(format!("{url}/api/v1/rules"))
            .json(&rule)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201, "{}", response.text().await.unwrap());
    }
}

/// Creates an ingest key as the signed-in `client`.
pub async fn ingest_key(client: &reqwest::Client, url: &str) -> String {
    super::create_ingest_key(client, url, "exactly-once")
        .await
        .key
}

/// Posts probe events to `url` in batches of 40 until `stop` is set or a
/// request fails (the server died); returns the events acknowledged.
pub fn spawn_load(
    url: String,
    key: String,
    client_number: usize,
    stop: Arc<AtomicBool>,
    acknowledged: Arc<AtomicUsize>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let http = reqwest::Client::new();
        for batch in 0.. {
            if stop.load(Ordering::Relaxed) {
                return;
            }
            let body: String = (0..40)
                .map(|i| {
                    format!(
                        "{}\n",
                        json!({"message": format!("probe c{client_number} b{batch} e{i}"),
                               "event": {"action": "exactly_once_probe"},
                               "source": {"ip": format!("10.77.{client_number}.{}", i % 7)}})
                    )
                })
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
                    acknowledged.fetch_add(40, Ordering::Relaxed);
                }
                _ => return,
            }
        }
    })
}

/// The number of alerts of `rule` stored so far.
pub async fn alert_count(db: &mut PgConnection, rule: &str) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM alerts WHERE rule_slug = $1")
        .bind(rule)
        .fetch_one(db)
        .await
        .unwrap()
}

/// Waits until the engine has evaluated every committed event.
pub async fn wait_until_evaluated(db: &mut PgConnection) {
    for _ in 0..600 {
        let pending: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM event_batches b, detection_cursor c WHERE b.tx >= c.watermark",
        )
        .fetch_one(&mut *db)
        .await
        .unwrap();
        if pending == 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the engine did not evaluate every stored event within a minute");
}

/// Checks the alerts against the stored probe events: every event has
/// exactly one `exactly_once_each` alert; every address has one
/// `exactly_once_fives` alert per five of its events, no event in two.
/// Returns the number of probe events stored.
pub async fn check_exactly_once(db: &mut PgConnection) -> i64 {
    let events: i64 =
        sqlx::query_scalar("SELECT count(*) FROM events WHERE action = 'exactly_once_probe'")
            .fetch_one(&mut *db)
            .await
            .unwrap();
    let (alerts, distinct): (i64, i64) = sqlx::query_as(
        "SELECT count(*), count(DISTINCT first_event) FROM alerts WHERE rule_slug = 'exactly_once_each'",
    )
    .fetch_one(&mut *db)
    .await
    .unwrap();
    let unalerted: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM events e WHERE e.action = 'exactly_once_probe' AND NOT EXISTS
           (SELECT 1 FROM alerts a WHERE a.rule_slug = 'exactly_once_each' AND a.first_event = e.id)",
    )
    .fetch_one(&mut *db)
    .await
    .unwrap();
    assert_eq!(unalerted, 0, "events without their alert (missed)");
    assert_eq!(alerts, distinct, "an event alerted twice");
    assert_eq!(alerts, events, "one alert per stored event");

    let per_address: Vec<(String, i64, i64)> = sqlx::query_as(
        "SELECT host(e.source_ip), count(*),
                (SELECT count(*) FROM alerts a WHERE a.rule_slug = 'exactly_once_fives'
                   AND a.group_values ->> 'source.ip' = host(e.source_ip))
         FROM events e WHERE e.action = 'exactly_once_probe' GROUP BY e.source_ip",
    )
    .fetch_all(&mut *db)
    .await
    .unwrap();
    for (address, events, alerts) in &per_address {
        assert_eq!(
            *alerts,
            events / 5,
            "{address}: {events} events should make {} alerts",
            events / 5
        );
    }
    let reused: i64 = sqlx::query_scalar(
        "SELECT count(*) - count(DISTINCT u.event) FROM alerts a, unnest(a.event_ids) AS u(event)
         WHERE a.rule_slug = 'exactly_once_fives'",
    )
    .fetch_one(&mut *db)
    .await
    .unwrap();
    assert_eq!(reused, 0, "an event counted in two alerts");
    events
}

/// The detection status as the instance at `url` reports it.
pub async fn status(client: &reqwest::Client, url: &str) -> app::alerts::DetectionStatus {
    client
        .get(format!("{url}/api/v1/detection/status"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// Waits until the instance at `url` leads and runs every enabled rule.
pub async fn wait_until_running(client: &reqwest::Client, url: &str) {
    for _ in 0..600 {
        let status = status(client, url).await;
        if status.this_instance_leads
            && status.rules_running == u64::try_from(status.rules_enabled).ok()
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{url} did not take up the rules within a minute");
}
