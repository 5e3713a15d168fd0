//! The application's one error type. It says what went wrong in the product's terms
//! (invalid field, not allowed, not found, over a limit, a provider failed); the HTTP
//! adapter maps each variant to a status and the error envelope, once.

use flux_domain::PermissionDenied;
use flux_dto::{
    error::{ExternalDetails, PlanLimitDetails},
    FieldIssue,
};
use flux_persistence::RepoError;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("validation failed: {message}")]
    Validation {
        message: String,
        fields: Vec<FieldIssue>,
    },
    #[error("unauthorized: {0}")]
    Unauthorized(String),
    #[error("forbidden: {0}")]
    Forbidden(String),
    #[error("not found: {}", .0.not_found())]
    NotFound(Resource),
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
    /// A provider we depend on failed or is not configured.
    #[error("external API: {message}")]
    ExternalApi {
        failure: ExternalFailure,
        message: String,
        details: ExternalDetails,
    },
    #[error("internal error: {0:#}")]
    Internal(#[from] anyhow::Error),
}

/// The SPA page where an organization changes its plan (named in plan-limit errors).
pub const UPGRADE_URL: &str = "/configuracoes/plano";

/// How a provider failed: it answered badly, it is not there (or not configured), or
/// it did not answer in time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExternalFailure {
    BadAnswer,
    Unavailable,
    Timeout,
}

/// The things a request can name that may not exist, each with its pt-BR words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resource {
    Cadence,
    Enrollment,
    Import,
    Invitation,
    Lead,
    Mailbox,
    Member,
    OneOffEmail,
    Organization,
    Template,
    /// A row a repository could not find where the use case did not say what it was.
    Record,
}

impl Resource {
    /// "Lead não encontrado", "Cadência não encontrada": the adjective agrees with
    /// the noun.
    pub fn not_found(self) -> &'static str {
        match self {
            Resource::Cadence => "Cadência não encontrada",
            Resource::Enrollment => "Inscrição não encontrada",
            Resource::Import => "Importação não encontrada",
            Resource::Invitation => "Convite pendente não encontrado",
            Resource::Lead => "Lead não encontrado",
            Resource::Mailbox => "Caixa de e-mail não encontrada",
            Resource::Member => "Membro não encontrado",
            Resource::OneOffEmail => "E-mail avulso não encontrado",
            Resource::Organization => "Organização não encontrada",
            Resource::Template => "Modelo não encontrado",
            Resource::Record => "Recurso não encontrado",
        }
    }
}

impl AppError {
    pub fn not_found(resource: Resource) -> Self {
        AppError::NotFound(resource)
    }

    pub fn field(field: &str, reason: impl Into<String>) -> Self {
        AppError::Validation {
            message: "Dados inválidos".into(),
            fields: vec![FieldIssue {
                field: field.into(),
                reason: reason.into(),
            }],
        }
    }

    pub fn conflict_on(field: &str, reason: impl Into<String>) -> Self {
        let reason = reason.into();
        AppError::Conflict {
            message: reason.clone(),
            fields: vec![FieldIssue {
                field: field.into(),
                reason,
            }],
        }
    }
}

impl From<RepoError> for AppError {
    fn from(e: RepoError) -> Self {
        match e {
            RepoError::NotFound => AppError::NotFound(Resource::Record),
            RepoError::Conflict { constraint } => {
                // Constraint names are internal: log them, answer generically.
                tracing::info!(constraint, "unmapped unique violation");
                AppError::Conflict {
                    message: "Conflito com um registro existente".into(),
                    fields: vec![],
                }
            }
            RepoError::Db(e) => AppError::Internal(anyhow::Error::new(e)),
        }
    }
}

impl From<sqlx::Error> for AppError {
    fn from(e: sqlx::Error) -> Self {
        RepoError::from(e).into()
    }
}

impl From<PermissionDenied> for AppError {
    fn from(e: PermissionDenied) -> Self {
        AppError::Forbidden(format!(
            "Seu papel ({}) não tem a permissão {}",
            e.role.as_str(),
            e.permission
        ))
    }
}

impl From<tokio::task::JoinError> for AppError {
    fn from(e: tokio::task::JoinError) -> Self {
        AppError::Internal(anyhow::anyhow!("blocking task failed: {e}"))
    }
}

pub type AppResult<T> = Result<T, AppError>;

/// Collects every invalid field of a request, so the client learns all of them at once.
#[derive(Default)]
pub struct FieldErrors(Vec<FieldIssue>);

impl FieldErrors {
    pub fn check<T>(&mut self, result: AppResult<T>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(AppError::Validation { fields, .. }) => {
                self.0.extend(fields);
                None
            }
            Err(other) => {
                self.0.push(FieldIssue {
                    field: "body".into(),
                    reason: other.to_string(),
                });
                None
            }
        }
    }

    pub fn into_error(self) -> AppError {
        AppError::Validation {
            message: "Dados inválidos".into(),
            fields: self.0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unmapped_conflicts_do_not_reveal_constraint_names() {
        let e: AppError = RepoError::Conflict {
            constraint: "users_email_key".into(),
        }
        .into();
        let AppError::Conflict { message, .. } = e else {
            panic!("a unique violation is a conflict");
        };
        assert!(!message.contains("users_email_key"));
    }
}
