//! Reading event times in the many shapes shippers send them.
//!
//! A time without a zone is UTC: MozDef read such times in the worker's local
//! zone and silently broke alert windows (mozilla/MozDef#979, #1029, #208).

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, TimeZone, Utc};
use serde_json::Value;

/// Returns the instant `value` names, or `None` when it is not a time.
///
/// `now` resolves year-less syslog times (`Dec 10 06:55:46`) to the most recent
/// such instant that is not more than a day in the future.
pub fn parse_timestamp(value: &Value, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    match value {
        Value::Number(number) => {
            if let Some(integer) = number.as_i64() {
                from_epoch_digits(integer)
            } else {
                let seconds = number.as_f64()?;
                if !seconds.is_finite() || seconds <= 0.0 {
                    return None;
                }
                let micros = (seconds * 1_000_000.0).round() as i64;
                DateTime::from_timestamp_micros(micros)
            }
        }
        Value::String(text) => parse_timestamp_text(text, now),
        _ => None,
    }
}

/// [`parse_timestamp`] for a string.
pub fn parse_timestamp_text(text: &str, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    parse_text(text.trim(), now)
}

/// Interprets an integer epoch by its digit count, as MozDef did:
/// up to 10 digits seconds, 13 milliseconds, 16 microseconds, else nanoseconds.
fn from_epoch_digits(value: i64) -> Option<DateTime<Utc>> {
    if value <= 0 {
        return None;
    }
    let digits = value.ilog10() + 1;
    match digits {
        0..=10 => DateTime::from_timestamp(value, 0),
        11..=13 => DateTime::from_timestamp_millis(value),
        14..=16 => DateTime::from_timestamp_micros(value),
        _ => Some(DateTime::from_timestamp_nanos(value)),
    }
}

fn parse_text(text: &str, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    if text.is_empty() || text.len() > 64 {
        return None;
    }
    if text.bytes().all(|b| b.is_ascii_digit()) {
        return text.parse::<i64>().ok().and_then(from_epoch_digits);
    }
    if let Ok(with_zone) = DateTime::parse_from_rfc3339(text) {
        return Some(with_zone.with_timezone(&Utc));
    }
    // ISO 8601 with a zone but not strictly RFC 3339 (`+0000`, a space instead of `T`).
    for format in [
        "%Y-%m-%dT%H:%M:%S%.f%z",
        "%Y-%m-%d %H:%M:%S%.f%z",
        "%Y-%m-%d %H:%M:%S%.f %z",
    ] {
        if let Ok(with_zone) = DateTime::parse_from_str(text, format) {
            return Some(with_zone.with_timezone(&Utc));
        }
    }
    // Apache access log: 10/Oct/2000:13:55:36 -0700
    if let Ok(with_zone) = DateTime::parse_from_str(text, "%d/%b/%Y:%H:%M:%S %z") {
        return Some(with_zone.with_timezone(&Utc));
    }
    if let Ok(with_zone) = DateTime::parse_from_rfc2822(text) {
        return Some(with_zone.with_timezone(&Utc));
    }
    // Naive forms: UTC by rule.
    let naive_formats = [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y/%m/%d %H:%M:%S%.f",
        // Apache error log: Sun Dec 04 04:47:44 2005
        "%a %b %d %H:%M:%S%.f %Y",
    ];
    for format in naive_formats {
        if let Ok(naive) = NaiveDateTime::parse_from_str(text, format) {
            return Some(Utc.from_utc_datetime(&naive));
        }
    }
    if let Ok(date) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return date
            .and_hms_opt(0, 0, 0)
            .map(|naive| Utc.from_utc_datetime(&naive));
    }
    parse_syslog_without_year(text, now)
}

/// `Dec 10 06:55:46` or `Dec  1 06:55:46.123`: the latest such time not more than a day ahead of `now`.
fn parse_syslog_without_year(text: &str, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let collapsed = text.split_whitespace().collect::<Vec<_>>().join(" ");
    for year in [now.year(), now.year() - 1] {
        let candidate = format!("{year} {collapsed}");
        let Ok(naive) = NaiveDateTime::parse_from_str(&candidate, "%Y %b %d %H:%M:%S%.f") else {
            continue;
        };
        let instant = Utc.from_utc_datetime(&naive);
        if instant <= now + chrono::Duration::days(1) {
            return Some(instant);
        }
    }
    None
}

/// Fields that may carry the event time, most specific first.
pub const TIME_FIELDS: &[&str] = &[
    "@timestamp",
    "utctimestamp",
    "timestamp",
    "eventtime",
    "TimeCreated_SystemTime",
    "UtcTime",
    "TimeCreated",
    "EventTime",
    "date",
    "time",
];

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 29, 12, 0, 0).unwrap()
    }

    fn parsed(value: Value) -> String {
        parse_timestamp(&value, now())
            .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true))
            .unwrap_or_else(|| "none".into())
    }

    #[test]
    fn zoned_times_are_converted_to_utc() {
        let cases = [
            ("2026-11-29T10:00:00Z", "2026-11-29T10:00:00.000000Z"),
            ("2026-11-29T10:00:00.5+02:00", "2026-11-29T08:00:00.500000Z"),
            ("2026-11-29T10:00:00-0500", "2026-11-29T15:00:00.000000Z"),
            ("2026-11-29 10:00:00 +0100", "2026-11-29T09:00:00.000000Z"),
            ("10/Oct/2000:13:55:36 -0700", "2000-10-10T20:55:36.000000Z"),
            (
                "Tue, 1 Jul 2003 10:52:37 +0200",
                "2003-07-01T08:52:37.000000Z",
            ),
        ];
        for (input, expected) in cases {
            assert_eq!(parsed(json!(input)), expected, "{input}");
        }
    }

    #[test]
    fn times_without_a_zone_are_utc() {
        let cases = [
            ("2026-11-29T10:00:00", "2026-11-29T10:00:00.000000Z"),
            ("2026-11-29 10:00:00.123", "2026-11-29T10:00:00.123000Z"),
            ("2025-10-24 23:41:48.482", "2025-10-24T23:41:48.482000Z"),
            ("Sun Dec 04 04:47:44 2005", "2005-12-04T04:47:44.000000Z"),
            ("2026-11-28", "2026-11-28T00:00:00.000000Z"),
        ];
        for (input, expected) in cases {
            assert_eq!(parsed(json!(input)), expected, "{input}");
        }
    }

    #[test]
    fn epochs_are_read_by_digit_count() {
        let cases = [
            (json!(1_764_410_400), "2025-11-29T10:00:00.000000Z"),
            (json!(1_764_410_400_123_i64), "2025-11-29T10:00:00.123000Z"),
            (
                json!(1_764_410_400_123_456_i64),
                "2025-11-29T10:00:00.123456Z",
            ),
            (
                json!(1_764_410_400_123_456_789_i64),
                "2025-11-29T10:00:00.123456Z",
            ),
            (json!("1764410400"), "2025-11-29T10:00:00.000000Z"),
            (json!(1_764_410_400.25), "2025-11-29T10:00:00.250000Z"),
        ];
        for (input, expected) in cases {
            assert_eq!(parsed(input.clone()), expected, "{input}");
        }
    }

    #[test]
    fn syslog_times_get_the_year_that_keeps_them_in_the_past() {
        assert_eq!(
            parsed(json!("Nov 29 11:59:00")),
            "2026-11-29T11:59:00.000000Z"
        );
        assert_eq!(
            parsed(json!("Dec  1 06:55:46")),
            "2025-12-01T06:55:46.000000Z"
        );
    }

    #[test]
    fn non_times_are_refused() {
        for value in [
            json!("yesterday"),
            json!(""),
            json!(0),
            json!(-5),
            json!(true),
            json!({"a": 1}),
            json!("x".repeat(100)),
        ] {
            assert_eq!(parsed(value.clone()), "none", "{value}");
        }
    }
}
