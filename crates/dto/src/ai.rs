//! AI messages: "Gerar com IA" for a lead, the day's usage against the plan's limit,
//! and the log of generations.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::templates::Channel;
pub use flux_domain::ai_message::{AiOutcome, AiSource, AiTone};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct GenerateMessageRequest {
    pub lead_id: Uuid,
    pub channel: Channel,
    pub tone: AiTone,
    /// What to offer or aim for, in the SDR's words (at most 500 characters).
    #[cfg_attr(feature = "openapi", schema(max_length = 500))]
    #[serde(default)]
    pub additional_context: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TokenUsage {
    pub input: u32,
    pub output: u32,
}

/// A message the model wrote, ready to edit, copy or save as a template.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GeneratedMessage {
    /// The entry in the usage log.
    pub generation_id: Uuid,
    /// E-mail only.
    pub subject: Option<String>,
    pub body: String,
    /// The model that wrote it, as the provider names it.
    pub model: String,
    pub tokens: TokenUsage,
    /// Generations left today; `null` when the plan has no daily limit.
    pub remaining_today: Option<i32>,
}

/// Today's AI generations against the plan's daily limit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AiUsage {
    /// Today in the organization's time zone.
    pub date: NaiveDate,
    /// Successful generations today.
    pub used: i32,
    /// Generations being written right now (each holds a slot).
    pub in_progress: i32,
    /// The plan's daily limit; `-1` = unlimited.
    pub limit: i32,
    /// `null` when unlimited.
    pub remaining: Option<i32>,
    pub unlimited: bool,
    /// When the count starts over: the organization's next midnight.
    pub resets_at: DateTime<Utc>,
    /// The plan's slug (`starter`, `pro`, `enterprise`).
    pub plan: String,
    /// Whether this server has an AI provider; without one generating fails with
    /// `EXTERNAL_API`.
    pub configured: bool,
}

/// One generation in the usage log: who, for which lead, what it cost, how it went.
/// The text itself is not kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AiGeneration {
    pub id: Uuid,
    pub created_at: DateTime<Utc>,
    pub user_id: Option<Uuid>,
    pub user_name: Option<String>,
    pub lead_id: Option<Uuid>,
    /// Nome fantasia or razão social; `null` once the lead is gone.
    pub lead_name: Option<String>,
    pub enrollment_id: Option<Uuid>,
    pub source: AiSource,
    pub channel: Channel,
    pub tone: Option<AiTone>,
    pub provider: String,
    pub model: String,
    pub outcome: AiOutcome,
    pub input_tokens: Option<i32>,
    pub output_tokens: Option<i32>,
    pub latency_ms: Option<i32>,
    /// `rate_limited`, `unavailable`, `timeout`, `malformed`, `rejected`, or
    /// `abandoned` (the process stopped before the provider answered).
    pub error_code: Option<String>,
    pub error_message: Option<String>,
}

/// Totals over every generation the filter selects (not just the page).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AiGenerationTotals {
    pub succeeded: i64,
    pub failed: i64,
    pub limit_exceeded: i64,
    pub input_tokens: i64,
    pub output_tokens: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AiGenerationList {
    pub items: Vec<AiGeneration>,
    pub totals: AiGenerationTotals,
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
}

/// Filters of the usage log.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct GenerationQuery {
    /// Only this member's generations (managers; others always see their own).
    #[cfg_attr(feature = "openapi", param(value_type = Option<uuid::Uuid>))]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    /// From this day (the organization's calendar), `YYYY-MM-DD`.
    #[cfg_attr(feature = "openapi", param(value_type = Option<chrono::NaiveDate>))]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// Up to this day, inclusive, `YYYY-MM-DD`.
    #[cfg_attr(feature = "openapi", param(value_type = Option<chrono::NaiveDate>))]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
}
