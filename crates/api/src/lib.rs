//! The Flux HTTP application (actix-web): routes under `/api/v1`, the OpenAPI document
//! at `/api/openapi.json` with docs at `/api/docs/`, operations endpoints and the SPA.

pub mod auth;
pub mod convert;
pub mod csp;
pub mod csv_export;
pub mod error;
pub mod events;
pub mod extract;
pub mod idempotency;
pub mod method_not_allowed;
pub mod metrics;
pub mod openapi;
pub mod request_id;
pub mod routes;
pub mod spa;
pub mod startup;
pub mod state;

pub use startup::Application;
