//! Who is calling: the client address (believing forwarding headers only
//! from trusted proxies) and a request id a client cannot inflate.

use axum::extract::{ConnectInfo, Request, State};
use axum::http::HeaderMap;
use axum::middleware::Next;
use axum::response::Response;
use ipnet::IpNet;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

/// The longest client-supplied request id kept.
pub const MAX_REQUEST_ID_LEN: usize = 64;

/// The client's address as resolved for this request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientIp(pub IpAddr);

/// Says whether a client's request id may be kept: short and plain, so it
/// can neither bloat the audit log nor smuggle text into it.
pub fn plain_request_id(id: &[u8]) -> bool {
    !id.is_empty()
        && id.len() <= MAX_REQUEST_ID_LEN
        && id
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// Drops a request id that is not plain, so that one is generated instead.
pub async fn sanitize_request_id(mut request: Request, next: Next) -> Response {
    let headers = request.headers_mut();
    let plain = {
        let mut ids = headers.get_all("x-request-id").iter();
        match (ids.next(), ids.next()) {
            (Some(id), None) => plain_request_id(id.as_bytes()),
            (None, _) => true,
            _ => false,
        }
    };
    if !plain {
        headers.remove("x-request-id");
    }
    next.run(request).await
}

/// Resolves the client address of each request into a [`ClientIp`].
pub async fn resolve_client(
    State(trusted): State<Arc<[IpNet]>>,
    mut request: Request,
    next: Next,
) -> Response {
    if let Some(peer) = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|info| info.0.ip())
    {
        let client = client_ip(peer, request.headers(), &trusted);
        request.extensions_mut().insert(ClientIp(client));
    }
    next.run(request).await
}

/// Returns the client behind `peer`: the peer itself unless it is a trusted
/// proxy, then the nearest forwarded hop that is not one (reading from the
/// right, as each proxy appends the address it saw).
pub fn client_ip(peer: IpAddr, headers: &HeaderMap, trusted: &[IpNet]) -> IpAddr {
    let peer = peer.to_canonical();
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(&peer) {
        return peer;
    }
    let hops = forwarded_hops(headers);
    let mut client = peer;
    for hop in hops.iter().rev() {
        match hop {
            Some(ip) => {
                client = ip.to_canonical();
                if !is_trusted(&client) {
                    break;
                }
            }
            // An unreadable hop (`unknown`, a garbled entry): what lies
            // beyond it cannot be believed.
            None => break,
        }
    }
    client
}

/// The hops `Forwarded` names (`for=`), or else `X-Forwarded-For`'s, in order.
fn forwarded_hops(headers: &HeaderMap) -> Vec<Option<IpAddr>> {
    let joined = |name: &str| {
        headers
            .get_all(name)
            .iter()
            .map(|v| v.to_str().unwrap_or("\u{0}"))
            .collect::<Vec<_>>()
            .join(",")
    };
    let forwarded = joined("forwarded");
    if !forwarded.is_empty() {
        return forwarded
            .split(',')
            .take(MAX_HOPS)
            .map(|element| {
                element
                    .split(';')
                    .filter_map(|pair| pair.split_once('='))
                    .find(|(name, _)| name.trim().eq_ignore_ascii_case("for"))
                    .and_then(|(_, value)| parse_hop(value.trim().trim_matches('"')))
            })
            .collect();
    }
    joined("x-forwarded-for")
        .split(',')
        .take(MAX_HOPS)
        .map(|hop| parse_hop(hop.trim()))
        .collect()
}

/// A forwarding chain longer than this is not read further.
const MAX_HOPS: usize = 32;

/// Reads `1.2.3.4`, `1.2.3.4:80`, `2001:db8::1` or `[2001:db8::1]:80`.
fn parse_hop(hop: &str) -> Option<IpAddr> {
    if let Ok(ip) = hop.parse::<IpAddr>() {
        return Some(ip);
    }
    if let Ok(socket) = hop.parse::<SocketAddr>() {
        return Some(socket.ip());
    }
    hop.strip_prefix('[')
        .and_then(|rest| rest.split(']').next())
        .and_then(|inner| inner.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, value.parse().unwrap());
        }
        map
    }

    fn nets(list: &[&str]) -> Vec<IpNet> {
        list.iter().map(|n| n.parse().unwrap()).collect()
    }

    #[test]
    fn forwarding_headers_count_only_from_trusted_proxies() {
        let spoofed = headers(&[("x-forwarded-for", "198.51.100.7")]);
        let peer: IpAddr = "203.0.113.9".parse().unwrap();
        assert_eq!(client_ip(peer, &spoofed, &[]), peer);
        assert_eq!(client_ip(peer, &spoofed, &nets(&["10.0.0.0/8"])), peer);
        let proxy: IpAddr = "10.0.0.2".parse().unwrap();
        assert_eq!(
            client_ip(proxy, &spoofed, &nets(&["10.0.0.0/8"])),
            "198.51.100.7".parse::<IpAddr>().unwrap()
        );
    }

    #[test]
    fn the_rightmost_untrusted_hop_is_the_client() {
        // The client wrote the first entry itself; only what our proxies
        // appended can be believed.
        let chain = headers(&[
            ("x-forwarded-for", "6.6.6.6, 198.51.100.7"),
            ("x-forwarded-for", "10.0.0.5"),
        ]);
        let proxy: IpAddr = "10.0.0.2".parse().unwrap();
        assert_eq!(
            client_ip(proxy, &chain, &nets(&["10.0.0.0/8"])),
            "198.51.100.7".parse::<IpAddr>().unwrap()
        );
        let garbled = headers(&[("x-forwarded-for", "198.51.100.7, junk")]);
        assert_eq!(client_ip(proxy, &garbled, &nets(&["10.0.0.0/8"])), proxy);
    }

    #[test]
    fn forwarded_is_read_with_ports_and_brackets() {
        let forwarded = headers(&[(
            "forwarded",
            "for=198.51.100.7;proto=https, for=\"[2001:db8:cafe::17]:4711\"",
        )]);
        let proxy: IpAddr = "::ffff:10.0.0.2".parse().unwrap();
        assert_eq!(
            client_ip(proxy, &forwarded, &nets(&["10.0.0.0/8"])),
            "2001:db8:cafe::17".parse::<IpAddr>().unwrap()
        );
    }

    #[test]
    fn request_ids_are_kept_only_when_short_and_plain() {
        assert!(plain_request_id(b"4b2c-9f.trace_1"));
        assert!(!plain_request_id(b""));
        assert!(!plain_request_id(&[b'a'; 65]));
        assert!(!plain_request_id(b"id with spaces"));
        assert!(!plain_request_id("é".as_bytes()));
    }
}
