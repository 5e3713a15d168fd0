//! The only module that speaks HTTP: one typed function per endpoint, grouped by
//! resource in the submodules (`api::leads::list(&query, page)`), built on the wire
//! types of `flux-dto`. Pages never write a path or a query string.
//!
//! Every call goes through `request`, which attaches the in-memory access token,
//! decodes the shared `ErrorBody`, and on a 401 refreshes the session once (refresh
//! token in the httpOnly cookie) and retries.

pub mod ai;
pub mod auth;
pub mod cadences;
pub mod enrollments;
pub mod events;
pub mod lead_imports;
pub mod leads;
pub mod mailboxes;
pub mod members;
pub mod one_off_emails;
pub mod organization;
mod path;
pub mod templates;

use std::cell::RefCell;

use flux_dto::{
    auth::AuthTokens, ErrorBody, ErrorCode, ErrorDetail, FieldIssue, SESSION_MODE_COOKIE,
    SESSION_MODE_HEADER,
};
use futures_util::future::{FutureExt, LocalBoxFuture, Shared};
use gloo_net::http::{Method, RequestBuilder};
use serde::{de::DeserializeOwned, Serialize};

/// The body of a POST that carries no fields: `{}`.
#[derive(Serialize)]
pub struct Empty {}

/// A failed call: the server's error envelope, or a network problem shaped like one.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError(pub ErrorBody);

impl ApiError {
    fn network(message: impl Into<String>) -> Self {
        ApiError(ErrorBody {
            error: ErrorDetail {
                code: ErrorCode::Internal,
                message: message.into(),
                details: None,
                request_id: None,
            },
        })
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        ApiError(ErrorBody {
            error: ErrorDetail {
                code: ErrorCode::NotFound,
                message: message.into(),
                details: None,
                request_id: None,
            },
        })
    }

    pub fn message(&self) -> &str {
        &self.0.error.message
    }

    /// The reason given for `field`, if the server rejected it.
    pub fn field(&self, field: &str) -> Option<String> {
        self.0
            .field_issues()
            .into_iter()
            .find(|f: &FieldIssue| f.field == field)
            .map(|f| f.reason)
    }
}

thread_local! {
    static ACCESS_TOKEN: RefCell<Option<String>> = const { RefCell::new(None) };
    /// Called when the session can no longer be refreshed (revoked, expired).
    static ON_SESSION_LOST: RefCell<Option<Box<dyn Fn()>>> = const { RefCell::new(None) };
    static REFRESHING: RefCell<Option<Shared<LocalBoxFuture<'static, bool>>>> = const { RefCell::new(None) };
}

pub fn set_access_token(token: Option<String>) {
    ACCESS_TOKEN.with(|t| *t.borrow_mut() = token);
}

/// Registers what to do when a signed-in session is lost (the app returns to login).
pub fn on_session_lost(callback: impl Fn() + 'static) {
    ON_SESSION_LOST.with(|c| *c.borrow_mut() = Some(Box::new(callback)));
}

fn access_token() -> Option<String> {
    ACCESS_TOKEN.with(|t| t.borrow().clone())
}

/// A request with the session headers and the current access token.
fn authorized(method: Method, path: &str) -> RequestBuilder {
    let builder = RequestBuilder::new(path)
        .method(method)
        .header(SESSION_MODE_HEADER, SESSION_MODE_COOKIE)
        .header("Accept", "application/json");
    match access_token() {
        Some(token) => builder.header("Authorization", &format!("Bearer {token}")),
        None => builder,
    }
}

async fn send<B: Serialize>(
    method: Method,
    path: &str,
    body: Option<&B>,
    idempotency_key: Option<&str>,
) -> Result<gloo_net::http::Response, ApiError> {
    let mut builder = authorized(method, path);
    if let Some(key) = idempotency_key {
        builder = builder.header("Idempotency-Key", key);
    }
    let request = match body {
        Some(body) => builder
            .json(body)
            .map_err(|e| ApiError::network(e.to_string()))?,
        None => builder
            .build()
            .map_err(|e| ApiError::network(e.to_string()))?,
    };
    request.send().await.map_err(|_| {
        ApiError::network("Não foi possível falar com o servidor. Verifique sua conexão.")
    })
}

async fn decode<T: DeserializeOwned>(res: gloo_net::http::Response) -> Result<T, ApiError> {
    if res.ok() {
        if res.status() == 204 {
            // Unit-like responses: decode from JSON null.
            return serde_json::from_str("null").map_err(|e| ApiError::network(e.to_string()));
        }
        res.json::<T>()
            .await
            .map_err(|e| ApiError::network(format!("Resposta inesperada do servidor: {e}")))
    } else {
        match res.json::<ErrorBody>().await {
            Ok(body) => Err(ApiError(body)),
            Err(_) => Err(ApiError::network(format!(
                "Erro {} do servidor",
                res.status()
            ))),
        }
    }
}

/// One refresh at a time: concurrent 401s share the same in-flight refresh, because a
/// refresh token works once and a second use would end the session.
async fn refresh_once() -> bool {
    let shared = REFRESHING.with(|r| {
        r.borrow_mut()
            .get_or_insert_with(|| {
                async {
                    let ok = match send(
                        Method::POST,
                        &path::v1("/auth/refresh"),
                        Some(&Empty {}),
                        None,
                    )
                    .await
                    {
                        Ok(res) => match decode::<AuthTokens>(res).await {
                            Ok(tokens) => {
                                set_access_token(Some(tokens.access_token));
                                true
                            }
                            Err(_) => false,
                        },
                        Err(_) => false,
                    };
                    REFRESHING.with(|r| *r.borrow_mut() = None);
                    ok
                }
                .boxed_local()
                .shared()
            })
            .clone()
    });
    shared.await
}

/// Calls the API; refreshes the access token transparently once on 401.
async fn request<T: DeserializeOwned, B: Serialize>(
    method: Method,
    path: &str,
    body: Option<&B>,
) -> Result<T, ApiError> {
    request_keyed(method, path, body, None).await
}

async fn request_keyed<T: DeserializeOwned, B: Serialize>(
    method: Method,
    path: &str,
    body: Option<&B>,
    idempotency_key: Option<&str>,
) -> Result<T, ApiError> {
    let res = send(method.clone(), path, body, idempotency_key).await?;
    if renewed_after(&res).await {
        return decode(send(method, path, body, idempotency_key).await?).await;
    }
    decode(res).await
}

/// After a 401 on a signed-in session: refreshes once (`true`: send again), or ends
/// the session so the app returns to the login page.
async fn renewed_after(res: &gloo_net::http::Response) -> bool {
    if res.status() != 401 || access_token().is_none() {
        return false;
    }
    if refresh_once().await {
        return true;
    }
    set_access_token(None);
    ON_SESSION_LOST.with(|c| {
        if let Some(callback) = c.borrow().as_ref() {
            callback();
        }
    });
    false
}

async fn get<T: DeserializeOwned>(path: &str) -> Result<T, ApiError> {
    request::<T, ()>(Method::GET, path, None).await
}

async fn post<T: DeserializeOwned, B: Serialize>(path: &str, body: &B) -> Result<T, ApiError> {
    request(Method::POST, path, Some(body)).await
}

/// A creating POST with an `Idempotency-Key`: sent again with the same key (a lost
/// answer, a second click), it acts once and answers the same.
async fn post_once<T: DeserializeOwned, B: Serialize>(
    path: &str,
    body: &B,
    idempotency_key: &str,
) -> Result<T, ApiError> {
    request_keyed(Method::POST, path, Some(body), Some(idempotency_key)).await
}

async fn patch<T: DeserializeOwned, B: Serialize>(path: &str, body: &B) -> Result<T, ApiError> {
    request(Method::PATCH, path, Some(body)).await
}

/// Deletes; whatever the server answers with (nothing, or the final state) is dropped.
async fn delete(path: &str) -> Result<(), ApiError> {
    request::<serde::de::IgnoredAny, ()>(Method::DELETE, path, None)
        .await
        .map(|_| ())
}

/// Uploads `file` as the multipart field `file` (CSV imports).
async fn upload<T: DeserializeOwned>(path: &str, file: &web_sys::File) -> Result<T, ApiError> {
    let form = web_sys::FormData::new().map_err(|_| ApiError::network("FormData indisponível"))?;
    form.append_with_blob_and_filename("file", file, &file.name())
        .map_err(|_| ApiError::network("não foi possível ler o arquivo"))?;
    let send_form = || async {
        authorized(Method::POST, path)
            .body(form.clone())
            .map_err(|e| ApiError::network(e.to_string()))?
            .send()
            .await
            .map_err(|_| {
                ApiError::network("Não foi possível enviar o arquivo. Verifique sua conexão.")
            })
    };
    let res = send_form().await?;
    if renewed_after(&res).await {
        return decode(send_form().await?).await;
    }
    decode(res).await
}

/// Downloads an authenticated file (CSV exports) and hands it to the browser.
async fn download(path: &str, file_name: &str) -> Result<(), ApiError> {
    let mut res = send::<()>(Method::GET, path, None, None).await?;
    if renewed_after(&res).await {
        res = send::<()>(Method::GET, path, None, None).await?;
    }
    if !res.ok() {
        return decode::<()>(res).await;
    }
    let bytes = res
        .binary()
        .await
        .map_err(|e| ApiError::network(e.to_string()))?;
    save_bytes(&bytes, file_name, "text/csv").map_err(ApiError::network)
}

fn save_bytes(bytes: &[u8], file_name: &str, mime: &str) -> Result<(), String> {
    use wasm_bindgen::JsCast;
    let array = js_sys::Uint8Array::from(bytes);
    let parts = js_sys::Array::of1(&array);
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(mime);
    let blob = web_sys::Blob::new_with_u8_array_sequence_and_options(&parts, &options)
        .map_err(|_| "não foi possível montar o arquivo".to_owned())?;
    let url = web_sys::Url::create_object_url_with_blob(&blob)
        .map_err(|_| "não foi possível montar o arquivo".to_owned())?;
    let document = web_sys::window()
        .and_then(|w| w.document())
        .ok_or("sem documento")?;
    let anchor: web_sys::HtmlAnchorElement = document
        .create_element("a")
        .map_err(|_| "sem documento".to_owned())?
        .dyn_into()
        .map_err(|_| "sem documento".to_owned())?;
    anchor.set_href(&url);
    anchor.set_download(file_name);
    anchor.click();
    let _ = web_sys::Url::revoke_object_url(&url);
    Ok(())
}
