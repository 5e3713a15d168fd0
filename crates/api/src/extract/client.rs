//! Who is calling from where: peer IP, user agent and request id, for audit and limits.

use std::{
    future::{ready, Ready},
    ops::Deref,
};

use actix_web::{dev::Payload, http::header, web, FromRequest, HttpRequest};
use flux_app::ClientInfo;

use crate::{error::ApiError, extract::forwarded, request_id, state::AppState};

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
            ip: client_ip(req).map(|ip| ip.to_string()),
            user_agent: req
                .headers()
                .get(header::USER_AGENT)
                .and_then(|v| v.to_str().ok())
                .map(|s| s.chars().take(512).collect()),
            request_id: request_id::current(),
        })))
    }
}

/// The caller's address: the TCP peer, or whom a trusted proxy says it forwarded.
pub fn client_ip(req: &HttpRequest) -> Option<std::net::IpAddr> {
    let peer = req.peer_addr()?.ip();
    let trusted = req
        .app_data::<web::Data<AppState>>()
        .map(|s| s.settings.trusted_proxies.as_slice())
        .unwrap_or_default();
    let header = |name| req.headers().get(name).and_then(|v| v.to_str().ok());
    Some(forwarded::client_ip(
        peer,
        header(header::FORWARDED),
        header(header::X_FORWARDED_FOR),
        trusted,
    ))
}
