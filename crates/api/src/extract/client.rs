//! Who is calling from where: peer IP, user agent and request id, for audit and limits.

use std::future::{ready, Ready};

use actix_web::{dev::Payload, http::header, FromRequest, HttpRequest};

use crate::{error::ApiError, request_id};

#[derive(Debug, Clone, Default)]
pub struct ClientInfo {
    /// The TCP peer; forwarded headers are not trusted (no proxy is configured).
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub request_id: Option<String>,
}

impl FromRequest for ClientInfo {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Ok(ClientInfo {
            ip: req.peer_addr().map(|a| a.ip().to_string()),
            user_agent: req
                .headers()
                .get(header::USER_AGENT)
                .and_then(|v| v.to_str().ok())
                .map(|s| s.chars().take(512).collect()),
            request_id: request_id::current(),
        }))
    }
}
