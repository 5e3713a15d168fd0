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
