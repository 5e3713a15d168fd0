//! Process-level plumbing shared by the server and workers: configuration, logging,
//! secrets and hashing, and the private PostgreSQL cluster used when no
//! `DATABASE_URL` is configured.

pub mod crypto;
pub mod embedded_pg;
pub mod keys;
pub mod secret;
pub mod settings;
pub mod telemetry;

pub use keys::SecretsKey;
pub use secret::Secret;
pub use settings::{
    AiProviderSetting, AiSettings, EnrichmentSettings, LogFormat, MailLog, Settings, SettingsError,
};
