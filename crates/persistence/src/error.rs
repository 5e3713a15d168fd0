//! Repository errors: constraint violations are named so the HTTP edge can map them.

#[derive(Debug, thiserror::Error)]
pub enum RepoError {
    #[error("not found")]
    NotFound,
    #[error("conflict on constraint {constraint}")]
    Conflict { constraint: String },
    #[error("database error: {0}")]
    Db(#[source] sqlx::Error),
}

impl From<sqlx::Error> for RepoError {
    fn from(e: sqlx::Error) -> Self {
        match &e {
            sqlx::Error::RowNotFound => RepoError::NotFound,
            sqlx::Error::Database(db) if db.is_unique_violation() => RepoError::Conflict {
                constraint: db.constraint().unwrap_or_default().to_owned(),
            },
            _ => RepoError::Db(e),
        }
    }
}

impl RepoError {
    pub fn is_conflict_on(&self, name: &str) -> bool {
        matches!(self, RepoError::Conflict { constraint } if constraint == name)
    }
}

pub type RepoResult<T> = Result<T, RepoError>;
