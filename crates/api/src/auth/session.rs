//! The HTTP face of a session: the JSON answer, with the refresh token in an httpOnly
//! cookie for the SPA.

use actix_web::{http::StatusCode, HttpRequest, HttpResponse};
use flux_app::sessions::IssuedSession;
use flux_platform::Settings;
use serde::Serialize;

use crate::auth::cookies;

/// Builds the JSON response, setting the refresh cookie in cookie mode.
pub fn respond<T: Serialize>(
    req: &HttpRequest,
    settings: &Settings,
    status: StatusCode,
    session: &IssuedSession,
    body: &T,
) -> HttpResponse {
    let mut builder = HttpResponse::build(status);
    builder.insert_header(("Cache-Control", "no-store"));
    if cookies::wants_cookie(req) {
        builder.cookie(cookies::refresh_cookie(
            &session.refresh_token,
            settings.refresh_token_ttl.as_secs() as i64,
            settings.secure_cookies(),
        ));
    }
    builder.json(body)
}
