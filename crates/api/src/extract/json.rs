//! `ValidJson<T>`: like `web::Json`, but every failure (content type, size, syntax,
//! unknown or missing field, wrong type) is a 4xx envelope that names the field.

use std::{future::Future, pin::Pin};

use actix_web::{dev::Payload, http::header, web, FromRequest, HttpRequest};
use futures_util::StreamExt;
use serde::de::DeserializeOwned;

use crate::{error::ApiError, state::AppState};

pub struct ValidJson<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for ValidJson<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let limit = req
            .app_data::<web::Data<AppState>>()
            .map(|s| s.settings.max_json_body_bytes)
            .unwrap_or(256 * 1024);
        let content_type_ok = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<mime_guess_lite::Mime>().ok())
            .is_some_and(|m| m.is_json());
        let declared_len = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok());
        let mut payload = payload.take();
        Box::pin(async move {
            if !content_type_ok {
                return Err(ApiError::field("Content-Type", "use application/json"));
            }
            if declared_len.is_some_and(|len| len > limit) {
                return Err(ApiError::PayloadTooLarge { limit });
            }
            let body = read_limited(&mut payload, limit).await?;
            parse(&body).map(ValidJson)
        })
    }
}

/// Reads the whole body, failing with 413 once it exceeds `limit` bytes.
pub(crate) async fn read_limited(
    payload: &mut Payload,
    limit: usize,
) -> Result<web::Bytes, ApiError> {
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk =
            chunk.map_err(|e| ApiError::field("body", format!("falha ao ler o corpo: {e}")))?;
        if body.len() + chunk.len() > limit {
            return Err(ApiError::PayloadTooLarge { limit });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

/// Deserializes `bytes`, reporting the failing field's dotted path.
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    match bytes.iter().find(|b| !b.is_ascii_whitespace()) {
        None => return Err(ApiError::field("body", "o corpo JSON é obrigatório")),
        // Every request body is an object; serde would also read a struct from an array.
        Some(b'{') => {}
        Some(_) => return Err(ApiError::field("body", "o corpo deve ser um objeto JSON")),
    }
    if let Some(field) = field_with_nul(bytes) {
        // PostgreSQL text cannot hold NUL: refuse it here, for every body.
        return Err(ApiError::field(&field, "contém um caractere nulo"));
    }
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(de).map_err(|err| {
        let path = err.path().to_string();
        let inner = err.into_inner();
        let message = inner.to_string();
        if inner.is_syntax() || inner.is_eof() {
            return ApiError::field("body", format!("JSON malformado: {message}"));
        }
        let field = match missing_field(&message) {
            // serde reports a missing field at its parent object's path.
            Some(name) if path == "." => name.to_owned(),
            Some(name) => format!("{path}.{name}"),
            None if path == "." => "body".to_owned(),
            None => path,
        };
        ApiError::field(&field, message)
    })
}

/// The dotted path of a string (or key) holding NUL (`\u0000`), if any. Only bodies
/// that spell the escape are walked.
fn field_with_nul(bytes: &[u8]) -> Option<String> {
    if !bytes.windows(6).any(|w| w.eq_ignore_ascii_case(br"\u0000")) {
        return None;
    }
    fn walk(value: &serde_json::Value, path: &str) -> Option<String> {
        let here = || {
            if path.is_empty() {
                "body".to_owned()
            } else {
                path.to_owned()
            }
        };
        match value {
            serde_json::Value::String(s) => s.contains('\0').then(here),
            serde_json::Value::Array(items) => items
                .iter()
                .enumerate()
                .find_map(|(i, v)| walk(v, &format!("{}[{i}]", here()))),
            serde_json::Value::Object(map) => map.iter().find_map(|(k, v)| {
                let child = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                if k.contains('\0') {
                    Some(child)
                } else {
                    walk(v, &child)
                }
            }),
            _ => None,
        }
    }
    walk(&serde_json::from_slice(bytes).ok()?, "")
}

fn missing_field(message: &str) -> Option<&str> {
    message.strip_prefix("missing field `")?.split('`').next()
}

/// Minimal media-type check (`application/json`, `application/*+json`, with params).
mod mime_guess_lite {
    pub(super) struct Mime(String);

    impl std::str::FromStr for Mime {
        type Err = ();
        fn from_str(s: &str) -> Result<Self, ()> {
            let essence = s
                .split(';')
                .next()
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase();
            if essence.contains('/') {
                Ok(Mime(essence))
            } else {
                Err(())
            }
        }
    }

    impl Mime {
        pub(super) fn is_json(&self) -> bool {
            self.0 == "application/json"
                || (self.0.starts_with("application/") && self.0.ends_with("+json"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flux_dto::auth::SignupRequest;

    fn field_of(err: ApiError) -> (String, String) {
        match err {
            ApiError::Validation { fields, .. } => {
                (fields[0].field.clone(), fields[0].reason.clone())
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn names_missing_unknown_and_mistyped_fields() {
        let (f, _) = field_of(
            parse::<SignupRequest>(br#"{"name":"a","password":"x"}"#)
                .err()
                .unwrap(),
        );
        assert_eq!(f, "email");
        let (f, _) = field_of(
            parse::<SignupRequest>(br#"{"name":"a","email":"e","password":"x","admin":true}"#)
                .err()
                .unwrap(),
        );
        assert_eq!(f, "admin");
        let (f, r) = field_of(
            parse::<SignupRequest>(br#"{"name":5,"email":"e","password":"x"}"#)
                .err()
                .unwrap(),
        );
        assert_eq!(f, "name");
        assert!(r.contains("invalid type"), "{r}");
    }

    #[test]
    fn nul_characters_are_refused_naming_the_field() {
        let (f, r) = field_of(
            parse::<SignupRequest>(br#"{"name":"a\u0000b","email":"e","password":"x"}"#)
                .err()
                .unwrap(),
        );
        assert_eq!(
            (f.as_str(), r.as_str()),
            ("name", "contém um caractere nulo")
        );
        // An escaped backslash before "u0000" is text, not NUL.
        assert!(
            parse::<SignupRequest>(br#"{"name":"a\\u0000","email":"e","password":"x"}"#).is_ok()
        );
    }

    #[test]
    fn malformed_and_empty_bodies_are_reported() {
        let (f, r) = field_of(parse::<SignupRequest>(br#"{"name":"#).err().unwrap());
        assert_eq!(f, "body");
        assert!(r.starts_with("JSON malformado"));
        let (f, _) = field_of(parse::<SignupRequest>(b"  ").err().unwrap());
        assert_eq!(f, "body");
        let (f, r) = field_of(
            parse::<SignupRequest>(br#"["a","b@c.com","12345678"]"#)
                .err()
                .unwrap(),
        );
        assert_eq!(f, "body");
        assert!(r.contains("objeto"), "{r}");
    }
}
