//! Enrollments (a lead going through a cadence), the per-step funnel and the lead
//! timeline.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::templates::Channel;
pub use flux_domain::enrollment::{EnrollmentStatus, PauseReason};
pub use flux_domain::interaction::InteractionType;

/// Enroll leads in a cadence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct EnrollRequest {
    /// 1 to 1000 leads.
    pub lead_ids: Vec<Uuid>,
    /// The active member whose mailbox and name the messages go out with; the caller
    /// when omitted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sender_id: Option<Uuid>,
}

/// What a person found about a send a crash left unknown (look in the sender's
/// "Sent" folder).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ReviewOutcome {
    /// It went out: record it and move the lead on.
    Sent,
    /// It did not: send it again.
    NotSent,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ResolveReviewRequest {
    pub outcome: ReviewOutcome,
}

/// Why a lead was not enrolled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum RefusalReason {
    /// No such lead in this organization.
    NotFound,
    /// The lead is flagged do-not-contact.
    OptedOut,
    Archived,
    /// No valid address (e-mail, or mobile for WhatsApp) for the first step's channel.
    NoAddress,
    /// Already active or paused in this cadence.
    AlreadyEnrolled,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EnrollRefusal {
    pub lead_id: Uuid,
    pub reason: RefusalReason,
    /// pt-BR explanation.
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EnrolledLead {
    pub lead_id: Uuid,
    pub enrollment_id: Uuid,
}

/// One answer per lead asked for: enrolled or refused with a reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EnrollResult {
    pub enrolled: Vec<EnrolledLead>,
    pub refused: Vec<EnrollRefusal>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EnrollmentDto {
    pub id: Uuid,
    pub cadence_id: Uuid,
    pub cadence_name: String,
    pub lead_id: Uuid,
    /// Nome fantasia, else razão social, else the CNPJ.
    pub lead_name: String,
    pub lead_cnpj: String,
    pub sender_id: Uuid,
    pub sender_name: String,
    pub status: EnrollmentStatus,
    pub pause_reason: Option<PauseReason>,
    /// Why it paused (step failed, review) or stopped, in pt-BR.
    pub status_detail: Option<String>,
    /// The cadence is not active, so this enrollment waits whatever its status.
    pub cadence_held: bool,
    pub next_step_id: Option<Uuid>,
    /// 1-based position of the next step.
    pub next_step_position: Option<i32>,
    /// When the next step goes out (moved to the next open slot of the send window
    /// when it falls outside).
    pub next_step_due: Option<DateTime<Utc>>,
    pub steps_sent: i32,
    pub steps_total: i64,
    pub enrolled_by: Option<Uuid>,
    pub enrolled_at: DateTime<Utc>,
    pub last_step_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EnrollmentList {
    pub items: Vec<EnrollmentDto>,
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
}

/// How many leads reached each stage at one step.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FunnelCounts {
    pub sent: i64,
    pub delivered: i64,
    pub opened: i64,
    pub clicked: i64,
    pub replied: i64,
    pub bounced: i64,
    pub failed: i64,
    pub unsubscribed: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FunnelStep {
    pub step_id: Uuid,
    pub position: i32,
    pub channel: Channel,
    pub template_name: String,
    /// Leads counted once per stage.
    pub counts: FunnelCounts,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CadenceFunnel {
    pub cadence_id: Uuid,
    pub steps: Vec<FunnelStep>,
}

/// One entry of a lead's timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InteractionDto {
    pub id: Uuid,
    #[serde(rename = "type")]
    pub kind: InteractionType,
    pub channel: Option<Channel>,
    /// The subject or first line of the message.
    pub summary: Option<String>,
    pub enrollment_id: Option<Uuid>,
    pub cadence_id: Option<Uuid>,
    pub cadence_name: Option<String>,
    pub step_id: Option<Uuid>,
    pub step_position: Option<i32>,
    pub template_id: Option<Uuid>,
    pub ai_generated: bool,
    /// The member who did it, when a person did.
    pub actor_id: Option<Uuid>,
    pub occurred_at: DateTime<Utc>,
}

/// A lead's interactions (a page, newest first) and all its enrollments.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LeadTimeline {
    pub interactions: Vec<InteractionDto>,
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
    pub enrollments: Vec<EnrollmentDto>,
}

/// Filters of a cadence's enrollments.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct EnrollmentQuery {
    /// Only enrollments in this status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<EnrollmentStatus>,
}
