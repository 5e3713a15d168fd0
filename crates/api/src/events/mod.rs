//! Live events for the SPA over Server-Sent Events, fanned out through PostgreSQL
//! LISTEN/NOTIFY so any number of server processes serve consistent streams.

pub mod hub;
pub mod stream;

pub use hub::EventHub;
