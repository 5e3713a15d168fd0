//! What the SMTP and IMAP clients share: how a connection is protected, which
//! addresses a mailbox may reach, when a password may travel in plain text, and the
//! TLS client configuration.

use std::{
    net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr},
    sync::Arc,
};

use tokio_rustls::{rustls, TlsConnector};

pub use flux_domain::mail_security::MailSecurity;

/// Which addresses a mailbox's servers may be reached at. Mailbox hosts are typed by
/// customers, so by default only public addresses are: a host inside our network
/// (loopback, private, link-local such as cloud metadata) would let a customer probe
/// it. Self-hosted installs with a LAN relay, and tests, allow private ones
/// (`FLUX_ALLOW_PRIVATE_MAIL_HOSTS`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum HostPolicy {
    #[default]
    PublicOnly,
    AllowPrivate,
}

impl HostPolicy {
    pub fn allowing_private(allow: bool) -> Self {
        if allow {
            Self::AllowPrivate
        } else {
            Self::PublicOnly
        }
    }

    /// Whether `ip` may be connected to.
    pub fn permits(self, ip: IpAddr) -> bool {
        self == Self::AllowPrivate || !is_internal(ip)
    }
}

/// Why a mail host cannot be connected to.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Unreachable {
    /// The name did not resolve (may work later).
    #[error("{0}")]
    Lookup(String),
    /// Every address it resolves to is internal (refused until the host changes).
    #[error("{0}")]
    Internal(String),
}

/// Resolves `host` once and picks an address the policy permits; the caller connects
/// to that address (not the name again), so a second lookup cannot swap in an internal
/// one. TLS still checks the certificate against `host`.
pub async fn resolve(host: &str, port: u16, policy: HostPolicy) -> Result<SocketAddr, Unreachable> {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    let addrs: Vec<SocketAddr> = match bare.parse::<IpAddr>() {
        Ok(ip) => vec![SocketAddr::new(ip, port)],
        Err(_) => tokio::net::lookup_host((bare, port))
            .await
            .map_err(|e| Unreachable::Lookup(format!("{host} não foi encontrado: {e}")))?
            .collect(),
    };
    addrs
        .iter()
        .copied()
        .find(|a| policy.permits(a.ip()))
        .ok_or_else(|| match addrs.first() {
            None => Unreachable::Lookup(format!("{host} não tem endereço")),
            Some(a) => Unreachable::Internal(internal_refusal(host, Some(a.ip()))),
        })
}

/// The reason given when a host is internal (pt-BR, shown to the mailbox owner).
pub fn internal_refusal(host: &str, ip: Option<IpAddr>) -> String {
    let at = ip
        .filter(|ip| ip.to_string() != host.trim_start_matches('[').trim_end_matches(']'))
        .map(|ip| format!(" ({ip})"))
        .unwrap_or_default();
    format!("{host}{at} é um endereço interno (loopback, rede privada ou link-local): use o endereço público do servidor de e-mail")
}

/// Whether a host as typed is, without a lookup, certainly internal: an internal IP
/// literal or `localhost`. Names are checked when connecting.
pub fn is_internal_literal(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    let name = bare.trim_end_matches('.').to_ascii_lowercase();
    name == "localhost"
        || name.ends_with(".localhost")
        || bare.parse::<IpAddr>().is_ok_and(is_internal)
}

/// Not a public unicast address: loopback, private, shared (CGNAT), link-local,
/// unspecified, broadcast, multicast, documentation, benchmarking and reserved
/// ranges, and IPv6 forms that embed such an IPv4 address (mapped, compatible, NAT64,
/// 6to4, Teredo).
pub fn is_internal(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_internal_v4(v4),
        IpAddr::V6(v6) => is_internal_v6(v6),
    }
}

fn is_internal_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || a == 0
        || (a == 100 && (64..128).contains(&b)) // shared address space (CGNAT)
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
        || (a == 198 && (18..20).contains(&b)) // benchmarking
        || a >= 240 // reserved
}

fn is_internal_v6(ip: Ipv6Addr) -> bool {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return is_internal_v4(v4);
    }
    let segments = ip.segments();
    let v4 = |hi: u16, lo: u16| Ipv4Addr::from((u32::from(hi) << 16) | u32::from(lo));
    // NAT64 (64:ff9b::/96) reaches the IPv4 address in its last 32 bits.
    if segments[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        let [.., hi, lo] = segments;
        return is_internal_v4(v4(hi, lo));
    }
    // 6to4 (2002::/16) tunnels to the IPv4 address in bits 16–48.
    if segments[0] == 0x2002 {
        return is_internal_v4(v4(segments[1], segments[2]));
    }
    // Teredo (2001::/32): the relay's IPv4 address in bits 32–64, the client's in the
    // last 32 bits, inverted.
    if segments[..2] == [0x2001, 0] {
        return is_internal_v4(v4(segments[2], segments[3]))
            || is_internal_v4(v4(!segments[6], !segments[7]));
    }
    ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_multicast()
        || (segments[0] & 0xfe00) == 0xfc00 // unique local
        || (segments[0] & 0xffc0) == 0xfe80 // link-local
        || (segments[0] == 0x2001 && segments[1] == 0x0db8) // documentation
        || segments[..6] == [0, 0, 0, 0, 0, 0] // IPv4-compatible (deprecated)
}

/// A TLS client trusting the Mozilla roots (the same set lettre uses for SMTP).
pub(crate) fn tls_connector() -> Result<TlsConnector, rustls::Error> {
    let roots = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()?
    .with_root_certificates(roots)
    .with_no_client_auth();
    Ok(TlsConnector::from(Arc::new(config)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_addresses_are_told_from_public_ones() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "224.0.0.1",
            "192.0.2.10",
            "198.18.0.1",
            "240.0.0.1",
            "::1",
            "::",
            "fd00::1",
            "fe80::1",
            "ff02::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "64:ff9b::a9fe:a9fe",
            "2001:db8::1",
            // 6to4 of 127.0.0.1, 10.0.0.1 and 169.254.169.254.
            "2002:7f00:1::1",
            "2002:a00:1::",
            "2002:a9fe:a9fe::1",
            // Teredo: a relay at 192.168.0.1; a client at 10.0.0.1 (inverted: f5ff:fffe).
            "2001:0:c0a8:1::1",
            "2001:0:808:808:0:0:f5ff:fffe",
        ] {
            assert!(is_internal(ip.parse().unwrap()), "{ip} is internal");
        }
        for ip in [
            "8.8.8.8",
            "172.32.0.1",
            "100.128.0.1",
            "142.250.0.109",
            "2607:f8b0:4004:c07::6c",
            "::ffff:8.8.8.8",
            "64:ff9b::808:808",
            // 6to4 of 8.8.8.8; Teredo with a public relay and client (8.8.4.4).
            "2002:808:808::1",
            "2001:0:808:808:0:0:f7f7:fbfb",
        ] {
            assert!(!is_internal(ip.parse().unwrap()), "{ip} is public");
        }
    }

    #[test]
    fn literals_are_judged_before_any_lookup() {
        for host in [
            "localhost",
            "LOCALHOST.",
            "mail.localhost",
            "127.0.0.1",
            "[::1]",
            "10.0.0.5",
        ] {
            assert!(is_internal_literal(host), "{host}");
        }
        for host in ["smtp.gmail.com", "8.8.8.8", "localhost.example.com"] {
            assert!(!is_internal_literal(host), "{host}");
        }
    }

    #[tokio::test]
    async fn resolving_refuses_internal_addresses_unless_allowed() {
        let refused = resolve("127.0.0.1", 25, HostPolicy::PublicOnly).await;
        assert!(
            matches!(refused, Err(Unreachable::Internal(ref m)) if m.contains("127.0.0.1 é um endereço interno")),
            "{refused:?}"
        );
        let refused = resolve("localhost", 25, HostPolicy::PublicOnly).await;
        assert!(
            matches!(refused, Err(Unreachable::Internal(ref m)) if m.starts_with("localhost (")),
            "{refused:?}"
        );
        assert_eq!(
            resolve("[::1]", 587, HostPolicy::AllowPrivate).await,
            Ok("[::1]:587".parse().unwrap())
        );
        assert_eq!(
            resolve("8.8.8.8", 465, HostPolicy::PublicOnly).await,
            Ok("8.8.8.8:465".parse().unwrap())
        );
        assert!(matches!(
            resolve("no-such-host.invalid", 25, HostPolicy::PublicOnly).await,
            Err(Unreachable::Lookup(_))
        ));
    }

    #[test]
    fn the_tls_client_builds_with_the_bundled_roots() {
        assert!(tls_connector().is_ok());
    }
}
