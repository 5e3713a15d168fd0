//! Reusable view pieces.

pub mod feedback;
pub mod field;
pub mod layout;
pub mod pager;
