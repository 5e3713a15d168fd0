//! CSV lead imports: the import row, its uploaded file, its progress and its errors.

use chrono::{DateTime, Utc};
use serde_json::Value;
use uuid::Uuid;

pub use flux_domain::lead::ImportStatus;

use crate::{error::RepoResult, TenantTx};

#[derive(Debug, Clone)]
pub struct NewImport<'a> {
    pub file_name: &'a str,
    pub content: &'a [u8],
    pub encoding: &'a str,
    pub delimiter: char,
    pub column_mapping: Value,
    pub total_rows: i32,
}

#[derive(Debug, Clone)]
pub struct ImportRecord {
    pub id: Uuid,
    pub file_name: String,
    pub file_size_bytes: i32,
    pub encoding: String,
    pub delimiter: String,
    pub column_mapping: Value,
    pub total_rows: i32,
    pub processed_rows: i32,
    pub success_count: i32,
    pub error_count: i32,
    pub status: ImportStatus,
    pub failure_reason: Option<String>,
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
}

impl ImportRecord {
    /// The import's progress as pushed on the events stream.
    pub fn event_data(&self) -> Value {
        serde_json::json!({
            "import_id": self.id,
            "status": self.status.as_str(),
            "total_rows": self.total_rows,
            "processed_rows": self.processed_rows,
            "success_count": self.success_count,
            "error_count": self.error_count,
            "failure_reason": self.failure_reason,
        })
    }
}

/// A row error as stored.
#[derive(Debug, Clone)]
pub struct ImportErrorRecord {
    pub row_number: i32,
    pub cnpj: Option<String>,
    pub code: String,
    pub message: String,
}

/// Creates the import (status `queued`) and stores its file for the import job.
pub async fn create(tx: &mut TenantTx, new: NewImport<'_>) -> RepoResult<ImportRecord> {
    let org_id = tx.ctx().org_id().uuid();
    let created_by = (!tx.ctx().is_system()).then(|| tx.ctx().user_id().uuid());
    let size = i32::try_from(new.content.len()).unwrap_or(i32::MAX);
    let row = sqlx::query_as!(
        ImportRecord,
        r#"INSERT INTO lead_imports (org_id, file_name, file_size_bytes, encoding, delimiter,
                                     column_mapping, total_rows, created_by)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
           RETURNING id, file_name, file_size_bytes, encoding, delimiter, column_mapping,
                     total_rows, processed_rows, success_count, error_count,
                     status AS "status: ImportStatus", failure_reason, created_by, created_at,
                     started_at, finished_at"#,
        org_id,
        new.file_name,
        size,
        new.encoding,
        new.delimiter.to_string(),
        new.column_mapping,
        new.total_rows,
        created_by
    )
    .fetch_one(tx.conn())
    .await?;
    sqlx::query!(
        "INSERT INTO lead_import_files (import_id, org_id, content) VALUES ($1, $2, $3)",
        row.id,
        org_id,
        new.content
    )
    .execute(tx.conn())
    .await?;
    Ok(row)
}

pub async fn get(tx: &mut TenantTx, id: Uuid) -> RepoResult<Option<ImportRecord>> {
    Ok(sqlx::query_as!(
        ImportRecord,
        r#"SELECT id, file_name, file_size_bytes, encoding, delimiter, column_mapping,
                  total_rows, processed_rows, success_count, error_count,
                  status AS "status: ImportStatus", failure_reason, created_by, created_at,
                  started_at, finished_at
           FROM lead_imports WHERE id = $1"#,
        id
    )
    .fetch_optional(tx.conn())
    .await?)
}

/// Newest first, with the total for pagination.
pub async fn list(
    tx: &mut TenantTx,
    limit: i64,
    offset: i64,
) -> RepoResult<(Vec<ImportRecord>, i64)> {
    let rows = sqlx::query_as!(
        ImportRecord,
        r#"SELECT id, file_name, file_size_bytes, encoding, delimiter, column_mapping,
                  total_rows, processed_rows, success_count, error_count,
                  status AS "status: ImportStatus", failure_reason, created_by, created_at,
                  started_at, finished_at
           FROM lead_imports ORDER BY created_at DESC, id DESC LIMIT $1 OFFSET $2"#,
        limit,
        offset
    )
    .fetch_all(tx.conn())
    .await?;
    let total = sqlx::query_scalar!(r#"SELECT count(*) AS "n!" FROM lead_imports"#)
        .fetch_one(tx.conn())
        .await?;
    Ok((rows, total))
}

/// Locks the import row for its processing transaction (one chunk at a time).
pub async fn lock(tx: &mut TenantTx, id: Uuid) -> RepoResult<Option<ImportRecord>> {
    Ok(sqlx::query_as!(
        ImportRecord,
        r#"SELECT id, file_name, file_size_bytes, encoding, delimiter, column_mapping,
                  total_rows, processed_rows, success_count, error_count,
                  status AS "status: ImportStatus", failure_reason, created_by, created_at,
                  started_at, finished_at
           FROM lead_imports WHERE id = $1 FOR UPDATE"#,
        id
    )
    .fetch_optional(tx.conn())
    .await?)
}

pub async fn file_content(tx: &mut TenantTx, id: Uuid) -> RepoResult<Option<Vec<u8>>> {
    Ok(sqlx::query_scalar!(
        "SELECT content FROM lead_import_files WHERE import_id = $1",
        id
    )
    .fetch_optional(tx.conn())
    .await?)
}

pub async fn mark_processing(tx: &mut TenantTx, id: Uuid, now: DateTime<Utc>) -> RepoResult<()> {
    sqlx::query!(
        "UPDATE lead_imports SET status = 'processing', started_at = coalesce(started_at, $2)
         WHERE id = $1 AND status IN ('queued', 'processing')",
        id,
        now
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// Adds one processed chunk to the counters.
pub async fn advance(
    tx: &mut TenantTx,
    id: Uuid,
    processed: i32,
    succeeded: i32,
    failed: i32,
) -> RepoResult<ImportRecord> {
    Ok(sqlx::query_as!(
        ImportRecord,
        r#"UPDATE lead_imports
           SET processed_rows = processed_rows + $2, success_count = success_count + $3,
               error_count = error_count + $4
           WHERE id = $1
           RETURNING id, file_name, file_size_bytes, encoding, delimiter, column_mapping,
                     total_rows, processed_rows, success_count, error_count,
                     status AS "status: ImportStatus", failure_reason, created_by, created_at,
                     started_at, finished_at"#,
        id,
        processed,
        succeeded,
        failed
    )
    .fetch_one(tx.conn())
    .await?)
}

/// Ends the import (`completed` or `failed`) and drops its file; `None` when it had
/// already ended (another run finished it first).
pub async fn finish(
    tx: &mut TenantTx,
    id: Uuid,
    status: ImportStatus,
    failure_reason: Option<&str>,
    now: DateTime<Utc>,
) -> RepoResult<Option<ImportRecord>> {
    sqlx::query!("DELETE FROM lead_import_files WHERE import_id = $1", id)
        .execute(tx.conn())
        .await?;
    Ok(sqlx::query_as!(
        ImportRecord,
        r#"UPDATE lead_imports SET status = $2::text::import_status, failure_reason = $3,
                  finished_at = $4
           WHERE id = $1 AND status IN ('queued', 'processing')
           RETURNING id, file_name, file_size_bytes, encoding, delimiter, column_mapping,
                     total_rows, processed_rows, success_count, error_count,
                     status AS "status: ImportStatus", failure_reason, created_by, created_at,
                     started_at, finished_at"#,
        id,
        status.as_str(),
        failure_reason,
        now
    )
    .fetch_optional(tx.conn())
    .await?)
}

/// Stores row errors in one statement.
pub async fn insert_errors(
    tx: &mut TenantTx,
    import_id: Uuid,
    errors: &[ImportErrorRecord],
) -> RepoResult<()> {
    if errors.is_empty() {
        return Ok(());
    }
    let org_id = tx.ctx().org_id().uuid();
    let rows: Vec<i32> = errors.iter().map(|e| e.row_number).collect();
    let cnpjs: Vec<Option<String>> = errors.iter().map(|e| e.cnpj.clone()).collect();
    let codes: Vec<String> = errors.iter().map(|e| e.code.clone()).collect();
    let messages: Vec<String> = errors.iter().map(|e| e.message.clone()).collect();
    sqlx::query!(
        "INSERT INTO lead_import_errors (org_id, import_id, row_number, cnpj, code, message)
         SELECT $1, $2, r, c, k, m
         FROM unnest($3::int[], $4::text[], $5::text[], $6::text[]) AS t(r, c, k, m)",
        org_id,
        import_id,
        &rows,
        &cnpjs as &[Option<String>],
        &codes,
        &messages
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// Records the plan-limit error of an import, once: later chunks past the limit are
/// the same story. False when it was recorded already.
pub async fn insert_plan_overflow_once(
    tx: &mut TenantTx,
    import_id: Uuid,
    error: &ImportErrorRecord,
) -> RepoResult<bool> {
    let org_id = tx.ctx().org_id().uuid();
    let inserted = sqlx::query!(
        "INSERT INTO lead_import_errors (org_id, import_id, row_number, cnpj, code, message)
         SELECT $1, $2, $3, $4, $5, $6
         WHERE NOT EXISTS (SELECT 1 FROM lead_import_errors WHERE import_id = $2 AND code = $5)",
        org_id,
        import_id,
        error.row_number,
        error.cnpj,
        error.code,
        error.message
    )
    .execute(tx.conn())
    .await?;
    Ok(inserted.rows_affected() == 1)
}

/// Row errors in row order, paged; `limit = None` returns all (CSV download).
pub async fn errors(
    tx: &mut TenantTx,
    import_id: Uuid,
    limit: Option<i64>,
    offset: i64,
) -> RepoResult<(Vec<ImportErrorRecord>, i64)> {
    let rows = sqlx::query_as!(
        ImportErrorRecord,
        "SELECT row_number, cnpj, code, message FROM lead_import_errors
         WHERE import_id = $1 ORDER BY row_number, created_at LIMIT $2 OFFSET $3",
        import_id,
        limit,
        offset
    )
    .fetch_all(tx.conn())
    .await?;
    let total = sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM lead_import_errors WHERE import_id = $1"#,
        import_id
    )
    .fetch_one(tx.conn())
    .await?;
    Ok((rows, total))
}
