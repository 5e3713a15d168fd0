//! The organization's settings.

use flux_dto::sending::{SendingSettings, UpdateSendingSettings};

use super::{get, patch, path::v1, ApiError};

pub async fn sending() -> Result<SendingSettings, ApiError> {
    get(&v1("/organization/sending")).await
}

pub async fn update_sending(body: &UpdateSendingSettings) -> Result<SendingSettings, ApiError> {
    patch(&v1("/organization/sending"), body).await
}
