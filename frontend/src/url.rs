//! Query strings for shareable URLs and API calls: percent-encoding only, no
//! DOM and no signals.

/// Percent-encodes a query-string value (everything but RFC 3986's unreserved characters).
pub fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_percent_encoded_byte_by_byte() {
        assert_eq!(encode("a b&c=\"é\""), "a%20b%26c%3D%22%C3%A9%22");
    }
}
