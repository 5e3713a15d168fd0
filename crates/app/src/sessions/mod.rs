//! Sessions: a short-lived access JWT plus an opaque rotating refresh token. Refresh
//! tokens form families; presenting an already-rotated token revokes the family.

pub mod jwt;

use std::{sync::Arc, time::Duration};

use chrono::Utc;
use flux_dto::auth::AuthTokens;
use flux_persistence::tokens::{self, NewRefreshToken};
use flux_platform::crypto;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::{error::AppResult, ClientInfo};

pub use jwt::JwtKeys;

/// Issues sessions: the access-token keys and how long a refresh token lives.
#[derive(Clone)]
pub struct Sessions {
    pub keys: Arc<JwtKeys>,
    pub refresh_ttl: Duration,
    /// A family of refresh tokens is refused this long after its first one.
    pub max_age: Duration,
}

pub struct IssuedSession {
    pub access_token: String,
    pub refresh_token: String,
    pub expires_in: i64,
}

impl Sessions {
    /// Issues tokens for `user_id` in `org_id`. A new family unless `family` continues one.
    pub async fn issue(
        &self,
        conn: &mut PgConnection,
        user_id: Uuid,
        org_id: Uuid,
        family: Option<Uuid>,
        client: &ClientInfo,
    ) -> AppResult<IssuedSession> {
        let refresh_token = crypto::new_token();
        let ttl = chrono::Duration::from_std(self.refresh_ttl).map_err(anyhow::Error::new)?;
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
        let access_token = self
            .keys
            .issue(user_id, org_id)
            .map_err(anyhow::Error::new)?;
        Ok(IssuedSession {
            access_token,
            refresh_token,
            expires_in: self.keys.ttl.as_secs() as i64,
        })
    }
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
