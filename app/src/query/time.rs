//! Times as analysts write them, in queries and in the time picker: RFC 3339,
//! dates and zone-less times (read in the analyst's time zone), epoch
//! milliseconds, and Elasticsearch's date math — `now-1h`, `now-1d/d`,
//! `now/w`, `2026-12-03||+1M/M`.
//!
//! A time as written names a [`Span`], not an instant: `2026-12-03` is the
//! whole day, `now/d` today, `2026-12-03T10:00:00Z` one instant. Comparisons
//! then read the span as Elasticsearch rounds date math: `>=` and `<` its
//! start, `>` and `<=` its end, `:` all of it — so `@timestamp <= 2026-12-03`
//! includes the evening of the 3rd, and `@timestamp:now/d` is today.

use super::{Bound, Query, Test};
use chrono::SubsecRound;
use chrono::{
    DateTime, Datelike, Duration, FixedOffset, Months, NaiveDate, NaiveDateTime, SecondsFormat,
    TimeZone, Timelike, Utc,
};

/// The present and the analyst's time zone, against which relative and
/// zone-less times are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Clock {
    /// What `now` is.
    pub now: DateTime<Utc>,
    /// The zone of dates and zone-less times, and of rounding to days,
    /// weeks, months and years.
    pub zone: FixedOffset,
}

impl Clock {
    /// `now` in UTC.
    pub fn utc(now: DateTime<Utc>) -> Clock {
        Clock {
            now,
            zone: FixedOffset::east_opt(0).expect("zero is a valid offset"),
        }
    }
}

/// The instants a written time names: from `start` (inclusive) to `end`
/// (exclusive). An instant's span is one microsecond, the precision events
/// are stored with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    /// The first instant.
    pub start: DateTime<Utc>,
    /// The first instant after the span.
    pub end: DateTime<Utc>,
}

impl Span {
    /// Says whether the span is an instant as written (to the second or
    /// finer), not a rounded or partial unit.
    pub fn is_instant(&self) -> bool {
        self.end - self.start <= Duration::milliseconds(1)
    }
}

/// Returned when a time cannot be read; says what forms are accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "'{0}' is not a time: write 2026-12-03, 2026-12-03T10:00:00Z, epoch milliseconds, now, now-1h or now/d"
)]
pub struct TimeError(pub String);

/// The longest time text read (a longer one is refused).
const MAX_TEXT: usize = 64;

/// Reads a time zone: `UTC`, `Z`, or an offset such as `+01:00`, `-0530`.
pub fn zone(text: &str) -> Option<FixedOffset> {
    let text = text.trim();
    if text.eq_ignore_ascii_case("utc") || text.eq_ignore_ascii_case("z") || text.is_empty() {
        return FixedOffset::east_opt(0);
    }
    offset(text)
}

fn offset(text: &str) -> Option<FixedOffset> {
    let (sign, rest) = match text.as_bytes().first()? {
        b'+' => (1, &text[1..]),
        b'-' => (-1, &text[1..]),
        _ => return None,
    };
    let digits: String = rest.chars().filter(|c| *c != ':').collect();
    if digits.len() != 4 || !digits.bytes().all(|b| b.is_ascii_digit()) || rest.len() > 5 {
        return None;
    }
    let hours: i32 = digits[..2].parse().ok()?;
    let minutes: i32 = digits[2..].parse().ok()?;
    if hours > 18 || minutes > 59 {
        return None;
    }
    FixedOffset::east_opt(sign * (hours * 3600 + minutes * 60))
}

/// Says whether `text` is relative to the present (`now…`): such a time
/// means something to a search, not to a rule that reads one event.
pub fn is_relative(text: &str) -> bool {
    text.trim_start().starts_with("now")
}

/// Checks that `text` is a time, without reading it against a clock.
pub fn check(text: &str) -> Result<(), TimeError> {
    span(text, &Clock::utc(DateTime::<Utc>::UNIX_EPOCH)).map(|_| ())
}

/// The span `text` names, read against `clock`.
pub fn span(text: &str, clock: &Clock) -> Result<Span, TimeError> {
    let text = text.trim();
    let error = || TimeError(text.chars().take(MAX_TEXT).collect());
    if text.is_empty() || text.len() > MAX_TEXT {
        return Err(error());
    }
    let (mut span, math) = if let Some(rest) = text.strip_prefix("now") {
        (instant(clock.now), rest)
    } else if let Some((anchor, rest)) = text.split_once("||") {
        (absolute(anchor, clock.zone).ok_or_else(error)?, rest)
    } else {
        (absolute(text, clock.zone).ok_or_else(error)?, "")
    };
    let mut rest = math;
    while !rest.is_empty() {
        // Operators and units are ASCII: anything else is refused before slicing.
        if !rest.is_ascii() {
            return Err(error());
        }
        let sign = rest.as_bytes()[0];
        rest = &rest[1..];
        match sign {
            b'/' => {
                let unit = rest.chars().next().and_then(Unit::of).ok_or_else(error)?;
                rest = &rest[1..];
                span = unit.round(span.start, clock.zone).ok_or_else(error)?;
            }
            b'+' | b'-' => {
                let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
                let amount: i64 = rest[..digits].parse().map_err(|_| error())?;
                rest = &rest[digits..];
                let unit = rest.chars().next().and_then(Unit::of).ok_or_else(error)?;
                rest = &rest[1..];
                let amount = if sign == b'-' { -amount } else { amount };
                span = Span {
                    start: unit.add(span.start, amount, clock.zone).ok_or_else(error)?,
                    end: unit.add(span.end, amount, clock.zone).ok_or_else(error)?,
                };
            }
            _ => return Err(error()),
        }
    }
    Ok(span)
}

fn instant(at: DateTime<Utc>) -> Span {
    Span {
        start: at,
        end: at + Duration::microseconds(1),
    }
}

/// A date or time without math: its span at the precision written.
fn absolute(text: &str, zone: FixedOffset) -> Option<Span> {
    if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
        if text.len() <= 4 {
            let year = year_of(&format!("{text:0>4}"))?;
            return Unit::Year.round(local(zone, year, 1, 1)?, zone);
        }
        // Epoch milliseconds, within the years a date can name.
        let millis: i64 = text.parse().ok()?;
        let at = DateTime::<Utc>::from_timestamp_millis(millis)
            .filter(|t| (1..=9999).contains(&t.year()))?;
        return Some(Span {
            start: at,
            end: at + Duration::milliseconds(1),
        });
    }
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Some(instant(at.with_timezone(&Utc)));
    }
    // A partial time may carry a zone of its own: `2026-12-03T10:00Z`.
    let (naive, zone) = match text.strip_suffix(['Z', 'z']) {
        Some(rest) if rest.contains('T') || rest.contains(' ') => (rest, FixedOffset::east_opt(0)?),
        _ => match text.len().checked_sub(6).and_then(|at| {
            text.get(at..)
                .filter(|tail| tail.starts_with(['+', '-']) && tail.as_bytes()[3] == b':')
                .map(|tail| (at, tail))
        }) {
            Some((at, tail)) if text.contains('T') => (&text[..at], offset(tail)?),
            _ => (text, zone),
        },
    };
    let naive = naive.replacen(' ', "T", 1);
    let (date, time) = match naive.split_once('T') {
        Some((date, time)) => (date, Some(time)),
        None => (naive.as_str(), None),
    };
    let mut fields = date.split('-');
    let year: i32 = year_of(fields.next()?)?;
    let month = match fields.next() {
        Some(m) => Some(two_digits(m, 1..=12)?),
        None => None,
    };
    let day = match fields.next() {
        Some(d) => Some(two_digits(d, 1..=31)?),
        None => None,
    };
    if fields.next().is_some() {
        return None;
    }
    let Some(time) = time else {
        return match (month, day) {
            (None, _) => Unit::Year.round(local(zone, year, 1, 1)?, zone),
            (Some(month), None) => Unit::Month.round(local(zone, year, month, 1)?, zone),
            (Some(month), Some(day)) => Unit::Day.round(local(zone, year, month, day)?, zone),
        };
    };
    let (month, day) = (month?, day?);
    let date = NaiveDate::from_ymd_opt(year, month, day)?;
    let parts: Vec<&str> = time.split(':').collect();
    let hour = two_digits(parts[0], 0..=23)?;
    let (minute, unit) = match parts.get(1) {
        Some(m) => (two_digits(m, 0..=59)?, Unit::Minute),
        None => (0, Unit::Hour),
    };
    let start = date.and_hms_opt(hour, minute, 0)?;
    if let Some(seconds) = parts.get(2) {
        if parts.len() > 3 {
            return None;
        }
        let text = format!(
            "{}T{hour:02}:{minute:02}:{seconds}",
            date.format("%Y-%m-%d")
        );
        let at = NaiveDateTime::parse_from_str(&text, "%Y-%m-%dT%H:%M:%S%.f").ok()?;
        return Some(instant(
            zone.from_local_datetime(&at).single()?.with_timezone(&Utc),
        ));
    }
    if parts.len() > 2 {
        return None;
    }
    unit.round(
        zone.from_local_datetime(&start)
            .single()?
            .with_timezone(&Utc),
        zone,
    )
}

fn year_of(text: &str) -> Option<i32> {
    (text.len() == 4 && text.bytes().all(|b| b.is_ascii_digit()))
        .then(|| text.parse().ok())
        .flatten()
        .filter(|year| *year >= 1)
}

fn two_digits(text: &str, range: std::ops::RangeInclusive<u32>) -> Option<u32> {
    (text.len() == 2 && text.bytes().all(|b| b.is_ascii_digit()))
        .then(|| text.parse().ok())
        .flatten()
        .filter(|n| range.contains(n))
}

fn local(zone: FixedOffset, year: i32, month: u32, day: u32) -> Option<DateTime<Utc>> {
    let date = NaiveDate::from_ymd_opt(year, month, day)?.and_hms_opt(0, 0, 0)?;
    Some(
        zone.from_local_datetime(&date)
            .single()?
            .with_timezone(&Utc),
    )
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Unit {
    Year,
    Month,
    Week,
    Day,
    Hour,
    Minute,
    Second,
}

impl Unit {
    /// Elasticsearch's letters: `M` is months, `m` minutes; `H` is hours too.
    fn of(letter: char) -> Option<Unit> {
        Some(match letter {
            'y' => Unit::Year,
            'M' => Unit::Month,
            'w' => Unit::Week,
            'd' => Unit::Day,
            'h' | 'H' => Unit::Hour,
            'm' => Unit::Minute,
            's' => Unit::Second,
            _ => return None,
        })
    }

    /// The unit, in `zone`, that holds `at`.
    fn round(self, at: DateTime<Utc>, zone: FixedOffset) -> Option<Span> {
        let local = at.with_timezone(&zone).naive_local();
        let date = local.date();
        let start = match self {
            Unit::Year => NaiveDate::from_ymd_opt(date.year(), 1, 1)?.and_hms_opt(0, 0, 0)?,
            Unit::Month => {
                NaiveDate::from_ymd_opt(date.year(), date.month(), 1)?.and_hms_opt(0, 0, 0)?
            }
            Unit::Week => {
                let monday =
                    date - Duration::days(i64::from(date.weekday().num_days_from_monday()));
                monday.and_hms_opt(0, 0, 0)?
            }
            Unit::Day => date.and_hms_opt(0, 0, 0)?,
            Unit::Hour => date.and_hms_opt(local.hour(), 0, 0)?,
            Unit::Minute => date.and_hms_opt(local.hour(), local.minute(), 0)?,
            Unit::Second => date.and_hms_opt(local.hour(), local.minute(), local.second())?,
        };
        let start = zone
            .from_local_datetime(&start)
            .single()?
            .with_timezone(&Utc);
        Some(Span {
            start,
            end: self.add(start, 1, zone)?,
        })
    }

    fn add(self, at: DateTime<Utc>, amount: i64, zone: FixedOffset) -> Option<DateTime<Utc>> {
        // Far enough for any analyst, near enough that nothing overflows.
        if amount.unsigned_abs() > 1_000_000 {
            return None;
        }
        let fixed =
            |seconds: i64| at.checked_add_signed(Duration::seconds(seconds.checked_mul(amount)?));
        let moved = match self {
            Unit::Second => fixed(1)?,
            Unit::Minute => fixed(60)?,
            Unit::Hour => fixed(3600)?,
            Unit::Day => fixed(86_400)?,
            Unit::Week => fixed(604_800)?,
            Unit::Month | Unit::Year => {
                let months = if self == Unit::Year {
                    amount.checked_mul(12)?
                } else {
                    amount
                };
                let local = at.with_timezone(&zone);
                let months = Months::new(u32::try_from(months.unsigned_abs()).ok()?);
                let moved = if amount >= 0 {
                    local.checked_add_months(months)?
                } else {
                    local.checked_sub_months(months)?
                };
                moved.with_timezone(&Utc)
            }
        };
        (1..=9999).contains(&moved.year()).then_some(moved)
    }
}

/// The fields whose values are times: the event's, and ECS's `date` fields
/// (as Kibana reads them through the ECS mapping).
const TIME_FIELDS: &[&str] = &[
    "@timestamp",
    "event.created",
    "event.ingested",
    "event.start",
    "event.end",
    "process.start",
    "process.end",
    "process.parent.start",
    "file.created",
    "file.ctime",
    "file.mtime",
    "file.accessed",
    "tls.client.not_after",
    "tls.client.not_before",
    "tls.server.not_after",
    "tls.server.not_before",
    "x509.not_after",
    "x509.not_before",
    "threat.indicator.first_seen",
    "threat.indicator.last_seen",
    "threat.indicator.modified_at",
    "package.installed",
];

/// Says whether `field` holds times: its values are read as [`span`]s.
pub fn is_time_field(field: &str) -> bool {
    TIME_FIELDS.contains(&field)
}

/// `query` with every time of a time field read against `clock` and
/// written as RFC 3339 UTC bounds (`@timestamp:2026-12-03` becomes
/// `@timestamp:[2026-12-03T00:00:00Z TO 2026-12-04T00:00:00Z}`): what the
/// SQL compiler and the matcher compare with.
pub fn resolve(query: &Query, clock: &Clock) -> Result<Query, TimeError> {
    Ok(match query {
        Query::And(parts) => Query::And(
            parts
                .iter()
                .map(|p| resolve(p, clock))
                .collect::<Result<_, _>>()?,
        ),
        Query::Or(parts) => Query::Or(
            parts
                .iter()
                .map(|p| resolve(p, clock))
                .collect::<Result<_, _>>()?,
        ),
        Query::Not(inner) => Query::Not(Box::new(resolve(inner, clock)?)),
        Query::Field { field, test } if is_time_field(field) => {
            // Microseconds, as events are stored.
            let bound = |at: DateTime<Utc>, inclusive: bool| Bound {
                value: at
                    .trunc_subsecs(6)
                    .to_rfc3339_opts(SecondsFormat::AutoSi, true),
                inclusive,
            };
            let test = match test {
                Test::Matches { term } => {
                    let span = span(&term.text(), clock)?;
                    Test::Range {
                        lower: Some(bound(span.start, true)),
                        upper: Some(bound(span.end, false)),
                    }
                }
                Test::Range { lower, upper } => {
                    let lower = match lower {
                        // `>= x` from the start of its span; `> x` after its end.
                        Some(b) => {
                            let span = span(&b.value, clock)?;
                            Some(bound(if b.inclusive { span.start } else { span.end }, true))
                        }
                        None => None,
                    };
                    let upper = match upper {
                        // `<= x` up to its end; `< x` before its start.
                        Some(b) => {
                            let span = span(&b.value, clock)?;
                            Some(bound(
                                if b.inclusive { span.end } else { span.start },
                                false,
                            ))
                        }
                        None => None,
                    };
                    Test::Range { lower, upper }
                }
                other => other.clone(),
            };
            Query::Field {
                field: field.clone(),
                test,
            }
        }
        other => other.clone(),
    })
}

/// Says whether a time of `query` is relative to the present (`now…`).
pub fn relative(query: &Query) -> bool {
    match query {
        Query::And(parts) | Query::Or(parts) => parts.iter().any(relative),
        Query::Not(inner) => relative(inner),
        Query::Field { field, test } if is_time_field(field) => match test {
            Test::Matches { term } => is_relative(&term.text()),
            Test::Range { lower, upper } => [lower, upper]
                .into_iter()
                .flatten()
                .any(|b| is_relative(&b.value)),
            _ => false,
        },
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .with_timezone(&Utc)
    }

    fn clock() -> Clock {
        // A Thursday afternoon.
        Clock::utc(at("2026-12-03T15:42:17.250Z"))
    }

    fn shown(text: &str, clock: &Clock) -> (String, String) {
        let span = span(text, clock).unwrap_or_else(|e| panic!("{text}: {e}"));
        (span.start.to_rfc3339(), span.end.to_rfc3339())
    }

    #[test]
    fn date_math_reads_as_elasticsearch_does() {
        let c = clock();
        for (text, start, end) in [
            (
                "now",
                "2026-12-03T15:42:17.250+00:00",
                "2026-12-03T15:42:17.250001+00:00",
            ),
            (
                "now-1h",
                "2026-12-03T14:42:17.250+00:00",
                "2026-12-03T14:42:17.250001+00:00",
            ),
            (
                "now/d",
                "2026-12-03T00:00:00+00:00",
                "2026-12-04T00:00:00+00:00",
            ),
            (
                "now-1d/d",
                "2026-12-02T00:00:00+00:00",
                "2026-12-03T00:00:00+00:00",
            ),
            (
                "now/w",
                "2026-11-30T00:00:00+00:00",
                "2026-12-07T00:00:00+00:00",
            ),
            (
                "now/M",
                "2026-12-01T00:00:00+00:00",
                "2027-01-01T00:00:00+00:00",
            ),
            (
                "now-1M/M",
                "2026-11-01T00:00:00+00:00",
                "2026-12-01T00:00:00+00:00",
            ),
            (
                "now/y",
                "2026-01-01T00:00:00+00:00",
                "2027-01-01T00:00:00+00:00",
            ),
            (
                "now+2H/h",
                "2026-12-03T17:00:00+00:00",
                "2026-12-03T18:00:00+00:00",
            ),
            (
                "now-15m",
                "2026-12-03T15:27:17.250+00:00",
                "2026-12-03T15:27:17.250001+00:00",
            ),
            (
                "now-30s/m",
                "2026-12-03T15:41:00+00:00",
                "2026-12-03T15:42:00+00:00",
            ),
            (
                "now/d+8h",
                "2026-12-03T08:00:00+00:00",
                "2026-12-04T08:00:00+00:00",
            ),
            (
                "2026-12-03",
                "2026-12-03T00:00:00+00:00",
                "2026-12-04T00:00:00+00:00",
            ),
            (
                "2026-12",
                "2026-12-01T00:00:00+00:00",
                "2027-01-01T00:00:00+00:00",
            ),
            (
                "2026",
                "2026-01-01T00:00:00+00:00",
                "2027-01-01T00:00:00+00:00",
            ),
            (
                "2026-02-28||+1d",
                "2026-03-01T00:00:00+00:00",
                "2026-03-02T00:00:00+00:00",
            ),
            (
                "2026-01-31||+1M/M",
                "2026-02-01T00:00:00+00:00",
                "2026-03-01T00:00:00+00:00",
            ),
            (
                "2026-12-03T10:00",
                "2026-12-03T10:00:00+00:00",
                "2026-12-03T10:01:00+00:00",
            ),
            (
                "2026-12-03 10",
                "2026-12-03T10:00:00+00:00",
                "2026-12-03T11:00:00+00:00",
            ),
            (
                "2026-12-03T10:00:05",
                "2026-12-03T10:00:05+00:00",
                "2026-12-03T10:00:05.000001+00:00",
            ),
            (
                "2026-12-03T10:00:00+02:00",
                "2026-12-03T08:00:00+00:00",
                "2026-12-03T08:00:00.000001+00:00",
            ),
            (
                "2026-12-03T10:00Z",
                "2026-12-03T10:00:00+00:00",
                "2026-12-03T10:01:00+00:00",
            ),
            (
                "2026-12-03T10:00-05:00",
                "2026-12-03T15:00:00+00:00",
                "2026-12-03T15:01:00+00:00",
            ),
            (
                "1795946700000",
                "2026-11-29T10:05:00+00:00",
                "2026-11-29T10:05:00.001+00:00",
            ),
        ] {
            assert_eq!(
                shown(text, &c),
                (start.to_owned(), end.to_owned()),
                "{text}"
            );
        }
    }

    #[test]
    fn dates_and_rounding_follow_the_analysts_zone() {
        let berlin = Clock {
            zone: zone("+01:00").unwrap(),
            ..clock()
        };
        assert_eq!(
            shown("2026-12-03", &berlin),
            (
                "2026-12-02T23:00:00+00:00".into(),
                "2026-12-03T23:00:00+00:00".into()
            )
        );
        assert_eq!(
            shown("now/d", &berlin),
            (
                "2026-12-02T23:00:00+00:00".into(),
                "2026-12-03T23:00:00+00:00".into()
            )
        );
        // A zone written in the time wins over the analyst's.
        assert_eq!(
            shown("2026-12-03T10:00:00Z", &berlin).0,
            "2026-12-03T10:00:00+00:00"
        );
        let late = Clock {
            now: at("2026-12-03T23:30:00Z"),
            zone: zone("-0530").unwrap(),
        };
        assert_eq!(shown("now/d", &late).0, "2026-12-03T05:30:00+00:00");
        for (text, ok) in [
            ("UTC", true),
            ("+14:00", true),
            ("-11:30", true),
            ("+1", false),
            ("CET", false),
            ("+19:00", false),
        ] {
            assert_eq!(zone(text).is_some(), ok, "{text}");
        }
    }

    #[test]
    fn what_is_not_a_time_is_refused() {
        for bad in [
            "",
            "yesterday",
            "now-",
            "now-5",
            "now-5x",
            "now*5m",
            "now/",
            "now/q",
            "2026-13-01",
            "2026-02-30",
            "2026-12-3",
            "26-12-03",
            "2026-12-03T25:00",
            "2026-12-03T10:00:00:00",
            "now-99999999999d",
            "now+2000000y",
            "now-1000000M",
            "99999999999999999999",
            "||+1d",
            "2026-12-03T",
            "0000",
            "1e5",
        ] {
            assert!(span(bad, &clock()).is_err(), "{bad}");
        }
        assert!(check("now-1h").is_ok() && is_relative(" now-1h") && !is_relative("2026"));
        assert!(
            span(&"now-1h".repeat(20), &clock()).is_err(),
            "bounded in length"
        );
    }

    #[test]
    fn queries_read_their_times_as_bounds() {
        let c = clock();
        for (text, resolved) in [
            (
                "@timestamp:2026-12-03",
                "@timestamp:[2026-12-03T00:00:00Z TO 2026-12-04T00:00:00Z}",
            ),
            (
                "@timestamp >= now-1h",
                "@timestamp:[2026-12-03T14:42:17.250Z TO *]",
            ),
            (
                "@timestamp > now/d",
                "@timestamp:[2026-12-04T00:00:00Z TO *]",
            ),
            (
                "@timestamp <= 2026-12-03",
                "@timestamp:[* TO 2026-12-04T00:00:00Z}",
            ),
            (
                "@timestamp < 2026-12-03",
                "@timestamp:[* TO 2026-12-03T00:00:00Z}",
            ),
            (
                "@timestamp:[now-1d/d TO now/d]",
                "@timestamp:[2026-12-02T00:00:00Z TO 2026-12-04T00:00:00Z}",
            ),
            (
                "@timestamp:{2026-12-01 TO 2026-12-03}",
                "@timestamp:[2026-12-02T00:00:00Z TO 2026-12-03T00:00:00Z}",
            ),
            (
                "NOT @timestamp:now/h OR host.name:now",
                "NOT @timestamp:[2026-12-03T15:00:00Z TO 2026-12-03T16:00:00Z} OR host.name:now",
            ),
            ("@timestamp|hour:9", "@timestamp|hour:9"),
        ] {
            let query = super::super::parse(text).unwrap();
            let printed = resolve(&query, &c).unwrap().to_string().replace("\\:", ":");
            assert_eq!(printed, resolved, "{text}");
        }
        assert!(relative(
            &super::super::parse("a OR NOT @timestamp:[2026 TO now]").unwrap()
        ));
        assert!(!relative(
            &super::super::parse("@timestamp >= 2026-12-03 AND x:now").unwrap()
        ));
    }
}
