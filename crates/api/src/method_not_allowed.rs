//! A wrong method on a known path must be a 405 with `Allow` (RFC 9110). Actix answers
//! it with a bare 405, a 404 inside scopes, or even routes it to a `{param}` sibling
//! (`DELETE /invitations/preview` → `/invitations/{id}`). This middleware answers it
//! before routing, in the error envelope, from the methods the OpenAPI document lists.

use actix_web::{
    body::{BoxBody, MessageBody},
    dev::{ServiceRequest, ServiceResponse},
    http::{header, StatusCode},
    middleware::Next,
    web, Error, HttpResponse,
};
use flux_dto::{error::MethodNotAllowedDetails, ErrorBody, ErrorCode, ErrorDetail, ErrorDetails};

use crate::request_id;

/// The API's path templates (from the OpenAPI document) with their methods.
pub struct AllowedMethods(Vec<(Vec<String>, Vec<String>)>);

impl AllowedMethods {
    pub fn from_openapi(doc: &utoipa::openapi::OpenApi) -> Self {
        let routes = doc
            .paths
            .paths
            .iter()
            .map(|(path, item)| {
                let item = serde_json::to_value(item).unwrap_or_default();
                let methods = ["get", "post", "put", "patch", "delete"]
                    .iter()
                    .filter(|m| item.get(**m).is_some())
                    .map(|m| m.to_uppercase())
                    .collect();
                (segments(path).map(str::to_owned).collect(), methods)
            })
            .collect();
        Self(routes)
    }

    /// Methods of the templates matching `path` (`{param}` matches one segment). Like
    /// the router, literal segments win: `/invitations/preview` is not `/invitations/{id}`.
    /// Empty when no route has this path.
    pub fn for_path(&self, path: &str) -> Vec<String> {
        let parts: Vec<&str> = segments(path).collect();
        let mut best_literals = None;
        let mut allowed: Vec<String> = Vec::new();
        for (template, methods) in &self.0 {
            let is_param = |t: &String| t.starts_with('{') && t.ends_with('}');
            let matches = template.len() == parts.len()
                && template
                    .iter()
                    .zip(&parts)
                    .all(|(t, p)| is_param(t) || t == p);
            if !matches {
                continue;
            }
            let literals = template.iter().filter(|t| !is_param(t)).count();
            match best_literals {
                Some(best) if literals < best => continue,
                Some(best) if literals > best => allowed.clear(),
                _ => {}
            }
            best_literals = Some(literals);
            for m in methods {
                if !allowed.contains(m) {
                    allowed.push(m.clone());
                }
            }
        }
        allowed
    }
}

fn segments(path: &str) -> impl Iterator<Item = &str> {
    path.split('/').filter(|s| !s.is_empty())
}

pub async fn envelope(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let allowed = req
        .app_data::<web::Data<AllowedMethods>>()
        .map(|map| map.for_path(req.path()))
        .unwrap_or_default();
    // Unknown paths go on to their 404; known paths with a known method to their handler.
    if allowed.is_empty() || allowed.iter().any(|m| m == req.method().as_str()) {
        return Ok(next.call(req).await?.map_into_boxed_body());
    }
    let body = ErrorBody {
        error: ErrorDetail {
            code: ErrorCode::NotFound,
            message: "Método não permitido nesta rota".into(),
            details: Some(ErrorDetails::MethodNotAllowed(MethodNotAllowedDetails {
                allowed_methods: allowed.clone(),
            })),
            request_id: request_id::current(),
        },
    };
    let response = HttpResponse::build(StatusCode::METHOD_NOT_ALLOWED)
        .insert_header((header::ALLOW, allowed.join(", ")))
        .json(body);
    Ok(req.into_response(response))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_match_segments_and_literals_win_over_parameters() {
        let map = AllowedMethods(vec![
            (
                vec![
                    "api".into(),
                    "v1".into(),
                    "invitations".into(),
                    "preview".into(),
                ],
                vec!["POST".into()],
            ),
            (
                vec![
                    "api".into(),
                    "v1".into(),
                    "invitations".into(),
                    "{id}".into(),
                ],
                vec!["DELETE".into()],
            ),
            (
                vec!["api".into(), "v1".into(), "me".into()],
                vec!["GET".into()],
            ),
        ]);
        assert_eq!(map.for_path("/api/v1/invitations/preview"), ["POST"]);
        assert_eq!(map.for_path("/api/v1/invitations/abc"), ["DELETE"]);
        assert_eq!(map.for_path("/api/v1/me/"), ["GET"]);
        assert!(map.for_path("/api/v1/nothing").is_empty());
        assert!(map.for_path("/api/v1/me/extra").is_empty());
    }
}
