//! Who is calling from where, as the audit log and rate limits record it.

#[derive(Debug, Clone, Default)]
pub struct ClientInfo {
    /// The client's address as the HTTP adapter resolved it.
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub request_id: Option<String>,
}
