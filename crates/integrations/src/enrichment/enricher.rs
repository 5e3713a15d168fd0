//! Fallback across public providers with per-provider rate limits, plus the optional
//! premium provider. No database here: the caller logs attempts and stores results.

use std::{
    num::NonZeroU32,
    sync::Arc,
    time::{Duration, Instant},
};

use chrono::{DateTime, Utc};
use flux_domain::Cnpj;
use governor::{
    clock::{Clock, DefaultClock},
    DefaultDirectRateLimiter, Quota, RateLimiter,
};

use super::{
    model::{CompanyData, PremiumContacts},
    provider::{Answer, CompanyProvider, ContactsProvider, ProviderError, ProviderId},
};

pub use flux_domain::lead::EnrichmentOutcome;

/// One row of the attempts log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    pub provider: ProviderId,
    pub started_at: DateTime<Utc>,
    pub outcome: EnrichmentOutcome,
    pub http_status: Option<u16>,
    pub duration: Duration,
    pub error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PublicOutcome {
    Found {
        provider: ProviderId,
        data: Box<CompanyData>,
    },
    /// Every provider that answered said it does not know the CNPJ.
    NotFound,
    /// No provider answered usefully; try again after `retry_after` (when one said).
    Unavailable { retry_after: Option<Duration> },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicResult {
    pub outcome: PublicOutcome,
    pub attempts: Vec<Attempt>,
}

struct Limited<P: ?Sized> {
    provider: Arc<P>,
    limiter: DefaultDirectRateLimiter,
}

impl<P: ?Sized> Limited<P> {
    fn new(provider: Arc<P>, per_minute: u32) -> Self {
        let per_minute = NonZeroU32::new(per_minute.max(1)).unwrap_or(NonZeroU32::MIN);
        Self {
            provider,
            limiter: RateLimiter::direct(Quota::per_minute(per_minute)),
        }
    }

    /// `Err(wait)` when this process has used up the provider's allowance.
    fn permit(&self) -> Result<(), Duration> {
        self.limiter
            .check()
            .map_err(|not_until| not_until.wait_time_from(DefaultClock::default().now()))
    }
}

/// A call slot taken from one public provider's rate limit.
#[derive(Debug)]
pub struct Reservation {
    index: usize,
}

/// Shared by every tenant of the process, so provider limits hold across orgs.
pub struct Enricher {
    public: Vec<Limited<dyn CompanyProvider>>,
    premium: Option<Limited<dyn ContactsProvider>>,
}

pub struct EnricherBuilder {
    public: Vec<Limited<dyn CompanyProvider>>,
    premium: Option<Limited<dyn ContactsProvider>>,
}

impl EnricherBuilder {
    /// Adds a public provider after the ones already added (fallback order).
    pub fn public(mut self, provider: Arc<dyn CompanyProvider>, per_minute: u32) -> Self {
        self.public.push(Limited::new(provider, per_minute));
        self
    }

    pub fn premium(mut self, provider: Arc<dyn ContactsProvider>, per_minute: u32) -> Self {
        self.premium = Some(Limited::new(provider, per_minute));
        self
    }

    pub fn build(self) -> Enricher {
        Enricher {
            public: self.public,
            premium: self.premium,
        }
    }
}

fn attempt<T>(
    provider: ProviderId,
    started_at: DateTime<Utc>,
    started: Instant,
    answer: &Answer<T>,
) -> Attempt {
    let (outcome, error) = match &answer.result {
        Ok(_) => (EnrichmentOutcome::Success, None),
        Err(e @ ProviderError::NotFound(_)) => (EnrichmentOutcome::NotFound, Some(e.to_string())),
        Err(e @ ProviderError::RateLimited { .. }) => {
            (EnrichmentOutcome::RateLimited, Some(e.to_string()))
        }
        Err(e) => (EnrichmentOutcome::Failed, Some(e.to_string())),
    };
    Attempt {
        provider,
        started_at,
        outcome,
        http_status: answer.http_status,
        duration: started.elapsed(),
        error,
    }
}

fn throttled(provider: ProviderId, wait: Duration) -> Attempt {
    Attempt {
        provider,
        started_at: Utc::now(),
        outcome: EnrichmentOutcome::RateLimited,
        http_status: None,
        duration: Duration::ZERO,
        error: Some(format!(
            "limite local do provedor: próxima vaga em {} s",
            wait.as_secs().max(1)
        )),
    }
}

impl std::fmt::Debug for Enricher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Enricher")
            .field("public", &self.public_providers())
            .field("premium", &self.premium.as_ref().map(|p| p.provider.id()))
            .finish()
    }
}

impl Enricher {
    pub fn builder() -> EnricherBuilder {
        EnricherBuilder {
            public: Vec::new(),
            premium: None,
        }
    }

    pub fn has_premium(&self) -> bool {
        self.premium.is_some()
    }

    pub fn public_providers(&self) -> Vec<ProviderId> {
        self.public.iter().map(|p| p.provider.id()).collect()
    }

    /// Takes a call slot from the first public provider (in fallback order) whose
    /// limit allows a call now; `Err(wait)` when every one is used up for `wait`.
    /// Callers that must not record anything for a call that cannot happen (the
    /// enrichment job) reserve first and defer on `Err`.
    pub fn reserve(&self) -> Result<Reservation, Duration> {
        let mut soonest: Option<Duration> = None;
        for (index, limited) in self.public.iter().enumerate() {
            match limited.permit() {
                Ok(()) => return Ok(Reservation { index }),
                Err(wait) => soonest = Some(soonest.map_or(wait, |s| s.min(wait))),
            }
        }
        Err(soonest.unwrap_or(Duration::from_secs(1)))
    }

    /// Reserves and fetches (see [`fetch`](Self::fetch)); when no provider has a slot,
    /// `Unavailable` with the wait and one `rate_limited` attempt per provider.
    #[tracing::instrument(skip_all, fields(cnpj = %cnpj))]
    pub async fn public_data(&self, cnpj: &Cnpj) -> PublicResult {
        match self.reserve() {
            Ok(reservation) => self.fetch(reservation, cnpj).await,
            Err(wait) => PublicResult {
                outcome: PublicOutcome::Unavailable {
                    retry_after: Some(wait),
                },
                attempts: self
                    .public
                    .iter()
                    .map(|p| throttled(p.provider.id(), wait))
                    .collect(),
            },
        }
    }

    /// Calls the reserved provider, then the next ones in order while they fail. A rate
    /// limit (theirs or ours) or an outage moves on at once; a "not found" also moves
    /// on (a newer provider may know a freshly issued CNPJ).
    #[tracing::instrument(skip_all, fields(cnpj = %cnpj))]
    pub async fn fetch(&self, reservation: Reservation, cnpj: &Cnpj) -> PublicResult {
        let mut attempts = Vec::new();
        let mut any_not_found = false;
        let mut any_unavailable = false;
        let mut soonest_retry: Option<Duration> = None;
        for (index, limited) in self.public.iter().enumerate().skip(reservation.index) {
            let id = limited.provider.id();
            if index != reservation.index {
                if let Err(wait) = limited.permit() {
                    attempts.push(throttled(id, wait));
                    soonest_retry = Some(soonest_retry.map_or(wait, |s| s.min(wait)));
                    any_unavailable = true;
                    continue;
                }
            }
            let (started_at, started) = (Utc::now(), Instant::now());
            let answer = limited.provider.company(cnpj).await;
            attempts.push(attempt(id, started_at, started, &answer));
            match answer.result {
                Ok(data) => {
                    return PublicResult {
                        outcome: PublicOutcome::Found {
                            provider: id,
                            data: Box::new(data),
                        },
                        attempts,
                    }
                }
                Err(ProviderError::NotFound(_)) => any_not_found = true,
                Err(ProviderError::RateLimited { retry_after }) => {
                    any_unavailable = true;
                    if let Some(wait) = retry_after {
                        soonest_retry = Some(soonest_retry.map_or(wait, |s| s.min(wait)));
                    }
                }
                Err(e) => {
                    any_unavailable |= e.is_transient();
                    tracing::warn!(provider = id.as_str(), error = %e, "enrichment provider failed");
                }
            }
        }
        let outcome = if any_not_found && !any_unavailable {
            PublicOutcome::NotFound
        } else {
            PublicOutcome::Unavailable {
                retry_after: soonest_retry,
            }
        };
        PublicResult { outcome, attempts }
    }

    /// Premium contacts, when a premium provider is configured and allows a call now.
    pub async fn premium_contacts(
        &self,
        cnpj: &Cnpj,
    ) -> Option<(Option<PremiumContacts>, Attempt)> {
        let limited = self.premium.as_ref()?;
        let id = limited.provider.id();
        if let Err(wait) = limited.permit() {
            return Some((None, throttled(id, wait)));
        }
        let (started_at, started) = (Utc::now(), Instant::now());
        let answer = limited.provider.contacts(cnpj).await;
        let logged = attempt(id, started_at, started, &answer);
        Some((answer.result.ok(), logged))
    }
}
