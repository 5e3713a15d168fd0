//! Message templates, their variables and previews.

use flux_dto::{
    query::Page,
    templates::{
        CreateTemplateRequest, DuplicateTemplateRequest, PreviewTemplateRequest, TemplateDto,
        TemplateList, TemplatePreview, TemplateQuery, TemplateVariableList, UpdateTemplateRequest,
    },
};
use uuid::Uuid;

use super::{
    delete, get, patch,
    path::{query, v1, v1_with},
    post, ApiError,
};

pub async fn list(filter: &TemplateQuery, page: Page) -> Result<TemplateList, ApiError> {
    get(&v1_with(
        "/templates",
        &[query(filter), query(&page.params())],
    ))
    .await
}

pub async fn get_one(id: Uuid) -> Result<TemplateDto, ApiError> {
    get(&v1(&format!("/templates/{id}"))).await
}

pub async fn create(body: &CreateTemplateRequest) -> Result<TemplateDto, ApiError> {
    post(&v1("/templates"), body).await
}

pub async fn update(id: Uuid, body: &UpdateTemplateRequest) -> Result<TemplateDto, ApiError> {
    patch(&v1(&format!("/templates/{id}")), body).await
}

pub async fn remove(id: Uuid) -> Result<(), ApiError> {
    delete(&v1(&format!("/templates/{id}"))).await
}

pub async fn duplicate(id: Uuid, body: &DuplicateTemplateRequest) -> Result<TemplateDto, ApiError> {
    post(&v1(&format!("/templates/{id}/duplicate")), body).await
}

pub async fn variables() -> Result<TemplateVariableList, ApiError> {
    get(&v1("/templates/variables")).await
}

/// Renders an unsaved text against a lead.
pub async fn preview(body: &PreviewTemplateRequest) -> Result<TemplatePreview, ApiError> {
    post(&v1("/templates/preview"), body).await
}
