//! The matcher's tests: leaves mean what they mean in search, and patterns
//! match in linear time.

use super::pattern::Pattern;
use super::*;
use app::query::PatternPart;
use serde_json::json;

fn matches(query: &str, document: &Value) -> bool {
    let matcher = Matcher::new(&app::query::parse(query).unwrap());
    matcher.matches(&EventView {
        timestamp: "2026-11-29T10:00:00Z".parse().unwrap(),
        id: uuid::Uuid::nil(),
        document,
    })
}

#[test]
fn leaves_mean_what_they_mean_in_search() {
    let event = json!({
        "host": {"name": "web01"},
        "source": {"ip": "10.1.2.3"},
        "event": {"category": "Authentication", "outcome": "failure"},
        "message": "Failed password for ROOT from 10.1.2.3",
        "tags": ["ssh", "prod"],
        "http": {"response": {"status_code": 503}},
        "labels.env": "prod",
        "process": {"args": ["-c", "id"]},
    });
    for (query, expected) in [
        ("host.name:web01", true),
        ("host.name:WEB01", false),
        ("host.name:web*", true),
        ("event.category:authentication", true),
        ("event.category:AUTH*", true),
        ("source.ip:10.0.0.0/8", true),
        ("source.ip:10.1.2.3", true),
        ("source.ip:10.1.2.*", true),
        ("source.ip:192.168.0.0/16", false),
        ("source.ip:[10.0.0.0 TO 10.1.2.3]", true),
        ("root", true),
        ("\"password for root\"", true),
        ("message:fail*root", true),
        ("tags:ssh", true),
        ("tags:pr?d", true),
        ("tags:dev", false),
        ("http.response.status_code>=500", true),
        ("http.response.status_code:[200 TO 299]", false),
        ("http.response.status_code:503", true),
        ("labels.env:prod", true),
        ("process.args:id", true),
        ("process.args:-*", true),
        ("user.name:*", false),
        ("NOT user.name:root", true),
        ("NOT host.name:web01", false),
        (
            "host.name:web01 AND (tags:dev OR source.ip:10.0.0.0/8)",
            true,
        ),
        ("@timestamp>=2026-11-29T10:00:00Z", true),
        ("@timestamp<2026-11-29T10:00:00Z", false),
        ("event.id:00000000-0000-0000-0000-000000000000", true),
        ("event.id:nonsense", false),
        ("host.name|i:WEB01", true),
    ] {
        assert_eq!(matches(query, &event), expected, "{query}");
    }
}

use proptest::strategy::Strategy as _;

proptest::proptest! {
    /// The fast path (literal pieces, ASCII folding in place) and the
    /// general one agree on every pattern without `?`.
    #[test]
    fn pieces_match_as_the_general_matcher_does(
        parts in proptest::collection::vec(proptest::prop_oneof![
            "[abABki\u{e9}]{0,3}".prop_map(PatternPart::Literal),
            proptest::strategy::Just(PatternPart::AnyChars),
        ], 0..5),
        text in "[abAB\u{c9}\u{e9}\u{212a}\u{130}ki ]{0,8}",
        fold in proptest::bool::ANY,
    ) {
        let pattern = Pattern::exact(&Term::Pattern(parts), fold);
        proptest::prop_assert!(pattern.pieces.is_some());
        let general = if fold {
            pattern.matches_chars(&text.chars().flat_map(char::to_lowercase).collect::<Vec<_>>())
        } else {
            pattern.matches_chars(&text.chars().collect::<Vec<_>>())
        };
        proptest::prop_assert_eq!(pattern.matches(&text), general);
    }
}

/// A backtracking matcher would not finish this in the life of the test run.
#[test]
fn wildcards_never_backtrack_exponentially() {
    let event = json!({"x": "a".repeat(5000)});
    assert!(!matches(&format!("x:{}b", "*a".repeat(50)), &event));
    assert!(matches(&format!("x:{}", "*a".repeat(50)), &event));
}
