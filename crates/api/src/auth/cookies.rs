//! The SPA's refresh token lives in an httpOnly, SameSite=Strict cookie scoped to the
//! auth routes; API clients get it in the JSON body instead.

use actix_web::{
    cookie::{time::Duration as CookieDuration, Cookie, SameSite},
    HttpRequest,
};
use flux_dto::{REFRESH_COOKIE, SESSION_MODE_COOKIE, SESSION_MODE_HEADER};

pub const COOKIE_PATH: &str = "/api/v1/auth";

/// True when the client asked for cookie sessions (`X-Flux-Session: cookie`).
pub fn wants_cookie(req: &HttpRequest) -> bool {
    req.headers()
        .get(SESSION_MODE_HEADER)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case(SESSION_MODE_COOKIE))
}

pub fn refresh_cookie(token: &str, max_age_secs: i64, secure: bool) -> Cookie<'static> {
    Cookie::build(REFRESH_COOKIE, token.to_owned())
        .path(COOKIE_PATH)
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(secure)
        .max_age(CookieDuration::seconds(max_age_secs))
        .finish()
}

pub fn clear_cookie(secure: bool) -> Cookie<'static> {
    let mut cookie = refresh_cookie("", 0, secure);
    cookie.make_removal();
    cookie
}

/// The refresh token from the body, falling back to the cookie.
pub fn refresh_token_from(req: &HttpRequest, body: Option<String>) -> Option<String> {
    body.filter(|t| !t.is_empty())
        .or_else(|| req.cookie(REFRESH_COOKIE).map(|c| c.value().to_owned()))
        .filter(|t| !t.is_empty())
}
