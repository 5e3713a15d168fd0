//! The vocabularies of leads and their imports.

// The leads table stores these two as text (with a CHECK), which its search index
// needs: they are read and bound as text.
vocabulary! {
    /// Where the lead is in the sales process.
    pub enum LeadStatus in "text" {
        New = "new",
        Contacted = "contacted",
        Qualified = "qualified",
        Unqualified = "unqualified",
    }
}

vocabulary! {
    /// pending → enriching → enriched | enrichment_failed | not_found.
    pub enum EnrichmentStatus in "text" {
        Pending = "pending",
        Enriching = "enriching",
        Enriched = "enriched",
        EnrichmentFailed = "enrichment_failed",
        NotFound = "not_found",
    }
}

vocabulary! {
    /// How one call to an enrichment provider went.
    pub enum EnrichmentOutcome in "enrichment_outcome" {
        Success = "success",
        NotFound = "not_found",
        RateLimited = "rate_limited",
        Failed = "failed",
    }
}

vocabulary! {
    /// queued → processing → completed | failed.
    pub enum ImportStatus in "import_status" {
        Queued = "queued",
        Processing = "processing",
        Completed = "completed",
        Failed = "failed",
    }
}

impl ImportStatus {
    /// No further change will come.
    pub fn is_final(self) -> bool {
        matches!(self, Self::Completed | Self::Failed)
    }
}
