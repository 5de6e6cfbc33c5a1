//! Many rules over one event: indexes send each event only to the rules
//! that can match it.
//!
//! Most Windows rules (every Sigma rule with a Windows logsource) require
//! one `EventID` or a few: a rule whose condition is an AND with an
//! `EventID:<n>` part (or an OR of such) is filed under those ids. Keyword
//! rules (free text over the message, as Sigma's Linux and web rules are)
//! are filed under their words: one pass of an Aho-Corasick automaton over
//! the message finds the rules with a word present. Every other rule is
//! tried on every event. An index only ever skips rules that cannot match,
//! so the results are those of trying every rule.

use super::eval::{Evaluator, EventRecord};
use app::query::{PatternPart, Query, Term, Test};
use serde_json::Value;
use std::collections::HashMap;

/// The field the index is on.
const INDEXED_FIELD: &str = "EventID";

/// Rules with an index of the event ids they require; each rule carries a
/// key of the caller's (the engine's: the stored rule and version it runs).
#[derive(Debug)]
pub struct RuleSet<K = ()> {
    entries: Vec<(K, Evaluator)>,
    by_event_id: HashMap<String, Vec<usize>>,
    /// Words (case-insensitive) a rule's message must contain, and the
    /// rule of each word.
    words: Option<aho_corasick::AhoCorasick>,
    rule_of_word: Vec<usize>,
    /// Every rule filed under words.
    worded: Vec<usize>,
    /// Rules that require neither an event id nor a word.
    everywhere: Vec<usize>,
    /// Rules stopped after failing (see [`RuleSet::stop`]).
    stopped: Vec<bool>,
    /// What each rule has cost since [`RuleSet::take_costs`] last read it.
    costs: Vec<RuleCost>,
}

/// What one rule costs: its condition tests and the events it took in,
/// counted exactly, and their time, sampled (one call in
/// [`RuleCost::SAMPLE_EVERY`] is timed: reading the clock around each of
/// millions of calls a second would cost more than many rules do).
#[derive(Debug, Default, Clone, Copy, PartialEq)]
pub struct RuleCost {
    /// Events tested against the rule's condition.
    pub tested: u64,
    /// Events that satisfied it and were fed to the rule.
    pub observed: u64,
    samples: u64,
    sampled_nanos: u64,
}

impl RuleCost {
    /// One call in this many is timed.
    pub const SAMPLE_EVERY: u64 = 64;

    fn measure<T>(&mut self, calls: u64, work: impl FnOnce() -> T) -> T {
        if calls % Self::SAMPLE_EVERY != 1 {
            return work();
        }
        let started = std::time::Instant::now();
        let out = work();
        let nanos = u64::try_from(started.elapsed().as_nanos()).unwrap_or(u64::MAX);
        self.sampled_nanos = self.sampled_nanos.saturating_add(nanos);
        self.samples += 1;
        out
    }

    /// Times a condition test.
    fn test<T>(&mut self, work: impl FnOnce() -> T) -> T {
        self.tested += 1;
        self.measure(self.tested, work)
    }

    /// Times feeding a selected event.
    pub fn observe<T>(&mut self, work: impl FnOnce() -> T) -> T {
        self.observed += 1;
        self.measure(self.observed, work)
    }

    /// The estimated time spent: the mean of the timed calls times all calls.
    pub fn seconds(&self) -> f64 {
        if self.samples == 0 {
            return 0.0;
        }
        let calls = (self.tested + self.observed) as f64;
        self.sampled_nanos as f64 / self.samples as f64 * calls / 1e9
    }
}

impl<K> Default for RuleSet<K> {
    fn default() -> Self {
        RuleSet {
            entries: Vec::new(),
            by_event_id: HashMap::new(),
            words: None,
            rule_of_word: Vec::new(),
            worded: Vec::new(),
            everywhere: Vec::new(),
            stopped: Vec::new(),
            costs: Vec::new(),
        }
    }
}

impl RuleSet {
    /// Files `rules` under the event ids their conditions require.
    pub fn new(rules: Vec<Evaluator>) -> RuleSet {
        RuleSet::keyed(rules.into_iter().map(|rule| ((), rule)).collect())
    }
}

impl<K> RuleSet<K> {
    /// Files keyed rules under the event ids their conditions require.
    pub fn keyed(entries: Vec<(K, Evaluator)>) -> RuleSet<K> {
        let mut set = RuleSet::default();
        let mut words_of_rules: Vec<String> = Vec::new();
        for (index, (_, rule)) in entries.iter().enumerate() {
            let query = rule.parsed().query();
            if let Some(ids) = required_ids(query) {
                for id in ids {
                    set.by_event_id.entry(id).or_default().push(index);
                }
            } else if let Some(words) = required_words(query) {
                for word in words {
                    words_of_rules.push(word);
                    set.rule_of_word.push(index);
                }
                set.worded.push(index);
            } else {
                set.everywhere.push(index);
            }
        }
        if !words_of_rules.is_empty() {
            match aho_corasick::AhoCorasick::builder()
                .ascii_case_insensitive(true)
                .build(&words_of_rules)
            {
                Ok(automaton) => set.words = Some(automaton),
                // Too many words to index: those rules are tried everywhere.
                Err(_) => {
                    set.everywhere.append(&mut set.worded);
                    set.everywhere.sort_unstable();
                    set.rule_of_word.clear();
                }
            }
        }
        set.stopped = vec![false; entries.len()];
        set.costs = vec![RuleCost::default(); entries.len()];
        set.entries = entries;
        set
    }

    /// Stops the rule at `index`: it is no longer selected or ticked.
    pub fn stop(&mut self, index: usize) {
        if let Some(stopped) = self.stopped.get_mut(index) {
            *stopped = true;
        }
    }

    /// Whether the rule at `index` was stopped.
    pub fn is_stopped(&self, index: usize) -> bool {
        self.stopped.get(index).copied().unwrap_or(false)
    }

    /// Returns how many rules the set holds.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Says whether the set holds no rule.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Returns the rules with their keys, in the order given.
    pub fn entries(&self) -> impl Iterator<Item = (&K, &Evaluator)> {
        self.entries.iter().map(|(key, rule)| (key, rule))
    }

    /// The rule at `index` and its key.
    pub fn entry(&self, index: usize) -> (&K, &Evaluator) {
        let (key, rule) = &self.entries[index];
        (key, rule)
    }

    /// The rule at `index`, to feed.
    pub fn rule_mut(&mut self, index: usize) -> &mut Evaluator {
        &mut self.entries[index].1
    }

    /// The rule at `index` and what it costs, to feed and time
    /// ([`RuleCost::observe`]).
    pub fn rule_and_cost(&mut self, index: usize) -> (&mut Evaluator, &mut RuleCost) {
        (&mut self.entries[index].1, &mut self.costs[index])
    }

    /// What each rule cost since the last call, in the order given; starts
    /// counting afresh.
    pub fn take_costs(&mut self) -> Vec<RuleCost> {
        let fresh = vec![RuleCost::default(); self.costs.len()];
        std::mem::replace(&mut self.costs, fresh)
    }

    /// The rules back with their keys, in the order given.
    pub fn into_entries(self) -> Vec<(K, Evaluator)> {
        self.entries
    }

    /// The rules whose condition `event` satisfies (and no exception), in
    /// the order given.
    pub fn selecting(&mut self, event: &EventRecord) -> Vec<usize> {
        let mut candidates: Vec<usize> = self.everywhere.clone();
        for id in event_ids(&event.document) {
            if let Some(rules) = self.by_event_id.get(id.as_str()) {
                candidates.extend_from_slice(rules);
            }
        }
        if let Some(words) = &self.words {
            let message = super::matcher::column_text(&event.document, "message");
            match message.as_deref() {
                // The automaton folds ASCII only; these two characters fold into ASCII.
                Some(text) if super::matcher::folds_into_ascii(text) => {
                    candidates.extend_from_slice(&self.worded)
                }
                Some(text) => candidates.extend(
                    words
                        .find_overlapping_iter(text)
                        .map(|found| self.rule_of_word[found.pattern().as_usize()]),
                ),
                None => {}
            }
        }
        candidates.sort_unstable();
        candidates.dedup();
        let (entries, costs) = (&self.entries, &mut self.costs);
        candidates.retain(|&index| {
            !self.stopped[index] && costs[index].test(|| entries[index].1.selects(event))
        });
        candidates
    }
}

/// The event ids a condition requires, when it requires some.
fn required_ids(query: &Query) -> Option<Vec<String>> {
    match query {
        Query::Field {
            field,
            test:
                Test::Matches {
                    term: Term::Word(id) | Term::Phrase(id),
                },
        } if field == INDEXED_FIELD => Some(vec![id.clone()]),
        // Every part of an OR must require ids for the OR to.
        Query::Or(parts) => {
            let mut ids = Vec::new();
            for part in parts {
                ids.extend(required_ids(part)?);
            }
            Some(ids)
        }
        // One part of an AND requiring ids is enough.
        Query::And(parts) => parts.iter().find_map(required_ids),
        _ => None,
    }
}

/// The words a condition requires the message to contain (one of them,
/// when it gives several), when it requires some: free text, or `message:`
/// values. A pattern requires its longest literal piece.
fn required_words(query: &Query) -> Option<Vec<String>> {
    let word = |term: &Term| -> Option<String> {
        let text = match term {
            Term::Word(text) | Term::Phrase(text) => text.clone(),
            Term::Pattern(parts) => parts
                .iter()
                .filter_map(|p| match p {
                    PatternPart::Literal(text) => Some(text.clone()),
                    _ => None,
                })
                .max_by_key(String::len)?,
        };
        // The automaton folds ASCII letters only.
        (!text.is_empty() && text.is_ascii()).then_some(text)
    };
    match query {
        Query::Text(term) => Some(vec![word(term)?]),
        // `message:` values and `message|contains:` search the message as free text does.
        Query::Field {
            field,
            test:
                Test::Matches { term }
                | Test::Compare {
                    op: app::query::Operator::Contains,
                    term,
                    cased: false,
                },
        } if field == "message" => Some(vec![word(term)?]),
        Query::Or(parts) => {
            let mut words = Vec::new();
            for part in parts {
                words.extend(required_words(part)?);
            }
            Some(words)
        }
        Query::And(parts) => parts.iter().find_map(required_words),
        _ => None,
    }
}

/// The texts under which the event is filed: its `EventID` as a condition
/// compares it (the scalar's text, or each string of an array).
fn event_ids(document: &Value) -> Vec<String> {
    match document.get(INDEXED_FIELD) {
        Some(Value::String(text)) => vec![text.clone()],
        Some(Value::Number(number)) => vec![number.to_string()],
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|item| item.as_str().map(str::to_owned))
            .collect(),
        Some(Value::Bool(flag)) => vec![flag.to_string()],
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn evaluator(query: &str) -> Evaluator {
        let rule = serde_json::from_value(json!({
            "slug": "r", "name": "r", "severity": "low", "kind": "query", "query": query
        }))
        .unwrap();
        Evaluator::new(&rule, &Default::default(), chrono::Utc::now()).unwrap()
    }

    const QUERIES: [&str; 11] = [
        "EventID:1 AND Image|endswith:\\\\cmd.exe",
        "(EventID:12 OR EventID:13) AND TargetObject|contains:Run",
        "EventID:4688 OR Image:x",
        "Channel|i:security AND EventID:4625",
        "message|contains:failed",
        "NOT EventID:1",
        "EventID:1 AND EventID:2",
        "\"failed password\" OR invalid*user",
        "Channel:x AND (login OR \"\u{e9}t\u{e9}\")",
        "(FAIL* OR ok) AND x:*",
        "\"7\" OR \"ok\"",
    ];

    #[test]
    fn rules_are_filed_under_the_ids_they_require() {
        let set = RuleSet::new(QUERIES.iter().map(|q| evaluator(q)).collect());
        assert_eq!(set.by_event_id["1"], vec![0, 6]);
        assert_eq!(set.by_event_id["12"], vec![1]);
        assert_eq!(set.by_event_id["4625"], vec![3]);
        assert_eq!(
            set.everywhere,
            vec![2, 5, 8],
            "an OR with another part, NOT, a non-ASCII word"
        );
        assert_eq!(set.worded, vec![4, 7, 9, 10]);
    }

    proptest! {
        /// The index never changes which rules match.
        #[test]
        fn the_index_selects_what_trying_every_rule_selects(
            id in prop_oneof![Just(json!(1)), Just(json!("1")), Just(json!(13)), Just(json!(4625)),
                              Just(json!(["1", "2"])), Just(json!(null)), Just(json!(2))],
            image in prop_oneof![Just("C:\\\\cmd.exe"), Just("x")],
            channel in prop_oneof![Just("Security"), Just("System")],
            message in prop_oneof![Just(json!("login failed")), Just(json!("ok")), Just(json!("Failed password for")),
                                   Just(json!("invalid  user")), Just(json!("\u{212a}ok")), Just(json!("\u{e9}t\u{e9} login")),
                                   Just(json!("")), Just(json!(7)), Just(json!(["ok"]))],
        ) {
            let mut set = RuleSet::new(QUERIES.iter().map(|q| evaluator(q)).collect());
            let record = EventRecord {
                id: uuid::Uuid::nil(),
                timestamp: chrono::Utc::now(),
                document: json!({"EventID": id, "Image": image, "Channel": channel,
                                 "TargetObject": "HKLM\\Run", "message": message}),
            };
            let all: Vec<usize> = (0..set.len()).filter(|i| set.entry(*i).1.selects(&record)).collect();
            prop_assert_eq!(set.selecting(&record), all);
        }
    }
}
