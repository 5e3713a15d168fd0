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

pub(crate) use flux_dto::query::{Page, Paging};

/// An optional query parameter parsed as `T`, or 422 naming it.
pub(crate) fn query_param<T: std::str::FromStr>(
    name: &str,
    raw: &Option<String>,
    expected: &str,
) -> Result<Option<T>, ApiError> {
    Ok(flux_dto::query::parse_param(name, raw, expected)?)
}
