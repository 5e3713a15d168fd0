//! The channels messages leave through (SMTP now; Gmail API and WhatsApp Cloud API
//! later), behind one trait the engine drives.

use std::{collections::HashMap, sync::Arc};

use async_trait::async_trait;
use flux_domain::{mail_security::MailSecurity, Channel};
use uuid::Uuid;

/// The sender's mailbox a message leaves from (email channels).
#[derive(Debug, Clone)]
pub struct MailboxRoute {
    pub id: Uuid,
    pub from_name: String,
    pub from_email: String,
    pub smtp_host: String,
    pub smtp_port: u16,
    pub smtp_security: MailSecurity,
    pub smtp_username: String,
    /// AES-256-GCM ciphertext; the channel decrypts it.
    pub smtp_password_enc: Vec<u8>,
}

impl MailboxRoute {
    /// A stored mailbox's route (for the connection test).
    pub fn from_fields(id: Uuid, f: &flux_persistence::mailboxes::MailboxFields) -> Self {
        Self {
            id,
            from_name: f.from_name.clone(),
            from_email: f.from_email.clone(),
            smtp_host: f.smtp_host.clone(),
            smtp_port: u16::try_from(f.smtp_port).unwrap_or(587),
            smtp_security: f.smtp_security,
            smtp_username: f.smtp_username.clone(),
            smtp_password_enc: f.smtp_password_enc.clone(),
        }
    }
}

impl MailboxRoute {
    /// A mailbox row's route, as the engine and one-off e-mails load it.
    pub fn from_row(row: &flux_persistence::engine::MailboxRow) -> Self {
        Self {
            id: row.id,
            from_name: row.from_name.clone(),
            from_email: row.from_email.clone(),
            smtp_host: row.smtp_host.clone(),
            smtp_port: u16::try_from(row.smtp_port).unwrap_or(587),
            smtp_security: row.smtp_security,
            smtp_username: row.smtp_username.clone(),
            smtp_password_enc: row.smtp_password_enc.clone(),
        }
    }

    /// `<send id>@<the sender's domain>`: unique, and ours.
    pub fn message_id_for(send_id: Uuid, mailbox: Option<&MailboxRoute>) -> String {
        let domain = mailbox
            .and_then(|m| m.from_email.rsplit_once('@').map(|(_, d)| d.to_owned()))
            .unwrap_or_else(|| "flux.localhost".into());
        format!("{}@{domain}", send_id.simple())
    }
}

/// One message of one step to one lead.
#[derive(Debug, Clone)]
pub struct OutgoingMessage {
    /// The outbox row: unique per enrollment and step.
    pub send_id: Uuid,
    pub org_id: Uuid,
    /// Our RFC 5322 Message-ID (no angle brackets): the idempotency key with the
    /// provider where it has one, and what replies refer to.
    pub message_id: String,
    pub to: String,
    pub subject: Option<String>,
    pub body: String,
    pub mailbox: Option<MailboxRoute>,
    pub tracking: Tracking,
}

/// The organization's e-mail tracking settings, for the message.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tracking {
    pub opens: bool,
    pub clicks: bool,
}

/// What the provider said when it took the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendReceipt {
    /// The provider's own id of the message, when it gives one.
    pub provider_id: Option<String>,
}

/// Why a send failed, by what it means for the message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// Certainly not sent, and trying again later may work (connection refused, a
    /// 4xx before the message was handed over, rate limit).
    #[error("{message}")]
    Transient {
        message: String,
        retry_after: Option<std::time::Duration>,
    },
    /// Certainly not sent, and retrying will not help (address refused, bad
    /// credentials, channel not configured).
    #[error("{0}")]
    Rejected(String),
    /// May have been sent (the connection broke after the message was handed over):
    /// someone must check before it is sent again.
    #[error("{0}")]
    Ambiguous(String),
}

/// Whether the provider has a message, asked after a crash left it in flight.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    Sent {
        provider_id: Option<String>,
    },
    NotSent,
    /// The provider cannot tell (SMTP has no such query).
    Unknown,
}

#[async_trait]
pub trait ChannelSender: Send + Sync {
    async fn send(&self, message: &OutgoingMessage) -> Result<SendReceipt, SendError>;

    /// Asks the provider about a message by our Message-ID.
    async fn lookup(&self, message: &OutgoingMessage) -> Lookup;
}

/// The channels this engine can send through. A step on a channel missing here
/// pauses with a clear reason.
#[derive(Clone, Default)]
pub struct Channels(HashMap<Channel, Arc<dyn ChannelSender>>);

impl Channels {
    pub fn with(mut self, channel: Channel, sender: Arc<dyn ChannelSender>) -> Self {
        self.0.insert(channel, sender);
        self
    }

    pub fn get(&self, channel: Channel) -> Option<&Arc<dyn ChannelSender>> {
        self.0.get(&channel)
    }
}
