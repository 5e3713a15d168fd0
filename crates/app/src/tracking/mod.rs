//! Opens, clicks and unsubscribes: the signed links in outgoing e-mail and what
//! following one records.

pub mod events;
pub mod links;

pub use links::{links, TrackingLinks};
