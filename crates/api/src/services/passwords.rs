//! Argon2 work runs on actix's blocking pool, never on the async executor.

use actix_web::web;
use flux_domain::Password;
use flux_platform::crypto;

use crate::error::{ApiError, ApiResult};

pub fn parse(field: &str, raw: &str) -> ApiResult<Password> {
    Password::parse(raw).map_err(|e| ApiError::field(field, e.to_string()))
}

pub async fn hash(password: &Password) -> ApiResult<String> {
    let plain = password.expose().to_owned();
    web::block(move || crypto::hash_password(&plain))
        .await?
        .map_err(|e| ApiError::Internal(anyhow::Error::new(e)))
}

/// Verifies against `stored`, or against a dummy hash when there is no account, so
/// both cases take the same time.
pub async fn verify(plain: &str, stored: Option<&str>) -> ApiResult<bool> {
    let plain = plain.to_owned();
    let known = stored.is_some();
    let stored = stored.unwrap_or(crypto::dummy_password_hash()).to_owned();
    let ok = web::block(move || crypto::verify_password(&plain, &stored)).await?;
    Ok(ok && known)
}
