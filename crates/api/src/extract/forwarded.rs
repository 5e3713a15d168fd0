//! The client's address behind reverse proxies. Only a proxy we trust
//! (`FLUX_TRUSTED_PROXIES`) may say who its client was: the TCP peer is believed
//! otherwise, so nobody can pick the address their rate limits and audit entries are
//! counted under by sending a header.
//!
//! `Forwarded` (RFC 7239) wins over `X-Forwarded-For`. Each proxy appends the address
//! it received the request from, so the list is read right to left, skipping our own
//! proxies: the first address that is not one of them is the client. An entry we
//! cannot read (`unknown`, an obfuscated `_name`, garbage) stops the walk at the last
//! address we could trust.

use std::net::IpAddr;

use ipnet::IpNet;

/// The client's address, given the TCP peer and the forwarding headers as received.
pub fn client_ip(
    peer: IpAddr,
    forwarded: Option<&str>,
    x_forwarded_for: Option<&str>,
    trusted: &[IpNet],
) -> IpAddr {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(&peer) {
        return peer;
    }
    let hops: Vec<Option<IpAddr>> = match (forwarded, x_forwarded_for) {
        (Some(header), _) => forwarded_for(header),
        (None, Some(header)) => header.split(',').map(parse_node).collect(),
        (None, None) => return peer,
    };
    let mut client = peer;
    for hop in hops.into_iter().rev() {
        match hop {
            Some(ip) if is_trusted(&ip) => client = ip,
            Some(ip) => return ip,
            None => return client,
        }
    }
    client
}

/// The `for=` of each element of a `Forwarded` header, in order; `None` for an
/// element without a readable one.
fn forwarded_for(header: &str) -> Vec<Option<IpAddr>> {
    header
        .split(',')
        .map(|element| {
            element
                .split(';')
                .filter_map(|pair| pair.split_once('='))
                .find(|(name, _)| name.trim().eq_ignore_ascii_case("for"))
                .and_then(|(_, value)| parse_node(value))
        })
        .collect()
}

/// `192.0.2.1`, `192.0.2.1:443`, `"[2001:db8::1]:4711"`, `2001:db8::1`.
fn parse_node(raw: &str) -> Option<IpAddr> {
    let value = raw.trim().trim_matches('"');
    if let Ok(ip) = value.parse::<IpAddr>() {
        return Some(ip);
    }
    if let Some(rest) = value.strip_prefix('[') {
        return rest.split_once(']')?.0.parse().ok();
    }
    let (host, port) = value.rsplit_once(':')?;
    port.parse::<u16>().ok()?;
    host.parse::<std::net::Ipv4Addr>().ok().map(IpAddr::V4)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn nets(list: &[&str]) -> Vec<IpNet> {
        list.iter().map(|n| n.parse().unwrap()).collect()
    }

    fn ip(raw: &str) -> IpAddr {
        raw.parse().unwrap()
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_claims() {
        let trusted = nets(&["10.0.0.0/8"]);
        assert_eq!(
            client_ip(ip("203.0.113.9"), None, Some("1.2.3.4"), &trusted),
            ip("203.0.113.9")
        );
        assert_eq!(
            client_ip(ip("203.0.113.9"), Some("for=1.2.3.4"), None, &[]),
            ip("203.0.113.9")
        );
    }

    #[test]
    fn a_trusted_proxy_names_its_client() {
        let trusted = nets(&["10.0.0.0/8", "fd00::/8"]);
        // A spoofed first entry is ignored: only what our proxies appended counts.
        assert_eq!(
            client_ip(
                ip("10.0.0.2"),
                None,
                Some("6.6.6.6, 198.51.100.7, 10.0.0.1"),
                &trusted
            ),
            ip("198.51.100.7")
        );
        assert_eq!(
            client_ip(
                ip("10.0.0.2"),
                Some(r#"for=6.6.6.6, for="[2001:db8:cafe::17]:4711";proto=https"#),
                Some("198.51.100.7"),
                &trusted
            ),
            ip("2001:db8:cafe::17")
        );
        assert_eq!(
            client_ip(
                ip("fd00::1"),
                Some("for=192.0.2.60:443;by=x"),
                None,
                &trusted
            ),
            ip("192.0.2.60")
        );
        // No header: the proxy itself.
        assert_eq!(
            client_ip(ip("10.0.0.2"), None, None, &trusted),
            ip("10.0.0.2")
        );
        // Only our own proxies in the list: the farthest one.
        assert_eq!(
            client_ip(ip("10.0.0.2"), None, Some("10.0.0.9, 10.0.0.1"), &trusted),
            ip("10.0.0.9")
        );
        // An entry we cannot read stops the walk at what we could trust.
        assert_eq!(
            client_ip(
                ip("10.0.0.2"),
                Some("for=unknown, for=10.0.0.1"),
                None,
                &trusted
            ),
            ip("10.0.0.1")
        );
        assert_eq!(
            client_ip(ip("10.0.0.2"), None, Some("1.2.3.4, _hidden"), &trusted),
            ip("10.0.0.2")
        );
    }

    proptest! {
        /// Whatever the headers say, the answer is the peer, one of the addresses
        /// in the headers, and never an address an untrusted peer sent.
        #[test]
        fn the_answer_is_always_the_peer_or_a_listed_address(
            forwarded in proptest::option::of(".{0,80}"),
            xff in proptest::option::of("[0-9a-f.:, \\[\\]_\"=;]{0,80}"),
            peer_trusted in any::<bool>(),
        ) {
            let trusted = nets(&["10.0.0.0/8"]);
            let peer = if peer_trusted { ip("10.1.2.3") } else { ip("203.0.113.1") };
            let found = client_ip(peer, forwarded.as_deref(), xff.as_deref(), &trusted);
            if !peer_trusted {
                prop_assert_eq!(found, peer);
            } else if found != peer {
                let listed: Vec<Option<IpAddr>> = match (&forwarded, &xff) {
                    (Some(header), _) => forwarded_for(header),
                    (None, Some(header)) => header.split(',').map(parse_node).collect(),
                    (None, None) => vec![],
                };
                prop_assert!(listed.contains(&Some(found)));
            }
        }
    }
}
