//! The watchlist CSV reader: any text gives rows and line errors, never a
//! panic; every row's value is non-empty and trimmed, every error names a line
//! of the text.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let (rows, errors) = app::watchlists::parse_csv(text);
    let lines = text.split('\n').count();
    assert!(rows.len() <= lines);
    for (value, _note) in &rows {
        assert!(!value.is_empty());
        assert_eq!(value.trim(), value);
    }
    for error in &errors {
        assert!(
            error.line >= 1 && error.line <= lines,
            "{error:?} of {lines} lines"
        );
    }
});
