//! The single HTTP error type. Every failure leaves the server as the envelope
//! `{"error":{"code","message","details"}}`; 5xx causes are logged, never returned.
//! The application's [`AppError`] is mapped here, once.

use actix_web::{http::StatusCode, HttpResponse, ResponseError};
use flux_app::{AppError, ExternalFailure};
use flux_domain::PermissionDenied;
use flux_dto::{
    error::{
        BodyTooLargeDetails, ExternalDetails, FieldsDetails, PlanLimitDetails, RetryAfterDetails,
    },
    ErrorBody, ErrorCode, ErrorDetail, ErrorDetails, FieldIssue,
};
use flux_persistence::RepoError;

use crate::request_id;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("validation failed: {message}")]
    Validation {
        message: String,
        fields: Vec<FieldIssue>,
    },
    #[error("payload too large")]
    PayloadTooLarge { limit: usize },
    #[error("unauthorized: {0}")]
    Unauthorized(String),
    #[error("forbidden: {0}")]
    Forbidden(String),
    #[error("not found: {0}")]
    NotFound(String),
    #[error("conflict: {message}")]
    Conflict {
        message: String,
        fields: Vec<FieldIssue>,
    },
    #[error("limit exceeded: {message}")]
    LimitExceeded {
        message: String,
        details: PlanLimitDetails,
    },
    #[error("rate limited")]
    RateLimited { retry_after_secs: u64 },
    /// A provider we depend on failed or is not configured: 502 (it answered badly),
    /// 503 (not configured, or unavailable) or 504 (it did not answer in time).
    #[error("external API: {message}")]
    ExternalApi {
        status: StatusCode,
        message: String,
        details: ExternalDetails,
    },
    #[error("internal error: {0:#}")]
    Internal(#[from] anyhow::Error),
}

impl ApiError {
    pub fn field(field: &str, reason: impl Into<String>) -> Self {
        FieldIssue::new(field, reason).into()
    }

    pub fn conflict_on(field: &str, reason: impl Into<String>) -> Self {
        let reason = reason.into();
        ApiError::Conflict {
            message: reason.clone(),
            fields: vec![FieldIssue::new(field, reason)],
        }
    }

    fn code(&self) -> ErrorCode {
        match self {
            ApiError::Validation { .. } | ApiError::PayloadTooLarge { .. } => ErrorCode::Validation,
            ApiError::Unauthorized(_) => ErrorCode::Unauthorized,
            ApiError::Forbidden(_) => ErrorCode::Forbidden,
            ApiError::NotFound(_) => ErrorCode::NotFound,
            ApiError::Conflict { .. } => ErrorCode::Conflict,
            ApiError::LimitExceeded { .. } => ErrorCode::LimitExceeded,
            ApiError::RateLimited { .. } => ErrorCode::RateLimit,
            ApiError::ExternalApi { .. } => ErrorCode::ExternalApi,
            ApiError::Internal(_) => ErrorCode::Internal,
        }
    }

    fn body(&self) -> ErrorBody {
        let (message, details) = match self {
            ApiError::Validation { message, fields } => (
                message.clone(),
                Some(ErrorDetails::Fields(FieldsDetails {
                    fields: fields.clone(),
                })),
            ),
            ApiError::PayloadTooLarge { limit } => (
                format!("O corpo da requisição excede o limite de {limit} bytes"),
                Some(ErrorDetails::BodyTooLarge(BodyTooLargeDetails {
                    limit_bytes: *limit as u64,
                })),
            ),
            ApiError::Unauthorized(m) | ApiError::Forbidden(m) | ApiError::NotFound(m) => {
                (m.clone(), None)
            }
            ApiError::Conflict { message, fields } => (
                message.clone(),
                (!fields.is_empty()).then(|| {
                    ErrorDetails::Fields(FieldsDetails {
                        fields: fields.clone(),
                    })
                }),
            ),
            ApiError::LimitExceeded { message, details } => (
                message.clone(),
                Some(ErrorDetails::PlanLimit(details.clone())),
            ),
            ApiError::ExternalApi {
                message, details, ..
            } => (
                message.clone(),
                Some(ErrorDetails::External(details.clone())),
            ),
            ApiError::RateLimited { retry_after_secs } => (
                "Muitas tentativas. Aguarde e tente novamente.".into(),
                Some(ErrorDetails::RetryAfter(RetryAfterDetails {
                    retry_after_seconds: *retry_after_secs,
                })),
            ),
            ApiError::Internal(_) => ("Erro interno. Tente novamente em instantes.".into(), None),
        };
        ErrorBody {
            error: ErrorDetail {
                code: self.code(),
                message,
                details,
                request_id: request_id::current(),
            },
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::Validation { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Conflict { .. } => StatusCode::CONFLICT,
            ApiError::LimitExceeded { .. } => StatusCode::PAYMENT_REQUIRED,
            ApiError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::ExternalApi { status, .. } => *status,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let ApiError::Internal(cause) = self {
            tracing::error!(request_id = ?request_id::current(), error = ?cause, "request failed");
        }
        let mut response = HttpResponse::build(self.status_code());
        let retry_after = match self {
            ApiError::RateLimited { retry_after_secs } => Some(*retry_after_secs),
            ApiError::ExternalApi { details, .. } => details.retry_after_seconds,
            _ => None,
        };
        if let Some(secs) = retry_after {
            response.insert_header(("Retry-After", secs.to_string()));
        }
        if let ApiError::Unauthorized(_) = self {
            response.insert_header(("WWW-Authenticate", "Bearer"));
        }
        response.json(self.body())
    }
}

impl From<FieldIssue> for ApiError {
    fn from(issue: FieldIssue) -> Self {
        ApiError::Validation {
            message: "Dados inválidos".into(),
            fields: vec![issue],
        }
    }
}

impl From<RepoError> for ApiError {
    fn from(e: RepoError) -> Self {
        AppError::from(e).into()
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(e: sqlx::Error) -> Self {
        AppError::from(e).into()
    }
}

impl From<PermissionDenied> for ApiError {
    fn from(e: PermissionDenied) -> Self {
        AppError::from(e).into()
    }
}

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        match e {
            AppError::Validation { message, fields } => ApiError::Validation { message, fields },
            AppError::Unauthorized(m) => ApiError::Unauthorized(m),
            AppError::Forbidden(m) => ApiError::Forbidden(m),
            AppError::NotFound(resource) => ApiError::NotFound(resource.not_found().into()),
            AppError::Conflict { message, fields } => ApiError::Conflict { message, fields },
            AppError::LimitExceeded { message, details } => {
                ApiError::LimitExceeded { message, details }
            }
            AppError::RateLimited { retry_after_secs } => {
                ApiError::RateLimited { retry_after_secs }
            }
            AppError::ExternalApi {
                failure,
                message,
                details,
            } => ApiError::ExternalApi {
                status: match failure {
                    ExternalFailure::BadAnswer => StatusCode::BAD_GATEWAY,
                    ExternalFailure::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
                    ExternalFailure::Timeout => StatusCode::GATEWAY_TIMEOUT,
                },
                message,
                details,
            },
            AppError::Internal(cause) => ApiError::Internal(cause),
        }
    }
}

impl From<actix_web::error::BlockingError> for ApiError {
    fn from(e: actix_web::error::BlockingError) -> Self {
        ApiError::Internal(anyhow::anyhow!("blocking task failed: {e}"))
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unmapped_conflicts_do_not_reveal_constraint_names() {
        let e: ApiError = RepoError::Conflict {
            constraint: "users_email_key".into(),
        }
        .into();
        assert!(!e.body().error.message.contains("users_email_key"));
    }
}
