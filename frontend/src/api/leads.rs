//! Leads: the list and its export, one lead, bulk actions, enrichment and timeline.

use flux_dto::{
    enrollments::LeadTimeline,
    lead_query::LeadQuery,
    leads::{
        BulkAssignRequest, BulkLeadIds, BulkResult, CreateLeadRequest, EnrichmentAttemptList,
        LeadDto, LeadList, UpdateLeadRequest,
    },
    query::Page,
};
use uuid::Uuid;

use super::{
    delete, download, get, patch,
    path::{query, v1, v1_with},
    post, ApiError,
};

pub async fn list(filter: &LeadQuery, page: Page) -> Result<LeadList, ApiError> {
    get(&v1_with(
        "/leads",
        &[query(&filter.params()), query(&page.params())],
    ))
    .await
}

/// Downloads the leads `filter` selects as `leads.csv`.
pub async fn export(filter: &LeadQuery) -> Result<(), ApiError> {
    download(
        &v1_with("/leads/export", &[query(&filter.params())]),
        "leads.csv",
    )
    .await
}

pub async fn get_one(id: Uuid) -> Result<LeadDto, ApiError> {
    get(&v1(&format!("/leads/{id}"))).await
}

pub async fn create(body: &CreateLeadRequest) -> Result<LeadDto, ApiError> {
    post(&v1("/leads"), body).await
}

pub async fn update(id: Uuid, body: &UpdateLeadRequest) -> Result<LeadDto, ApiError> {
    patch(&v1(&format!("/leads/{id}")), body).await
}

pub async fn remove(id: Uuid) -> Result<(), ApiError> {
    delete(&v1(&format!("/leads/{id}"))).await
}

pub async fn archive(lead_ids: Vec<Uuid>) -> Result<BulkResult, ApiError> {
    post(&v1("/leads/archive"), &BulkLeadIds { lead_ids }).await
}

pub async fn unarchive(lead_ids: Vec<Uuid>) -> Result<BulkResult, ApiError> {
    post(&v1("/leads/unarchive"), &BulkLeadIds { lead_ids }).await
}

pub async fn assign(body: &BulkAssignRequest) -> Result<BulkResult, ApiError> {
    post(&v1("/leads/assign"), body).await
}

/// Enriches the lead now (again).
pub async fn enrich(id: Uuid) -> Result<LeadDto, ApiError> {
    post(&v1(&format!("/leads/{id}/enrich")), &super::Empty {}).await
}

pub async fn enrichment_attempts(id: Uuid) -> Result<EnrichmentAttemptList, ApiError> {
    get(&v1(&format!("/leads/{id}/enrichment-attempts"))).await
}

pub async fn timeline(id: Uuid, page: Page) -> Result<LeadTimeline, ApiError> {
    get(&v1_with(
        &format!("/leads/{id}/timeline"),
        &[query(&page.params())],
    ))
    .await
}
