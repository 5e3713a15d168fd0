//! Argon2 work runs on the blocking pool, never on the async executor, and at most a
//! few hashes run at once in the whole process: each takes tens of milliseconds of a
//! core and ~19 MiB, so a flood of sign-ups or logins must queue briefly and then be
//! told to come back (429), not exhaust the CPU and memory of everyone else.

use std::{sync::OnceLock, time::Duration};

use flux_domain::Password;
use flux_platform::crypto;
use tokio::sync::Semaphore;

use crate::error::{AppError, AppResult};

/// How long a hash waits for a free slot before the request is turned away.
const SLOT_WAIT: Duration = Duration::from_secs(2);

/// The process's hashing slots.
pub struct HashSlots {
    slots: Semaphore,
    wait: Duration,
}

impl HashSlots {
    pub fn new(slots: usize, wait: Duration) -> Self {
        Self {
            slots: Semaphore::new(slots.max(1)),
            wait,
        }
    }

    /// Two per core: enough to keep every core busy while one hash waits on memory.
    pub fn global() -> &'static HashSlots {
        static SLOTS: OnceLock<HashSlots> = OnceLock::new();
        SLOTS.get_or_init(|| {
            let cores = std::thread::available_parallelism().map_or(1, usize::from);
            HashSlots::new(cores * 2, SLOT_WAIT)
        })
    }

    /// Runs `work` on the blocking pool once a slot is free; `RateLimited` when none
    /// frees up within the wait.
    pub async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> AppResult<T> {
        let _slot = tokio::time::timeout(self.wait, self.slots.acquire())
            .await
            .map_err(|_| {
                tracing::warn!("password hashing saturated: request turned away");
                AppError::RateLimited {
                    retry_after_secs: 1,
                }
            })?
            .map_err(|e| AppError::Internal(anyhow::Error::new(e)))?;
        Ok(tokio::task::spawn_blocking(work).await?)
    }
}

pub fn parse(field: &str, raw: &str) -> AppResult<Password> {
    Password::parse(raw).map_err(|e| AppError::field(field, e.to_string()))
}

pub async fn hash(password: &Password) -> AppResult<String> {
    let plain = password.expose().to_owned();
    HashSlots::global()
        .run(move || crypto::hash_password(&plain))
        .await?
        .map_err(|e| AppError::Internal(anyhow::Error::new(e)))
}

/// Verifies against `stored`, or against a dummy hash when there is no account, so
/// both cases take the same time.
pub async fn verify(plain: &str, stored: Option<&str>) -> AppResult<bool> {
    let plain = plain.to_owned();
    let known = stored.is_some();
    let stored = stored.unwrap_or(crypto::dummy_password_hash()).to_owned();
    let ok = HashSlots::global()
        .run(move || crypto::verify_password(&plain, &stored))
        .await?;
    Ok(ok && known)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_full_house_turns_requests_away_quickly_and_frees_up() {
        let slots = HashSlots::new(1, Duration::from_millis(50));
        let held = slots.slots.acquire().await.unwrap();
        let started = std::time::Instant::now();
        let refused = slots.run(|| 1).await;
        assert!(matches!(
            refused,
            Err(AppError::RateLimited {
                retry_after_secs: 1
            })
        ));
        assert!(started.elapsed() < Duration::from_secs(1));
        drop(held);
        assert_eq!(slots.run(|| 2).await.unwrap(), 2);
    }
}
