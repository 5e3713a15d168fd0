//! `/api/v1/auth/*`: sign-up, login, token refresh, logout, org switch, password reset.

use actix_web::{http::StatusCode, post, web, HttpRequest, HttpResponse};
use flux_dto::{
    auth::{
        Accepted, AuthResponse, AuthTokens, LoginRequest, PasswordResetConfirm,
        PasswordResetRequest, RefreshRequest, SignupRequest, SwitchOrgRequest,
    },
    ErrorBody,
};
use utoipa_actix_web::service_config::ServiceConfig;

use flux_app::accounts::{self, SessionOutcome, SignupInput};

use crate::{
    auth::{cookies, session},
    convert,
    error::{ApiError, ApiResult},
    extract::{Authenticated, Client, ValidJson},
    state::AppState,
};

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(signup)
        .service(login)
        .service(refresh)
        .service(logout)
        .service(switch_org)
        .service(request_password_reset)
        .service(confirm_password_reset);
}

pub(crate) fn session_response(
    req: &HttpRequest,
    state: &AppState,
    status: StatusCode,
    outcome: SessionOutcome,
) -> HttpResponse {
    let body = AuthResponse {
        user: convert::user(&outcome.user),
        organization: convert::organization(&outcome.organization),
        role: outcome.role,
        tokens: outcome.session.tokens(cookies::wants_cookie(req)),
    };
    session::respond(req, &state.settings, status, &outcome.session, &body)
}

/// Create an account and its organization.
///
/// Creates the user, an organization named after the e-mail domain (unique slug), a
/// manager membership and a Starter subscription in trial, and signs in.
/// Send `X-Flux-Session: cookie` to receive the refresh token as an httpOnly cookie.
#[utoipa::path(
    tag = "auth",
    request_body = SignupRequest,
    params(("X-Flux-Session" = Option<String>, Header, description = "`cookie` to receive the refresh token in an httpOnly cookie")),
    responses(
        (status = 201, description = "Account, organization and session created", body = AuthResponse),
        (status = 409, description = "E-mail already registered", body = ErrorBody),
        (status = 413, description = "Body too large", body = ErrorBody),
        (status = 422, description = "Invalid field (name, email, password)", body = ErrorBody),
        (status = 429, description = "Too many credential requests from this address, or the server is busy hashing passwords (`Retry-After`)", body = ErrorBody),
    )
)]
#[post("/auth/signup")]
async fn signup(
    req: HttpRequest,
    state: web::Data<AppState>,
    client: Client,
    body: ValidJson<SignupRequest>,
) -> ApiResult<HttpResponse> {
    let body = body.0;
    let outcome = accounts::signup(
        &state.db,
        &state.auth,
        SignupInput {
            name: &body.name,
            email: &body.email,
            password: &body.password,
        },
        &client,
    )
    .await?;
    Ok(session_response(&req, &state, StatusCode::CREATED, outcome))
}

/// Sign in with e-mail and password.
///
/// Signs in to the most recently joined organization, or to `org_id`. Attempts are
/// rate-limited per IP and per account (429 with `Retry-After`).
#[utoipa::path(
    tag = "auth",
    request_body = LoginRequest,
    params(("X-Flux-Session" = Option<String>, Header, description = "`cookie` to receive the refresh token in an httpOnly cookie")),
    responses(
        (status = 200, description = "Signed in", body = AuthResponse),
        (status = 401, description = "Wrong e-mail or password", body = ErrorBody),
        (status = 403, description = "No active membership (in `org_id`)", body = ErrorBody),
        (status = 422, description = "Invalid body", body = ErrorBody),
        (status = 429, description = "Too many attempts", body = ErrorBody,
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
    )
)]
#[post("/auth/login")]
async fn login(
    req: HttpRequest,
    state: web::Data<AppState>,
    client: Client,
    body: ValidJson<LoginRequest>,
) -> ApiResult<HttpResponse> {
    let body = body.0;
    let outcome = accounts::login(
        &state.db,
        &state.auth,
        &body.email,
        &body.password,
        body.org_id,
        &client,
    )
    .await?;
    Ok(session_response(&req, &state, StatusCode::OK, outcome))
}

/// Exchange a refresh token for new tokens (rotation).
///
/// The token comes from the body or the `flux_refresh` cookie. Each refresh token
/// works once; presenting a used one revokes every token of that session.
#[utoipa::path(
    tag = "auth",
    request_body = RefreshRequest,
    params(("X-Flux-Session" = Option<String>, Header, description = "`cookie` to receive the new refresh token in an httpOnly cookie")),
    responses(
        (status = 200, description = "New tokens", body = AuthTokens),
        (status = 401, description = "Missing, expired, revoked or reused refresh token", body = ErrorBody),
        (status = 422, description = "Invalid body", body = ErrorBody),
    )
)]
#[post("/auth/refresh")]
async fn refresh(
    req: HttpRequest,
    state: web::Data<AppState>,
    client: Client,
    body: ValidJson<RefreshRequest>,
) -> ApiResult<HttpResponse> {
    let token = cookies::refresh_token_from(&req, body.0.refresh_token)
        .ok_or_else(|| ApiError::Unauthorized("Sessão expirada. Entre novamente.".into()))?;
    let session = accounts::refresh(&state.db, &state.auth, &token, &client).await?;
    let tokens = session.tokens(cookies::wants_cookie(&req));
    Ok(session::respond(
        &req,
        &state.settings,
        StatusCode::OK,
        &session,
        &tokens,
    ))
}

/// Sign out: revoke the refresh token's session and clear the cookie.
#[utoipa::path(
    tag = "auth",
    request_body = RefreshRequest,
    responses(
        (status = 204, description = "Signed out (idempotent)"),
        (status = 422, description = "Invalid body", body = ErrorBody),
    )
)]
#[post("/auth/logout")]
async fn logout(
    req: HttpRequest,
    state: web::Data<AppState>,
    client: Client,
    body: ValidJson<RefreshRequest>,
) -> ApiResult<HttpResponse> {
    if let Some(token) = cookies::refresh_token_from(&req, body.0.refresh_token) {
        accounts::logout(&state.db, &token, &client).await?;
    }
    Ok(HttpResponse::NoContent()
        .cookie(cookies::clear_cookie(state.settings.secure_cookies()))
        .finish())
}

/// Switch the session to another organization of the user.
#[utoipa::path(
    tag = "auth",
    request_body = SwitchOrgRequest,
    security(("bearer_auth" = [])),
    params(("X-Flux-Session" = Option<String>, Header, description = "`cookie` to receive the refresh token in an httpOnly cookie")),
    responses(
        (status = 200, description = "Signed in to the other organization", body = AuthResponse),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Not an active member of that organization", body = ErrorBody),
        (status = 422, description = "Invalid body", body = ErrorBody),
    )
)]
#[post("/auth/switch-org")]
async fn switch_org(
    req: HttpRequest,
    state: web::Data<AppState>,
    auth: Authenticated,
    client: Client,
    body: ValidJson<SwitchOrgRequest>,
) -> ApiResult<HttpResponse> {
    let outcome = accounts::switch_org(
        &state.db,
        &state.auth,
        auth.ctx().user_id().uuid(),
        body.0.org_id,
        &client,
    )
    .await?;
    Ok(session_response(&req, &state, StatusCode::OK, outcome))
}

const RESET_ACK: &str =
    "Se o e-mail estiver cadastrado, enviaremos um link para redefinir a senha.";

/// Request a password-reset e-mail.
///
/// Always answers 202 with the same message, whether or not the account exists.
#[utoipa::path(
    tag = "auth",
    path = "/auth/password-reset",
    request_body = PasswordResetRequest,
    responses(
        (status = 202, description = "Accepted; an e-mail is sent if the account exists", body = Accepted),
        (status = 422, description = "Invalid e-mail", body = ErrorBody),
        (status = 429, description = "Too many requests", body = ErrorBody),
    )
)]
#[post("/auth/password-reset")]
async fn request_password_reset(
    state: web::Data<AppState>,
    client: Client,
    body: ValidJson<PasswordResetRequest>,
) -> ApiResult<HttpResponse> {
    accounts::request_password_reset(&state.db, &state.auth, &body.0.email, &client).await?;
    Ok(HttpResponse::Accepted().json(Accepted {
        message: RESET_ACK.into(),
    }))
}

/// Set a new password with the e-mailed one-time token.
///
/// Signs the user out of every session.
#[utoipa::path(
    tag = "auth",
    request_body = PasswordResetConfirm,
    responses(
        (status = 204, description = "Password changed"),
        (status = 422, description = "Invalid or expired token, or weak password", body = ErrorBody),
        (status = 429, description = "Too many credential requests from this address, or the server is busy hashing passwords (`Retry-After`)", body = ErrorBody),
    )
)]
#[post("/auth/password-reset/confirm")]
async fn confirm_password_reset(
    state: web::Data<AppState>,
    client: Client,
    body: ValidJson<PasswordResetConfirm>,
) -> ApiResult<HttpResponse> {
    accounts::confirm_password_reset(
        &state.db,
        &state.auth,
        &body.0.token,
        &body.0.password,
        &client,
    )
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
