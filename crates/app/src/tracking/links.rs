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
/// closing parenthesis that has no opening one in the link). One pass: linear in the
/// text's length whatever it holds (a body is customer input).
pub fn links(text: &str) -> Vec<std::ops::Range<usize>> {
    let bytes = text.as_bytes();
    let mut found = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        let Some(scheme_len) = scheme_at(bytes, at) else {
            at += 1;
            continue;
        };
        let start = at;
        // Up to the first separator; every separator is ASCII, so `end` is a char
        // boundary.
        let mut end = start + scheme_len;
        let (mut opened, mut closed) = (0usize, 0usize);
        while let Some(&b) = bytes.get(end) {
            if b.is_ascii_whitespace() || matches!(b, b'<' | b'>' | b'"') {
                break;
            }
            // Unicode whitespace ends a link too.
            if b >= 0x80 {
                let c = text[end..].chars().next().unwrap_or_default();
                if c.is_whitespace() {
                    break;
                }
                end += c.len_utf8();
                continue;
            }
            match b {
                b'(' => opened += 1,
                b')' => closed += 1,
                _ => {}
            }
            end += 1;
        }
        // Trailing punctuation, each step O(1): the counts follow what is cut.
        while end > start + scheme_len {
            match bytes[end - 1] {
                b'.' | b',' | b';' | b':' | b'!' | b'?' | b'\'' => end -= 1,
                b')' if opened < closed => {
                    closed -= 1;
                    end -= 1;
                }
                _ => break,
            }
        }
        if end > start + scheme_len {
            found.push(start..end);
        }
        at = end.max(start + scheme_len);
    }
    found
}

/// The length of `http://` or `https://` (any case) at `at`, if one starts there.
fn scheme_at(bytes: &[u8], at: usize) -> Option<usize> {
    let starts = |scheme: &[u8]| {
        bytes
            .get(at..at + scheme.len())
            .is_some_and(|b| b.eq_ignore_ascii_case(scheme))
    };
    if starts(b"https://") {
        Some(8)
    } else if starts(b"http://") {
        Some(7)
    } else {
        None
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

    proptest::proptest! {
        /// Every range is a link as the rules define it, in order, on char
        /// boundaries; nothing panics whatever the text.
        #[test]
        fn found_links_are_well_formed(text in "(https?://|HTTP://|[a-z()./:?!, \"<>]|ç|\u{a0}){0,60}") {
            let ranges = links(&text);
            let mut previous_end = 0;
            for range in ranges {
                proptest::prop_assert!(range.start >= previous_end);
                previous_end = range.end;
                let link = &text[range.clone()];
                let lower = link.to_ascii_lowercase();
                proptest::prop_assert!(lower.starts_with("http://") || lower.starts_with("https://"));
                proptest::prop_assert!(!link.chars().any(|c| c.is_whitespace() || matches!(c, '<' | '>' | '"')));
                let last = link.chars().last().unwrap_or_default();
                proptest::prop_assert!(!matches!(last, '.' | ',' | ';' | ':' | '!' | '?' | '\''));
                if last == ')' {
                    proptest::prop_assert!(link.matches('(').count() >= link.matches(')').count());
                }
            }
        }
    }

    #[test]
    fn pathological_bodies_take_linear_time() {
        // Closing parentheses after a link, and a body of nothing but schemes: each
        // took quadratic time before.
        let parens = format!("https://a.b/{}", ")".repeat(200_000));
        let schemes = "http:// ".repeat(50_000);
        let started = std::time::Instant::now();
        assert_eq!(found(&parens), ["https://a.b/"]);
        assert!(found(&schemes).is_empty());
        assert!(
            started.elapsed() < std::time::Duration::from_secs(2),
            "took {:?}",
            started.elapsed()
        );
    }
}
