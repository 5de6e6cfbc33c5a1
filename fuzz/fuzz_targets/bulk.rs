//! The Elasticsearch `_bulk` parser: any body gives a clean refusal or one
//! fate per action, at most the action cap, and no more events than actions.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vigil::ingest::elastic::{MAX_BULK_ACTIONS, bulk_response, parse_bulk};
use vigil::ingest::{IngestContext, IngestPolicy};

fuzz_target!(|body: &[u8]| {
    let ctx = IngestContext {
        source_id: None,
        source_kind: app::ingest::SourceKind::ApiKey,
        source_name: "fuzz".into(),
        received_at: chrono::Utc::now(),
        geo: None,
    };
    let mut kept = 0;
    if let Ok(items) = parse_bulk(body, Some("logs"), &ctx, IngestPolicy::default(), |_| {
        kept += 1
    }) {
        assert!(items.len() <= MAX_BULK_ACTIONS);
        assert!(kept <= items.len());
        let answer = bulk_response(&items, 1);
        assert!(answer.is_object());
    }
});
