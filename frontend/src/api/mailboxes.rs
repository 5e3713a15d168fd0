//! The members' mailboxes (SMTP/IMAP) and their connection test.

use flux_dto::mailboxes::{
    CreateMailbox, MailboxDto, MailboxList, MailboxTestResult, UpdateMailbox,
};
use uuid::Uuid;

use super::{delete, get, patch, path::v1, post, ApiError};

pub async fn list() -> Result<MailboxList, ApiError> {
    get(&v1("/mailboxes")).await
}

pub async fn create(body: &CreateMailbox) -> Result<MailboxDto, ApiError> {
    post(&v1("/mailboxes"), body).await
}

pub async fn update(id: Uuid, body: &UpdateMailbox) -> Result<MailboxDto, ApiError> {
    patch(&v1(&format!("/mailboxes/{id}")), body).await
}

pub async fn remove(id: Uuid) -> Result<(), ApiError> {
    delete(&v1(&format!("/mailboxes/{id}"))).await
}

/// Connects to the mailbox's servers now and reports what happened.
pub async fn test(id: Uuid) -> Result<MailboxTestResult, ApiError> {
    post(&v1(&format!("/mailboxes/{id}/test")), &super::Empty {}).await
}
