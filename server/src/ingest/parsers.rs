//! Structure from well-known text lines: OpenSSH's sshd messages and Apache /
//! nginx access logs (common and combined formats). Each parser returns ECS
//! fields found in a message; the normaliser applies them where the event
//! does not already say otherwise. Hand-written matching, no regex: these run
//! on every event.

use serde_json::{Value, json};

/// Returns ECS fields from an sshd message, or nothing when it is not one we know.
pub fn sshd_fields(message: &str) -> Vec<(&'static str, Value)> {
    let mut out = Vec::new();
    let login = |out: &mut Vec<(&'static str, Value)>, outcome: &str, method: &str, rest: &str| {
        // rest: "[invalid user ]USER from IP port N ..."
        let rest = rest.strip_prefix("invalid user ").unwrap_or(rest);
        let Some((user, after)) = rest.split_once(" from ") else {
            return;
        };
        let mut words = after.split_whitespace();
        let Some(ip) = words.next() else { return };
        out.push(("event.category", json!(["authentication"])));
        out.push(("event.action", Value::from("ssh_login")));
        out.push(("event.outcome", Value::from(outcome)));
        out.push(("user.name", Value::from(user)));
        out.push(("source.ip", Value::from(ip)));
        if words.next() == Some("port")
            && let Some(port) = words.next().and_then(|p| p.parse::<u16>().ok())
        {
            out.push(("source.port", Value::from(port)));
        }
        out.push(("ssh.method", Value::from(method)));
    };
    if let Some(rest) = message.strip_prefix("Failed ") {
        if let Some((method, rest)) = rest.split_once(" for ") {
            login(&mut out, "failure", method, rest);
        }
    } else if let Some(rest) = message.strip_prefix("Accepted ") {
        if let Some((method, rest)) = rest.split_once(" for ") {
            login(&mut out, "success", method, rest);
        }
    } else if let Some(rest) = message.strip_prefix("Invalid user ") {
        if let Some((user, after)) = rest.split_once(" from ") {
            out.push(("event.category", json!(["authentication"])));
            out.push(("event.action", Value::from("invalid_user")));
            out.push(("event.outcome", Value::from("failure")));
            out.push(("user.name", Value::from(user)));
            if let Some(ip) = after.split_whitespace().next() {
                out.push(("source.ip", Value::from(ip)));
            }
        }
    } else if let Some(rest) = message
        .strip_prefix("Received disconnect from ")
        .or_else(|| message.strip_prefix("Connection closed by "))
        .or_else(|| message.strip_prefix("Did not receive identification string from "))
    {
        let rest = rest
            .strip_prefix("authenticating user ")
            .and_then(|r| r.split_once(' ').map(|(_, ip)| ip))
            .unwrap_or(rest);
        if let Some(ip) = rest.split([' ', ':']).next() {
            out.push(("source.ip", Value::from(ip)));
        }
    } else if let Some((opened, rest)) = message
        .split_once("session opened for user ")
        .map(|(_, rest)| (true, rest))
        .or_else(|| {
            message
                .split_once("session closed for user ")
                .map(|(_, rest)| (false, rest))
        })
    {
        // PAM: `pam_unix(sshd:session): session opened for user alice(uid=1000) by (uid=0)`.
        let user = rest
            .split(|c: char| c == '(' || c.is_whitespace())
            .next()
            .unwrap_or_default();
        if !user.is_empty() {
            out.push(("event.category", json!(["session"])));
            out.push((
                "event.action",
                Value::from(if opened {
                    "session_opened"
                } else {
                    "session_closed"
                }),
            ));
            out.push(("user.name", Value::from(user)));
        }
    } else if message.starts_with("reverse mapping checking getaddrinfo for ")
        && let Some(ip) = message.split('[').nth(1).and_then(|r| r.split(']').next())
    {
        out.push(("source.ip", Value::from(ip)));
        out.push(("event.action", Value::from("reverse_mapping_failed")));
    }
    out
}

/// Returns ECS fields (and the line's time) from an access-log line in common
/// or combined format: `IP - USER [TIME] "METHOD URL PROTO" STATUS BYTES "REF" "AGENT"`.
pub fn access_log_fields(line: &str) -> Option<(Vec<(&'static str, Value)>, String)> {
    let (client, rest) = line.split_once(' ')?;
    client.parse::<std::net::IpAddr>().ok()?;
    let (_ident, rest) = rest.split_once(' ')?;
    let (user, rest) = rest.split_once(' ')?;
    let rest = rest.strip_prefix('[')?;
    let (time, rest) = rest.split_once("] \"")?;
    let (request, rest) = rest.split_once("\" ")?;
    let mut tail = rest.splitn(3, ' ');
    let status: u16 = tail.next()?.parse().ok()?;
    let bytes = tail.next()?;
    let mut out = vec![
        ("source.ip", Value::from(client)),
        ("event.category", json!(["web"])),
        ("event.action", Value::from("http_request")),
        (
            "event.outcome",
            Value::from(if status < 400 { "success" } else { "failure" }),
        ),
        ("http.response.status_code", Value::from(status)),
    ];
    if user != "-" {
        out.push(("user.name", Value::from(user)));
    }
    if let Ok(bytes) = bytes.parse::<u64>() {
        out.push(("http.response.body.bytes", Value::from(bytes)));
    }
    let mut parts = request.split(' ');
    if let (Some(method), Some(url)) = (parts.next(), parts.next()) {
        out.push(("http.request.method", Value::from(method)));
        out.push(("url.original", Value::from(url)));
        if let Some(version) = parts.next().and_then(|p| p.strip_prefix("HTTP/")) {
            out.push(("http.version", Value::from(version)));
        }
    }
    if let Some(quoted) = tail.next() {
        let fields: Vec<&str> = quoted.split('"').collect();
        // `"REF" "AGENT"` splits into ["", REF, " ", AGENT, ""].
        if let Some(referrer) = fields.get(1).filter(|r| **r != "-") {
            out.push(("http.request.referrer", Value::from(*referrer)));
        }
        if let Some(agent) = fields.get(3).filter(|a| !a.is_empty() && **a != "-") {
            out.push(("user_agent.original", Value::from(*agent)));
        }
    }
    Some((out, time.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get<'a>(fields: &'a [(&'static str, Value)], key: &str) -> Option<&'a Value> {
        fields.iter().find(|(k, _)| *k == key).map(|(_, v)| v)
    }

    #[test]
    fn sshd_failures_and_successes() {
        let f = sshd_fields(
            "Failed password for invalid user webmaster from 173.234.31.186 port 38926 ssh2",
        );
        assert_eq!(get(&f, "user.name").unwrap(), "webmaster");
        assert_eq!(get(&f, "source.ip").unwrap(), "173.234.31.186");
        assert_eq!(get(&f, "source.port").unwrap(), 38926);
        assert_eq!(get(&f, "event.outcome").unwrap(), "failure");
        let f = sshd_fields(
            "Accepted publickey for deploy from 10.0.0.5 port 51000 ssh2: ED25519 SHA256:x",
        );
        assert_eq!(get(&f, "event.outcome").unwrap(), "success");
        assert_eq!(get(&f, "ssh.method").unwrap(), "publickey");
        let f = sshd_fields("Invalid user admin from 5.188.10.180");
        assert_eq!(get(&f, "event.action").unwrap(), "invalid_user");
        assert!(sshd_fields("pam_unix(sshd:auth): check pass; user unknown").is_empty());
    }

    #[test]
    fn pam_sessions_name_their_user() {
        let opened = sshd_fields(
            "pam_unix(sshd:session): session opened for user alice(uid=1000) by (uid=0)",
        );
        assert!(opened.contains(&("user.name", Value::from("alice"))));
        assert!(opened.contains(&("event.action", Value::from("session_opened"))));
        let closed = sshd_fields("pam_unix(sshd:session): session closed for user root");
        assert!(closed.contains(&("user.name", Value::from("root"))));
        assert!(closed.contains(&("event.action", Value::from("session_closed"))));
    }

    #[test]
    fn every_loghub_sshd_failure_yields_a_user_and_address() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../shared/data/loghub/OpenSSH/OpenSSH_2k.log"
        );
        let text = std::fs::read_to_string(path).unwrap();
        let mut failures = 0;
        for line in text.lines() {
            let message = line.split_once("]: ").map(|(_, m)| m).unwrap_or_default();
            if message.starts_with("Failed password") {
                let fields = sshd_fields(message);
                assert!(
                    get(&fields, "user.name").is_some() && get(&fields, "source.ip").is_some(),
                    "{line}"
                );
                failures += 1;
            }
        }
        assert_eq!(failures, 518);
    }

    #[test]
    fn combined_access_lines_are_split() {
        let line = r#"83.149.9.216 - - [17/May/2015:10:05:03 +0000] "GET /presentations/x.png HTTP/1.1" 200 203023 "http://semicomplete.com/p/" "Mozilla/5.0 (Macintosh)""#;
        let (f, time) = access_log_fields(line).unwrap();
        assert_eq!(time, "17/May/2015:10:05:03 +0000");
        assert_eq!(get(&f, "source.ip").unwrap(), "83.149.9.216");
        assert_eq!(get(&f, "http.request.method").unwrap(), "GET");
        assert_eq!(get(&f, "url.original").unwrap(), "/presentations/x.png");
        assert_eq!(get(&f, "http.response.status_code").unwrap(), 200);
        assert_eq!(get(&f, "http.response.body.bytes").unwrap(), 203023);
        assert_eq!(
            get(&f, "http.request.referrer").unwrap(),
            "http://semicomplete.com/p/"
        );
        assert_eq!(
            get(&f, "user_agent.original").unwrap(),
            "Mozilla/5.0 (Macintosh)"
        );
        assert!(access_log_fields("not an access line").is_none());
    }

    #[test]
    fn every_line_of_the_elastic_apache_sample_parses() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../shared/data/elastic-examples-apache/apache_logs"
        );
        let text = std::fs::read_to_string(path).unwrap();
        let total = text.lines().count();
        let parsed = text
            .lines()
            .filter(|l| access_log_fields(l).is_some())
            .count();
        assert_eq!(total, 10_000);
        assert_eq!(parsed, total, "every line is a combined-format line");
    }
}
