//! Authentication plumbing: access tokens, refresh-token cookies and sessions.

pub mod cookies;
pub mod memberships;
pub mod session;
