//! Route registration. Each module owns one resource; `configure` mounts them all so
//! the server and the OpenAPI generator share exactly the same surface.

pub mod auth;
pub mod invitations;
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
            .configure(invitations::configure),
    );
}

/// Parses a UUID path segment, naming the parameter when it is malformed.
pub(crate) fn parse_uuid(name: &str, raw: &str) -> Result<uuid::Uuid, ApiError> {
    uuid::Uuid::parse_str(raw)
        .map_err(|_| ApiError::field(name, format!("{raw:?} não é um UUID válido")))
}
