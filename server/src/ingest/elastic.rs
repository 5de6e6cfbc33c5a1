//! Just enough of the Elasticsearch HTTP API for shippers and clients to use
//! Vigil as their Elasticsearch output: the `GET /` handshake, `_license` and
//! `_cluster/health` (read at start by Filebeat, Logstash and Vector), the
//! `_bulk` API and single documents (`_doc`, `_create`), answered in
//! Elasticsearch's shapes (per-item `status`, `errors`, `items`).
//!
//! `index` and `create` actions store their document. A document whose `_id`
//! its source sent before (within a week) is not stored again: `create`
//! answers 409 as Elasticsearch does for an existing id, `index` answers 200
//! `noop`, so shipper retries never duplicate events. `update` and `delete`
//! cannot apply to an append-only log store: they are answered per item with
//! status 400 and never stop their neighbours. A line that is not a valid
//! action makes the whole request 400, as in Elasticsearch, so a shipper can
//! never be misread as sending documents it did not send.

use super::normalize::{self, Event, IngestContext, IngestPolicy};
use serde_json::{Map, Value, json};

/// The version Vigil reports; shippers pick their protocol by it.
pub const COMPATIBLE_VERSION: &str = "8.17.0";

/// Returns the body of `GET /` for an authenticated shipper.
pub fn info_body() -> Value {
    json!({
        "name": "vigil",
        "cluster_name": "vigil",
        "cluster_uuid": "vigil-siem",
        "version": {
            "number": COMPATIBLE_VERSION,
            "build_flavor": "default",
            "build_type": "vigil",
            "build_hash": app::VERSION,
            "lucene_version": "9.12.0",
            "minimum_wire_compatibility_version": "7.17.0",
            "minimum_index_compatibility_version": "7.0.0"
        },
        "tagline": "You Know, for Search"
    })
}

/// Returns one `_bulk` item's fate, in request order.
#[derive(Debug)]
pub struct BulkItem {
    /// `index`, `create`, `update` or `delete`.
    pub action: String,
    /// The target index (from the action, the path, or `vigil`).
    pub index: String,
    /// The `_id` the shipper gave, if any.
    pub id: Option<String>,
    /// The stored event's id, or the error type and reason.
    pub outcome: Result<uuid::Uuid, (&'static str, String)>,
    /// Its `_id` was stored before: the document was not stored again.
    pub repeated: bool,
}

/// The longest `_id` Elasticsearch accepts, in bytes.
const MAX_ID_BYTES: usize = 512;

/// Most actions in one `_bulk` request. Every action gets an item in the
/// answer (the protocol says so), so the answer grows with their number;
/// shippers send a few thousand at most (Beats 1,600, Logstash 125).
pub const MAX_BULK_ACTIONS: usize = 100_000;

/// Returned when the request as a whole is malformed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MalformedBulk(pub String);

/// Parses a `_bulk` body (`default_index` comes from `/{index}/_bulk`):
/// returns every item's fate, in request order, and hands the event of
/// each stored item to `keep` as soon as it is normalised.
pub fn parse_bulk(
    body: &[u8],
    default_index: Option<&str>,
    ctx: &IngestContext,
    policy: IngestPolicy,
    mut keep: impl FnMut(Event),
) -> Result<Vec<BulkItem>, MalformedBulk> {
    let mut lines = super::scan::ndjson_lines(body)
        .enumerate()
        .filter(|(_, line)| !line.iter().all(u8::is_ascii_whitespace));
    let mut items = Vec::new();
    while let Some((line_number, line)) = lines.next() {
        if items.len() == MAX_BULK_ACTIONS {
            return Err(MalformedBulk(format!(
                "more than {MAX_BULK_ACTIONS} actions in one request; send smaller batches"
            )));
        }
        let (action, meta) = parse_action(line)
            .map_err(|reason| MalformedBulk(format!("line {}: {reason}", line_number + 1)))?;
        let index = meta
            .get("_index")
            .and_then(Value::as_str)
            .or(default_index)
            .unwrap_or("vigil")
            .to_owned();
        let id = meta.get("_id").and_then(|v| match v {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        });
        let unsupported = |action: &str| {
            Err((
                "action_request_validation_exception",
                format!("vigil stores an append-only log: {action} is not supported"),
            ))
        };
        let outcome = if action == "delete" {
            unsupported(&action)
        } else {
            let Some((_, source)) = lines.next() else {
                return Err(MalformedBulk(format!(
                    "line {}: the {action} action has no document line after it",
                    line_number + 1
                )));
            };
            if action == "update" {
                unsupported(&action)
            } else {
                store_source(source, &index, id.as_deref(), ctx, policy, &mut keep)
            }
        };
        items.push(BulkItem {
            action,
            index,
            id,
            outcome,
            repeated: false,
        });
    }
    Ok(items)
}

fn parse_action(line: &[u8]) -> Result<(String, Map<String, Value>), String> {
    let value: Value =
        serde_json::from_slice(line).map_err(|e| format!("malformed action/metadata line: {e}"))?;
    let Value::Object(object) = value else {
        return Err("malformed action/metadata line: expected an object".to_owned());
    };
    if object.len() != 1 {
        return Err("malformed action/metadata line: expected exactly one action".to_owned());
    }
    let Some((action, meta)) = object.into_iter().next() else {
        return Err("malformed action/metadata line: empty".to_owned());
    };
    if !matches!(action.as_str(), "index" | "create" | "update" | "delete") {
        return Err(format!(
            "unknown action [{action}]; expected index, create, update or delete"
        ));
    }
    let Value::Object(meta) = meta else {
        return Err(format!(
            "the metadata of the {action} action must be an object"
        ));
    };
    Ok((action, meta))
}

/// Normalises one document for `index` (with the shipper's `_id`, if
/// any) and hands its event to `keep`; returns the event's id or the error.
fn store_source(
    source: &[u8],
    index: &str,
    id: Option<&str>,
    ctx: &IngestContext,
    policy: IngestPolicy,
    keep: &mut impl FnMut(Event),
) -> Result<uuid::Uuid, (&'static str, String)> {
    if id.is_some_and(|id| id.len() > MAX_ID_BYTES || id.is_empty()) {
        return Err((
            "illegal_argument_exception",
            format!("an _id must be 1 to {MAX_ID_BYTES} bytes long"),
        ));
    }
    let mut annotations = vec![("vigil.index", Value::from(index))];
    if let Some(id) = id {
        annotations.push(("vigil.bulk_id", Value::from(id)));
    }
    let normalized = std::str::from_utf8(source)
        .map_err(|e| format!("invalid json: {e}"))
        .and_then(|text| {
            normalize::normalize_text_with(text, ctx, policy, annotations)
                .map_err(|rejection| rejection.message)
        });
    match normalized {
        Ok(mut event) => {
            event.document_id = id.map(str::to_owned);
            let event_id = event.id;
            keep(event);
            Ok(event_id)
        }
        Err(message) => Err(("document_parsing_exception", message)),
    }
}

/// Parses the body of a single-document request (`/{index}/_doc[/{id}]`
/// is `index`, `/{index}/_create/{id}` is `create`): one item, as the same
/// document would be in a `_bulk` request.
pub fn parse_document(
    body: &[u8],
    action: &str,
    index: &str,
    id: Option<String>,
    ctx: &IngestContext,
    policy: IngestPolicy,
    mut keep: impl FnMut(Event),
) -> BulkItem {
    let outcome = store_source(body, index, id.as_deref(), ctx, policy, &mut keep);
    BulkItem {
        action: action.to_owned(),
        index: index.to_owned(),
        id,
        outcome,
        repeated: false,
    }
}

/// Returns the answer to a single-document request: its HTTP status and
/// body, as Elasticsearch gives them (201 created; 200 for an `_id` stored
/// before; 409 when `create` finds it stored; 400 for a bad document).
pub fn document_response(item: &BulkItem) -> (u16, Value) {
    let mut answer = bulk_response(std::slice::from_ref(item), 0);
    let result = answer["items"][0][item.action.as_str()].take();
    let Value::Object(mut result) = result else {
        return (500, json!({}));
    };
    let status = result
        .remove("status")
        .and_then(|s| s.as_u64())
        .unwrap_or(500) as u16;
    if let Some(error) = result.remove("error") {
        let error = match error {
            Value::Object(mut error) => {
                let root = json!([{ "type": error.get("type"), "reason": error.get("reason") }]);
                error.insert("root_cause".to_owned(), root);
                error.insert("index".to_owned(), Value::from(item.index.as_str()));
                Value::Object(error)
            }
            other => other,
        };
        return (status, json!({ "error": error, "status": status }));
    }
    (status, Value::Object(result))
}

/// Returns the body of `GET /_license`: Vigil needs none, and says so in
/// the shape shippers check (`status: active`).
pub fn license_body() -> Value {
    json!({
        "license": {
            "status": "active",
            "uid": "vigil",
            "type": "basic",
            "issue_date": "1970-01-01T00:00:00.000Z",
            "issue_date_in_millis": 0,
            "max_nodes": 1000,
            "max_resource_units": null,
            "issued_to": "vigil",
            "issuer": "vigil",
            "start_date_in_millis": -1
        }
    })
}

/// Returns the body of `GET /_cluster/health`: green when the database
/// answers, red when it does not.
pub fn health_body(database_answers: bool) -> Value {
    json!({
        "cluster_name": "vigil",
        "status": if database_answers { "green" } else { "red" },
        "timed_out": false,
        "number_of_nodes": 1,
        "number_of_data_nodes": 1,
        "active_primary_shards": 1,
        "active_shards": 1,
        "relocating_shards": 0,
        "initializing_shards": 0,
        "unassigned_shards": 0,
        "delayed_unassigned_shards": 0,
        "number_of_pending_tasks": 0,
        "number_of_in_flight_fetch": 0,
        "task_max_waiting_in_queue_millis": 0,
        "active_shards_percent_as_number": 100.0
    })
}

/// Returns the `_bulk` response for `items`, once the stored ones are committed.
pub fn bulk_response(items: &[BulkItem], took_ms: u128) -> Value {
    let mut errors = false;
    let mut answers = Vec::with_capacity(items.len());
    for (position, item) in items.iter().enumerate() {
        let action = item.action.as_str();
        let shown_id =
            |event_id: &uuid::Uuid| item.id.clone().unwrap_or_else(|| event_id.to_string());
        let answer = match &item.outcome {
            Ok(event_id) if item.repeated && action == "create" => {
                errors = true;
                json!({ action: {
                    "_index": item.index,
                    "_id": shown_id(event_id),
                    "status": 409,
                    "error": {
                        "type": "version_conflict_engine_exception",
                        "reason": format!("[{}]: version conflict, document already exists", shown_id(event_id))
                    }
                }})
            }
            Ok(event_id) if item.repeated => json!({ action: {
                "_index": item.index,
                "_id": shown_id(event_id),
                "_version": 1,
                "result": "noop",
                "_shards": { "total": 1, "successful": 1, "failed": 0 },
                "_seq_no": position,
                "_primary_term": 1,
                "status": 200
            }}),
            Ok(event_id) => json!({ action: {
                "_index": item.index,
                "_id": shown_id(event_id),
                "_version": 1,
                "result": "created",
                "_shards": { "total": 1, "successful": 1, "failed": 0 },
                "_seq_no": position,
                "_primary_term": 1,
                "status": 201
            }}),
            Err((kind, reason)) => {
                errors = true;
                json!({ action: {
                    "_index": item.index,
                    "_id": item.id,
                    "status": 400,
                    "error": { "type": kind, "reason": reason }
                }})
            }
        };
        answers.push(answer);
    }
    json!({ "took": took_ms, "errors": errors, "items": answers })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;

    fn ctx() -> IngestContext {
        IngestContext {
            geo: None,
            source_id: None,
            source_kind: app::ingest::SourceKind::ApiKey,
            source_name: "filebeat".into(),
            received_at: Utc::now(),
        }
    }

    #[derive(Debug)]
    struct ParsedBulk {
        items: Vec<BulkItem>,
        events: Vec<Event>,
    }

    fn parse(body: &str, index: Option<&str>) -> Result<ParsedBulk, MalformedBulk> {
        let mut events = Vec::new();
        let items = parse_bulk(
            body.as_bytes(),
            index,
            &ctx(),
            IngestPolicy::default(),
            |event| events.push(event),
        )?;
        Ok(ParsedBulk { items, events })
    }

    #[test]
    fn index_and_create_store_their_documents_with_the_target_index() {
        let body = concat!(
            "{\"index\":{\"_index\":\"filebeat-8\"}}\n{\"message\":\"one\"}\n",
            "{\"create\":{\"_id\":\"abc\"}}\n{\"message\":\"two\"}\n"
        );
        let parsed = parse(body, Some("logs")).unwrap();
        assert_eq!(parsed.items.len(), 2);
        assert_eq!(parsed.events.len(), 2);
        assert_eq!(parsed.items[0].index, "filebeat-8");
        assert_eq!(parsed.events[0].document()["vigil"]["index"], "filebeat-8");
        assert_eq!(parsed.items[1].index, "logs");
        assert_eq!(parsed.items[1].id.as_deref(), Some("abc"));
        assert_eq!(parsed.events[1].document()["vigil"]["bulk_id"], "abc");
        assert_eq!(parsed.items[0].outcome, Ok(parsed.events[0].id));
        let response = bulk_response(&parsed.items, 3);
        assert_eq!(response["errors"], false);
        assert_eq!(response["items"][0]["index"]["status"], 201);
        assert_eq!(response["items"][1]["create"]["status"], 201);
    }

    #[test]
    fn update_delete_and_bad_documents_fail_alone() {
        let body = concat!(
            "{\"delete\":{\"_id\":\"1\"}}\n",
            "{\"update\":{\"_id\":\"2\"}}\n{\"doc\":{\"a\":1}}\n",
            "{\"index\":{}}\n{not json\n",
            "{\"index\":{}}\n[1,2]\n",
            "{\"index\":{}}\n{\"message\":\"kept\"}\n"
        );
        let parsed = parse(body, None).unwrap();
        assert_eq!(parsed.items.len(), 5);
        assert_eq!(parsed.events.len(), 1);
        let response = bulk_response(&parsed.items, 1);
        assert_eq!(response["errors"], true);
        let statuses: Vec<i64> = response["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|item| {
                item.as_object().unwrap().values().next().unwrap()["status"]
                    .as_i64()
                    .unwrap()
            })
            .collect();
        assert_eq!(statuses, vec![400, 400, 400, 400, 201]);
        assert_eq!(response["items"][0]["delete"]["_id"], "1");
    }

    #[test]
    fn malformed_action_lines_fail_the_whole_request() {
        for body in [
            "{\"upsert\":{}}\n{\"a\":1}\n",
            "not json\n",
            "{\"index\":{},\"create\":{}}\n{}\n",
            "{\"index\":{}}\n",
            "[]\n",
        ] {
            let error = parse(body, None).unwrap_err();
            assert!(error.0.starts_with("line "), "{body:?}: {}", error.0);
        }
    }
}
