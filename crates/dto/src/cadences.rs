//! Cadences: sequences of email/WhatsApp steps that enrolled leads go through.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::templates::Channel;
pub use flux_domain::cadence::CadenceStatus;

/// A step as sent in a create or update: list the steps in the order they run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CadenceStepInput {
    /// An existing step of this cadence to keep (moved to this place, with these
    /// values); omit for a new step. Steps of the cadence not listed are removed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<Uuid>,
    pub channel: Channel,
    /// A template of the same channel.
    pub template_id: Uuid,
    /// Wait before this step, counted from the previous one (or the enrollment): 0–30 days…
    pub delay_days: i32,
    /// …plus 0–23 hours.
    pub delay_hours: i32,
    /// Have the AI writer personalize the template for each lead.
    #[serde(default)]
    pub ai_personalization: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CreateCadenceRequest {
    /// 3–100 characters.
    pub name: String,
    /// Up to 500 characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// At least 2 (and at most 30) steps, in order.
    pub steps: Vec<CadenceStepInput>,
}

/// Change a cadence; absent fields are kept. `steps`, when given, is the whole new
/// list in order. On a cadence with running enrollments: a lead never gets a step
/// twice; a lead waiting for a removed step moves on to the next one; a changed delay
/// reschedules the leads waiting for that step; messages already sent are kept.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct UpdateCadenceRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// `null` or `""` clears it.
    #[serde(
        default,
        deserialize_with = "crate::leads::double_option::deserialize",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, nullable))]
    pub description: Option<Option<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub steps: Option<Vec<CadenceStepInput>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CadenceStepDto {
    pub id: Uuid,
    /// 1-based order.
    pub position: i32,
    pub channel: Channel,
    pub template_id: Uuid,
    pub template_name: String,
    pub delay_days: i32,
    pub delay_hours: i32,
    pub ai_personalization: bool,
}

/// How many enrollments of a cadence are in each status.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EnrollmentCounts {
    pub active: i64,
    pub paused: i64,
    pub completed: i64,
    pub replied: i64,
    pub bounced: i64,
    pub unsubscribed: i64,
    pub stopped: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CadenceDto {
    pub id: Uuid,
    pub name: String,
    pub description: Option<String>,
    pub status: CadenceStatus,
    pub steps: Vec<CadenceStepDto>,
    pub enrollments: EnrollmentCounts,
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub activated_at: Option<DateTime<Utc>>,
    pub archived_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CadenceList {
    pub items: Vec<CadenceDto>,
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
}

/// Filters of the cadence list.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct CadenceQuery {
    /// Only cadences in this status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<CadenceStatus>,
    /// Part of the name (case- and accent-insensitive).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub q: Option<String>,
}
