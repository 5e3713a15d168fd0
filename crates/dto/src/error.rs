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

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorDetail {
    pub code: ErrorCode,
    /// Human-readable message in pt-BR, safe to show to the user.
    pub message: String,
    /// Machine-readable context: `fields` for VALIDATION, `limit`/`max` for
    /// LIMIT_EXCEEDED, `retry_after_seconds` for RATE_LIMIT.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub details: Option<serde_json::Value>,
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
    /// Field issues of a VALIDATION error, if any.
    pub fn field_issues(&self) -> Vec<FieldIssue> {
        self.error
            .details
            .as_ref()
            .and_then(|d| d.get("fields"))
            .and_then(|f| serde_json::from_value(f.clone()).ok())
            .unwrap_or_default()
    }
}
