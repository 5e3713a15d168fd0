//! The one error envelope of every failure: `{"error":{"code","message","details"}}`.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ErrorCode {
    Validation,
    Unauthorized,
    Forbidden,
    NotFound,
    Conflict,
    LimitExceeded,
    RateLimit,
    ExternalApi,
    Internal,
}

/// One invalid field: where it is (dotted path, as sent) and why it was rejected.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FieldIssue {
    #[cfg_attr(feature = "openapi", schema(example = "email"))]
    pub field: String,
    #[cfg_attr(feature = "openapi", schema(example = "o e-mail não é válido"))]
    pub reason: String,
}

/// The context of an error, one shape per kind of failure (each shape's fields are
/// closed, so exactly one matches).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(untagged)]
pub enum ErrorDetails {
    Fields(FieldsDetails),
    BodyTooLarge(BodyTooLargeDetails),
    PlanLimit(PlanLimitDetails),
    External(ExternalDetails),
    RetryAfter(RetryAfterDetails),
    MethodNotAllowed(MethodNotAllowedDetails),
}

/// `VALIDATION` and `CONFLICT`: each field at fault and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct FieldsDetails {
    pub fields: Vec<FieldIssue>,
}

/// `VALIDATION` with 413: the body was larger than the endpoint takes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct BodyTooLargeDetails {
    pub limit_bytes: u64,
}

/// A limit of the organization's plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum PlanLimit {
    /// Members plus pending invitations.
    IncludedUsers,
    MaxLeads,
    /// AI generations per day (the organization's calendar).
    MaxAiPerDay,
}

/// `LIMIT_EXCEEDED` (402): which limit of the plan, how it stands, where to upgrade.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PlanLimitDetails {
    pub limit: PlanLimit,
    pub max: i64,
    pub used: i64,
    /// Generations being written right now (they count against the limit).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub in_progress: Option<i64>,
    /// The plan's slug.
    pub plan: String,
    /// The SPA page where the plan is changed.
    #[cfg_attr(feature = "openapi", schema(example = "/configuracoes/plano"))]
    pub upgrade_url: String,
    /// When a daily limit starts over.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::rfc3339::deserialize_option"
    )]
    pub resets_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// `EXTERNAL_API` (502/503/504): why the provider call failed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ExternalDetails {
    pub reason: ExternalReason,
    /// Seconds the provider asked to wait (also the `Retry-After` header).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after_seconds: Option<u64>,
}

/// Why a provider call failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ExternalReason {
    /// No provider is configured on this server.
    NotConfigured,
    /// It did not answer in time.
    Timeout,
    /// It asked us to slow down (after our retries).
    RateLimited,
    /// It is down or overloaded.
    Unavailable,
    /// It answered something unusable.
    Malformed,
    /// It refused the request.
    Rejected,
}

/// `RATE_LIMIT` (429): when to try again (also the `Retry-After` header).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RetryAfterDetails {
    pub retry_after_seconds: u64,
}

/// 405 (code `NOT_FOUND`): the methods the path takes (also the `Allow` header).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct MethodNotAllowedDetails {
    pub allowed_methods: Vec<String>,
}

impl FieldIssue {
    pub fn new(field: &str, reason: impl Into<String>) -> Self {
        FieldIssue {
            field: field.to_owned(),
            reason: reason.into(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorDetail {
    pub code: ErrorCode,
    /// Human-readable message in pt-BR, safe to show to the user.
    pub message: String,
    /// Machine-readable context, by code: `VALIDATION` and `CONFLICT` name the
    /// `fields` (a body over the size limit gives `limit_bytes`), `LIMIT_EXCEEDED`
    /// the plan limit reached, `RATE_LIMIT` when to retry, `EXTERNAL_API` what the
    /// provider did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<ErrorDetails>,
    /// Correlates the response with server logs (also sent as `X-Request-Id`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "error": {
        "code": "VALIDATION",
        "message": "Dados inválidos",
        "details": {"fields": [{"field": "email", "reason": "o e-mail não é válido"}]}
    }
})))]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

impl ErrorBody {
    /// Field issues of a VALIDATION or CONFLICT error, if any.
    pub fn field_issues(&self) -> Vec<FieldIssue> {
        match &self.error.details {
            Some(ErrorDetails::Fields(d)) => d.fields.clone(),
            _ => Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each shape reads back as itself: no two are mistaken for each other.
    #[test]
    fn every_shape_round_trips_as_itself() {
        let shapes = [
            ErrorDetails::Fields(FieldsDetails {
                fields: vec![FieldIssue::new("email", "inválido")],
            }),
            ErrorDetails::BodyTooLarge(BodyTooLargeDetails { limit_bytes: 10 }),
            ErrorDetails::PlanLimit(PlanLimitDetails {
                limit: PlanLimit::MaxLeads,
                max: 100,
                used: 100,
                in_progress: None,
                plan: "starter".into(),
                upgrade_url: "/configuracoes/plano".into(),
                resets_at: None,
            }),
            ErrorDetails::External(ExternalDetails {
                reason: ExternalReason::RateLimited,
                retry_after_seconds: Some(30),
            }),
            ErrorDetails::RetryAfter(RetryAfterDetails {
                retry_after_seconds: 30,
            }),
            ErrorDetails::MethodNotAllowed(MethodNotAllowedDetails {
                allowed_methods: vec!["GET".into()],
            }),
        ];
        for shape in shapes {
            let json = serde_json::to_value(&shape).unwrap();
            assert_eq!(serde_json::from_value::<ErrorDetails>(json).unwrap(), shape);
        }
    }
}
