//! What the SMTP and IMAP clients share: how a connection is protected, when a
//! password may travel in plain text, and the TLS client configuration.

use std::sync::Arc;

use tokio_rustls::{rustls, TlsConnector};

/// How a mail connection is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Security {
    /// Plain text (local relays and test servers only).
    None,
    /// Plain connect, then `STARTTLS` (required: refused if the server lacks it).
    StartTls,
    /// TLS from the first byte (ports 465 and 993).
    Tls,
}

impl Security {
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "none" => Some(Self::None),
            "starttls" => Some(Self::StartTls),
            "tls" => Some(Self::Tls),
            _ => None,
        }
    }
}

/// Whether `host` is this machine (plain-text passwords are allowed only there:
/// local relays and test servers).
pub(crate) fn is_loopback(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
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
    fn only_this_machine_may_get_a_password_in_plain_text() {
        for host in ["localhost", "127.0.0.1", "[::1]", "::1"] {
            assert!(is_loopback(host), "{host}");
        }
        for host in [
            "smtp.gmail.com",
            "10.0.0.1",
            "192.168.0.10",
            "localhost.evil.com",
        ] {
            assert!(!is_loopback(host), "{host}");
        }
    }

    #[test]
    fn the_tls_client_builds_with_the_bundled_roots() {
        assert!(tls_connector().is_ok());
    }
}
