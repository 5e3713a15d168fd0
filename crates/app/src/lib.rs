//! What Flux does, free of HTTP: the use cases. Each takes the database handle (or
//! the tenant transaction) and the typed ports it needs — clock, message channels,
//! the AI provider, enrichment providers, tracking links — and answers in
//! [`AppError`]. The HTTP adapter (`flux-api`) and the job and engine adapter
//! (`flux-workers`) both call in here; neither knows the other.

pub mod access;
pub mod accounts;
pub mod ai;
pub mod ai_messages;
pub mod audit;
pub mod cadences;
pub mod channel;
pub mod client;
pub mod clock;
pub mod convert;
pub mod csv_export;
pub mod enrichment;
pub mod enrollments;
pub mod error;
pub mod lead_export;
pub mod lead_imports;
pub mod leads;
pub mod mail_servers;
pub mod mailboxes;
pub mod one_off_emails;
pub mod passwords;
pub mod ports;
pub mod rate_limit;
pub mod sending;
pub mod sessions;
pub mod team;
pub mod templates;
pub mod tracking;

pub use client::ClientInfo;
pub use error::{AppError, AppResult, ExternalFailure, Resource};
pub use ports::Ports;
