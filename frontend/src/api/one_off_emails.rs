//! One-off e-mails to a lead (outside cadences).

use flux_dto::{
    enrollments::ResolveReviewRequest,
    one_off_emails::{OneOffEmail, OneOffEmailList, SendOneOffEmailRequest},
    query::Page,
};
use uuid::Uuid;

use super::{
    get,
    path::{query, v1, v1_with},
    post, post_once, ApiError,
};

pub async fn list(lead_id: Uuid, page: Page) -> Result<OneOffEmailList, ApiError> {
    get(&v1_with(
        &format!("/leads/{lead_id}/emails"),
        &[query(&page.params())],
    ))
    .await
}

pub async fn get_one(lead_id: Uuid, id: Uuid) -> Result<OneOffEmail, ApiError> {
    get(&v1(&format!("/leads/{lead_id}/emails/{id}"))).await
}

/// Sends once per `idempotency_key`: a retry with the same key answers the same e-mail.
pub async fn send(
    lead_id: Uuid,
    body: &SendOneOffEmailRequest,
    idempotency_key: &str,
) -> Result<OneOffEmail, ApiError> {
    post_once(
        &v1(&format!("/leads/{lead_id}/emails")),
        body,
        idempotency_key,
    )
    .await
}

pub async fn settle_review(
    lead_id: Uuid,
    id: Uuid,
    body: &ResolveReviewRequest,
) -> Result<OneOffEmail, ApiError> {
    post(&v1(&format!("/leads/{lead_id}/emails/{id}/review")), body).await
}
