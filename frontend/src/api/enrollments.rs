//! Enrollments of leads in a cadence and what can be done to each.

use flux_dto::{
    enrollments::{
        EnrollRequest, EnrollResult, EnrollmentDto, EnrollmentList, EnrollmentQuery,
        ResolveReviewRequest,
    },
    query::Page,
};
use uuid::Uuid;

use super::{
    delete, get,
    path::{query, v1, v1_with},
    post, ApiError,
};

pub async fn list(
    cadence_id: Uuid,
    filter: &EnrollmentQuery,
    page: Page,
) -> Result<EnrollmentList, ApiError> {
    get(&v1_with(
        &format!("/cadences/{cadence_id}/enrollments"),
        &[query(filter), query(&page.params())],
    ))
    .await
}

pub async fn enroll(cadence_id: Uuid, body: &EnrollRequest) -> Result<EnrollResult, ApiError> {
    post(&v1(&format!("/cadences/{cadence_id}/enrollments")), body).await
}

fn path(cadence_id: Uuid, id: Uuid, action: &str) -> String {
    v1(&format!("/cadences/{cadence_id}/enrollments/{id}{action}"))
}

pub async fn pause(cadence_id: Uuid, id: Uuid) -> Result<EnrollmentDto, ApiError> {
    post(&path(cadence_id, id, "/pause"), &super::Empty {}).await
}

pub async fn resume(cadence_id: Uuid, id: Uuid) -> Result<EnrollmentDto, ApiError> {
    post(&path(cadence_id, id, "/resume"), &super::Empty {}).await
}

/// Settles a send held for review (send it, or skip the step).
pub async fn settle_review(
    cadence_id: Uuid,
    id: Uuid,
    body: &ResolveReviewRequest,
) -> Result<EnrollmentDto, ApiError> {
    post(&path(cadence_id, id, "/review"), body).await
}

/// Takes the lead out of the cadence.
pub async fn unenroll(cadence_id: Uuid, id: Uuid) -> Result<(), ApiError> {
    delete(&path(cadence_id, id, "")).await
}
