//! Sign-up, sign-in, the session and password resets.

use flux_dto::auth::{
    Accepted, AuthResponse, LoginRequest, MeResponse, PasswordResetConfirm, PasswordResetRequest,
    SignupRequest, SwitchOrgRequest,
};

use super::{get, path::v1, post, set_access_token, ApiError};

pub async fn signup(body: &SignupRequest) -> Result<AuthResponse, ApiError> {
    post(&v1("/auth/signup"), body).await
}

/// Signs in. The request and the decoder of its answer live in a module of their own,
/// fetched when the login form is sent: the login page is a signed-out visitor's first
/// load, and everything it can leave out makes that load smaller.
#[leptos::lazy]
pub async fn login(body: LoginRequest) -> Result<AuthResponse, ApiError> {
    post(&v1("/auth/login"), &body).await
}

pub async fn switch_org(body: &SwitchOrgRequest) -> Result<AuthResponse, ApiError> {
    post(&v1("/auth/switch-org"), body).await
}

pub async fn request_password_reset(body: &PasswordResetRequest) -> Result<Accepted, ApiError> {
    post(&v1("/auth/password-reset"), body).await
}

pub async fn confirm_password_reset(body: &PasswordResetConfirm) -> Result<(), ApiError> {
    post(&v1("/auth/password-reset/confirm"), body).await
}

pub async fn me() -> Result<MeResponse, ApiError> {
    get(&v1("/me")).await
}

/// `/me` with its decoder (member, organization, plan, dates) in a module of its own,
/// fetched once someone signs in: a signed-out visitor's first load goes without it.
#[leptos::lazy]
async fn load_me() -> Result<MeResponse, ApiError> {
    me().await
}

/// Restores a session from the refresh cookie (page reload) and loads `/me`.
pub async fn restore_session() -> Option<MeResponse> {
    if !super::refresh_once().await {
        return None;
    }
    load_me().await.ok()
}

/// Stores the access token of a fresh sign-in and loads `/me`.
pub async fn start_session(auth: AuthResponse) -> Result<MeResponse, ApiError> {
    set_access_token(Some(auth.tokens.access_token));
    load_me().await
}

/// Ends the session on the server (best effort) and forgets the access token.
pub async fn logout() {
    let _ = post::<(), _>(&v1("/auth/logout"), &super::Empty {}).await;
    set_access_token(None);
}
