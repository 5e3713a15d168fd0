//! Repository errors: constraint violations are named so the use cases can map them.

#[derive(Debug, thiserror::Error)]
pub enum RepoError {
    /// A repository function that documents "this may not exist" did not find it.
    /// Never produced by a query that was expected to return a row: that one failing
    /// is a bug, reported as [`RepoError::Db`].
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_row_the_query_expected_is_a_database_error_not_a_not_found() {
        assert!(matches!(
            RepoError::from(sqlx::Error::RowNotFound),
            RepoError::Db(sqlx::Error::RowNotFound)
        ));
    }
}
