//! The organization's members and invitations.

use flux_dto::{
    auth::AuthResponse,
    members::{
        AcceptInvitationRequest, CreateInvitationRequest, InvitationDto, InvitationList,
        InvitationPreview, InvitationTokenRequest, MemberDto, MemberList, UpdateMemberRequest,
    },
};
use uuid::Uuid;

use super::{delete, get, patch, path::v1, post, ApiError};

pub async fn list() -> Result<MemberList, ApiError> {
    get(&v1("/members")).await
}

pub async fn update(id: Uuid, body: &UpdateMemberRequest) -> Result<MemberDto, ApiError> {
    patch(&v1(&format!("/members/{id}")), body).await
}

pub async fn invitations() -> Result<InvitationList, ApiError> {
    get(&v1("/invitations")).await
}

pub async fn invite(body: &CreateInvitationRequest) -> Result<InvitationDto, ApiError> {
    post(&v1("/invitations"), body).await
}

pub async fn revoke_invitation(id: Uuid) -> Result<(), ApiError> {
    delete(&v1(&format!("/invitations/{id}"))).await
}

pub async fn preview_invitation(token: String) -> Result<InvitationPreview, ApiError> {
    post(
        &v1("/invitations/preview"),
        &InvitationTokenRequest { token },
    )
    .await
}

pub async fn accept_invitation(body: &AcceptInvitationRequest) -> Result<AuthResponse, ApiError> {
    post(&v1("/invitations/accept"), body).await
}
