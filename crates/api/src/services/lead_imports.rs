//! CSV lead imports: preview (read-only), accept (store + enqueue the import job),
//! progress and row errors. Row processing itself is the `leads.import` job
//! (`flux_workers::lead_import`), which uses the same parser and validation.

use flux_dto::events as event_kind;
use std::collections::{HashMap, HashSet};

use chrono::Utc;
use flux_domain::TenantCtx;
use flux_dto::leads::{ColumnMappingEntry, ImportPreview, PreviewRow, RowIssue};
use flux_import::{validate_rows, FileError, LeadField, ParsedFile, RowError};
use flux_persistence::{
    audit, events, jobs,
    lead_imports::{self, ImportErrorRecord, ImportRecord, NewImport},
    leads,
};
use flux_workers::lead_import::import_job;
use serde_json::json;
use uuid::Uuid;

use crate::{
    convert,
    error::{ApiError, ApiResult},
    extract::{upload::FILE_FIELD, ClientInfo, CsvUpload},
    services::audit_entry,
    state::AppState,
};

/// Rows shown by a preview.
pub const PREVIEW_ROWS: usize = 20;

fn parse(upload: &CsvUpload) -> ApiResult<ParsedFile> {
    flux_import::parse(&upload.content)
        .map_err(|e: FileError| ApiError::field(FILE_FIELD, e.to_string()))
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
    state: &AppState,
    ctx: &TenantCtx,
    upload: &CsvUpload,
) -> ApiResult<ImportPreview> {
    let file = parse(upload)?;
    let validated = validate_rows(&file.rows);
    let cnpjs: Vec<String> = validated
        .drafts
        .iter()
        .map(|d| d.cnpj.as_str().to_owned())
        .collect();
    let mut tx = state.db.begin_tenant(ctx).await?;
    let existing = leads::existing_cnpjs(&mut tx, &cnpjs).await?;
    let remaining_quota = crate::services::leads::LeadQuota::load(&mut tx)
        .await?
        .remaining();
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
        file_name: upload.file_name.clone(),
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
    state: &AppState,
    ctx: &TenantCtx,
    upload: &CsvUpload,
    client: &ClientInfo,
) -> ApiResult<ImportRecord> {
    let file = parse(upload)?;
    let mapping =
        serde_json::to_value(mapping_entries(&file)).map_err(|e| ApiError::Internal(e.into()))?;
    let mut tx = state.db.begin_tenant(ctx).await?;
    let import = lead_imports::create(
        &mut tx,
        NewImport {
            file_name: &upload.file_name,
            content: &upload.content,
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

pub async fn get(state: &AppState, ctx: &TenantCtx, id: Uuid) -> ApiResult<ImportRecord> {
    let mut tx = state.db.begin_tenant(ctx).await?;
    lead_imports::get(&mut tx, id)
        .await?
        .ok_or_else(|| ApiError::NotFound("Importação não encontrada".into()))
}

pub async fn list(
    state: &AppState,
    ctx: &TenantCtx,
    limit: i64,
    offset: i64,
) -> ApiResult<(Vec<ImportRecord>, i64)> {
    let mut tx = state.db.begin_tenant(ctx).await?;
    Ok(lead_imports::list(&mut tx, limit, offset).await?)
}

/// Row errors of an import (404 for another organization's import).
pub async fn errors(
    state: &AppState,
    ctx: &TenantCtx,
    id: Uuid,
    limit: Option<i64>,
    offset: i64,
) -> ApiResult<(ImportRecord, Vec<ImportErrorRecord>, i64)> {
    let mut tx = state.db.begin_tenant(ctx).await?;
    let import = lead_imports::get(&mut tx, id)
        .await?
        .ok_or_else(|| ApiError::NotFound("Importação não encontrada".into()))?;
    let (items, total) = lead_imports::errors(&mut tx, id, limit, offset).await?;
    Ok((import, items, total))
}
