//! Route registration. Each module owns one resource; `configure` mounts them all so
//! the server and the OpenAPI generator share exactly the same surface.

pub mod ai;
pub mod auth;
pub mod cadences;
pub mod enrollments;
pub mod events;
pub mod invitations;
pub mod lead_imports;
pub mod lead_query;
pub mod leads;
pub mod mailboxes;
pub mod me;
pub mod members;
pub mod one_off_emails;
pub mod ops;
pub mod sending;
pub mod templates;
pub mod tracking;

use utoipa_actix_web::{scope, service_config::ServiceConfig};

use crate::error::ApiError;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.configure(ops::configure).service(
        scope::scope("/api/v1")
            .configure(auth::configure)
            .configure(me::configure)
            .configure(members::configure)
            .configure(invitations::configure)
            .configure(lead_imports::configure)
            .configure(leads::configure)
            .configure(one_off_emails::configure)
            .configure(templates::configure)
            .configure(cadences::configure)
            .configure(enrollments::configure)
            .configure(sending::configure)
            .configure(mailboxes::configure)
            .configure(tracking::configure)
            .configure(ai::configure)
            .configure(events::configure),
    );
}

/// Parses a UUID path segment, naming the parameter when it is malformed.
pub(crate) fn parse_uuid(name: &str, raw: &str) -> Result<uuid::Uuid, ApiError> {
    uuid::Uuid::parse_str(raw)
        .map_err(|_| ApiError::field(name, format!("{raw:?} não é um UUID válido")))
}

/// A free-text search parameter: `None` when blank; 422 naming it when it holds NUL
/// (which PostgreSQL text cannot).
pub(crate) fn search_text(name: &str, raw: Option<String>) -> Result<Option<String>, ApiError> {
    match raw {
        Some(q) if q.contains('\0') => Err(ApiError::field(name, "contém um caractere nulo")),
        Some(q) if !q.trim().is_empty() => Ok(Some(q)),
        _ => Ok(None),
    }
}

/// `page` (1-based, default 1) and `per_page` (1–200, default 50) of a list endpoint.
#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct Paging {
    // Read as text so a malformed value is a 422 naming the parameter.
    /// 1-based page number (default 1).
    #[param(value_type = Option<i64>, minimum = 1)]
    page: Option<String>,
    /// Items per page, 1–200 (default 50).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 200)]
    per_page: Option<String>,
}

/// An optional query parameter parsed as `T`, or 422 naming it.
pub(crate) fn query_param<T: std::str::FromStr>(
    name: &str,
    raw: &Option<String>,
    expected: &str,
) -> Result<Option<T>, ApiError> {
    // `?from=` is a malformed value, not an absent one (as with `page`).
    match raw.as_deref().map(str::trim) {
        None => Ok(None),
        Some("") => Err(ApiError::field(
            name,
            format!("vazio; informe {expected} ou omita o parâmetro"),
        )),
        Some(value) => value
            .parse()
            .map(Some)
            .map_err(|_| ApiError::field(name, format!("{value:?} não é {expected}"))),
    }
}

impl Paging {
    pub(crate) const MAX_PER_PAGE: i64 = 200;

    /// `(page, per_page)`, or 422 naming the parameter out of range.
    pub(crate) fn validate(&self) -> Result<(i64, i64), ApiError> {
        // `?page=` is a malformed number, not an absent one.
        for (name, raw) in [("page", &self.page), ("per_page", &self.per_page)] {
            if raw.as_deref().is_some_and(|r| r.trim().is_empty()) {
                return Err(ApiError::field(name, "informe um número"));
            }
        }
        let page = query_param::<i64>("page", &self.page, "um número")?.unwrap_or(1);
        let per_page = query_param::<i64>("per_page", &self.per_page, "um número")?.unwrap_or(50);
        if !(1..=1_000_000).contains(&page) {
            return Err(ApiError::field(
                "page",
                "deve ser um número entre 1 e 1000000",
            ));
        }
        if !(1..=Self::MAX_PER_PAGE).contains(&per_page) {
            return Err(ApiError::field(
                "per_page",
                "deve ser um número entre 1 e 200",
            ));
        }
        Ok((page, per_page))
    }
}
