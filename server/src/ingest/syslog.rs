//! Syslog: parsing RFC 5424 and RFC 3164 (BSD) messages into documents, and
//! the UDP and TCP listeners (RFC 6587 octet-counting or newline framing).
//!
//! Syslog has no acknowledgement: UDP is fire-and-forget, and over TCP the
//! sender only learns that bytes were read. Vigil stores what it receives
//! through the same group-commit writer as HTTP, and a line it cannot parse as
//! syslog is still stored, whole, as the message (flagged), never dropped.
//!
//! The TCP listener faces anyone who can reach it, without credentials, so
//! everything a peer can make it hold is bounded: every frame (an octet
//! count or a line, at most [`MAX_MESSAGE`]), connections per listener and
//! per peer address, the time a frame may take to arrive, and the bytes read
//! but not yet stored (per connection and for all of them together).

use super::normalize::{IngestContext, IngestPolicy, normalize};
use super::timestamp::parse_timestamp;
use crate::state::AppState;
use app::ingest::SourceKind;
use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};
use tokio::net::{TcpListener, UdpSocket};
use uuid::Uuid;

/// The longest accepted syslog message, in bytes (RFC 5425 asks receivers for at least 8 KiB).
pub const MAX_MESSAGE: usize = 64 * 1024;

/// Bytes a TCP connection may have read but not yet stored before it
/// stores them (the batch is flushed at this size).
const CONNECTION_BUFFER: usize = 1024 * 1024;

/// Bytes all TCP connections together may hold read but not yet stored;
/// beyond it, readers wait (and so stop reading from their sockets).
const LISTENER_BUFFER: usize = 64 * 1024 * 1024;

const SEVERITIES: [&str; 8] = [
    "emergency",
    "alert",
    "critical",
    "error",
    "warning",
    "notice",
    "informational",
    "debug",
];
const FACILITIES: [&str; 24] = [
    "kern",
    "user",
    "mail",
    "daemon",
    "auth",
    "syslog",
    "lpr",
    "news",
    "uucp",
    "cron",
    "authpriv",
    "ftp",
    "ntp",
    "security",
    "console",
    "solaris-cron",
    "local0",
    "local1",
    "local2",
    "local3",
    "local4",
    "local5",
    "local6",
    "local7",
];

/// Returns the document for one syslog message as received.
pub fn parse_message(raw: &[u8], now: DateTime<Utc>) -> Value {
    let text = String::from_utf8_lossy(raw);
    let line = text.trim_end_matches(['\r', '\n', '\0']);
    let mut doc = Map::new();
    doc.insert("event".into(), json!({ "original": line }));
    let mut flags: Vec<&str> = Vec::new();
    if matches!(text, std::borrow::Cow::Owned(_)) {
        flags.push("invalid_utf8_replaced");
    }

    let (pri, rest) = split_priority(line);
    if let Some(pri) = pri {
        let (facility, severity) = ((pri / 8) as usize, (pri % 8) as usize);
        doc.insert(
            "log".into(),
            json!({
                "level": SEVERITIES[severity],
                "syslog": {
                    "priority": pri,
                    "facility": { "code": facility, "name": FACILITIES.get(facility).copied().unwrap_or("unknown") },
                    "severity": { "code": severity, "name": SEVERITIES[severity] }
                }
            }),
        );
    }
    let parsed = if let Some(after_version) = rest.strip_prefix("1 ") {
        parse_5424(after_version, now, &mut doc)
    } else {
        parse_3164(rest, now, &mut doc)
    };
    if !parsed {
        doc.insert("message".into(), Value::from(rest));
        flags.push("syslog_unparsed");
    }
    if !flags.is_empty() {
        doc.insert("vigil".into(), json!({ "flags": flags }));
    }
    Value::Object(doc)
}

/// `<PRI>` at the start: 0–191.
fn split_priority(line: &str) -> (Option<u8>, &str) {
    let Some(rest) = line.strip_prefix('<') else {
        return (None, line);
    };
    let Some((digits, after)) = rest.split_once('>') else {
        return (None, line);
    };
    match digits.parse::<u8>() {
        Ok(pri) if pri <= 191 && !digits.is_empty() && digits.len() <= 3 => (Some(pri), after),
        _ => (None, line),
    }
}

fn nil(field: &str) -> Option<&str> {
    (field != "-" && !field.is_empty()).then_some(field)
}

/// `TIMESTAMP HOSTNAME APP-NAME PROCID MSGID STRUCTURED-DATA [MSG]`.
fn parse_5424(rest: &str, now: DateTime<Utc>, doc: &mut Map<String, Value>) -> bool {
    let mut fields = rest.splitn(6, ' ');
    let (Some(timestamp), Some(host), Some(app), Some(procid), Some(msgid), Some(tail)) = (
        fields.next(),
        fields.next(),
        fields.next(),
        fields.next(),
        fields.next(),
        fields.next(),
    ) else {
        return false;
    };
    if let Some(ts) = nil(timestamp).and_then(|t| parse_timestamp(&Value::from(t), now)) {
        doc.insert("@timestamp".into(), Value::from(ts.to_rfc3339()));
    }
    if let Some(host) = nil(host) {
        doc.insert("host".into(), json!({ "hostname": host, "name": host }));
    }
    let mut process = Map::new();
    if let Some(app) = nil(app) {
        process.insert("name".into(), Value::from(app));
    }
    if let Some(pid) = nil(procid) {
        process.insert(
            "pid".into(),
            pid.parse::<i64>()
                .map(Value::from)
                .unwrap_or_else(|_| Value::from(pid)),
        );
    }
    if !process.is_empty() {
        doc.insert("process".into(), Value::Object(process));
    }
    let (structured, message) = split_structured_data(tail);
    let mut syslog = json!({ "version": 1 });
    if let Some(msgid) = nil(msgid) {
        syslog["msgid"] = Value::from(msgid);
    }
    if let Some(structured) = structured.filter(|s| *s != "-") {
        syslog["structured_data"] = Value::from(structured);
    }
    let log = doc.entry("log").or_insert_with(|| json!({ "syslog": {} }));
    if let Some(existing) = log.get_mut("syslog").and_then(Value::as_object_mut)
        && let Value::Object(extra) = syslog
    {
        existing.extend(extra);
    }
    let message = message.strip_prefix('\u{feff}').unwrap_or(message);
    doc.insert("message".into(), Value::from(message));
    true
}

/// Splits `[sd][sd] msg` or `- msg` into the structured data and the message.
fn split_structured_data(tail: &str) -> (Option<&str>, &str) {
    if let Some(rest) = tail.strip_prefix('-') {
        return (Some("-"), rest.strip_prefix(' ').unwrap_or(rest));
    }
    if !tail.starts_with('[') {
        return (None, tail);
    }
    let bytes = tail.as_bytes();
    let (mut i, mut in_quotes, mut escaped) = (0, false, false);
    while i < bytes.len() {
        let b = bytes[i];
        if escaped {
            escaped = false;
        } else if b == b'\\' {
            escaped = true;
        } else if b == b'"' {
            in_quotes = !in_quotes;
        } else if b == b']' && !in_quotes && bytes.get(i + 1) != Some(&b'[') {
            let message = &tail[i + 1..];
            return (
                Some(&tail[..=i]),
                message.strip_prefix(' ').unwrap_or(message),
            );
        }
        i += 1;
    }
    (Some(tail), "")
}

/// `Mmm dd hh:mm:ss HOSTNAME TAG[PID]: MSG`, with the hostname optional.
fn parse_3164(rest: &str, now: DateTime<Utc>, doc: &mut Map<String, Value>) -> bool {
    let rest = rest.trim_start();
    if rest.len() < 16 {
        return false;
    }
    let Some(stamp) = rest.get(..15) else {
        return false;
    };
    let Some(ts) = parse_timestamp(&Value::from(stamp), now) else {
        return false;
    };
    doc.insert("@timestamp".into(), Value::from(ts.to_rfc3339()));
    let after = rest[15..].trim_start();
    // HOSTNAME is the next word unless that word is already the tag (`sshd[1]:`).
    let (host, tagged) = match after.split_once(' ') {
        Some((word, tail)) if !word.ends_with(':') && !word.contains('[') => (Some(word), tail),
        _ => (None, after),
    };
    if let Some(host) = host {
        doc.insert("host".into(), json!({ "hostname": host, "name": host }));
    }
    let (tag, message) = match tagged.split_once(": ") {
        Some((tag, message)) if !tag.contains(' ') && !tag.is_empty() => (Some(tag), message),
        _ => (None, tagged),
    };
    if let Some(tag) = tag {
        let (name, pid) = match tag.split_once('[') {
            Some((name, pid)) => (name, pid.trim_end_matches(']').parse::<i64>().ok()),
            None => (tag, None),
        };
        let mut process = json!({ "name": name });
        if let Some(pid) = pid {
            process["pid"] = Value::from(pid);
        }
        doc.insert("process".into(), process);
    }
    doc.insert("message".into(), Value::from(message));
    true
}

/// Returns the stable source id of a listener, from its kind and address.
pub fn listener_id(kind: &str, address: SocketAddr) -> Uuid {
    let digest = Sha256::digest(format!("vigil-listener:{kind}:{address}").as_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    uuid::Builder::from_random_bytes(bytes).into_uuid()
}

fn context(kind: &str, address: SocketAddr) -> IngestContext {
    IngestContext {
        geo: None,
        source_id: Some(listener_id(kind, address)),
        source_kind: SourceKind::Listener,
        source_name: format!("syslog-{kind} {address}"),
        received_at: Utc::now(),
    }
}

async fn store_lines(state: &AppState, kind: &str, address: SocketAddr, lines: Vec<Vec<u8>>) {
    if lines.is_empty() {
        return;
    }
    let mut ctx = context(kind, address);
    ctx.received_at = Utc::now();
    ctx.geo = state.geo.clone();
    let policy: IngestPolicy = state.ingest_policy;
    let parse_ctx = ctx.clone();
    let parsed = tokio::task::spawn_blocking(move || {
        let now = parse_ctx.received_at;
        lines
            .iter()
            .filter_map(|line| normalize(parse_message(line, now), &parse_ctx, policy).ok())
            .collect::<Vec<_>>()
    })
    .await;
    let Ok(events) = parsed else { return };
    let (count, newest) = (events.len(), events.iter().map(|e| e.ts).max());
    // Syslog cannot ask the sender to retry: wait for room in the queue instead,
    // which over TCP stops reading and so slows the sender down.
    match state.events.write_waiting(events).await {
        Ok(()) => state.sources.record_outcome(&ctx, count, 0, newest),
        Err(error) => {
            metrics::counter!(crate::metrics::SYSLOG_DROPPED, "reason" => "store_failed")
                .increment(count as u64);
            tracing::warn!(listener = kind, %error, lost = count, "syslog messages could not be stored");
            state.sources.record_outcome(&ctx, 0, count, None);
        }
    }
}

/// Receives datagrams on `socket`, one message each, and stores them in small batches.
pub async fn run_udp(state: AppState, socket: UdpSocket) {
    let address = socket
        .local_addr()
        .unwrap_or_else(|_| SocketAddr::from(([0, 0, 0, 0], 0)));
    tracing::info!(%address, "syslog UDP listener started");
    let mut buffer = vec![0u8; MAX_MESSAGE];
    let mut batch: Vec<Vec<u8>> = Vec::new();
    loop {
        let deadline = tokio::time::sleep(Duration::from_millis(100));
        tokio::pin!(deadline);
        loop {
            tokio::select! {
                received = socket.recv_from(&mut buffer) => {
                    match received {
                        Ok((length, _peer)) => batch.push(buffer[..length].to_vec()),
                        Err(error) => tracing::warn!(%error, "syslog UDP receive failed"),
                    }
                    if batch.len() >= 1000 {
                        break;
                    }
                }
                () = &mut deadline => break,
            }
        }
        store_lines(&state, "udp", address, std::mem::take(&mut batch)).await;
    }
}

/// How many connections a TCP listener keeps, and for how long.
#[derive(Debug, Clone, Copy)]
pub struct TcpLimits {
    /// Open connections per listener.
    pub max_connections: usize,
    /// Open connections per peer address.
    pub max_per_peer: usize,
    /// A frame (including the wait for its first byte) must arrive within
    /// this, or the connection is closed (senders reconnect).
    pub idle_timeout: Duration,
}

/// Accepts TCP connections on `listener`; each is read with RFC 6587 framing.
pub async fn run_tcp(state: AppState, listener: TcpListener, limits: TcpLimits) {
    let address = listener
        .local_addr()
        .unwrap_or_else(|_| SocketAddr::from(([0, 0, 0, 0], 0)));
    tracing::info!(%address, "syslog TCP listener started");
    let open = Arc::new(tokio::sync::Semaphore::new(limits.max_connections));
    let peers: Arc<Mutex<HashMap<IpAddr, usize>>> = Arc::default();
    let buffer = Arc::new(tokio::sync::Semaphore::new(LISTENER_BUFFER));
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(error) => {
                tracing::warn!(%error, "syslog TCP accept failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        // Over a limit the connection is closed at once: holding it open
        // unread would cost as much as reading it.
        let Ok(slot) = Arc::clone(&open).try_acquire_owned() else {
            metrics::counter!(crate::metrics::SYSLOG_REFUSED, "cap" => "listener").increment(1);
            tracing::debug!(%peer, "syslog TCP connection refused: listener full");
            continue;
        };
        let Some(peer_slot) = PeerSlot::take(&peers, peer.ip(), limits.max_per_peer) else {
            metrics::counter!(crate::metrics::SYSLOG_REFUSED, "cap" => "peer").increment(1);
            tracing::debug!(%peer, "syslog TCP connection refused: too many from this address");
            continue;
        };
        let (state, buffer) = (state.clone(), Arc::clone(&buffer));
        tokio::spawn(async move {
            let open = metrics::gauge!(crate::metrics::SYSLOG_CONNECTIONS);
            open.increment(1.0);
            let result = read_tcp_connection(&state, address, stream, buffer, limits).await;
            if let Err(error) = result {
                if error.kind() == std::io::ErrorKind::TimedOut {
                    metrics::counter!(crate::metrics::SYSLOG_DROPPED, "reason" => "idle")
                        .increment(1);
                }
                tracing::debug!(%peer, %error, "syslog TCP connection ended");
            }
            open.decrement(1.0);
            drop((slot, peer_slot));
        });
    }
}

/// One connection counted against its peer address until dropped.
struct PeerSlot {
    peers: Arc<Mutex<HashMap<IpAddr, usize>>>,
    ip: IpAddr,
}

impl PeerSlot {
    fn take(
        peers: &Arc<Mutex<HashMap<IpAddr, usize>>>,
        ip: IpAddr,
        max: usize,
    ) -> Option<PeerSlot> {
        let mut open = peers.lock().unwrap_or_else(|p| p.into_inner());
        let count = open.entry(ip).or_insert(0);
        if *count >= max {
            return None;
        }
        *count += 1;
        Some(PeerSlot {
            peers: Arc::clone(peers),
            ip,
        })
    }
}

impl Drop for PeerSlot {
    fn drop(&mut self) {
        let mut open = self.peers.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(count) = open.get_mut(&self.ip) {
            *count -= 1;
            if *count == 0 {
                open.remove(&self.ip);
            }
        }
    }
}

async fn read_tcp_connection(
    state: &AppState,
    address: SocketAddr,
    stream: tokio::net::TcpStream,
    buffer: Arc<tokio::sync::Semaphore>,
    limits: TcpLimits,
) -> std::io::Result<()> {
    // A reader task owns the socket, so a batching timeout never cancels a
    // half-read frame. Each frame holds its bytes of the listener's buffer
    // until it is stored, so what all connections hold is bounded, and a
    // full buffer stops reading (back-pressure to the senders).
    let (frames, mut received) =
        tokio::sync::mpsc::channel::<(Vec<u8>, tokio::sync::OwnedSemaphorePermit)>(64);
    let reader = tokio::spawn(async move {
        let mut reader = BufReader::new(stream);
        loop {
            let frame =
                match tokio::time::timeout(limits.idle_timeout, read_frame(&mut reader)).await {
                    Ok(frame) => frame?,
                    Err(_) => {
                        return Err(std::io::Error::new(
                            std::io::ErrorKind::TimedOut,
                            "no complete frame within the idle timeout",
                        ));
                    }
                };
            let Some(Frame { bytes: frame, cut }) = frame else {
                break;
            };
            if cut {
                metrics::counter!(crate::metrics::SYSLOG_DROPPED, "reason" => "frame_too_long")
                    .increment(1);
                // The line went on past the limit: what was kept is stored,
                // the rest of the line is read and dropped.
                tokio::time::timeout(limits.idle_timeout, skip_line(&mut reader))
                    .await
                    .map_err(|_| {
                        std::io::Error::new(std::io::ErrorKind::TimedOut, "an endless line")
                    })??;
            }
            if frame.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            let Ok(permit) = Arc::clone(&buffer)
                .acquire_many_owned(frame.len().max(1) as u32)
                .await
            else {
                break;
            };
            if frames.send((frame, permit)).await.is_err() {
                break;
            }
        }
        Ok::<(), std::io::Error>(())
    });
    let mut batch: Vec<Vec<u8>> = Vec::new();
    let mut held = Vec::new();
    let mut bytes = 0;
    loop {
        match tokio::time::timeout(Duration::from_millis(100), received.recv()).await {
            Ok(Some((frame, permit))) => {
                bytes += frame.len();
                batch.push(frame);
                held.push(permit);
                if batch.len() >= 1000 || bytes >= CONNECTION_BUFFER {
                    store_lines(state, "tcp", address, std::mem::take(&mut batch)).await;
                    held.clear();
                    bytes = 0;
                }
            }
            Ok(None) => break,
            Err(_idle) => {
                store_lines(state, "tcp", address, std::mem::take(&mut batch)).await;
                held.clear();
                bytes = 0;
            }
        }
    }
    store_lines(state, "tcp", address, batch).await;
    drop(held);
    reader.await.unwrap_or(Ok(()))
}

/// One frame read from a TCP stream.
#[derive(Debug, PartialEq, Eq)]
struct Frame {
    bytes: Vec<u8>,
    /// A line longer than [`MAX_MESSAGE`]: `bytes` is its start, the rest is
    /// still unread.
    cut: bool,
}

/// Splits a TCP stream's bytes into frames (`(bytes, cut)`) exactly as a
/// connection reads them, the tail of a cut line dropped; stops at the first
/// framing error. For the fuzz target and tests: the bytes are all there, so
/// every read is ready at once.
pub fn frames_of(mut bytes: &[u8]) -> (Vec<(Vec<u8>, bool)>, Option<std::io::Error>) {
    fn now<T>(future: impl std::future::Future<Output = std::io::Result<T>>) -> std::io::Result<T> {
        let mut future = std::pin::pin!(future);
        let mut context = std::task::Context::from_waker(std::task::Waker::noop());
        match future.as_mut().poll(&mut context) {
            std::task::Poll::Ready(outcome) => outcome,
            std::task::Poll::Pending => Err(std::io::Error::other("an in-memory read waited")),
        }
    }
    let mut frames = Vec::new();
    loop {
        match now(read_frame(&mut bytes)) {
            Ok(Some(Frame { bytes: frame, cut })) => {
                if cut && let Err(error) = now(skip_line(&mut bytes)) {
                    return (frames, Some(error));
                }
                frames.push((frame, cut));
            }
            Ok(None) => return (frames, None),
            Err(error) => return (frames, Some(error)),
        }
    }
}

/// Reads and drops bytes up to and including the next newline (or the end).
async fn skip_line<R: tokio::io::AsyncBufRead + Unpin>(reader: &mut R) -> std::io::Result<()> {
    loop {
        let available = reader.fill_buf().await?;
        if available.is_empty() {
            return Ok(());
        }
        match memchr::memchr(b'\n', available) {
            Some(at) => {
                reader.consume(at + 1);
                return Ok(());
            }
            None => {
                let all = available.len();
                reader.consume(all);
            }
        }
    }
}

/// Reads one frame: `LEN SP MSG` when the frame starts with a digit, else up to a newline.
async fn read_frame<R: tokio::io::AsyncBufRead + Unpin>(
    reader: &mut R,
) -> std::io::Result<Option<Frame>> {
    // Line ends between frames (some senders end octet-counted frames with one) are skipped.
    let first = loop {
        let available = reader.fill_buf().await?;
        let Some(&first) = available.first() else {
            return Ok(None);
        };
        if first == b'\n' || first == b'\r' {
            reader.consume(1);
            continue;
        }
        break first;
    };
    if first.is_ascii_digit() {
        let mut length_text = Vec::new();
        loop {
            let mut byte = [0u8; 1];
            if reader.read(&mut byte).await? == 0 {
                return Ok(None);
            }
            if byte[0] == b' ' {
                break;
            }
            if !byte[0].is_ascii_digit() || length_text.len() > 6 {
                // Not octet counting after all: the rest of the line (as
                // bounded as any line) is the message.
                length_text.push(byte[0]);
                let room = MAX_MESSAGE - length_text.len();
                let mut rest = Vec::new();
                reader
                    .take(room as u64)
                    .read_until(b'\n', &mut rest)
                    .await?;
                let cut = rest.len() == room && rest.last() != Some(&b'\n');
                length_text.extend(rest);
                return Ok(Some(Frame {
                    bytes: length_text,
                    cut,
                }));
            }
            length_text.push(byte[0]);
        }
        let length: usize = std::str::from_utf8(&length_text)
            .ok()
            .and_then(|t| t.parse().ok())
            .unwrap_or(0);
        if length == 0 || length > MAX_MESSAGE {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                "invalid octet count",
            ));
        }
        let mut frame = vec![0u8; length];
        reader.read_exact(&mut frame).await?;
        return Ok(Some(Frame {
            bytes: frame,
            cut: false,
        }));
    }
    let mut line = Vec::new();
    reader
        .take(MAX_MESSAGE as u64)
        .read_until(b'\n', &mut line)
        .await?;
    if line.is_empty() {
        return Ok(None);
    }
    let cut = line.len() == MAX_MESSAGE && line.last() != Some(&b'\n');
    Ok(Some(Frame { bytes: line, cut }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 29, 12, 0, 0).unwrap()
    }

    #[test]
    fn rfc5424_messages_are_split_into_ecs_fields() {
        let doc = parse_message(
            b"<34>1 2026-11-29T10:14:15.003Z mymachine.example.com su 4711 ID47 [exampleSDID@32473 iut=\"3\" eventSource=\"App] x\"] 'su root' failed for lonvick on /dev/pts/8",
            now(),
        );
        assert_eq!(doc["@timestamp"], "2026-11-29T10:14:15.003+00:00");
        assert_eq!(doc["host"]["name"], "mymachine.example.com");
        assert_eq!(doc["process"]["name"], "su");
        assert_eq!(doc["process"]["pid"], 4711);
        assert_eq!(doc["log"]["syslog"]["facility"]["name"], "auth");
        assert_eq!(doc["log"]["syslog"]["severity"]["name"], "critical");
        assert_eq!(doc["log"]["syslog"]["msgid"], "ID47");
        assert_eq!(
            doc["log"]["syslog"]["structured_data"],
            "[exampleSDID@32473 iut=\"3\" eventSource=\"App] x\"]"
        );
        assert_eq!(doc["message"], "'su root' failed for lonvick on /dev/pts/8");
    }

    #[test]
    fn rfc5424_nil_values_and_bom_are_handled() {
        let doc = parse_message("<165>1 - - - - - - \u{feff}hello".as_bytes(), now());
        assert!(doc.get("@timestamp").is_none());
        assert!(doc.get("host").is_none());
        assert_eq!(doc["message"], "hello");
    }

    #[test]
    fn bsd_messages_with_and_without_priority_and_hostname() {
        let doc = parse_message(
            b"<38>Nov 29 11:55:46 LabSZ sshd[24200]: Invalid user webmaster from 173.234.31.186",
            now(),
        );
        assert_eq!(doc["@timestamp"], "2026-11-29T11:55:46+00:00");
        assert_eq!(doc["host"]["name"], "LabSZ");
        assert_eq!(doc["process"]["name"], "sshd");
        assert_eq!(doc["process"]["pid"], 24200);
        assert_eq!(doc["message"], "Invalid user webmaster from 173.234.31.186");
        assert_eq!(doc["log"]["level"], "informational");

        let no_host = parse_message(b"Nov 29 11:55:46 CRON[9]: (root) CMD (run-parts)", now());
        assert!(no_host.get("host").is_none());
        assert_eq!(no_host["process"]["name"], "CRON");
    }

    #[test]
    fn every_loghub_sshd_line_parses() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../shared/data/loghub/OpenSSH/OpenSSH_2k.log"
        );
        let text = std::fs::read_to_string(path).unwrap();
        let mut count = 0;
        for line in text.lines() {
            let doc = parse_message(line.as_bytes(), now());
            assert!(doc.get("vigil").is_none(), "unparsed: {line}");
            assert_eq!(doc["process"]["name"], "sshd", "{line}");
            count += 1;
        }
        assert_eq!(count, 2000);
    }

    #[test]
    fn garbage_is_kept_whole_and_flagged() {
        let doc = parse_message(b"\xff\xfe<<>>garbage \x00 bytes", now());
        assert_eq!(
            doc["vigil"]["flags"],
            json!(["invalid_utf8_replaced", "syslog_unparsed"])
        );
        assert!(doc["message"].as_str().unwrap().contains("garbage"));
        assert!(doc["event"]["original"].is_string());
    }

    #[tokio::test]
    async fn tcp_framing_reads_octet_counted_and_newline_frames() {
        let input: &[u8] = b"11 <13>1 - - x\n<13>Nov 29 11:00:00 h a: line two\n5 hello";
        let mut reader = tokio::io::BufReader::new(input);
        let mut frames = Vec::new();
        while let Some(frame) = read_frame(&mut reader).await.unwrap() {
            assert!(!frame.cut);
            frames.push(String::from_utf8(frame.bytes).unwrap());
        }
        assert_eq!(
            frames,
            vec![
                "<13>1 - - x",
                "<13>Nov 29 11:00:00 h a: line two\n",
                "hello"
            ]
        );
    }

    #[tokio::test]
    async fn absurd_octet_counts_end_the_connection() {
        let input: &[u8] = b"999999 x";
        let mut reader = tokio::io::BufReader::new(input);
        assert!(read_frame(&mut reader).await.is_err());
        // Too many digits to be a length at all: the line is kept as a message.
        let input: &[u8] = b"12345678901 is a phone number\n";
        let mut reader = tokio::io::BufReader::new(input);
        let frame = read_frame(&mut reader).await.unwrap().unwrap();
        assert_eq!(
            String::from_utf8(frame.bytes).unwrap(),
            "12345678901 is a phone number\n"
        );
    }

    #[test]
    fn frames_of_reads_both_framings_and_cuts_long_lines() {
        let mut input = b"12 <13>1 - - x\n<14>plain line\n".to_vec();
        input.extend(std::iter::repeat_n(b'a', MAX_MESSAGE + 10));
        input.extend(b"\nafter\n");
        let (frames, error) = frames_of(&input);
        assert!(error.is_none());
        let texts: Vec<(usize, bool)> = frames.iter().map(|(f, cut)| (f.len(), *cut)).collect();
        assert_eq!(
            texts,
            vec![(12, false), (15, false), (MAX_MESSAGE, true), (6, false)]
        );
        assert_eq!(frames[0].0, b"<13>1 - - x\n");
        let (_, error) = frames_of(b"0 x");
        assert!(error.is_some(), "a zero octet count is a framing error");
    }

    #[tokio::test]
    async fn an_endless_line_is_cut_at_the_limit_and_the_rest_dropped() {
        // `1x` looks like an octet count at first; the line then never ends.
        for start in [&b"1x"[..], &b"plain"[..]] {
            let mut input = start.to_vec();
            input.extend(std::iter::repeat_n(b'a', 3 * MAX_MESSAGE));
            input.extend(b"\nnext line\n");
            let mut reader = tokio::io::BufReader::new(&input[..]);
            let frame = read_frame(&mut reader).await.unwrap().unwrap();
            assert_eq!(frame.bytes.len(), MAX_MESSAGE);
            assert!(frame.cut);
            skip_line(&mut reader).await.unwrap();
            let next = read_frame(&mut reader).await.unwrap().unwrap();
            assert_eq!(next.bytes, b"next line\n");
        }
    }
}
