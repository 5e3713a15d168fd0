//! Signed links in outgoing e-mail: unsubscribe, open pixel and click redirect.
//!
//! A link carries only a token: the send's random id and a truncated HMAC of it
//! (no organization, lead or address in the URL). The click target is not in the
//! URL either: `click/{n}` is the n-th link of the message as we stored it, so the
//! redirect cannot be pointed anywhere else.

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use flux_platform::SecretsKey;
use uuid::Uuid;

const PURPOSE: &[u8] = b"tracking-link/v1";
const SIGNATURE_LEN: usize = 16;

/// Path prefix of the public tracking endpoints.
pub const PATH: &str = "/api/v1/tracking";

#[derive(Debug, Clone)]
pub struct TrackingLinks {
    key: SecretsKey,
    /// `FLUX_PUBLIC_URL` without a trailing slash.
    base: String,
}

impl TrackingLinks {
    pub fn new(key: SecretsKey, public_url: &url::Url) -> Self {
        Self {
            key,
            base: public_url.as_str().trim_end_matches('/').to_owned(),
        }
    }

    pub fn token(&self, send_id: Uuid) -> String {
        let id = send_id.as_bytes();
        let signature = self.key.sign(PURPOSE, id);
        let mut raw = Vec::with_capacity(16 + SIGNATURE_LEN);
        raw.extend_from_slice(id);
        raw.extend_from_slice(&signature[..SIGNATURE_LEN]);
        URL_SAFE_NO_PAD.encode(raw)
    }

    /// The send a token names, if we signed it.
    pub fn verify(&self, token: &str) -> Option<Uuid> {
        let raw = URL_SAFE_NO_PAD.decode(token).ok()?;
        if raw.len() != 16 + SIGNATURE_LEN {
            return None;
        }
        let (id, signature) = raw.split_at(16);
        self.key
            .verify(PURPOSE, id, signature)
            .then(|| Uuid::from_slice(id).ok())
            .flatten()
    }

    pub fn unsubscribe_url(&self, send_id: Uuid) -> String {
        format!("{}{PATH}/{}/unsubscribe", self.base, self.token(send_id))
    }

    pub fn open_url(&self, send_id: Uuid) -> String {
        format!("{}{PATH}/{}/open", self.base, self.token(send_id))
    }

    pub fn click_url(&self, send_id: Uuid, index: usize) -> String {
        format!("{}{PATH}/{}/click/{index}", self.base, self.token(send_id))
    }
}

/// The web links of a plain-text body, in order, as byte ranges: `http(s)://` up to
/// whitespace or `<>"`, without trailing punctuation (a sentence's final period, or a
/// closing parenthesis that has no opening one in the link).
pub fn links(text: &str) -> Vec<std::ops::Range<usize>> {
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(offset) = next_scheme(&text[from..]) {
        let start = from + offset;
        let tail = &text[start..];
        let mut end = start
            + tail
                .find(|c: char| c.is_whitespace() || matches!(c, '<' | '>' | '"'))
                .unwrap_or(tail.len());
        loop {
            let link = &text[start..end];
            let Some(last) = link.chars().last() else {
                break;
            };
            let unbalanced_paren =
                last == ')' && link.matches('(').count() < link.matches(')').count();
            if matches!(last, '.' | ',' | ';' | ':' | '!' | '?' | '\'') || unbalanced_paren {
                end -= last.len_utf8();
            } else {
                break;
            }
        }
        let scheme_len = if text[start..]
            .get(..8)
            .is_some_and(|p| p.eq_ignore_ascii_case("https://"))
        {
            8
        } else {
            7
        };
        if end > start + scheme_len {
            found.push(start..end);
        }
        from = end.max(start + scheme_len);
    }
    found
}

fn next_scheme(text: &str) -> Option<usize> {
    let lower = text.to_ascii_lowercase();
    match (lower.find("http://"), lower.find("https://")) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tracking() -> TrackingLinks {
        TrackingLinks::new(
            SecretsKey::from_bytes([1; 32]),
            &url::Url::parse("https://app.flux.com.br/").unwrap(),
        )
    }

    #[test]
    fn tokens_verify_only_when_signed_by_us() {
        let id = Uuid::new_v4();
        let token = tracking().token(id);
        assert_eq!(tracking().verify(&token), Some(id));
        let other = TrackingLinks::new(
            SecretsKey::from_bytes([2; 32]),
            &url::Url::parse("https://app.flux.com.br").unwrap(),
        );
        assert_eq!(other.verify(&token), None);
        let mut forged = URL_SAFE_NO_PAD.decode(&token).unwrap();
        forged[0] ^= 1;
        assert_eq!(tracking().verify(&URL_SAFE_NO_PAD.encode(forged)), None);
        assert_eq!(tracking().verify("short"), None);
        assert_eq!(tracking().verify("!!!"), None);
        assert_eq!(
            tracking().unsubscribe_url(id),
            format!("https://app.flux.com.br/api/v1/tracking/{token}/unsubscribe")
        );
    }

    fn found(text: &str) -> Vec<&str> {
        links(text).into_iter().map(|r| &text[r]).collect()
    }

    #[test]
    fn finds_links_without_trailing_punctuation() {
        assert_eq!(
            found("Veja https://flux.com.br/a?b=1. E (http://x.io/y) ou https://w.br/p_(1)!"),
            [
                "https://flux.com.br/a?b=1",
                "http://x.io/y",
                "https://w.br/p_(1)"
            ]
        );
        assert_eq!(
            found("<https://a.b/c> \"http://d.e\""),
            ["https://a.b/c", "http://d.e"]
        );
        assert!(found("sem links, só http:// e https://").is_empty());
        assert_eq!(found("HTTPS://A.B/ç"), ["HTTPS://A.B/ç"]);
        assert!(found("HTTPS:// depois").is_empty());
    }
}
