//! Clients for outside services, each behind a trait the rest of Flux uses.

pub mod enrichment;
pub mod mail;
pub mod smtp;
