//! Bounds on what a rule remembers per group. Group values come from
//! events, and events are attacker-written: a threshold rule grouped by
//! `source.ip` fed spoofed syslog would otherwise remember every address
//! ever sent. Beyond the cap the least recently active groups are let go
//! (a tenth at a time, so the cost is paid rarely), deterministically — by
//! time, then key — so that evaluating again from a checkpoint evicts the
//! same groups.

use chrono::{DateTime, Utc};
use std::collections::HashMap;

/// Most groups (values, sequences, places) one rule remembers.
pub const MAX_GROUPS: usize = 100_000;

/// Trims `map` to below `cap` entries when it exceeds it, dropping those
/// whose `age` is oldest; returns how many went.
pub fn trim<V>(
    map: &mut HashMap<String, V>,
    cap: usize,
    age: impl Fn(&V) -> Option<DateTime<Utc>>,
) -> u64 {
    if map.len() <= cap {
        return 0;
    }
    let keep = cap - cap / 10;
    let mut ages: Vec<(Option<DateTime<Utc>>, &String)> =
        map.iter().map(|(key, value)| (age(value), key)).collect();
    let drop = ages.len() - keep;
    ages.select_nth_unstable(drop - 1);
    let gone: Vec<String> = ages[..drop].iter().map(|(_, key)| (*key).clone()).collect();
    for key in &gone {
        map.remove(key);
    }
    gone.len() as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_least_recently_active_go_first_and_ties_break_by_key() {
        let start = Utc::now();
        let mut map: HashMap<String, DateTime<Utc>> = (0..25)
            .map(|i| (format!("k{i:02}"), start + chrono::Duration::seconds(i / 2)))
            .collect();
        assert_eq!(trim(&mut map, 30, |t| Some(*t)), 0);
        let gone = trim(&mut map, 20, |t| Some(*t));
        assert_eq!(gone, 7, "down to 18");
        assert_eq!(map.len(), 18);
        assert!(!map.contains_key("k06"));
        assert!(map.contains_key("k07") && map.contains_key("k24"));
    }
}
