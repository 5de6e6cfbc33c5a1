//! The query language: any text parses or fails with a position inside it;
//! what parses prints to text that parses to the same query.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    match app::query::parse(text) {
        Ok(query) => {
            let printed = query.to_string();
            let again = app::query::parse(&printed)
                .unwrap_or_else(|e| panic!("{text:?} printed as {printed:?}, which fails: {e}"));
            assert_eq!(
                again.to_string(),
                printed,
                "printing is not stable for {text:?}"
            );
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
