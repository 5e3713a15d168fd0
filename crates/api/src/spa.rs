//! Serves the built SPA: static assets, and `index.html` for client-side routes.
//! Unknown `/api/*` paths stay JSON 404s instead of falling through to the SPA.

use std::path::{Path, PathBuf};

use actix_files::{Files, NamedFile};
use actix_web::{
    dev::{fn_service, ServiceRequest, ServiceResponse},
    HttpResponse,
};

use crate::error::ApiError;

pub fn service(static_dir: &Path) -> Files {
    let index = static_dir.join("index.html");
    Files::new("/", static_dir)
        .index_file("index.html")
        .default_handler(fn_service(move |req: ServiceRequest| {
            let index = index.clone();
            async move { fallback(req, index).await }
        }))
}

async fn fallback(
    req: ServiceRequest,
    index: PathBuf,
) -> Result<ServiceResponse, actix_web::Error> {
    let (req, _) = req.into_parts();
    if is_api_path(req.path()) {
        let res = actix_web::ResponseError::error_response(&ApiError::NotFound(
            "Rota não encontrada".into(),
        ));
        return Ok(ServiceResponse::new(req, res));
    }
    let res = match NamedFile::open_async(&index).await {
        Ok(file) => {
            let mut res = file.use_etag(true).into_response(&req);
            res.headers_mut().insert(
                actix_web::http::header::CACHE_CONTROL,
                actix_web::http::header::HeaderValue::from_static("no-cache"),
            );
            res
        }
        Err(_) => HttpResponse::NotFound().finish(),
    };
    Ok(ServiceResponse::new(req, res))
}

pub fn is_api_path(path: &str) -> bool {
    path == "/api" || path.starts_with("/api/")
}
