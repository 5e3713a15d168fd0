//! `/api/v1/lead-imports`: upload a CSV of CNPJs (preview first), follow the import,
//! read or download its row errors.

use actix_web::{get, http::header, post, web, HttpResponse};
use flux_domain::Permission;
use flux_dto::{
    leads::{ImportErrorList, ImportPreview, LeadImportDto, LeadImportList},
    ErrorBody,
};
use futures_util::StreamExt;
use utoipa_actix_web::service_config::ServiceConfig;

use flux_app::lead_imports;

use crate::{
    convert,
    error::ApiResult,
    extract::{Authenticated, Client, CsvUpload},
    routes::{parse_uuid, Page, Paging},
    state::AppState,
};

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(preview_import)
        .service(create_import)
        .service(list_imports)
        .service(get_import)
        .service(list_import_errors)
        .service(download_import_errors);
}

/// The multipart form of an upload.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)] // documentation only: the body is read by `CsvUpload`
struct CsvUploadForm {
    /// The CSV: `;`, `,`, tab or `|` separated; UTF-8 (with or without BOM),
    /// Windows-1252 or UTF-16 with BOM; a header row with a CNPJ column (`CNPJ`,
    /// `cnpj_empresa`, …) and optional e-mail, telefone, razão social / nome,
    /// nome fantasia and contato columns. At most `FLUX_IMPORT_MAX_BYTES` (20 MB).
    #[schema(value_type = String, format = Binary, content_media_type = "text/csv")]
    file: Vec<u8>,
}

/// Preview what importing a file would do: detected encoding, delimiter and column
/// mapping, row counts, and the first 20 rows with their problems. Nothing is written.
#[utoipa::path(
    tag = "lead-imports",
    security(("bearer_auth" = [])),
    request_body(content = CsvUploadForm, content_type = "multipart/form-data"),
    responses(
        (status = 200, description = "How the file would be imported", body = ImportPreview),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Requires `leads:import`", body = ErrorBody),
        (status = 413, description = "File larger than `FLUX_IMPORT_MAX_BYTES`", body = ErrorBody),
        (status = 422, description = "Not a multipart upload, no `file` field, empty or binary file, no CNPJ column, only a header, or more rows than `FLUX_IMPORT_MAX_ROWS` (100,000)", body = ErrorBody),
    )
)]
#[post("/lead-imports/preview")]
async fn preview_import(
    state: web::Data<AppState>,
    auth: Authenticated,
    upload: CsvUpload,
) -> ApiResult<web::Json<ImportPreview>> {
    let ctx = auth.require(Permission::LeadsImport)?;
    Ok(web::Json(
        lead_imports::preview(
            &state.db,
            ctx,
            upload.file(),
            state.settings.max_import_rows,
        )
        .await?,
    ))
}

/// Import a CSV of companies by CNPJ. The file is checked as a whole (422 and nothing
/// written when it cannot be imported), stored, and processed in the background:
/// follow it with `GET /lead-imports/{id}` or the `import.progress` events of
/// `GET /events`. Each bad row is recorded with its reason; good rows become leads
/// (never a second lead for the same CNPJ) and are queued for enrichment.
#[utoipa::path(
    tag = "lead-imports",
    security(("bearer_auth" = [])),
    request_body(content = CsvUploadForm, content_type = "multipart/form-data"),
    params(("Idempotency-Key" = Option<String>, Header, description = "Up to 255 visible ASCII characters (e.g. a UUID). Retries with the same key within 24 h replay the first answer (`Idempotent-Replayed: true`) instead of importing twice; the same key with a different file is a 422.")),
    responses(
        (status = 202, description = "Import accepted and queued", body = LeadImportDto),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Requires `leads:import`", body = ErrorBody),
        (status = 413, description = "File larger than `FLUX_IMPORT_MAX_BYTES`", body = ErrorBody),
        (status = 422, description = "Not a multipart upload, no `file` field, empty or binary file, no CNPJ column, only a header, or more rows than `FLUX_IMPORT_MAX_ROWS` (100,000)", body = ErrorBody),
    )
)]
#[post("/lead-imports")]
async fn create_import(
    state: web::Data<AppState>,
    auth: Authenticated,
    client: Client,
    upload: CsvUpload,
) -> ApiResult<HttpResponse> {
    let ctx = auth.require(Permission::LeadsImport)?;
    let import = lead_imports::create(
        &state.db,
        ctx,
        upload.file(),
        state.settings.max_import_rows,
        &client,
    )
    .await?;
    Ok(HttpResponse::Accepted()
        .insert_header((
            header::LOCATION,
            format!("/api/v1/lead-imports/{}", import.id),
        ))
        .json(convert::lead_import(&import)))
}

/// The organization's imports, newest first.
#[utoipa::path(
    tag = "lead-imports",
    security(("bearer_auth" = [])),
    params(Paging),
    responses(
        (status = 200, description = "Imports", body = LeadImportList),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Requires `leads:read`", body = ErrorBody),
        (status = 422, description = "Invalid `page` or `per_page`", body = ErrorBody),
    )
)]
#[get("/lead-imports")]
async fn list_imports(
    state: web::Data<AppState>,
    auth: Authenticated,
    paging: web::Query<Paging>,
) -> ApiResult<web::Json<LeadImportList>> {
    let ctx = auth.require(Permission::LeadsRead)?;
    let Page { page, per_page } = paging.page()?;
    let (items, total) =
        lead_imports::list(&state.db, ctx, per_page, (page - 1) * per_page).await?;
    Ok(web::Json(LeadImportList {
        items: items.iter().map(convert::lead_import).collect(),
        total,
        page,
        per_page,
    }))
}

/// One import with its progress (`processed_rows` of `total_rows`, successes, errors).
#[utoipa::path(
    tag = "lead-imports",
    security(("bearer_auth" = [])),
    params(("id" = String, Path, description = "Import id (UUID)")),
    responses(
        (status = 200, description = "The import", body = LeadImportDto),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Requires `leads:read`", body = ErrorBody),
        (status = 404, description = "No such import in this organization", body = ErrorBody),
        (status = 422, description = "Malformed id", body = ErrorBody),
    )
)]
#[get("/lead-imports/{id}")]
async fn get_import(
    state: web::Data<AppState>,
    auth: Authenticated,
    path: web::Path<String>,
) -> ApiResult<web::Json<LeadImportDto>> {
    let ctx = auth.require(Permission::LeadsRead)?;
    let id = parse_uuid("id", &path)?;
    Ok(web::Json(convert::lead_import(
        &lead_imports::get(&state.db, ctx, id).await?,
    )))
}

/// The rows an import could not turn into leads, in row order, with the reason.
#[utoipa::path(
    tag = "lead-imports",
    security(("bearer_auth" = [])),
    params(("id" = String, Path, description = "Import id (UUID)"), Paging),
    responses(
        (status = 200, description = "Row errors", body = ImportErrorList),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Requires `leads:read`", body = ErrorBody),
        (status = 404, description = "No such import in this organization", body = ErrorBody),
        (status = 422, description = "Malformed id, `page` or `per_page`", body = ErrorBody),
    )
)]
#[get("/lead-imports/{id}/errors")]
async fn list_import_errors(
    state: web::Data<AppState>,
    auth: Authenticated,
    path: web::Path<String>,
    paging: web::Query<Paging>,
) -> ApiResult<web::Json<ImportErrorList>> {
    let ctx = auth.require(Permission::LeadsRead)?;
    let id = parse_uuid("id", &path)?;
    let Page { page, per_page } = paging.page()?;
    let (_, items, total) =
        lead_imports::errors(&state.db, ctx, id, Some(per_page), (page - 1) * per_page).await?;
    Ok(web::Json(ImportErrorList {
        items: items
            .iter()
            .map(convert::import_row_error)
            .collect::<ApiResult<_>>()?,
        total,
        page,
        per_page,
    }))
}

/// All row errors as a CSV that opens in Excel pt-BR (UTF-8 with BOM, `;`):
/// `linha;cnpj;codigo;motivo`.
#[utoipa::path(
    tag = "lead-imports",
    security(("bearer_auth" = [])),
    params(("id" = String, Path, description = "Import id (UUID)")),
    responses(
        (status = 200, description = "Row errors as CSV", content_type = "text/csv", body = String),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Requires `leads:read`", body = ErrorBody),
        (status = 404, description = "No such import in this organization", body = ErrorBody),
        (status = 422, description = "Malformed id", body = ErrorBody),
    )
)]
#[get("/lead-imports/{id}/errors.csv")]
async fn download_import_errors(
    state: web::Data<AppState>,
    auth: Authenticated,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let ctx = auth.require(Permission::LeadsRead)?;
    let id = parse_uuid("id", &path)?;
    let (import, body) = lead_imports::errors_csv(state.db.clone(), ctx.clone(), id).await?;
    let stem = import
        .file_name
        .trim_end_matches(".csv")
        .trim_end_matches(".CSV");
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header(crate::csv_export::attachment(&format!("erros-{stem}.csv")))
        .streaming(body.map(|chunk| {
            chunk
                .map(web::Bytes::from)
                .map_err(|_| actix_web::error::ErrorInternalServerError("errors.csv failed"))
        })))
}
