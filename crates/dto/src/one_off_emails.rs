//! One-off e-mails: a member's message to a lead, sent by Flux through the member's
//! mailbox (tracked, on the lead's timeline, replies stop the lead's cadences).

use chrono::{DateTime, Utc};
pub use flux_domain::send::SendState;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SendOneOffEmailRequest {
    /// One of the lead's addresses (its e-mail or a premium contact's); the lead's
    /// e-mail when absent.
    #[serde(default)]
    pub to: Option<String>,
    /// One line, at most 200 characters.
    #[cfg_attr(feature = "openapi", schema(max_length = 200))]
    pub subject: String,
    /// Plain text, at most 20 000 characters, sent as written (no `{{variables}}`).
    #[cfg_attr(feature = "openapi", schema(max_length = 20000))]
    pub body: String,
    /// The text came from "Gerar com IA" (kept on the message and its timeline entry).
    #[serde(default)]
    pub ai_generated: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OneOffEmail {
    pub id: Uuid,
    pub lead_id: Uuid,
    /// The member whose mailbox sends it.
    pub sender_id: Uuid,
    pub to: String,
    pub subject: String,
    pub body: String,
    pub ai_generated: bool,
    pub state: SendState,
    /// Why the last attempt failed, or why it ended unsent.
    pub last_error: Option<String>,
    pub attempts: i32,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
}

/// A page of a lead's one-off e-mails, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OneOffEmailList {
    pub items: Vec<OneOffEmail>,
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
}
