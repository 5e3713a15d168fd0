//! The one place where the application's ports meet real clients. `flux serve`,
//! `flux worker`, the test harness and the benchmarks all build their [`Ports`] here,
//! from [`Settings`]; tests differ only in the base URLs they configure (fake
//! servers that speak each provider's wire format).

use std::sync::Arc;

use anyhow::Context;
use flux_app::{
    ai_messages::AiMessages,
    channel::{ChannelSender, Channels},
    clock::SystemClock,
    enrichment::EnrichmentPolicy,
    ports::AiPort,
    tracking::TrackingLinks,
    Ports,
};
use flux_domain::Channel;
use flux_integrations::{
    ai::{AiProvider, Anthropic, OpenAiCompatible, RetryPolicy},
    enrichment::{BrasilApi, CnpjWs, Enricher, Lemit, ProviderId},
    mail::{LogMailer, Mailer, SmtpMailer},
    mail_server::HostPolicy,
};
use flux_persistence::Db;
use flux_platform::{AiProviderSetting, AiSettings, EnrichmentSettings, MailLog, Settings};
use flux_workers::{
    engine::{smtp::SmtpChannel, Engine, EngineConfig},
    inbox::{InboxConfig, InboxPoller},
};

/// Every port, built from the configuration. `settings.secrets_key` must be resolved
/// (`flux serve` generates one in `FLUX_DATA_DIR` when it is not configured).
pub fn ports(settings: &Settings) -> anyhow::Result<Ports> {
    let secrets = settings
        .secrets_key
        .clone()
        .context("FLUX_SECRETS_KEY is not set (flux serve generates one in FLUX_DATA_DIR)")?;
    let tracking = TrackingLinks::new(secrets.clone(), &settings.public_url);
    let mail_hosts = HostPolicy::allowing_private(settings.allow_private_mail_hosts);
    let email: Arc<dyn ChannelSender> =
        Arc::new(SmtpChannel::new(secrets.clone(), tracking.clone()).with_hosts(mail_hosts));
    Ok(Ports {
        enrichment: enrichment(&settings.enrichment),
        ai: AiPort {
            provider: ai_provider(&settings.ai),
            policy: ai_retry_policy(&settings.ai),
        },
        tracking,
        secrets,
        mail_hosts,
        email,
        mailer: mailer(settings)?,
        clock: Arc::new(SystemClock),
    })
}

/// The providers and cache policy the configuration asks for. Lemit is added only
/// with an API key; the public providers in `FLUX_ENRICHMENT_PROVIDERS` order.
pub fn enrichment(settings: &EnrichmentSettings) -> EnrichmentPolicy {
    let mut builder = Enricher::builder();
    for name in &settings.providers {
        builder = match ProviderId::parse(name) {
            Some(ProviderId::BrasilApi) => builder.public(
                Arc::new(BrasilApi::new(
                    settings.brasilapi_url.as_str(),
                    settings.timeout,
                )),
                settings.brasilapi_per_minute,
            ),
            Some(ProviderId::CnpjWs) => builder.public(
                Arc::new(CnpjWs::new(settings.cnpjws_url.as_str(), settings.timeout)),
                settings.cnpjws_per_minute,
            ),
            // Settings admit only the public providers above.
            _ => builder,
        };
    }
    if let Some(key) = &settings.lemit_api_key {
        builder = builder.premium(
            Arc::new(Lemit::new(
                settings.lemit_url.as_str(),
                key.expose(),
                settings.timeout,
            )),
            settings.lemit_per_minute,
        );
    }
    EnrichmentPolicy {
        enricher: Arc::new(builder.build()),
        cache_ttl: chrono::Duration::from_std(settings.cache_ttl)
            .unwrap_or(chrono::Duration::days(30)),
    }
}

/// The provider `FLUX_AI_PROVIDER` names, or `None` when AI is off.
pub fn ai_provider(settings: &AiSettings) -> Option<Arc<dyn AiProvider>> {
    let policy = ai_retry_policy(settings);
    match settings.provider? {
        AiProviderSetting::Anthropic => Some(Arc::new(Anthropic::new(
            settings.anthropic_url.as_str(),
            settings
                .anthropic_api_key
                .as_ref()
                .map(|k| k.expose().as_str())
                .unwrap_or_default(),
            &settings.model,
            policy,
        ))),
        AiProviderSetting::OpenAi => Some(Arc::new(OpenAiCompatible::new(
            settings.openai_url.as_str(),
            settings
                .openai_api_key
                .as_ref()
                .map(|k| k.expose().as_str()),
            &settings.model,
            policy,
        ))),
    }
}

pub fn ai_retry_policy(settings: &AiSettings) -> RetryPolicy {
    RetryPolicy {
        attempts: settings.max_attempts,
        timeout: settings.timeout,
        ..RetryPolicy::default()
    }
}

/// Flux's own e-mail: SMTP when `SMTP_URL` is set, otherwise the log.
pub fn mailer(settings: &Settings) -> anyhow::Result<Arc<dyn Mailer>> {
    Ok(match &settings.smtp_url {
        Some(url) => {
            Arc::new(SmtpMailer::new(url.expose(), &settings.mail_from).context("SMTP_URL")?)
        }
        None => {
            tracing::warn!("SMTP_URL not set: e-mails are written to the log instead of sent");
            Arc::new(LogMailer {
                full: settings.mail_log == MailLog::Full,
            })
        }
    })
}

/// The cadence engine, sending e-mail through the e-mail port and writing
/// AI-personalized steps with the AI port. WhatsApp has no channel yet: its steps
/// pause with "canal não configurado".
pub fn engine(db: &Db, ports: &Ports, settings: &Settings) -> Engine {
    let ai: AiMessages = ports.ai_messages(db.clone());
    Engine::new(
        db.clone(),
        Channels::default().with(Channel::Email, ports.email.clone()),
    )
    .with_ai(ai)
    .with_config(EngineConfig {
        tick: settings.engine_tick,
        ..EngineConfig::default()
    })
}

/// Reads senders' inboxes for replies and bounces.
pub fn inbox_poller(db: &Db, ports: &Ports, settings: &Settings) -> InboxPoller {
    InboxPoller::new(db.clone(), ports.secrets.clone())
        .with_hosts(ports.mail_hosts)
        .with_config(InboxConfig {
            every: settings.imap_poll,
            ..InboxConfig::default()
        })
}
