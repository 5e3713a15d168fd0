//! A CSV file sent as `multipart/form-data` in the field `file`, size-capped by
//! `FLUX_IMPORT_MAX_BYTES` (413 beyond it, with nothing kept).

use std::{future::Future, pin::Pin};

use actix_multipart::{Multipart, MultipartError};
use actix_web::{dev::Payload, web, FromRequest, HttpRequest};
use futures_util::StreamExt;

use flux_app::lead_imports::CsvFile;

use crate::{error::ApiError, state::AppState};

/// Name of the multipart field carrying the file.
pub use flux_app::lead_imports::FILE_FIELD;
/// Other form fields are read and ignored up to this size each.
const OTHER_FIELD_LIMIT: usize = 64 * 1024;

pub struct CsvUpload {
    /// Base name as the client sent it (no directories), at most 255 characters.
    pub file_name: String,
    pub content: web::Bytes,
}

impl CsvUpload {
    /// The file as the import use cases take it.
    pub fn file(&self) -> CsvFile<'_> {
        CsvFile {
            file_name: &self.file_name,
            content: &self.content,
        }
    }
}

fn not_multipart(e: &MultipartError) -> ApiError {
    ApiError::field(
        FILE_FIELD,
        format!("envie o arquivo CSV como multipart/form-data no campo `file` ({e})"),
    )
}

/// `C:\Users\ana\leads.csv` → `leads.csv`.
fn base_name(raw: &str) -> String {
    let name = raw.rsplit(['/', '\\']).next().unwrap_or_default().trim();
    let name: String = name.chars().filter(|c| !c.is_control()).take(255).collect();
    if name.is_empty() {
        "arquivo.csv".to_owned()
    } else {
        name
    }
}

impl FromRequest for CsvUpload {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let limit = req
            .app_data::<web::Data<AppState>>()
            .map(|s| s.settings.max_import_bytes)
            .unwrap_or(20 * 1024 * 1024);
        let mut multipart = Multipart::new(req.headers(), payload.take());
        Box::pin(async move {
            while let Some(field) = multipart.next().await {
                let mut field = field.map_err(|e| not_multipart(&e))?;
                if field.name() != Some(FILE_FIELD) {
                    let _ = field.bytes(OTHER_FIELD_LIMIT).await;
                    continue;
                }
                let file_name = base_name(
                    field
                        .content_disposition()
                        .and_then(|cd| cd.get_filename())
                        .unwrap_or_default(),
                );
                let content = match field.bytes(limit).await {
                    Err(_) => return Err(ApiError::PayloadTooLarge { limit }),
                    Ok(Err(e)) => return Err(not_multipart(&e)),
                    Ok(Ok(bytes)) => bytes,
                };
                return Ok(CsvUpload { file_name, content });
            }
            Err(ApiError::field(
                FILE_FIELD,
                "envie o arquivo CSV no campo multipart `file`",
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::base_name;

    #[test]
    fn keeps_only_the_base_name() {
        assert_eq!(base_name("C:\\Users\\ana\\leads.csv"), "leads.csv");
        assert_eq!(base_name("../../etc/passwd"), "passwd");
        assert_eq!(base_name(""), "arquivo.csv");
        assert_eq!(base_name("dir/"), "arquivo.csv");
    }
}
