//! `Idempotency-Key` on creating POSTs (docs/api.md). The first answer to a key is stored
//! for 24 h per organization member and replayed to retries (`Idempotent-Replayed:
//! true`); the same key with a different request is rejected; a server error frees the
//! key. Only the creating routes listed in `ROUTES` take part: answers that hold tokens
//! (sign-in, invitation acceptance) must never be stored.

use actix_web::{
    body::{self, BoxBody, MessageBody},
    dev::{Payload, ServiceRequest, ServiceResponse},
    http::{
        header::{self, HeaderName, HeaderValue},
        StatusCode,
    },
    middleware::Next,
    web, Error, HttpMessage, HttpResponse, ResponseError,
};
use flux_persistence::idempotency::{self, Claim};
use sha2::{Digest, Sha256};

use crate::{
    error::ApiError,
    extract::{
        auth::{authenticate, bearer_token},
        json::read_limited,
    },
    state::AppState,
};

pub const HEADER: &str = "idempotency-key";
pub const REPLAYED_HEADER: &str = "idempotent-replayed";
/// POST routes that create things and honour `Idempotency-Key`; `*` stands for one
/// path segment (an id).
pub const ROUTES: &[&str] = &[
    "/api/v1/cadences",
    "/api/v1/cadences/*/enrollments",
    "/api/v1/invitations",
    "/api/v1/lead-imports",
    "/api/v1/leads",
    "/api/v1/leads/*/emails",
    "/api/v1/templates",
];
/// Routes whose body is an upload rather than JSON, so a larger body limit applies.
const UPLOAD_ROUTES: &[&str] = &["/api/v1/lead-imports"];
/// Room for the multipart envelope around an upload of the maximum size.
const MULTIPART_OVERHEAD: usize = 64 * 1024;

fn applies(req: &ServiceRequest) -> bool {
    req.method() == actix_web::http::Method::POST
        && ROUTES
            .iter()
            .any(|route| route_matches(route, req.path().trim_end_matches('/')))
        && req.headers().contains_key(HEADER)
}

fn route_matches(route: &str, path: &str) -> bool {
    let mut segments = path.split('/');
    route.split('/').all(|expected| {
        segments
            .next()
            .is_some_and(|s| expected == "*" || expected == s)
    }) && segments.next().is_none()
}

fn parse_key(req: &ServiceRequest) -> Result<String, ApiError> {
    let raw = req
        .headers()
        .get(HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .trim();
    let valid = (1..=255).contains(&raw.len()) && raw.chars().all(|c| c.is_ascii_graphic());
    if valid {
        Ok(raw.to_owned())
    } else {
        Err(ApiError::field(
            "Idempotency-Key",
            "use de 1 a 255 caracteres ASCII visíveis (ex.: um UUID)",
        ))
    }
}

fn error_response(req: ServiceRequest, error: &ApiError) -> ServiceResponse<BoxBody> {
    req.into_response(error.error_response())
}

pub async fn middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    if !applies(&req) {
        return Ok(next.call(req).await?.map_into_boxed_body());
    }
    let key = match parse_key(&req) {
        Ok(key) => key,
        Err(e) => return Ok(error_response(req, &e)),
    };
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    // Unauthenticated requests go on to their handler, which answers 401.
    let Ok(ctx) = authenticate(&state, bearer_token(req.request()).as_deref()).await else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };

    // The handler's `Authenticated` extractor reuses this instead of querying again.
    req.extensions_mut().insert(ctx.clone());
    let limit = if UPLOAD_ROUTES.contains(&req.path().trim_end_matches('/')) {
        state.settings.max_import_bytes + MULTIPART_OVERHEAD
    } else {
        state.settings.max_json_body_bytes
    };
    let (http_req, mut payload) = req.into_parts();
    let body = match read_limited(&mut payload, limit).await {
        Ok(body) => body,
        Err(e) => return Ok(ServiceResponse::new(http_req, e.error_response())),
    };
    let mut hasher = Sha256::new();
    hasher.update(http_req.method().as_str());
    hasher.update(b" ");
    hasher.update(http_req.uri().to_string());
    hasher.update(b"\n");
    hash_body(&mut hasher, &http_req, &body);
    let request_hash = hasher.finalize().to_vec();

    let claim = async {
        let mut tx = state.db.begin_tenant(&ctx).await?;
        let claim = idempotency::claim(&mut tx, &key, &request_hash).await?;
        tx.commit().await?;
        Ok::<_, ApiError>(claim)
    }
    .await;
    match claim {
        Err(e) => Ok(ServiceResponse::new(http_req, e.error_response())),
        Ok(Claim::Existing(stored)) => Ok(ServiceResponse::new(
            http_req,
            replay(stored, &request_hash),
        )),
        Ok(Claim::Claimed) => {
            let req = ServiceRequest::from_parts(http_req, Payload::from(body));
            let res = next.call(req).await?;
            record(&state, &ctx, &key, res).await
        }
    }
}

/// Hashes the body; for multipart, without its boundary, which clients pick at random
/// per request — a retry of the same upload must hash the same.
fn hash_body(hasher: &mut Sha256, req: &actix_web::HttpRequest, body: &[u8]) {
    let boundary = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .filter(|ct| {
            ct.trim_start()
                .to_ascii_lowercase()
                .starts_with("multipart/")
        })
        .and_then(|ct| {
            ct.split(';')
                .filter_map(|p| p.trim().split_once('='))
                .find(|(k, _)| k.eq_ignore_ascii_case("boundary"))
                .map(|(_, v)| v.trim_matches('"').to_owned())
        })
        .filter(|b| !b.is_empty());
    match boundary {
        None => hasher.update(body),
        Some(boundary) => {
            let boundary = boundary.as_bytes();
            let mut rest = body;
            while let Some(at) = rest.windows(boundary.len()).position(|w| w == boundary) {
                hasher.update(&rest[..at]);
                rest = &rest[at + boundary.len()..];
            }
            hasher.update(rest);
        }
    }
}

/// Stores the answer (or frees the key on a server error) and passes it on.
async fn record(
    state: &AppState,
    ctx: &flux_domain::TenantCtx,
    key: &str,
    res: ServiceResponse<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let (http_req, response) = res.into_parts();
    let status = response.status();
    let content_type = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let (head, body) = response.into_parts();
    let bytes = body::to_bytes(body).await.map_err(|_| {
        actix_web::error::ErrorInternalServerError("cannot buffer the response for Idempotency-Key")
    })?;
    let saved = async {
        let mut tx = state.db.begin_tenant(ctx).await?;
        if status.is_server_error() {
            idempotency::release(&mut tx, key).await?;
        } else {
            idempotency::complete(
                &mut tx,
                key,
                status.as_u16(),
                content_type.as_deref(),
                &bytes,
            )
            .await?;
        }
        tx.commit().await?;
        Ok::<_, ApiError>(())
    }
    .await;
    if let Err(e) = saved {
        tracing::error!(error = %e, "could not store the Idempotency-Key answer");
    }
    let response = head.set_body(BoxBody::new(bytes));
    Ok(ServiceResponse::new(http_req, response))
}

fn replay(stored: idempotency::StoredKey, request_hash: &[u8]) -> HttpResponse {
    if stored.request_hash != request_hash {
        return ApiError::field(
            "Idempotency-Key",
            "esta chave já foi usada com outra requisição",
        )
        .error_response();
    }
    let Some(status) = stored
        .status_code
        .and_then(|s| StatusCode::from_u16(s as u16).ok())
    else {
        return ApiError::conflict_on(
            "Idempotency-Key",
            "uma requisição com esta chave ainda está em andamento",
        )
        .error_response();
    };
    let mut response = HttpResponse::build(status);
    response.insert_header((
        HeaderName::from_static(REPLAYED_HEADER),
        HeaderValue::from_static("true"),
    ));
    if let Some(content_type) = stored.content_type {
        response.insert_header((header::CONTENT_TYPE, content_type));
    }
    response.body(stored.response_body.unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::route_matches;

    #[test]
    fn a_star_matches_exactly_one_segment() {
        let route = "/api/v1/cadences/*/enrollments";
        assert!(route_matches(route, "/api/v1/cadences/42/enrollments"));
        assert!(!route_matches(route, "/api/v1/cadences/enrollments"));
        assert!(!route_matches(route, "/api/v1/cadences/42/enrollments/7"));
        assert!(!route_matches(route, "/api/v1/cadences/4/2/enrollments"));
        assert!(route_matches("/api/v1/leads", "/api/v1/leads"));
        assert!(!route_matches("/api/v1/leads", "/api/v1/leads/archive"));
    }
}
