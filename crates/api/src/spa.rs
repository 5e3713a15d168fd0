//! Serves the built SPA: its assets, and `index.html` for client-side routes.
//! Unknown `/api/*` paths stay JSON 404s instead of falling through to the SPA.
//!
//! Assets are served as built: the build writes a brotli (`.br`) and a gzip (`.gz`)
//! copy next to each, and the best one the browser accepts is sent as is (never
//! compressed again per request). A build puts its modules under
//! `/assets/<content hash>/`, whose files never change, so they are cached for a
//! year; `index.html`, which names the folder, is revalidated on every load.

use std::path::{Path, PathBuf};

use actix_files::{Files, NamedFile};
use actix_web::{
    dev::{fn_service, HttpServiceFactory, ServiceRequest, ServiceResponse},
    http::header::{
        self, AcceptEncoding, ContentEncoding, Encoding, Header, HeaderValue, CACHE_CONTROL,
    },
    web, HttpRequest, HttpResponse,
};

use crate::error::ApiError;

/// How long a browser keeps a content-hashed asset.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// `index.html` and unhashed files: always asked again (a 304 when unchanged).
const REVALIDATE: &str = "no-cache";

pub fn service(static_dir: &Path) -> impl HttpServiceFactory {
    let index = static_dir.join("index.html");
    let dir = web::Data::new(AssetDir(static_dir.to_owned()));
    (
        // Before `Files`: the page itself, and the built assets precompressed.
        web::resource(["/", "/index.html"])
            .app_data(dir.clone())
            .route(web::get().to(index_page))
            .route(web::head().to(index_page)),
        web::resource("/assets/{build:[0-9a-f]{16}}/{asset:[A-Za-z0-9._-]+\\.(?:wasm|js|css)}")
            .app_data(dir.clone())
            .route(web::get().to(built_asset))
            .route(web::head().to(built_asset)),
        web::resource("/{asset:[A-Za-z0-9._-]+\\.(?:wasm|js|css)}")
            .app_data(dir)
            .route(web::get().to(plain_asset))
            .route(web::head().to(plain_asset)),
        Files::new("/", static_dir)
            .index_file("index.html")
            .default_handler(fn_service(move |req: ServiceRequest| {
                let index = index.clone();
                async move { fallback(req, index).await }
            })),
    )
}

struct AssetDir(PathBuf);

async fn index_page(
    req: HttpRequest,
    dir: web::Data<AssetDir>,
) -> Result<HttpResponse, actix_web::Error> {
    Ok(index_response(&req, &dir.0.join("index.html")).await)
}

/// `index.html`, revalidated on every load (it names the current assets).
async fn index_response(req: &HttpRequest, index: &Path) -> HttpResponse {
    match NamedFile::open_async(index).await {
        Ok(file) => {
            let mut res = file.use_etag(true).into_response(req);
            res.headers_mut()
                .insert(CACHE_CONTROL, HeaderValue::from_static(REVALIDATE));
            res
        }
        Err(_) => HttpResponse::NotFound().finish(),
    }
}

/// A module of a build (`/assets/<hash>/main_bg.wasm`): the same name always holds the
/// same bytes.
async fn built_asset(
    req: HttpRequest,
    path: web::Path<(String, String)>,
    dir: web::Data<AssetDir>,
) -> Result<HttpResponse, actix_web::Error> {
    let (build, name) = path.into_inner();
    let folder = dir.0.join("assets").join(build);
    asset(&req, &folder, &name, IMMUTABLE).await
}

/// A file at the top of the build, which a later build may change.
async fn plain_asset(
    req: HttpRequest,
    name: web::Path<String>,
    dir: web::Data<AssetDir>,
) -> Result<HttpResponse, actix_web::Error> {
    asset(&req, &dir.0, &name.into_inner(), REVALIDATE).await
}

async fn asset(
    req: &HttpRequest,
    folder: &Path,
    name: &str,
    cache_control: &'static str,
) -> Result<HttpResponse, actix_web::Error> {
    // The routes' patterns admit no `/`; a dot-only name would still climb.
    if name.starts_with('.') {
        return Ok(HttpResponse::NotFound().finish());
    }
    let plain = folder.join(name);
    if !plain.is_file() {
        return Ok(HttpResponse::NotFound().finish());
    }
    let accepted = AcceptEncoding::parse(req).ok();
    let (path, encoding) = precompressed(&plain, accepted.as_ref());
    let mut file = NamedFile::open_async(&path)
        .await?
        .use_etag(true)
        .set_content_type(actix_files::file_extension_to_mime(
            plain.extension().and_then(|e| e.to_str()).unwrap_or(""),
        ));
    if let Some(encoding) = encoding {
        file = file.set_content_encoding(encoding);
    }
    let mut res = file.into_response(req);
    let headers = res.headers_mut();
    headers.insert(CACHE_CONTROL, HeaderValue::from_static(cache_control));
    headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    Ok(res)
}

/// The copy of `plain` to send: its `.br` or `.gz` sibling when the browser takes
/// that encoding and the build wrote it, else the file itself.
fn precompressed(
    plain: &Path,
    accepted: Option<&AcceptEncoding>,
) -> (PathBuf, Option<ContentEncoding>) {
    let candidates = [
        (Encoding::brotli(), "br", ContentEncoding::Brotli),
        (Encoding::gzip(), "gz", ContentEncoding::Gzip),
    ];
    let Some(accepted) = accepted else {
        return (plain.to_owned(), None);
    };
    let available: Vec<_> = candidates
        .iter()
        .filter(|(_, ext, _)| sibling(plain, ext).is_file())
        .collect();
    let offered: Vec<Encoding> = available.iter().map(|(e, ..)| e.clone()).collect();
    match accepted.negotiate(offered.iter()) {
        Some(chosen) => available
            .iter()
            .find(|(e, ..)| *e == chosen)
            .map(|(_, ext, encoding)| (sibling(plain, ext), Some(*encoding)))
            .unwrap_or_else(|| (plain.to_owned(), None)),
        None => (plain.to_owned(), None),
    }
}

fn sibling(plain: &Path, ext: &str) -> PathBuf {
    let mut name = plain.as_os_str().to_owned();
    name.push(".");
    name.push(ext);
    PathBuf::from(name)
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
    let res = index_response(&req, &index).await;
    Ok(ServiceResponse::new(req, res))
}

pub fn is_api_path(path: &str) -> bool {
    path == "/api" || path.starts_with("/api/")
}
