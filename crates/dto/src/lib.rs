//! Wire types of the Flux REST API, shared by the server and the SPA so both sides stay
//! type-aligned. OpenAPI derives sit behind the `openapi` feature to keep the WASM
//! build free of server dependencies.

pub mod ai;
pub mod auth;
pub mod cadences;
pub mod enrollments;
pub mod error;
pub mod events;
pub mod lead_query;
pub mod leads;
pub mod mailboxes;
pub mod members;
pub mod one_off_emails;
pub mod query;
pub mod rfc3339;
pub mod sending;
pub mod templates;

pub use error::{ErrorBody, ErrorCode, ErrorDetail, ErrorDetails, FieldIssue};

/// Header the SPA sends so the refresh token travels in an httpOnly cookie instead of
/// the JSON body.
pub const SESSION_MODE_HEADER: &str = "x-flux-session";
pub const SESSION_MODE_COOKIE: &str = "cookie";
/// Name of the httpOnly refresh-token cookie.
pub const REFRESH_COOKIE: &str = "flux_refresh";
