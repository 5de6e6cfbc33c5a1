//! The ingest hot path's JSON scanner against serde_json: whatever it
//! accepts, serde_json accepts as the same object (members in order, a
//! repeated key keeping its last value); what it declines goes to serde_json.
#![no_main]

use libfuzzer_sys::fuzz_target;
use serde_json::{Map, Value};
use vigil::ingest::scan::{object_members, valid_object_members};

fn same_as_serde(text: &str, members: &[(std::borrow::Cow<'_, str>, &str)]) {
    let parsed: Map<String, Value> = serde_json::from_str(text)
        .unwrap_or_else(|e| panic!("the scanner accepted what serde_json refuses ({e}): {text:?}"));
    let mut scanned = Map::new();
    for (key, value) in members {
        let value: Value = serde_json::from_str(value)
            .unwrap_or_else(|e| panic!("member {key:?} is not JSON ({e}): {value:?}"));
        scanned.insert(key.to_string(), value);
    }
    assert_eq!(scanned, parsed, "{text:?}");
}

fuzz_target!(|text: &str| {
    if let Some(members) = object_members(text) {
        same_as_serde(text, &members);
        // Inside an accepted document, the lighter splitter agrees.
        for (_, value) in &members {
            if let Some(inner) = valid_object_members(value) {
                same_as_serde(value, &inner);
            }
        }
    }
});
