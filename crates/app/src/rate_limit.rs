//! In-memory rate limits for credential endpoints (per IP and per account).
//! Per instance: with several API instances each enforces its own budget.

use std::{num::NonZeroU32, time::Duration};

use governor::{
    clock::{Clock, DefaultClock},
    DefaultKeyedRateLimiter, Quota, RateLimiter,
};

use crate::error::AppError;

pub struct RateLimits {
    login_ip: DefaultKeyedRateLimiter<String>,
    login_account: DefaultKeyedRateLimiter<String>,
    reset_account: DefaultKeyedRateLimiter<String>,
    ai_member: DefaultKeyedRateLimiter<String>,
    mailbox_test_member: DefaultKeyedRateLimiter<String>,
}

/// Connection tests per member per minute: each opens connections to a host the
/// member typed, so they must not become a way to probe other servers at speed.
pub const MAILBOX_TESTS_PER_MINUTE: u32 = 10;

fn per_minute(n: u32) -> Quota {
    Quota::per_minute(NonZeroU32::new(n.max(1)).unwrap_or(NonZeroU32::MIN))
}

impl RateLimits {
    pub fn new(
        login_per_ip_per_minute: u32,
        login_per_account_per_minute: u32,
        ai_per_member_per_minute: u32,
    ) -> Self {
        Self {
            login_ip: RateLimiter::keyed(per_minute(login_per_ip_per_minute)),
            login_account: RateLimiter::keyed(per_minute(login_per_account_per_minute)),
            // Password-reset mail: 5 per account per hour, so nobody can mail-bomb a user.
            reset_account: RateLimiter::keyed(
                Quota::with_period(Duration::from_secs(12 * 60))
                    .unwrap_or_else(|| per_minute(1))
                    .allow_burst(NonZeroU32::new(5).unwrap_or(NonZeroU32::MIN)),
            ),
            ai_member: RateLimiter::keyed(per_minute(ai_per_member_per_minute)),
            mailbox_test_member: RateLimiter::keyed(per_minute(MAILBOX_TESTS_PER_MINUTE)),
        }
    }

    /// A "Gerar com IA" request by `member` (user id).
    pub fn check_ai(&self, member: &str) -> Result<(), AppError> {
        check(&self.ai_member, member)
    }

    /// A mailbox connection test by `member` (user id).
    pub fn check_mailbox_test(&self, member: &str) -> Result<(), AppError> {
        check(&self.mailbox_test_member, member)
    }

    /// A credential attempt (login, invitation acceptance) from `ip` for `account`.
    pub fn check_login(&self, ip: Option<&str>, account: &str) -> Result<(), AppError> {
        if let Some(ip) = ip {
            check(&self.login_ip, ip)?;
        }
        check(&self.login_account, account)
    }

    /// A costly credential request that names no account (sign-up, a password reset's
    /// new password) from `ip`: counted with the logins from that address.
    pub fn check_ip(&self, ip: Option<&str>) -> Result<(), AppError> {
        match ip {
            Some(ip) => check(&self.login_ip, ip),
            None => Ok(()),
        }
    }

    pub fn check_reset(&self, ip: Option<&str>, account: &str) -> Result<(), AppError> {
        if let Some(ip) = ip {
            check(&self.login_ip, ip)?;
        }
        check(&self.reset_account, account)
    }

    /// Drops idle keys; called periodically so the maps don't grow without bound.
    pub fn retain_recent(&self) {
        self.login_ip.retain_recent();
        self.login_account.retain_recent();
        self.reset_account.retain_recent();
        self.ai_member.retain_recent();
        self.mailbox_test_member.retain_recent();
    }
}

fn check(limiter: &DefaultKeyedRateLimiter<String>, key: &str) -> Result<(), AppError> {
    limiter.check_key(&key.to_owned()).map_err(|not_until| {
        let wait = not_until.wait_time_from(DefaultClock::default().now());
        AppError::RateLimited {
            retry_after_secs: wait.as_secs().max(1),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_after_the_account_budget_with_retry_after() {
        let limits = RateLimits::new(100, 3, 10);
        for _ in 0..3 {
            limits.check_login(Some("1.1.1.1"), "ana@x.com").unwrap();
        }
        match limits.check_login(Some("1.1.1.1"), "ana@x.com") {
            Err(AppError::RateLimited { retry_after_secs }) => assert!(retry_after_secs >= 1),
            other => panic!("expected rate limit, got {other:?}"),
        }
        // Other accounts are unaffected.
        limits.check_login(Some("1.1.1.1"), "bia@x.com").unwrap();
    }

    #[test]
    fn limits_ai_requests_per_member() {
        let limits = RateLimits::new(100, 100, 2);
        limits.check_ai("ana").unwrap();
        limits.check_ai("ana").unwrap();
        assert!(matches!(
            limits.check_ai("ana"),
            Err(AppError::RateLimited { .. })
        ));
        limits.check_ai("bia").unwrap();
    }

    #[test]
    fn blocks_an_ip_spraying_many_accounts() {
        let limits = RateLimits::new(2, 100, 10);
        limits.check_login(Some("9.9.9.9"), "a@x.com").unwrap();
        limits.check_login(Some("9.9.9.9"), "b@x.com").unwrap();
        assert!(limits.check_login(Some("9.9.9.9"), "c@x.com").is_err());
    }
}
