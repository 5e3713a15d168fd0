//! Outgoing e-mail: SMTP through lettre when `SMTP_URL` is set, otherwise the message
//! is written to the log (local development, where nobody should get real mail).

use async_trait::async_trait;
use lettre::{
    message::{header::ContentType, Mailbox},
    AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
};

#[derive(Debug, Clone)]
pub struct Email {
    pub to: String,
    pub subject: String,
    pub body_text: String,
}

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("invalid address {0:?}")]
    Address(String),
    #[error("cannot build the message: {0}")]
    Build(String),
    #[error("SMTP delivery failed: {0}")]
    Smtp(String),
    #[error("invalid SMTP_URL: {0}")]
    Config(String),
}

#[async_trait]
pub trait Mailer: Send + Sync {
    async fn send(&self, email: &Email) -> Result<(), MailError>;
}

pub struct SmtpMailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl SmtpMailer {
    /// `url` like `smtp://user:pass@host:587?tls=required` or `smtps://host:465`
    /// (lettre's connection URL format).
    pub fn new(url: &str, from: &str) -> Result<Self, MailError> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| MailError::Config(e.to_string()))?
            .timeout(Some(std::time::Duration::from_secs(20)))
            .build();
        let from = from
            .parse()
            .map_err(|_| MailError::Address(from.to_owned()))?;
        Ok(Self { transport, from })
    }
}

#[async_trait]
impl Mailer for SmtpMailer {
    async fn send(&self, email: &Email) -> Result<(), MailError> {
        let to: Mailbox = email
            .to
            .parse()
            .map_err(|_| MailError::Address(email.to.clone()))?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(&email.subject)
            .header(ContentType::TEXT_PLAIN)
            .body(email.body_text.clone())
            .map_err(|e| MailError::Build(e.to_string()))?;
        self.transport
            .send(message)
            .await
            .map(|_| ())
            .map_err(|e| MailError::Smtp(e.to_string()))
    }
}

/// Development mailer: logs the message (including links) instead of sending it.
/// Without `SMTP_URL`: says in the log that a message was not sent. Only `full`
/// writes its body (links included), for the local demo where the log is the inbox.
pub struct LogMailer {
    pub full: bool,
}

#[async_trait]
impl Mailer for LogMailer {
    async fn send(&self, email: &Email) -> Result<(), MailError> {
        if self.full {
            tracing::info!(to = %email.to, subject = %email.subject, body = %email.body_text, "e-mail (SMTP_URL not set, logged instead of sent)");
        } else {
            tracing::warn!(to = %email.to, subject = %email.subject, "e-mail not sent: SMTP_URL is not set (FLUX_MAIL_LOG=full logs its text)");
        }
        Ok(())
    }
}
