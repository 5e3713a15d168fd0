//! Request extractors: authentication, client metadata and validated JSON.

pub mod auth;
pub mod client;
pub mod forwarded;
pub mod json;
pub mod upload;

pub use auth::Authenticated;
pub use client::Client;
pub use json::ValidJson;
pub use upload::CsvUpload;
