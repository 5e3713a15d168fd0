//! CSV imports of leads: preview, start, follow, and their rejected rows.

use flux_dto::{
    leads::{ImportErrorList, ImportPreview, LeadImportDto},
    query::Page,
};
use uuid::Uuid;

use super::{
    download, get,
    path::{query, v1, v1_with},
    upload, ApiError,
};

/// What the file holds and how its columns would be read, without importing.
pub async fn preview(file: &web_sys::File) -> Result<ImportPreview, ApiError> {
    upload(&v1("/lead-imports/preview"), file).await
}

pub async fn start(file: &web_sys::File) -> Result<LeadImportDto, ApiError> {
    upload(&v1("/lead-imports"), file).await
}

pub async fn get_one(id: Uuid) -> Result<LeadImportDto, ApiError> {
    get(&v1(&format!("/lead-imports/{id}"))).await
}

pub async fn errors(id: Uuid, page: Page) -> Result<ImportErrorList, ApiError> {
    get(&v1_with(
        &format!("/lead-imports/{id}/errors"),
        &[query(&page.params())],
    ))
    .await
}

/// Downloads every rejected row as `erros-importacao.csv`.
pub async fn download_errors(id: Uuid) -> Result<(), ApiError> {
    download(
        &v1(&format!("/lead-imports/{id}/errors.csv")),
        "erros-importacao.csv",
    )
    .await
}
