//! Message templates: email (subject + body) and WhatsApp (body) texts with
//! `{{variables}}`.

use chrono::{DateTime, Utc};
pub use flux_domain::Channel;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// How a template has performed in cadences.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TemplateStats {
    /// Messages sent from this template.
    pub sent: i64,
    /// Replies to those messages.
    pub replied: i64,
    /// `replied / sent` (0 when nothing was sent).
    pub reply_rate: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TemplateDto {
    pub id: Uuid,
    pub name: String,
    pub channel: Channel,
    /// Email only.
    pub subject: Option<String>,
    pub body: String,
    /// Every variable the subject and body name, fallbacks included.
    pub variables_used: Vec<String>,
    /// Seeded by Flux: read-only and not deletable (duplicate it to change it).
    pub is_system: bool,
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub stats: TemplateStats,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TemplateList {
    pub items: Vec<TemplateDto>,
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
}

/// A new template. Variables are written `{{name}}`; `{{a|b}}` falls back to `b`
/// when `a` is empty and `{{a|"texto"}}` to a literal. Unknown variables are refused
/// (the error lists the valid ones; `GET /api/v1/templates/variables` describes them).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CreateTemplateRequest {
    /// 1–120 characters.
    pub name: String,
    pub channel: Channel,
    /// Required for email (one line, up to 200 characters); absent for WhatsApp.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// Up to 20,000 characters for email, 4,096 for WhatsApp.
    pub body: String,
}

/// Change a template; absent fields are kept. The channel cannot change.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct UpdateTemplateRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
}

/// Copy a template (system ones included) into an editable one.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct DuplicateTemplateRequest {
    /// Defaults to "Cópia de <name>".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// Where a variable's value comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum VariableSource {
    Lead,
    Sender,
    Organization,
    Context,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TemplateVariable {
    /// Written `{{name}}`.
    pub name: String,
    pub source: VariableSource,
    /// pt-BR description.
    pub label: String,
    pub example: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TemplateVariableList {
    pub items: Vec<TemplateVariable>,
}

/// Render a text that need not be saved (the editor's live preview). An e-mail
/// draft whose subject is absent or blank previews its body (`subject` is null).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PreviewTemplateRequest {
    pub channel: Channel,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    pub body: String,
    /// Render against this lead; without it, the variables' example values are used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lead_id: Option<Uuid>,
}

/// Render a saved template against a lead.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PreviewSavedTemplateRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lead_id: Option<Uuid>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum PreviewPieceKind {
    /// The template's own text.
    Text,
    /// A variable's value (or a fallback's, or the literal default).
    Value,
    /// A variable with no value: this message could not be sent to this lead.
    Missing,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PreviewPiece {
    pub kind: PreviewPieceKind,
    /// The text shown; for `missing`, the placeholder's first variable (`{{cidade}}`).
    pub text: String,
    /// The variable that supplied (or lacks) the value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variable: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RenderedText {
    /// The whole text; missing values appear as their placeholder.
    pub text: String,
    pub pieces: Vec<PreviewPiece>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TemplatePreview {
    pub subject: Option<RenderedText>,
    pub body: RenderedText,
    /// Variables without a value for this lead (sorted, unique).
    pub missing: Vec<String>,
    /// True when nothing is missing: a cadence step could send this message.
    pub sendable: bool,
    pub variables_used: Vec<String>,
}

/// Filters of the template list.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct TemplateQuery {
    /// Only templates of this channel.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<Channel>,
    /// Part of the name (case- and accent-insensitive).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub q: Option<String>,
}
