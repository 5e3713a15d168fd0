//! Short-lived HS256 access tokens. They name the user and the active organization;
//! the role is re-read from the database on every request.

use std::time::Duration;

use chrono::Utc;
use jsonwebtoken::{decode, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

const ISSUER: &str = "flux";
const AUDIENCE: &str = "flux-api";
/// Tickets for `GET /api/v1/events` (browsers' EventSource cannot send headers).
const STREAM_AUDIENCE: &str = "flux-events";
/// A ticket only opens a stream; it is useless a minute later.
pub const STREAM_TICKET_TTL_SECS: i64 = 60;

#[derive(Debug, Serialize, Deserialize)]
pub struct AccessClaims {
    pub sub: Uuid,
    pub org: Uuid,
    pub iss: String,
    pub aud: String,
    pub iat: i64,
    pub exp: i64,
    pub jti: Uuid,
}

pub struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    stream_validation: Validation,
    pub ttl: Duration,
}

#[derive(Debug, thiserror::Error)]
#[error("invalid access token: {0}")]
pub struct InvalidToken(String);

impl JwtKeys {
    pub fn new(secret: &[u8], ttl: Duration) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        validation.leeway = 5;
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        let mut stream_validation = validation.clone();
        stream_validation.set_audience(&[STREAM_AUDIENCE]);
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            stream_validation,
            ttl,
        }
    }

    pub fn issue(
        &self,
        user_id: Uuid,
        org_id: Uuid,
    ) -> Result<String, jsonwebtoken::errors::Error> {
        self.sign(user_id, org_id, AUDIENCE, self.ttl.as_secs() as i64)
    }

    pub fn verify(&self, token: &str) -> Result<AccessClaims, InvalidToken> {
        self.decode_with(token, &self.validation)
    }

    /// A one-minute ticket to open the events stream as `user_id` in `org_id`.
    pub fn issue_stream_ticket(
        &self,
        user_id: Uuid,
        org_id: Uuid,
    ) -> Result<String, jsonwebtoken::errors::Error> {
        self.sign(user_id, org_id, STREAM_AUDIENCE, STREAM_TICKET_TTL_SECS)
    }

    pub fn verify_stream_ticket(&self, ticket: &str) -> Result<AccessClaims, InvalidToken> {
        self.decode_with(ticket, &self.stream_validation)
    }

    fn sign(
        &self,
        user_id: Uuid,
        org_id: Uuid,
        audience: &str,
        ttl_secs: i64,
    ) -> Result<String, jsonwebtoken::errors::Error> {
        let now = Utc::now().timestamp();
        let claims = AccessClaims {
            sub: user_id,
            org: org_id,
            iss: ISSUER.into(),
            aud: audience.into(),
            iat: now,
            exp: now + ttl_secs,
            jti: Uuid::new_v4(),
        };
        encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
    }

    fn decode_with(
        &self,
        token: &str,
        validation: &Validation,
    ) -> Result<AccessClaims, InvalidToken> {
        decode::<AccessClaims>(token, &self.decoding, validation)
            .map(|data| data.claims)
            .map_err(|e| InvalidToken(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stream_tickets_and_access_tokens_are_not_interchangeable() {
        let keys = JwtKeys::new(
            b"0123456789abcdef0123456789abcdef",
            Duration::from_secs(900),
        );
        let (user, org) = (Uuid::new_v4(), Uuid::new_v4());
        let ticket = keys.issue_stream_ticket(user, org).unwrap();
        let claims = keys.verify_stream_ticket(&ticket).unwrap();
        assert_eq!((claims.sub, claims.org), (user, org));
        assert!(claims.exp - claims.iat <= STREAM_TICKET_TTL_SECS);
        assert!(
            keys.verify(&ticket).is_err(),
            "a ticket is not an access token"
        );
        let access = keys.issue(user, org).unwrap();
        assert!(
            keys.verify_stream_ticket(&access).is_err(),
            "an access token is not a ticket"
        );
    }

    #[test]
    fn issued_tokens_verify_and_tampering_fails() {
        let keys = JwtKeys::new(
            b"0123456789abcdef0123456789abcdef",
            Duration::from_secs(900),
        );
        let (user, org) = (Uuid::new_v4(), Uuid::new_v4());
        let token = keys.issue(user, org).unwrap();
        let claims = keys.verify(&token).unwrap();
        assert_eq!((claims.sub, claims.org), (user, org));
        assert!(claims.exp - claims.iat <= 900);

        let other = JwtKeys::new(
            b"another-secret-another-secret-xx",
            Duration::from_secs(900),
        );
        assert!(other.verify(&token).is_err());
        assert!(keys.verify(&format!("{token}x")).is_err());
    }

    #[test]
    fn expired_tokens_are_rejected() {
        let keys = JwtKeys::new(
            b"0123456789abcdef0123456789abcdef",
            Duration::from_secs(900),
        );
        let now = Utc::now().timestamp();
        let claims = AccessClaims {
            sub: Uuid::new_v4(),
            org: Uuid::new_v4(),
            iss: ISSUER.into(),
            aud: AUDIENCE.into(),
            iat: now - 2000,
            exp: now - 1000,
            jti: Uuid::new_v4(),
        };
        let token = encode(&Header::new(Algorithm::HS256), &claims, &keys.encoding).unwrap();
        assert!(keys.verify(&token).is_err());
    }
}
