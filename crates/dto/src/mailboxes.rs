//! Senders' mailboxes: the SMTP server messages leave through and the IMAP inbox
//! replies and bounces are read from. Passwords are write-only.

use chrono::{DateTime, Utc};
pub use flux_domain::mail_security::MailSecurity;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// How the last IMAP polls went (replies and bounces).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MailboxSync {
    pub last_poll_at: Option<DateTime<Utc>>,
    pub last_poll_ok_at: Option<DateTime<Utc>>,
    /// Why the last poll failed; `null` when it worked.
    pub last_poll_error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MailboxDto {
    pub id: Uuid,
    /// The member whose cadence messages leave from this mailbox.
    pub user_id: Uuid,
    pub from_name: String,
    pub from_email: String,
    pub smtp_host: String,
    pub smtp_port: u16,
    pub smtp_security: MailSecurity,
    pub smtp_username: String,
    pub imap_enabled: bool,
    pub imap_host: Option<String>,
    pub imap_port: Option<u16>,
    pub imap_security: Option<MailSecurity>,
    pub imap_username: Option<String>,
    /// Whether an IMAP password is stored (passwords are never returned).
    pub imap_password_set: bool,
    pub imap_folder: String,
    /// At most this many messages per day (the organization's calendar day).
    pub daily_limit: i32,
    /// At least this long between two messages.
    pub min_interval_seconds: i32,
    /// Messages sent today.
    pub sent_today: i32,
    pub sync: MailboxSync,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MailboxList {
    pub items: Vec<MailboxDto>,
}

/// A new mailbox. One per member.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CreateMailbox {
    /// Whose mailbox (default: the caller). Another member's needs
    /// `integrations:manage`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<Uuid>,
    pub from_name: String,
    pub from_email: String,
    pub smtp_host: String,
    pub smtp_port: u16,
    #[serde(default = "starttls")]
    pub smtp_security: MailSecurity,
    pub smtp_username: String,
    /// Stored encrypted (AES-256-GCM); never returned.
    pub smtp_password: String,
    #[serde(default)]
    pub imap_enabled: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub imap_host: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub imap_port: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub imap_security: Option<MailSecurity>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub imap_username: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub imap_password: Option<String>,
    /// Default `INBOX`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub imap_folder: Option<String>,
    /// 1–100000, default 200.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub daily_limit: Option<i32>,
    /// 0–86400, default 60.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_interval_seconds: Option<i32>,
}

fn starttls() -> MailSecurity {
    MailSecurity::Starttls
}

/// Change a mailbox; absent fields are kept (a password only when given).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct UpdateMailbox {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub smtp_host: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub smtp_port: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub smtp_security: Option<MailSecurity>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub smtp_username: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub smtp_password: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub imap_enabled: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub imap_host: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub imap_port: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub imap_security: Option<MailSecurity>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub imap_username: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub imap_password: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub imap_folder: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub daily_limit: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_interval_seconds: Option<i32>,
}

/// What connecting with the stored settings showed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConnectionCheck {
    pub ok: bool,
    /// What worked, or why it did not (in pt-BR, from the server's answer).
    pub message: String,
}

/// The result of `POST /mailboxes/{id}/test`: connect, TLS and login to the SMTP
/// server (sending nothing) and, when reply reading is on, to the IMAP server and its
/// folder (reading nothing).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MailboxTestResult {
    pub smtp: ConnectionCheck,
    /// `null` when reply reading (IMAP) is off.
    pub imap: Option<ConnectionCheck>,
}
