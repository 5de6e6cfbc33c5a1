//! The query language: any text parses or fails with a position inside it;
//! what parses prints to text that parses to the same query, its warnings
//! point inside the text, and its times resolve (or fail) without a panic.
#![no_main]

use app::query::time::{Clock, resolve};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    match app::query::parse_with_warnings(text) {
        Ok(parsed) => {
            let length = text.chars().count();
            for warning in &parsed.warnings {
                assert!(warning.position <= length, "{warning:?} for {text:?}");
            }
            let printed = parsed.query.to_string();
            let again = app::query::parse(&printed)
                .unwrap_or_else(|e| panic!("{text:?} printed as {printed:?}, which fails: {e}"));
            assert_eq!(
                again.to_string(),
                printed,
                "printing is not stable for {text:?}"
            );
            let now = chrono::DateTime::from_timestamp(1_796_000_000, 0).expect("a valid time");
            let _ = resolve(&parsed.query, &Clock::utc(now));
        }
        Err(error) => {
            assert!(
                error.position <= text.chars().count(),
                "{error:?} for {text:?}"
            );
            assert!(!error.message.is_empty());
        }
    }
});
