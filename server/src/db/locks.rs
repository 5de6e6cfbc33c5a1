//! Advisory lock ids, each named once. Migrations take some of them in SQL,
//! which cannot name these constants; a test holds the migrations to
//! exactly these numbers.

/// Serialises appends to the audit log's hash chain (taken by its trigger).
pub const AUDIT_CHAIN: i64 = 418_581_833_076;
/// Serialises creating the first admin when several nodes start at once.
pub const FIRST_ADMIN: i64 = 418_581_833_077;
/// Serialises creating and dropping event partitions (taken by
/// `vigil_ensure_event_partition` and retention).
pub const EVENT_PARTITIONS: i64 = 418_581_833_078;
/// Held, per session, by the instance that leads detection.
pub const DETECTION_LEADER: i64 = 418_581_833_079;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_take_only_the_named_locks() {
        let named = [AUDIT_CHAIN, FIRST_ADMIN, EVENT_PARTITIONS, DETECTION_LEADER];
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../migrations");
        let mut seen = Vec::new();
        for entry in std::fs::read_dir(dir).unwrap() {
            let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
            for (at, _) in text.match_indices("advisory_xact_lock(") {
                let rest = &text[at + "advisory_xact_lock(".len()..];
                let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
                let id: i64 = digits.parse().unwrap();
                assert!(named.contains(&id), "a migration takes unnamed lock {id}");
                seen.push(id);
            }
        }
        assert!(seen.contains(&AUDIT_CHAIN) && seen.contains(&EVENT_PARTITIONS));
    }
}
