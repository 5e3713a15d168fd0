//! Data access for Flux. Two doors into the database:
//! - [`Db::begin_tenant`] opens a [`TenantTx`]: the transaction runs as the non-owner
//!   role `flux_app` with `app.org_id` set, so row-level security confines every
//!   statement to one organization. Tenant repositories accept only `&mut TenantTx`.
//! - [`Db::begin_system`] opens a plain transaction for work that precedes a tenant
//!   (sign-up, login, token checks). Only the `system` functions of each module take it.

pub mod ai_usage;
pub mod audit;
pub mod cadences;
pub mod db;
pub mod engine;
pub mod enrollments;
pub mod error;
pub mod events;
pub mod idempotency;
pub mod inbound;
pub mod interactions;
pub mod invitations;
pub mod jobs;
pub mod lead_imports;
pub mod lead_search;
pub mod leads;
mod like;
pub mod mailboxes;
pub mod members;
pub mod one_off_emails;
pub mod organizations;
pub mod system_mail;
pub mod template_facts;
pub mod templates;
pub mod tokens;
pub mod tracking;
pub mod users;

pub use db::{tenant_setup, Db, Plans, SystemTx, TenantDb, TenantTx, MIGRATOR};
pub use error::RepoError;
