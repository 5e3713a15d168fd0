//! Clients for outside services, each behind a trait the rest of Flux uses.

pub mod ai;
pub mod enrichment;
pub mod imap;
pub mod inbound;
pub mod mail;
pub mod mail_server;
pub mod smtp;
