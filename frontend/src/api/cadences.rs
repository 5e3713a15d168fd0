//! Cadences: the list, one cadence, its lifecycle and its funnel.

use flux_dto::{
    cadences::{CadenceDto, CadenceList, CadenceQuery, CreateCadenceRequest, UpdateCadenceRequest},
    enrollments::CadenceFunnel,
    query::Page,
};
use uuid::Uuid;

use super::{
    delete, get, patch,
    path::{query, v1, v1_with},
    post, ApiError,
};

/// A change of a cadence's lifecycle (`POST /cadences/{id}/{action}`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lifecycle {
    Activate,
    Pause,
    Resume,
    Archive,
}

impl Lifecycle {
    fn path(self) -> &'static str {
        match self {
            Lifecycle::Activate => "activate",
            Lifecycle::Pause => "pause",
            Lifecycle::Resume => "resume",
            Lifecycle::Archive => "archive",
        }
    }
}

pub async fn list(filter: &CadenceQuery, page: Page) -> Result<CadenceList, ApiError> {
    get(&v1_with(
        "/cadences",
        &[query(filter), query(&page.params())],
    ))
    .await
}

pub async fn get_one(id: Uuid) -> Result<CadenceDto, ApiError> {
    get(&v1(&format!("/cadences/{id}"))).await
}

pub async fn create(body: &CreateCadenceRequest) -> Result<CadenceDto, ApiError> {
    post(&v1("/cadences"), body).await
}

pub async fn update(id: Uuid, body: &UpdateCadenceRequest) -> Result<CadenceDto, ApiError> {
    patch(&v1(&format!("/cadences/{id}")), body).await
}

pub async fn remove(id: Uuid) -> Result<(), ApiError> {
    delete(&v1(&format!("/cadences/{id}"))).await
}

pub async fn change(id: Uuid, to: Lifecycle) -> Result<CadenceDto, ApiError> {
    post(
        &v1(&format!("/cadences/{id}/{}", to.path())),
        &super::Empty {},
    )
    .await
}

pub async fn funnel(id: Uuid) -> Result<CadenceFunnel, ApiError> {
    get(&v1(&format!("/cadences/{id}/funnel"))).await
}
