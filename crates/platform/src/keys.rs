//! The secrets key (`FLUX_SECRETS_KEY`): encrypts stored credentials (AES-256-GCM)
//! and signs public tokens (HMAC-SHA256). Each use gets its own key derived from
//! the master key, so one key is never used with two algorithms.

use std::fmt;

use aes_gcm::{
    aead::{Aead, AeadCore, KeyInit, OsRng, Payload},
    Aes256Gcm, Nonce,
};
use base64::{engine::general_purpose::STANDARD, Engine};
use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

const NONCE_LEN: usize = 12;

/// The master key and the keys derived from it.
#[derive(Clone)]
pub struct SecretsKey {
    encryption: [u8; 32],
    signing: [u8; 32],
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum KeyError {
    #[error("must be 32 bytes in base64 (generate one with `openssl rand -base64 32`)")]
    Malformed,
    #[error(
        "the stored secret cannot be decrypted (a different FLUX_SECRETS_KEY, or corrupt data)"
    )]
    Undecryptable,
}

impl SecretsKey {
    /// From the base64 of 32 random bytes.
    pub fn from_base64(encoded: &str) -> Result<Self, KeyError> {
        let bytes = STANDARD
            .decode(encoded.trim())
            .or_else(|_| base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(encoded.trim()))
            .map_err(|_| KeyError::Malformed)?;
        let master: [u8; 32] = bytes.try_into().map_err(|_| KeyError::Malformed)?;
        Ok(Self::from_bytes(master))
    }

    pub fn from_bytes(master: [u8; 32]) -> Self {
        Self {
            encryption: derive(&master, b"flux/aes-256-gcm/v1"),
            signing: derive(&master, b"flux/hmac-sha256/v1"),
        }
    }

    /// A new random master key, base64.
    pub fn generate_base64() -> String {
        STANDARD.encode(Aes256Gcm::generate_key(OsRng))
    }

    /// `nonce ‖ ciphertext ‖ tag`. `context` (e.g. the owning organization and the
    /// field) is authenticated: the ciphertext opens only under the same context.
    pub fn seal(&self, plaintext: &[u8], context: &[u8]) -> Vec<u8> {
        let cipher = Aes256Gcm::new(&self.encryption.into());
        let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
        let sealed = cipher
            .encrypt(
                &nonce,
                Payload {
                    msg: plaintext,
                    aad: context,
                },
            )
            // AES-GCM encryption only fails for messages of more than 64 GiB.
            .unwrap_or_default();
        let mut out = Vec::with_capacity(NONCE_LEN + sealed.len());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        out
    }

    pub fn open(&self, sealed: &[u8], context: &[u8]) -> Result<Vec<u8>, KeyError> {
        if sealed.len() < NONCE_LEN {
            return Err(KeyError::Undecryptable);
        }
        let (nonce, ciphertext) = sealed.split_at(NONCE_LEN);
        let nonce: [u8; NONCE_LEN] = nonce.try_into().map_err(|_| KeyError::Undecryptable)?;
        Aes256Gcm::new(&self.encryption.into())
            .decrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: ciphertext,
                    aad: context,
                },
            )
            .map_err(|_| KeyError::Undecryptable)
    }

    /// HMAC-SHA256 of `data` under the signing key, for `purpose`.
    pub fn sign(&self, purpose: &[u8], data: &[u8]) -> [u8; 32] {
        let mut mac =
            <HmacSha256 as Mac>::new_from_slice(&self.signing).unwrap_or_else(|_| unreachable!());
        mac.update(purpose);
        mac.update(&[0]);
        mac.update(data);
        mac.finalize().into_bytes().into()
    }

    /// Constant-time check of a (possibly truncated, at least 16 bytes) signature.
    pub fn verify(&self, purpose: &[u8], data: &[u8], signature: &[u8]) -> bool {
        (16..=32).contains(&signature.len())
            && constant_time_eq(&self.sign(purpose, data)[..signature.len()], signature)
    }
}

/// The `hmac` crate's `verify_slice` needs the whole tag; ours may be truncated.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn derive(master: &[u8; 32], label: &[u8]) -> [u8; 32] {
    let mut mac = <HmacSha256 as Mac>::new_from_slice(master).unwrap_or_else(|_| unreachable!());
    mac.update(label);
    mac.finalize().into_bytes().into()
}

impl fmt::Debug for SecretsKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretsKey(***)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> SecretsKey {
        SecretsKey::from_bytes([7; 32])
    }

    #[test]
    fn sealed_secrets_open_only_with_the_same_key_and_context() {
        let sealed = key().seal(b"hunter2", b"org-a/smtp");
        assert!(!sealed.windows(7).any(|w| w == b"hunter2"));
        assert_eq!(key().open(&sealed, b"org-a/smtp").unwrap(), b"hunter2");
        assert_eq!(
            key().open(&sealed, b"org-b/smtp"),
            Err(KeyError::Undecryptable)
        );
        assert_eq!(
            SecretsKey::from_bytes([8; 32]).open(&sealed, b"org-a/smtp"),
            Err(KeyError::Undecryptable)
        );
        let mut tampered = sealed.clone();
        tampered[NONCE_LEN] ^= 1;
        assert_eq!(
            key().open(&tampered, b"org-a/smtp"),
            Err(KeyError::Undecryptable)
        );
        assert_eq!(
            key().open(&sealed[..5], b"org-a/smtp"),
            Err(KeyError::Undecryptable)
        );
    }

    #[test]
    fn every_seal_uses_a_fresh_nonce() {
        assert_ne!(key().seal(b"x", b""), key().seal(b"x", b""));
    }

    #[test]
    fn signatures_depend_on_key_purpose_and_data() {
        let sig = key().sign(b"tracking", b"abc");
        assert!(key().verify(b"tracking", b"abc", &sig));
        assert!(key().verify(b"tracking", b"abc", &sig[..16]));
        assert!(!key().verify(b"tracking", b"abc", &sig[..8]));
        assert!(!key().verify(b"other", b"abc", &sig));
        assert!(!key().verify(b"tracking", b"abd", &sig));
        assert!(!SecretsKey::from_bytes([8; 32]).verify(b"tracking", b"abc", &sig));
    }

    #[test]
    fn keys_parse_from_base64_of_32_bytes_only() {
        let generated = SecretsKey::generate_base64();
        assert!(SecretsKey::from_base64(&generated).is_ok());
        assert_eq!(
            SecretsKey::from_base64("c2hvcnQ=").unwrap_err(),
            KeyError::Malformed
        );
        assert_eq!(
            SecretsKey::from_base64("not base64!").unwrap_err(),
            KeyError::Malformed
        );
        assert_eq!(format!("{:?}", key()), "SecretsKey(***)");
    }
}
