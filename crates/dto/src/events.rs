//! Kinds of the live events of `GET /api/v1/events`, shared by the code that
//! publishes them and the SPA that listens (an `EventSource` needs every name).

pub const IMPORT_CREATED: &str = "import.created";
pub const IMPORT_PROGRESS: &str = "import.progress";
pub const IMPORT_COMPLETED: &str = "import.completed";
pub const IMPORT_FAILED: &str = "import.failed";
pub const LEAD_CREATED: &str = "lead.created";
pub const LEAD_UPDATED: &str = "lead.updated";
pub const LEAD_DELETED: &str = "lead.deleted";
pub const LEAD_ENRICHMENT_STARTED: &str = "lead.enrichment_started";
pub const LEAD_ENRICHED: &str = "lead.enriched";
pub const LEAD_NOT_FOUND: &str = "lead.not_found";
pub const LEAD_ENRICHMENT_FAILED: &str = "lead.enrichment_failed";
pub const LEADS_ARCHIVED: &str = "leads.archived";
pub const LEADS_UNARCHIVED: &str = "leads.unarchived";
pub const LEADS_ASSIGNED: &str = "leads.assigned";

pub const ALL: [&str; 14] = [
    IMPORT_CREATED,
    IMPORT_PROGRESS,
    IMPORT_COMPLETED,
    IMPORT_FAILED,
    LEAD_CREATED,
    LEAD_UPDATED,
    LEAD_DELETED,
    LEAD_ENRICHMENT_STARTED,
    LEAD_ENRICHED,
    LEAD_NOT_FOUND,
    LEAD_ENRICHMENT_FAILED,
    LEADS_ARCHIVED,
    LEADS_UNARCHIVED,
    LEADS_ASSIGNED,
];

/// A short-lived ticket that opens the event stream from a browser `EventSource`
/// (which cannot send an `Authorization` header).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StreamTicket {
    /// Pass as `?ticket=` to `GET /api/v1/events` within `expires_in` seconds.
    pub ticket: String,
    pub expires_in: i64,
}

/// The query of `GET /api/v1/events`.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct StreamQuery {
    /// A ticket from `POST /api/v1/events/ticket` (instead of the `Authorization` header).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ticket: Option<String>,
    /// Resume after this event id (same as the `Last-Event-ID` header, which wins).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_event_id: Option<i64>,
}
