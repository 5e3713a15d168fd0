//! Route registration. Each module owns one resource; `configure` mounts them all so
//! the server and the OpenAPI generator share exactly the same surface.

pub mod auth;
pub mod events;
pub mod invitations;
pub mod lead_imports;
pub mod lead_query;
pub mod leads;
pub mod me;
pub mod members;
pub mod ops;

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
            .configure(events::configure),
    );
}

/// Parses a UUID path segment, naming the parameter when it is malformed.
pub(crate) fn parse_uuid(name: &str, raw: &str) -> Result<uuid::Uuid, ApiError> {
    uuid::Uuid::parse_str(raw)
        .map_err(|_| ApiError::field(name, format!("{raw:?} não é um UUID válido")))
}

/// `page` (1-based, default 1) and `per_page` (1–200, default 50) of a list endpoint.
#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct Paging {
    /// 1-based page number (default 1).
    #[param(minimum = 1)]
    page: Option<i64>,
    /// Items per page, 1–200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    per_page: Option<i64>,
}

impl Paging {
    pub(crate) const MAX_PER_PAGE: i64 = 200;

    /// `(page, per_page)`, or 422 naming the parameter out of range.
    pub(crate) fn validate(&self) -> Result<(i64, i64), ApiError> {
        let page = self.page.unwrap_or(1);
        let per_page = self.per_page.unwrap_or(50);
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
