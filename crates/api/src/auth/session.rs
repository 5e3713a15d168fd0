//! Sessions: a short-lived access JWT plus an opaque rotating refresh token. Refresh
//! tokens form families; presenting an already-rotated token revokes the family.

use actix_web::{http::StatusCode, HttpRequest, HttpResponse};
use chrono::Utc;
use flux_dto::auth::AuthTokens;
use flux_persistence::tokens::{self, NewRefreshToken};
use flux_platform::crypto;
use serde::Serialize;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::{auth::cookies, error::ApiResult, extract::ClientInfo, state::AppState};

pub struct IssuedSession {
    pub access_token: String,
    pub refresh_token: String,
    pub expires_in: i64,
}

/// Issues tokens for `user_id` in `org_id`. A new family unless `family` continues one.
pub async fn issue(
    state: &AppState,
    conn: &mut PgConnection,
    user_id: Uuid,
    org_id: Uuid,
    family: Option<Uuid>,
    client: &ClientInfo,
) -> ApiResult<IssuedSession> {
    let refresh_token = crypto::new_token();
    let ttl =
        chrono::Duration::from_std(state.settings.refresh_token_ttl).map_err(anyhow::Error::new)?;
    tokens::insert_refresh(
        conn,
        NewRefreshToken {
            user_id,
            org_id,
            family_id: family.unwrap_or_else(Uuid::new_v4),
            token_hash: &crypto::token_hash(&refresh_token),
            expires_at: Utc::now() + ttl,
            user_agent: client.user_agent.as_deref(),
            ip: client.ip.as_deref(),
        },
    )
    .await?;
    let access_token = state
        .jwt
        .issue(user_id, org_id)
        .map_err(anyhow::Error::new)?;
    Ok(IssuedSession {
        access_token,
        refresh_token,
        expires_in: state.jwt.ttl.as_secs() as i64,
    })
}

impl IssuedSession {
    /// The token part of a response: the refresh token goes in the body for API
    /// clients, or only in the httpOnly cookie for the SPA.
    pub fn tokens(&self, cookie_mode: bool) -> AuthTokens {
        AuthTokens {
            access_token: self.access_token.clone(),
            token_type: "Bearer".into(),
            expires_in: self.expires_in,
            refresh_token: (!cookie_mode).then(|| self.refresh_token.clone()),
        }
    }
}

/// Builds the JSON response, setting the refresh cookie in cookie mode.
pub fn respond<T: Serialize>(
    req: &HttpRequest,
    state: &AppState,
    status: StatusCode,
    session: &IssuedSession,
    body: &T,
) -> HttpResponse {
    let mut builder = HttpResponse::build(status);
    builder.insert_header(("Cache-Control", "no-store"));
    if cookies::wants_cookie(req) {
        builder.cookie(cookies::refresh_cookie(
            &session.refresh_token,
            state.settings.refresh_token_ttl.as_secs() as i64,
            state.settings.secure_cookies(),
        ));
    }
    builder.json(body)
}
