//! CSV lead imports: preview (read-only), accept (store + enqueue the import job),
//! progress and row errors. Row processing itself is the `leads.import` job
//! in `flux-workers`, which uses the same parser and validation.

use flux_dto::events as event_kind;
use std::collections::{HashMap, HashSet};

use chrono::Utc;
use flux_domain::TenantCtx;
use flux_dto::leads::{ColumnMappingEntry, ImportPreview, PreviewRow, RowIssue};
use flux_import::{validate_rows, FileError, LeadField, ParsedFile, RowError};
use flux_persistence::{
    audit, events,
    jobs::{self, kinds, NewJob},
    lead_imports::{self, ImportErrorRecord, ImportRecord, NewImport},
    leads, Db,
};
use serde_json::json;
use uuid::Uuid;

use crate::{
    audit::audit_entry,
    convert,
    csv_export::Writer,
    error::{AppError, AppResult},
    ClientInfo, Resource,
};

/// Attempts of the import job before the import is marked failed.
pub const IMPORT_MAX_ATTEMPTS: i32 = 5;

/// The job that imports the rows of a stored import (one per import).
pub fn import_job(import_id: Uuid, now: chrono::DateTime<chrono::Utc>) -> NewJob {
    NewJob::new(kinds::IMPORT_LEADS, json!({ "import_id": import_id }), now)
        .unique(import_id.to_string())
        .max_attempts(IMPORT_MAX_ATTEMPTS)
}

/// Name of the request field carrying the file (errors about the file name it).
pub const FILE_FIELD: &str = "file";

/// A CSV file as the client sent it.
#[derive(Clone, Copy)]
pub struct CsvFile<'a> {
    /// Base name (no directories), at most 255 characters.
    pub file_name: &'a str,
    pub content: &'a [u8],
}

/// Rows shown by a preview.
pub const PREVIEW_ROWS: usize = 20;

/// The file's rows, refused whole (422 naming the file) when it cannot be read or
/// has more than `max_rows` rows.
fn parse(upload: CsvFile<'_>, max_rows: usize) -> AppResult<ParsedFile> {
    let file = flux_import::parse(upload.content)
        .map_err(|e: FileError| AppError::field(FILE_FIELD, e.to_string()))?;
    if file.rows.len() > max_rows {
        return Err(AppError::field(
            FILE_FIELD,
            format!(
                "o arquivo tem {} linhas; o limite por importação é {max_rows} \
                 (FLUX_IMPORT_MAX_ROWS): divida-o em partes",
                file.rows.len()
            ),
        ));
    }
    Ok(file)
}

pub fn mapping_entries(file: &ParsedFile) -> Vec<ColumnMappingEntry> {
    file.mapping
        .0
        .iter()
        .map(|(field, column, header)| ColumnMappingEntry {
            field: convert::lead_field(*field),
            column_index: i32::try_from(*column).unwrap_or(i32::MAX),
            header: header.clone(),
        })
        .collect()
}

/// What importing this file would do, without writing anything.
#[tracing::instrument(skip_all, fields(org_id = %ctx.org_id(), bytes = upload.content.len()))]
pub async fn preview(
    db: &Db,
    ctx: &TenantCtx,
    upload: CsvFile<'_>,
    max_rows: usize,
) -> AppResult<ImportPreview> {
    let file = parse(upload, max_rows)?;
    let validated = validate_rows(&file.rows);
    let cnpjs: Vec<String> = validated
        .drafts
        .iter()
        .map(|d| d.cnpj.as_str().to_owned())
        .collect();
    let mut tx = db.begin_tenant(ctx).await?;
    let existing = leads::existing_cnpjs(&mut tx, &cnpjs).await?;
    let remaining_quota = crate::leads::LeadQuota::load(&mut tx).await?.remaining();
    drop(tx);

    let mut issues: HashMap<u32, Vec<RowIssue>> = HashMap::new();
    for error in &validated.errors {
        issues
            .entry(error.row_number)
            .or_default()
            .push(issue(error));
    }
    let mut exists_rows: HashSet<u32> = HashSet::new();
    for draft in validated
        .drafts
        .iter()
        .filter(|d| existing.contains(d.cnpj.as_str()))
    {
        exists_rows.insert(draft.row_number);
        issues
            .entry(draft.row_number)
            .or_default()
            .push(issue(&RowError::already_exists(draft)));
    }
    let total_rows = file.rows.len() as i64;
    let valid_rows = (validated.drafts.len() - exists_rows.len()) as i64;
    let rows = file
        .rows
        .iter()
        .take(PREVIEW_ROWS)
        .map(|row| {
            let cell = |f: LeadField| row.get(f).map(str::to_owned);
            let row_issues = issues.remove(&row.number).unwrap_or_default();
            PreviewRow {
                row_number: i32::try_from(row.number).unwrap_or(i32::MAX),
                cnpj: cell(LeadField::Cnpj),
                razao_social: cell(LeadField::RazaoSocial),
                nome_fantasia: cell(LeadField::NomeFantasia),
                email: cell(LeadField::Email),
                telefone: cell(LeadField::Telefone),
                contact_name: cell(LeadField::ContactName),
                valid: row_issues.is_empty(),
                issues: row_issues,
            }
        })
        .collect();
    Ok(ImportPreview {
        file_name: upload.file_name.to_owned(),
        encoding: file.dialect.encoding.as_str().to_owned(),
        delimiter: file.dialect.delimiter.to_string(),
        headers: file.headers.clone(),
        mapping: mapping_entries(&file),
        total_rows,
        valid_rows,
        invalid_rows: total_rows - valid_rows,
        remaining_quota,
        rows,
    })
}

fn issue(error: &RowError) -> RowIssue {
    RowIssue {
        code: convert::import_error_code(error.code),
        message: error.message.clone(),
    }
}

/// Accepts a file: refuses it whole when it cannot be an import (nothing written),
/// otherwise stores it and enqueues the import job in one transaction.
#[tracing::instrument(skip_all, fields(org_id = %ctx.org_id(), bytes = upload.content.len()))]
pub async fn create(
    db: &Db,
    ctx: &TenantCtx,
    upload: CsvFile<'_>,
    max_rows: usize,
    client: &ClientInfo,
) -> AppResult<ImportRecord> {
    let file = parse(upload, max_rows)?;
    let mapping =
        serde_json::to_value(mapping_entries(&file)).map_err(|e| AppError::Internal(e.into()))?;
    let mut tx = db.begin_tenant(ctx).await?;
    let import = lead_imports::create(
        &mut tx,
        NewImport {
            file_name: upload.file_name,
            content: upload.content,
            encoding: file.dialect.encoding.as_str(),
            delimiter: file.dialect.delimiter,
            column_mapping: mapping,
            total_rows: i32::try_from(file.rows.len()).unwrap_or(i32::MAX),
        },
    )
    .await?;
    jobs::enqueue(&mut tx, import_job(import.id, Utc::now())).await?;
    events::publish(&mut tx, event_kind::IMPORT_CREATED, import.event_data()).await?;
    let mut entry = audit_entry(client, "lead_import.created", "lead_import");
    entry.resource_id = Some(import.id);
    entry.changes = json!({
        "file_name": import.file_name,
        "total_rows": import.total_rows,
        "bytes": import.file_size_bytes,
    });
    audit::record(&mut tx, entry).await?;
    tx.commit().await?;
    Ok(import)
}

pub async fn get(db: &Db, ctx: &TenantCtx, id: Uuid) -> AppResult<ImportRecord> {
    let mut tx = db.begin_tenant(ctx).await?;
    lead_imports::get(&mut tx, id)
        .await?
        .ok_or_else(|| AppError::not_found(Resource::Import))
}

pub async fn list(
    db: &Db,
    ctx: &TenantCtx,
    limit: i64,
    offset: i64,
) -> AppResult<(Vec<ImportRecord>, i64)> {
    let mut tx = db.begin_tenant(ctx).await?;
    Ok(lead_imports::list(&mut tx, limit, offset).await?)
}

/// Row errors of an import (404 for another organization's import).
pub async fn errors(
    db: &Db,
    ctx: &TenantCtx,
    id: Uuid,
    limit: Option<i64>,
    offset: i64,
) -> AppResult<(ImportRecord, Vec<ImportErrorRecord>, i64)> {
    let mut tx = db.begin_tenant(ctx).await?;
    let import = lead_imports::get(&mut tx, id)
        .await?
        .ok_or_else(|| AppError::not_found(Resource::Import))?;
    let (items, total) = lead_imports::errors(&mut tx, id, limit, offset).await?;
    Ok((import, items, total))
}

/// Rows of `errors.csv` read per query.
const CSV_PAGE: i64 = 5_000;

/// The import and its row errors as Excel pt-BR CSV (`linha;cnpj;codigo;motivo`),
/// read and written a page at a time, so a large import's file is never held whole.
pub async fn errors_csv(
    db: Db,
    ctx: TenantCtx,
    id: Uuid,
) -> AppResult<(
    ImportRecord,
    impl futures_util::Stream<Item = AppResult<Vec<u8>>>,
)> {
    let import = get(&db, &ctx, id).await?;
    let pages = futures_util::stream::unfold(Some(0_i64), move |offset| {
        let (db, ctx) = (db.clone(), ctx.clone());
        async move {
            let offset = offset?;
            let page = async {
                let mut tx = db.begin_tenant(&ctx).await?;
                let (items, _) = lead_imports::errors(&mut tx, id, Some(CSV_PAGE), offset).await?;
                tx.commit().await?;
                AppResult::Ok(items)
            }
            .await;
            Some(match page {
                Ok(items) => {
                    let mut csv = if offset == 0 {
                        let mut csv = Writer::excel_pt_br();
                        csv.row(["linha", "cnpj", "codigo", "motivo"]);
                        csv
                    } else {
                        Writer::plain()
                    };
                    for e in &items {
                        csv.row([
                            e.row_number.to_string().as_str(),
                            e.cnpj.as_deref().unwrap_or(""),
                            &e.code,
                            &e.message,
                        ]);
                    }
                    let next = (items.len() as i64 == CSV_PAGE).then_some(offset + CSV_PAGE);
                    (Ok(csv.finish()), next)
                }
                Err(e) => {
                    tracing::error!(error = %e, "import errors CSV failed mid-stream");
                    (Err(e), None)
                }
            })
        }
    });
    Ok((import, pages))
}
