//! The search query language, one for the explorer, saved searches and
//! detection rules: what analysts know from Kibana (KQL) and Lucene.
//!
//! ```text
//! host.name:web01 AND event.outcome:failure     field equality, AND
//! "failed password" root                        free text over the message (implicit AND)
//! user.name:(root OR admin) -source.ip:10.0.0.0/8   lists, NOT, CIDR
//! http.response.status_code>=500                comparisons; field:[400 TO 499] ranges
//! process.name:power* url.original:*            wildcards; `field:*` means the field exists
//! CommandLine|contains:"-enc " Image|endswith:\\cmd.exe   Sigma's modifiers
//! ```
//!
//! Modifiers after a field name, as Sigma writes them, compare without
//! regard to case: `|contains`, `|startswith`, `|endswith`, `|i` (equality);
//! `|cased` makes any of them case-sensitive. `|re:"…"` finds a regular
//! expression (case-sensitive unless `|i`), `|cidr:10.0.0.0/8` tests an
//! address in any field, `|fieldref:other` compares with another field's
//! value, `|in:watchlist` finds the value on a watchlist (by its slug,
//! without regard to case). A list applies the modifiers to each value:
//! `CommandLine|contains:("-enc" OR "-e ")`.
//!
//! Case rules: the operators `and`, `or` and `not` are operators in any case,
//! as in KQL (the literal word is quoted or escaped); a range's `TO` is
//! upper case; `-x` and `!x` are `NOT x`, `+x` is `x`. Field names are ECS
//! names or any stored field path, dots going into nested objects, and
//! match exactly. Field values match exactly (case-sensitive, as keyword
//! fields do in Kibana); free text and `message:` match the message as a
//! case-insensitive substring. Outside quotes a backslash escapes the next
//! character (`path:C\:\\Windows*`); inside them only `\"` and `\\` are
//! escapes and a lone backslash is kept, as in KQL. Inside a value a colon
//! needs no escape: `source.ip:2001:db8::1`, `@timestamp>=2026-11-29T10:00:00Z`.
//!
//! Lucene's forms read as Lucene means them: `_exists_:field`,
//! `field:>=400`, `*`, `field:/regex/` (the whole value). Its fuzzy,
//! proximity and boost suffixes are refused by name. Where KQL and Lucene
//! read a query differently, it is read as KQL and a [`Warning`] says so.
//! Times (`@timestamp`) take date math and dates ([`time`]), resolved
//! against a clock before the query runs.
//!
//! The parser turns text into a [`Query`] or a [`QueryError`] with a
//! position; [`Query`]'s `Display` prints it back in canonical form. Both run
//! in the browser (inline errors as the analyst types) and on the server,
//! which compiles the AST to parameterised SQL and never to query text.

mod ast;
mod highlight;
mod lex;
mod lucene;
mod parse;
mod print;
mod problem;
pub mod time;

/// The name in `known` closest to `name` by edit distance, when it is
/// close enough to be a typo (at most 2 edits, and fewer than half the name).
pub fn closest<'a>(name: &str, known: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let limit = 2.min(name.chars().count() / 2);
    known
        .into_iter()
        .map(|candidate| (edit_distance(name, candidate), candidate))
        .filter(|(distance, _)| *distance <= limit)
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, candidate)| candidate)
}

/// Levenshtein distance over characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut previous = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substituted = previous + usize::from(ca != *cb);
            previous = row[j + 1];
            row[j + 1] = substituted.min(row[j] + 1).min(previous + 1);
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod conformance;

pub use ast::{Bound, Operator, PatternPart, Query, Term, Test};
pub use highlight::{Completing, Span, SpanKind, completing, highlight, value_text};
pub use parse::{
    MAX_DEPTH, MAX_LENGTH, Parsed, QueryError, Warning, is_field_name, parse, parse_with_warnings,
};

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn field(name: &str, test: Test) -> Query {
        Query::Field {
            field: name.into(),
            test,
        }
    }

    fn word(text: &str) -> Term {
        Term::Word(text.into())
    }

    fn equals(name: &str, text: &str) -> Query {
        field(name, Test::Matches { term: word(text) })
    }

    #[test]
    fn the_documented_examples_parse() {
        assert_eq!(parse("  ").unwrap(), Query::All);
        assert_eq!(
            parse("host.name:web01 AND event.outcome:failure").unwrap(),
            Query::And(vec![
                equals("host.name", "web01"),
                equals("event.outcome", "failure")
            ])
        );
        assert_eq!(
            parse("\"failed password\" root").unwrap(),
            Query::And(vec![
                Query::Text(Term::Phrase("failed password".into())),
                Query::Text(word("root"))
            ])
        );
        assert_eq!(
            parse("user.name:(root OR admin) -source.ip:10.0.0.0/8").unwrap(),
            Query::And(vec![
                Query::Or(vec![
                    equals("user.name", "root"),
                    equals("user.name", "admin")
                ]),
                Query::Not(Box::new(equals("source.ip", "10.0.0.0/8"))),
            ])
        );
        assert_eq!(
            parse("http.response.status_code>=500").unwrap(),
            field(
                "http.response.status_code",
                Test::Range {
                    lower: Some(Bound {
                        value: "500".into(),
                        inclusive: true
                    }),
                    upper: None
                }
            )
        );
        assert_eq!(
            parse("status:[400 TO 499} url.original:*").unwrap(),
            Query::And(vec![
                field(
                    "status",
                    Test::Range {
                        lower: Some(Bound {
                            value: "400".into(),
                            inclusive: true
                        }),
                        upper: Some(Bound {
                            value: "499".into(),
                            inclusive: false
                        }),
                    }
                ),
                field("url.original", Test::Exists),
            ])
        );
        assert_eq!(
            parse("process.name:power*").unwrap(),
            field(
                "process.name",
                Test::Matches {
                    term: Term::Pattern(vec![
                        PatternPart::Literal("power".into()),
                        PatternPart::AnyChars
                    ])
                }
            )
        );
        assert_eq!(
            parse(r"path:C\:\\Windows\*").unwrap(),
            equals("path", r"C:\Windows*")
        );
        assert_eq!(parse("bytes:-5").unwrap(), equals("bytes", "-5"));
        assert_eq!(
            parse("source.ip:2001:db8::1").unwrap(),
            equals("source.ip", "2001:db8::1"),
            "a colon inside a value needs no escape"
        );
        assert_eq!(
            parse("a OR b c").unwrap(),
            Query::Or(vec![
                Query::Text(word("a")),
                Query::And(vec![Query::Text(word("b")), Query::Text(word("c"))])
            ]),
            "AND binds tighter than OR"
        );
        assert_eq!(
            parse("\\and \"or\"").unwrap(),
            Query::And(vec![
                Query::Text(word("and")),
                Query::Text(Term::Phrase("or".into()))
            ]),
            "operators in any case, as in KQL; the words escaped or quoted"
        );
        assert!(parse("and or").is_err());
    }

    #[test]
    fn errors_say_where_and_what() {
        for (text, position, fragment) in [
            ("host.name:", 10, "a value after 'host.name:'"),
            ("(a OR b", 7, "')' to close the group"),
            ("\"open", 0, "never closed"),
            ("a AND", 5, "a search term"),
            ("x:[1 2]", 5, "TO between the bounds"),
            ("x:[1 TO 2", 9, "']' or '}'"),
            ("x:(a b)", 5, "OR or AND between the values"),
            ("a ) b", 2, "expected AND, OR"),
            ("fo*o:x", 0, "not a field name"),
            ("x:[a* TO b]", 3, "wildcards cannot be range bounds"),
            ("()", 0, "empty parentheses"),
            ("a\\", 1, "backslash at the end"),
            ("x:(", 3, "a value"),
            ("é:x", 0, "not a field name"),
        ] {
            let error = parse(text).unwrap_err();
            assert_eq!(error.position, position, "{text}: {error}");
            assert!(error.message.contains(fragment), "{text}: {error}");
        }
        let deep = format!("{}a{}", "(".repeat(65), ")".repeat(65));
        assert!(parse(&deep).unwrap_err().message.contains("nests deeper"));
        let nots = "NOT ".repeat(65) + "a";
        assert!(parse(&nots).unwrap_err().message.contains("nests deeper"));
        let long = "a ".repeat(MAX_LENGTH);
        assert!(parse(&long).unwrap_err().message.contains("longer than"));
        let nul = parse("user.name:ro\0ot").unwrap_err();
        assert_eq!(nul.position, 12);
        assert!(nul.message.contains("NUL"), "{nul}");
        // Found by the query_round_trip fuzz target: within the bound as
        // typed, beyond it as printed (`a b` prints as `a AND b`).
        let implicit = "a ".repeat(MAX_LENGTH / 2 - 1);
        let error = parse(&implicit).unwrap_err();
        assert!(error.message.contains("written out in full"), "{error}");
        assert_eq!(error.position, implicit.chars().count());
        let printed_fits = "a ".repeat(MAX_LENGTH / 6);
        let printed = parse(&printed_fits).unwrap().to_string();
        assert_eq!(parse(&printed).unwrap().to_string(), printed);
    }

    #[test]
    fn modifiers_name_sigma_comparisons() {
        let compare = |field: &str, op: Operator, term: Term, cased: bool| Query::Field {
            field: field.into(),
            test: Test::Compare { op, term, cased },
        };
        assert_eq!(
            parse("CommandLine|contains:\"-enc \"").unwrap(),
            compare(
                "CommandLine",
                Operator::Contains,
                Term::Phrase("-enc ".into()),
                false
            )
        );
        assert_eq!(
            parse("Image|endswith|cased:\\\\cmd.exe").unwrap(),
            compare(
                "Image",
                Operator::EndsWith,
                Term::Word("\\cmd.exe".into()),
                true
            )
        );
        assert_eq!(
            parse("user.name|i:(root OR Admin)").unwrap(),
            Query::Or(vec![
                compare("user.name", Operator::Equals, word("root"), false),
                compare("user.name", Operator::Equals, word("Admin"), false),
            ])
        );
        assert_eq!(
            parse("x|cased:y").unwrap(),
            equals("x", "y"),
            "cased equality is plain equality"
        );
        assert_eq!(
            parse("url|re:\"^/admin[0-9]+\"").unwrap(),
            compare(
                "url",
                Operator::Regex,
                Term::Phrase("^/admin[0-9]+".into()),
                true
            )
        );
        assert_eq!(
            parse("url|re|i:abc").unwrap(),
            compare("url", Operator::Regex, word("abc"), false)
        );
        assert_eq!(
            parse("DestinationIp|cidr:10.0.0.0/8").unwrap(),
            compare("DestinationIp", Operator::Cidr, word("10.0.0.0/8"), false)
        );
        assert_eq!(
            parse("TargetUserName|fieldref:SubjectUserName").unwrap(),
            compare(
                "TargetUserName",
                Operator::FieldRef,
                word("SubjectUserName"),
                false
            )
        );
        for (text, printed) in [
            ("a|contains:b", "a|contains:b"),
            ("a|CONTAINS:b", ""),
            ("a|i|startswith:b*c", "a|startswith:b*c"),
            ("a|re|cased:x", "a|re:x"),
            ("a|fieldref|cased:b", "a|fieldref|cased:b"),
            ("a|i:b", "a|i:b"),
            ("source.ip|in:tor-exits", "source.ip|in:tor-exits"),
            ("@timestamp|hour:9", "@timestamp|hour:9"),
            ("message|contains|in:iocs", "message|contains|in:iocs"),
            ("@timestamp|week:53", "@timestamp|week:53"),
            ("a|in:\"x_1\"", "a|in:\"x_1\""),
        ] {
            match parse(text) {
                Ok(query) => assert_eq!(query.to_string(), printed, "{text}"),
                Err(error) => assert!(printed.is_empty(), "{text}: {error}"),
            }
        }
        for (text, position, fragment) in [
            ("a|nope:b", 2, "unknown modifier 'nope'"),
            ("a|contains|endswith:b", 11, "after another comparison"),
            ("a|i|cased:b", 4, "not both"),
            ("a|re:*", 5, "quote the value"),
            ("a|contains>3", 0, "not with a comparison"),
            ("a|cidr:10.0.0.0/33", 7, "cidr needs a network"),
            ("a|re:ab*", 5, "quote the value"),
            ("a|fieldref:\"x y\"", 11, "needs a field name"),
            ("a|in:Tor", 5, "watchlist's slug"),
            ("a|in:tor*", 5, "watchlist's slug"),
            ("a|in|i:tor", 2, "takes no 'i'"),
            ("a|in|contains:tor", 5, "after another comparison"),
            ("a|startswith|in:tor", 13, "after another comparison"),
            ("host.name|hour:9", 0, "write @timestamp|hour"),
            ("@timestamp|hour:24", 16, "from 0 to 23"),
            ("@timestamp|month:x", 17, "whole number"),
            ("@timestamp|day:1*", 15, "whole number"),
            ("a|contains:[1 TO 2]", 11, "a value after"),
            ("|contains:x", 0, "not a field name"),
        ] {
            let error = parse(text).unwrap_err();
            assert_eq!(error.position, position, "{text}: {error}");
            assert!(error.message.contains(fragment), "{text}: {error}");
        }
    }

    #[test]
    fn lowercase_operators_are_operators_as_in_kql() {
        // Each reads as its capitalised form; before, the lowercase words were
        // free text, and `or` matched inside "for".
        for (lower, upper) in [
            (
                "event.outcome:failure or user.name:admin",
                "event.outcome:failure OR user.name:admin",
            ),
            (
                "http.response.status_code >= 400 and http.response.status_code < 500",
                "http.response.status_code >= 400 AND http.response.status_code < 500",
            ),
            ("not user.name:root", "NOT user.name:root"),
            ("a And b Or NOT c", "a AND b OR NOT c"),
            ("user.name:(root or admin)", "user.name:(root OR admin)"),
            (
                "host.name:web01 and not (a or b)",
                "host.name:web01 AND NOT (a OR b)",
            ),
        ] {
            assert_eq!(parse(lower).unwrap(), parse(upper).unwrap(), "{lower}");
        }
        // The literal word: quoted or escaped, and printed so.
        for (text, printed) in [
            ("\"or\"", "\"or\""),
            ("\\or", "\\or"),
            ("message:\"not\"", "message:\"not\""),
            ("oregon", "oregon"),
            ("android", "android"),
        ] {
            let query = parse(text).unwrap();
            assert_eq!(query.to_string(), printed, "{text}");
            assert_eq!(parse(&query.to_string()).unwrap(), query, "{text}");
        }
        assert!(!is_field_name("or") && !is_field_name("Not") && is_field_name("order"));
        let error = parse("a or").unwrap_err();
        assert_eq!(error.position, 4, "{error}");
    }

    #[test]
    fn near_names_are_suggested() {
        let known = ["host.name", "host.hostname", "user.name", "source.ip"];
        assert_eq!(closest("host.nme", known), Some("host.name"));
        assert_eq!(closest("usr.name", known), Some("user.name"));
        assert_eq!(closest("source.ips", known), Some("source.ip"));
        assert_eq!(closest("process.name", known), None);
        assert_eq!(closest("ip", known), None, "too short to guess");
        assert_eq!(
            parse("a:1 AND (b:2 OR NOT a:3) AND c|fieldref:d")
                .unwrap()
                .fields(),
            ["a", "b", "c", "d"]
        );
    }

    #[test]
    fn printing_is_canonical() {
        for (text, printed) in [
            ("a b", "a AND b"),
            ("-x:1 || y", "NOT x:1 OR y"),
            ("(a OR b) c", "(a OR b) AND c"),
            ("x>3", "x:{3 TO *]"),
            ("x<=3", "x:[* TO 3]"),
            ("\"say \\\"hi\\\"\"", "\"say \\\"hi\\\"\""),
            ("\\AND", "\\AND"),
            ("NOT (a b)", "NOT (a AND b)"),
        ] {
            assert_eq!(parse(text).unwrap().to_string(), printed, "{text}");
        }
    }

    fn field_names() -> impl Strategy<Value = String> {
        prop_oneof![
            Just("message".to_owned()),
            Just("host.name".to_owned()),
            Just("source.ip".to_owned()),
            "[a-z_@][a-z0-9_-]{0,5}(\\.[a-z0-9_@-]{1,5}){0,2}".prop_filter(
                "not an operator",
                |n| !matches!(n.as_str(), "AND" | "OR" | "NOT" | "TO")
            ),
        ]
    }

    fn text() -> impl Strategy<Value = String> {
        "[a-zA-Z0-9 .:/\\\\\"*?()\\[\\]{}<>-é]{1,8}"
    }

    fn terms() -> impl Strategy<Value = Term> {
        prop_oneof![
            "[a-zA-Z0-9 .:/\\\\\"*?()<>-é]{0,8}".prop_map(Term::Phrase),
            text().prop_map(Term::Word),
            prop::collection::vec(
                prop_oneof![
                    text().prop_map(PatternPart::Literal),
                    Just(PatternPart::AnyChars),
                    Just(PatternPart::AnyChar),
                ],
                1..4
            )
            .prop_map(Term::Pattern),
        ]
    }

    fn bounds() -> impl Strategy<Value = Option<Bound>> {
        prop::option::of(
            (text(), any::<bool>()).prop_map(|(value, inclusive)| Bound { value, inclusive }),
        )
    }

    fn compares() -> impl Strategy<Value = Test> {
        let text_ops = prop_oneof![
            Just(Operator::Equals),
            Just(Operator::Contains),
            Just(Operator::StartsWith),
            Just(Operator::EndsWith),
        ];
        prop_oneof![
            (text_ops, terms(), any::<bool>()).prop_map(|(op, term, cased)| Test::Compare {
                op,
                term,
                cased: cased && op != Operator::Equals,
            }),
            ("[a-z.*+?()\\\\]{1,8}", any::<bool>()).prop_map(|(re, cased)| Test::Compare {
                op: Operator::Regex,
                term: Term::Phrase(re),
                cased,
            }),
            prop_oneof![
                Just("10.0.0.0/8"),
                Just("2001:db8::/32"),
                Just("192.168.1.7")
            ]
            .prop_map(|net| Test::Compare {
                op: Operator::Cidr,
                term: Term::Word(net.into()),
                cased: false,
            }),
            (field_names(), any::<bool>()).prop_map(|(other, cased)| Test::Compare {
                op: Operator::FieldRef,
                term: Term::Word(other),
                cased,
            }),
        ]
    }

    fn tests() -> impl Strategy<Value = Test> {
        prop_oneof![
            compares(),
            Just(Test::Exists),
            terms().prop_map(|term| Test::Matches { term }),
            (bounds(), bounds()).prop_map(|(lower, upper)| Test::Range { lower, upper }),
        ]
    }

    /// The event time takes times only.
    fn times() -> impl Strategy<Value = Query> {
        let time = prop_oneof![
            Just("now"),
            Just("now-1h"),
            Just("now-1d/d"),
            Just("2026-12-03"),
            Just("2026-12-03T10:00:00Z"),
            Just("1795946700000"),
        ]
        .prop_map(str::to_owned);
        let bound = prop::option::of(
            (time.clone(), any::<bool>()).prop_map(|(value, inclusive)| Bound { value, inclusive }),
        );
        prop_oneof![
            time.prop_map(|t| Query::Field {
                field: "@timestamp".into(),
                test: Test::Matches {
                    term: Term::Word(t)
                }
            }),
            (bound.clone(), bound).prop_map(|(lower, upper)| Query::Field {
                field: "@timestamp".into(),
                test: Test::Range { lower, upper }
            }),
        ]
    }

    fn queries() -> impl Strategy<Value = Query> {
        let leaf = prop_oneof![
            times(),
            terms().prop_map(Query::Text),
            (field_names(), tests()).prop_map(|(field, test)| Query::Field { field, test }),
        ];
        leaf.prop_recursive(4, 24, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 2..4).prop_map(Query::And),
                prop::collection::vec(inner.clone(), 2..4).prop_map(Query::Or),
                inner.prop_map(|q| Query::Not(Box::new(q))),
            ]
        })
    }

    /// An open range bound prints as `*`, whatever its bracket said.
    fn canonical(query: Query) -> Query {
        match query {
            Query::And(parts) => Query::And(parts.into_iter().map(canonical).collect()),
            Query::Or(parts) => Query::Or(parts.into_iter().map(canonical).collect()),
            Query::Not(inner) => Query::Not(Box::new(canonical(*inner))),
            Query::Field {
                field,
                test:
                    Test::Matches {
                        term: Term::Pattern(parts),
                    },
            } if parts == [PatternPart::AnyChars] => Query::Field {
                field,
                test: Test::Exists,
            },
            other => other,
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn printing_then_parsing_gives_the_query_back(query in queries()) {
            let query = canonical(query.normalized());
            let printed = query.to_string();
            let parsed = parse(&printed)
                .map_err(|e| TestCaseError::fail(format!("{printed:?}: {e}")))?;
            prop_assert_eq!(parsed, query, "printed as {:?}", printed);
        }

        #[test]
        fn any_text_parses_or_fails_with_a_position_inside_it(text in "\\PC{0,40}") {
            if let Err(error) = parse(&text) {
                prop_assert!(error.position <= text.chars().count());
                prop_assert!(!error.message.is_empty());
            }
        }

        #[test]
        fn query_like_text_never_panics(text in "[a-z:()\\[\\]{}\"*?<>= \\\\-]{0,40}|(AND|OR|NOT|TO|x|:|\\(|\\)| ){0,20}") {
            let _ = parse(&text);
        }
    }
}
