//! A field's value as text, a number or an address: how columns, rules and
//! search all read one.

use serde_json::Value;
use std::borrow::Cow;
use std::net::IpAddr;

/// A value as the text a column holds: trimmed, the first of an array,
/// never empty; None for null and objects.
pub fn scalar_str(value: &Value) -> Option<Cow<'_, str>> {
    let text = match value {
        Value::String(s) => Cow::Borrowed(s.trim()),
        Value::Number(n) => Cow::Owned(n.to_string()),
        Value::Bool(b) => Cow::Borrowed(if *b { "true" } else { "false" }),
        Value::Array(items) => return items.first().and_then(scalar_str),
        _ => return None,
    };
    (!text.is_empty()).then_some(text)
}

/// A number, or a string holding one (shippers send coordinates either way).
pub fn number_of(value: &Value) -> Option<f64> {
    match value {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse::<f64>().ok(),
        _ => None,
    }
}

/// The number a string holds, read as search's SQL reads it
/// ([`crate::search::compile::NUMERIC_TEXT`]): blanks and tabs around,
/// an optional sign, digits with an optional point, an exponent of at most
/// three digits. None when it is not one (infinite when it overflows a
/// float; Postgres' numeric holds it, and it compares the same).
pub fn numeric(text: &str) -> Option<f64> {
    let core = text.trim_matches([' ', '\t']);
    let unsigned = core.strip_prefix(['-', '+']).unwrap_or(core);
    let (mantissa, exponent) = match unsigned.find(['e', 'E']) {
        Some(at) => (&unsigned[..at], Some(&unsigned[at + 1..])),
        None => (unsigned, None),
    };
    let (whole, fraction) = match mantissa.split_once('.') {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (mantissa, None),
    };
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    let mantissa_ok = digits(whole)
        && fraction.is_none_or(digits)
        && (!whole.is_empty() || fraction.is_some_and(|f| !f.is_empty()));
    let exponent_ok = exponent.is_none_or(|e| {
        let e = e.strip_prefix(['-', '+']).unwrap_or(e);
        (1..=3).contains(&e.len()) && digits(e)
    });
    if !mantissa_ok || !exponent_ok {
        return None;
    }
    core.parse::<f64>().ok()
}

/// [`numeric`], finite: the number a query's value stands for.
pub fn finite_number(text: &str) -> Option<f64> {
    numeric(text).filter(|n| n.is_finite())
}

/// The time a string holds when it is RFC 3339 as search's SQL reads one
/// ([`crate::search::compile::TIME_TEXT`]): `T` and the zone (`Z` or
/// `±hh:mm`) written, seconds below 60, at most six fractional digits.
pub fn rfc3339_time(text: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    let b = text.as_bytes();
    let digits = |range: std::ops::Range<usize>| {
        b.get(range)
            .is_some_and(|d| d.iter().all(u8::is_ascii_digit))
    };
    let shape = b.len() >= 20
        && digits(0..4)
        && b[4] == b'-'
        && digits(5..7)
        && b[7] == b'-'
        && digits(8..10)
        && b[10] == b'T'
        && digits(11..13)
        && b[13] == b':'
        && digits(14..16)
        && b[16] == b':'
        && digits(17..19)
        && b[17] <= b'5';
    if !shape {
        return None;
    }
    let mut rest = &text[19..];
    if let Some(fraction) = rest.strip_prefix('.') {
        let count = fraction.bytes().take_while(u8::is_ascii_digit).count();
        if !(1..=6).contains(&count) {
            return None;
        }
        rest = &fraction[count..];
    }
    let zone_ok = rest == "Z"
        || (rest.len() == 6
            && matches!(rest.as_bytes()[0], b'+' | b'-')
            && rest.as_bytes()[1..3].iter().all(u8::is_ascii_digit)
            && rest.as_bytes()[3] == b':'
            && rest.as_bytes()[4..6].iter().all(u8::is_ascii_digit));
    if !zone_ok {
        return None;
    }
    chrono::DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.with_timezone(&chrono::Utc))
}

/// A value as the text a column holds: trimmed, the first of an array, never empty.
pub fn scalar_text(value: &Value) -> Option<String> {
    scalar_str(value).map(Cow::into_owned)
}

/// Returns the address in `text`, tolerating IPv6 brackets and an IPv4 port suffix.
pub fn parse_ip(text: &str) -> Option<IpAddr> {
    let trimmed = text.trim().trim_start_matches('[').trim_end_matches(']');
    if let Ok(ip) = trimmed.parse::<IpAddr>() {
        return Some(ip);
    }
    let (host, port) = trimmed.rsplit_once(':')?;
    port.parse::<u16>().ok()?;
    host.parse::<std::net::Ipv4Addr>().ok().map(IpAddr::V4)
}

/// Reads a network (`10.0.0.0/8`) or one address (as its host network), as
/// Postgres reads `inet` text.
pub fn network(text: &str) -> Option<ipnet::IpNet> {
    text.parse::<ipnet::IpNet>()
        .ok()
        .or_else(|| text.parse::<IpAddr>().ok().map(ipnet::IpNet::from))
}
