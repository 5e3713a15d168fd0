//! HTTP integration tests: a real server on a random port, a fresh database per test.

#![allow(clippy::unwrap_used, clippy::expect_used, unreachable_pub)]

mod ai;
mod ai_limits;
mod auth;
mod auth_limits;
mod auth_recovery;
mod cadence_changes;
mod cadences;
mod enrich_now;
mod enrichment;
mod enrollment_lifecycle;
mod enrollments;
mod errors;
mod events;
mod helpers;
mod idempotency;
mod invitations;
mod lead_export;
mod lead_imports;
mod lead_search;
mod leads;
mod mailboxes;
mod members;
mod one_off_emails;
mod ops;
mod sending;
mod spa;
mod templates;
mod tenancy;
mod tracking;
