//! Who is calling from where: peer IP, user agent and request id, for audit and limits.

use std::{
    future::{ready, Ready},
    ops::Deref,
};

use actix_web::{dev::Payload, http::header, FromRequest, HttpRequest};
use flux_app::ClientInfo;

use crate::{error::ApiError, request_id};

/// The caller as the use cases record it ([`ClientInfo`]), taken from the request.
#[derive(Debug, Clone, Default)]
pub struct Client(pub ClientInfo);

impl Deref for Client {
    type Target = ClientInfo;

    fn deref(&self) -> &ClientInfo {
        &self.0
    }
}

impl FromRequest for Client {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Ok(Client(ClientInfo {
            // The TCP peer; forwarded headers are not trusted (no proxy is configured).
            ip: req.peer_addr().map(|a| a.ip().to_string()),
            user_agent: req
                .headers()
                .get(header::USER_AGENT)
                .and_then(|v| v.to_str().ok())
                .map(|s| s.chars().take(512).collect()),
            request_id: request_id::current(),
        })))
    }
}
