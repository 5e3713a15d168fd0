//! Argon2 work runs on the blocking pool, never on the async executor.

use flux_domain::Password;
use flux_platform::crypto;

use crate::error::{AppError, AppResult};

pub fn parse(field: &str, raw: &str) -> AppResult<Password> {
    Password::parse(raw).map_err(|e| AppError::field(field, e.to_string()))
}

pub async fn hash(password: &Password) -> AppResult<String> {
    let plain = password.expose().to_owned();
    tokio::task::spawn_blocking(move || crypto::hash_password(&plain))
        .await?
        .map_err(|e| AppError::Internal(anyhow::Error::new(e)))
}

/// Verifies against `stored`, or against a dummy hash when there is no account, so
/// both cases take the same time.
pub async fn verify(plain: &str, stored: Option<&str>) -> AppResult<bool> {
    let plain = plain.to_owned();
    let known = stored.is_some();
    let stored = stored.unwrap_or(crypto::dummy_password_hash()).to_owned();
    let ok = tokio::task::spawn_blocking(move || crypto::verify_password(&plain, &stored)).await?;
    Ok(ok && known)
}
