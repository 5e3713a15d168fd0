//! The outside world as the use cases see it. The server's wiring builds one
//! [`Ports`] from the configuration (real clients at their configured base URLs);
//! tests build it the same way, with the base URLs pointing at fake servers.

use std::sync::Arc;

use flux_integrations::{
    ai::{AiProvider, RetryPolicy},
    mail::Mailer,
    mail_server::HostPolicy,
};
use flux_persistence::Db;
use flux_platform::SecretsKey;

use crate::{
    ai_messages::AiMessages, channel::ChannelSender, clock::Clock, enrichment::EnrichmentPolicy,
    tracking::TrackingLinks,
};

#[derive(Clone)]
pub struct Ports {
    /// Public registries and the premium contacts provider, with their rate limits
    /// (one budget per process: the API's "enrich now" and the job share it).
    pub enrichment: EnrichmentPolicy,
    /// The AI provider (`None` when AI is off) and how its calls are retried.
    pub ai: AiPort,
    /// Signs and checks the links in outgoing e-mail.
    pub tracking: TrackingLinks,
    /// `FLUX_SECRETS_KEY`: seals mailbox passwords.
    pub secrets: SecretsKey,
    /// Which addresses senders' SMTP and IMAP hosts may resolve to.
    pub mail_hosts: HostPolicy,
    /// E-mail through each sender's own mailbox (cadences and one-off e-mails).
    pub email: Arc<dyn ChannelSender>,
    /// Flux's own e-mail (password resets, invitations).
    pub mailer: Arc<dyn Mailer>,
    pub clock: Arc<dyn Clock>,
}

#[derive(Clone)]
pub struct AiPort {
    pub provider: Option<Arc<dyn AiProvider>>,
    pub policy: RetryPolicy,
}

impl Ports {
    /// AI messages over `db` (each HTTP worker has its own pool).
    pub fn ai_messages(&self, db: Db) -> AiMessages {
        AiMessages::new(db, self.ai.provider.clone(), self.ai.policy).with_clock(self.clock.clone())
    }
}
