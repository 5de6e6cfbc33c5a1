//! Pure formatting of times, durations and sizes for display; no DOM, no signals.
//!
//! Times are shown in UTC: analysts correlate across sources and time zones, and the server,
//! the audit trail and the shipped events all speak UTC.

use chrono::{DateTime, Utc};

/// Returns `ts` as `2025-01-31 14:05:09 UTC`.
pub fn timestamp(ts: DateTime<Utc>) -> String {
    ts.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

/// Returns `ts` in the explorer's chosen zone (`UTC` or an offset such as
/// `+05:30`), the zone written after it: `2025-01-31 19:35:09 UTC+05:30`.
pub fn timestamp_in(ts: DateTime<Utc>, zone: &str) -> String {
    match app::query::time::zone(zone).filter(|offset| offset.local_minus_utc() != 0) {
        Some(offset) => format!(
            "{} UTC{zone}",
            ts.with_timezone(&offset).format("%Y-%m-%d %H:%M:%S")
        ),
        None => timestamp(ts),
    }
}

/// Returns `ts` as an RFC 3339 string, for `<time datetime>` attributes.
pub fn machine_timestamp(ts: DateTime<Utc>) -> String {
    ts.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Returns `secs` as the two largest units, for example `3d 4h`, `12m 5s`.
pub fn duration_secs(secs: u64) -> String {
    let days = secs / 86_400;
    let hours = secs % 86_400 / 3_600;
    let minutes = secs % 3_600 / 60;
    let seconds = secs % 60;
    if days > 0 {
        format!("{days}d {hours}h")
    } else if hours > 0 {
        format!("{hours}h {minutes}m")
    } else if minutes > 0 {
        format!("{minutes}m {seconds}s")
    } else {
        format!("{seconds}s")
    }
}

/// Returns how long before `now` the moment `ts` was, for example `5m ago`.
pub fn ago(ts: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let secs = (now - ts).num_seconds();
    if secs < 0 {
        return "in the future".to_owned();
    }
    if secs < 5 {
        return "just now".to_owned();
    }
    format!("{} ago", duration_secs(secs.unsigned_abs()))
}

/// Returns a count with thousands separators, for example `1,250,000`.
pub fn count(value: i64) -> String {
    let digits = value.unsigned_abs().to_string();
    let mut grouped = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    if value < 0 {
        format!("-{grouped}")
    } else {
        grouped
    }
}

/// Returns a rate with a sensible precision: `0`, `0.4`, `12`, `1,250`.
pub fn rate(per_second: f64) -> String {
    if per_second <= 0.0 {
        "0".to_owned()
    } else if per_second < 10.0 {
        format!("{per_second:.1}")
    } else {
        count(per_second.round() as i64)
    }
}

/// Returns a byte count in binary units with one decimal, for example `12.3 MiB`.
pub fn bytes(count: i64) -> String {
    const UNITS: [&str; 6] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
    if count < 1024 {
        return format!("{count} B");
    }
    // The display needs one decimal only; f64 is exact far beyond any database size.
    #[allow(clippy::cast_precision_loss)]
    let mut value = count as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

/// Returns the clock difference between server and browser as a short phrase.
pub fn skew(server: DateTime<Utc>, browser: DateTime<Utc>) -> String {
    let secs = (server - browser).num_seconds();
    if secs.abs() <= 2 {
        "in sync with this browser".to_owned()
    } else if secs > 0 {
        format!(
            "{} ahead of this browser",
            duration_secs(secs.unsigned_abs())
        )
    } else {
        format!("{} behind this browser", duration_secs(secs.unsigned_abs()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_rates_read_easily() {
        assert_eq!(count(0), "0");
        assert_eq!(count(999), "999");
        assert_eq!(count(1_250_000), "1,250,000");
        assert_eq!(count(-4_000), "-4,000");
        assert_eq!(rate(0.0), "0");
        assert_eq!(rate(0.42), "0.4");
        assert_eq!(rate(1249.6), "1,250");
    }
    use chrono::TimeZone;

    #[test]
    fn times_show_in_the_chosen_zone_with_the_zone_written() {
        let ts = Utc.with_ymd_and_hms(2026, 12, 3, 23, 30, 5).unwrap();
        assert_eq!(timestamp_in(ts, "UTC"), "2026-12-03 23:30:05 UTC");
        assert_eq!(timestamp_in(ts, "+05:30"), "2026-12-04 05:00:05 UTC+05:30");
        assert_eq!(timestamp_in(ts, "-08:00"), "2026-12-03 15:30:05 UTC-08:00");
        assert_eq!(timestamp_in(ts, "nonsense"), "2026-12-03 23:30:05 UTC");
    }

    #[test]
    fn durations_keep_the_two_largest_units() {
        let cases = [
            (0, "0s"),
            (59, "59s"),
            (61, "1m 1s"),
            (3_600, "1h 0m"),
            (3_725, "1h 2m"),
            (90_061, "1d 1h"),
        ];
        for (secs, expected) in cases {
            assert_eq!(duration_secs(secs), expected, "{secs}");
        }
    }

    #[test]
    fn sizes_use_binary_units() {
        let cases = [
            (0, "0 B"),
            (1023, "1023 B"),
            (1024, "1.0 KiB"),
            (1536, "1.5 KiB"),
            (8 * 1024 * 1024 + 300 * 1024, "8.3 MiB"),
            (5 * 1024_i64.pow(4), "5.0 TiB"),
        ];
        for (count, expected) in cases {
            assert_eq!(bytes(count), expected, "{count}");
        }
    }

    #[test]
    fn timestamps_are_utc_and_seconds_precise() {
        let ts = Utc.with_ymd_and_hms(2025, 1, 31, 14, 5, 9).unwrap();
        assert_eq!(timestamp(ts), "2025-01-31 14:05:09 UTC");
        assert_eq!(machine_timestamp(ts), "2025-01-31T14:05:09Z");
        let later = Utc.with_ymd_and_hms(2025, 1, 31, 14, 10, 9).unwrap();
        assert_eq!(ago(ts, later), "5m 0s ago");
        assert_eq!(skew(ts, ts), "in sync with this browser");
        assert_eq!(skew(later, ts), "5m 0s ahead of this browser");
    }
}
