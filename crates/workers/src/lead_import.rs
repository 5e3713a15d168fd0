//! The `leads.import` job: turns an uploaded CSV into leads and row errors.
//!
//! Rows are committed in chunks so progress is visible (and pushed live) while a big
//! file runs. Each chunk commits its leads, its errors, its enrichment jobs and the
//! import's counters together, and a retried job resumes after the last committed
//! chunk — so no row is ever imported or reported twice.

use async_trait::async_trait;
use flux_dto::events as event_kind;
use flux_import::{validate_rows, LeadDraft, RowError};
use flux_persistence::{
    events,
    jobs::{self, kinds, NewJob},
    lead_imports::{self, ImportErrorRecord, ImportRecord, ImportStatus},
    leads::{self, NewLead},
    organizations, RepoError, TenantTx,
};
use serde_json::json;
use uuid::Uuid;

use crate::queue::{JobContext, JobError, JobHandler};
use flux_app::enrichment::ENRICH_MAX_ATTEMPTS;

/// Rows per transaction: large enough for bulk-insert speed, small enough for
/// frequent progress.
pub const CHUNK_ROWS: usize = 2000;

pub struct ImportLeads {
    pub chunk_rows: usize,
}

impl Default for ImportLeads {
    fn default() -> Self {
        Self {
            chunk_rows: CHUNK_ROWS,
        }
    }
}

/// One spreadsheet row after the file-level checks.
enum Item {
    Draft(LeadDraft),
    Error(RowError),
}

impl Item {
    fn row_number(&self) -> u32 {
        match self {
            Item::Draft(d) => d.row_number,
            Item::Error(e) => e.row_number,
        }
    }
}

async fn finish(
    ctx: &JobContext,
    id: Uuid,
    status: ImportStatus,
    reason: Option<&str>,
) -> Result<(), RepoError> {
    let mut tx = ctx.begin().await?;
    let Some(import) = lead_imports::finish(&mut tx, id, status, reason, ctx.clock.now()).await?
    else {
        return Ok(()); // another run ended it first
    };
    if import.success_count > 0 {
        // Leads of a failed import were still created: they get enriched too.
        jobs::enqueue(
            &mut tx,
            NewJob::new(
                kinds::ENRICH_IMPORT,
                json!({ "import_id": id }),
                ctx.clock.now(),
            )
            .unique(id.to_string()),
        )
        .await?;
    }
    let kind = if status == ImportStatus::Completed {
        event_kind::IMPORT_COMPLETED
    } else {
        event_kind::IMPORT_FAILED
    };
    events::publish(&mut tx, kind, import.event_data()).await?;
    tx.commit().await
}

#[async_trait]
impl JobHandler for ImportLeads {
    async fn run(&self, ctx: &JobContext) -> Result<(), JobError> {
        let id = ctx.payload_uuid("import_id")?;
        let mut tx = ctx.begin().await?;
        let Some(import) = lead_imports::get(&mut tx, id).await? else {
            return Err(JobError::permanent(format!("import {id} not found")));
        };
        if import.status.is_final() {
            return Ok(());
        }
        let Some(content) = lead_imports::file_content(&mut tx, id).await? else {
            drop(tx);
            finish(
                ctx,
                id,
                ImportStatus::Failed,
                Some("arquivo da importação não encontrado"),
            )
            .await?;
            return Ok(());
        };
        let max_leads = organizations::subscription(&mut tx)
            .await?
            .map(|s| i64::from(s.max_leads))
            .ok_or_else(|| JobError::permanent("organization without subscription"))?;
        lead_imports::mark_processing(&mut tx, id, ctx.clock.now()).await?;
        tx.commit().await.map_err(JobError::from)?;

        // The API parsed this file before accepting it; a failure here means the
        // parser changed between upload and processing.
        let parsed = match flux_import::parse(&content) {
            Ok(parsed) => parsed,
            Err(e) => {
                finish(ctx, id, ImportStatus::Failed, Some(&e.to_string())).await?;
                return Ok(());
            }
        };
        let validated = validate_rows(&parsed.rows);
        let mut items: Vec<Item> = validated
            .drafts
            .into_iter()
            .map(Item::Draft)
            .chain(validated.errors.into_iter().map(Item::Error))
            .collect();
        items.sort_by_key(Item::row_number);

        let mut position = usize::try_from(import.processed_rows).unwrap_or_default();
        while position < items.len() {
            let end = (position + self.chunk_rows.max(1)).min(items.len());
            let mut tx = ctx.begin().await?;
            let current = lead_imports::lock(&mut tx, id)
                .await?
                .ok_or_else(|| JobError::permanent(format!("import {id} vanished")))?;
            let committed = usize::try_from(current.processed_rows).unwrap_or_default();
            if committed != position {
                // Another attempt got further (a lease take-over): continue from there.
                position = committed;
                continue;
            }
            let progress = import_chunk(
                &mut tx,
                id,
                current.created_by,
                &items[position..end],
                max_leads,
            )
            .await?;
            events::publish(&mut tx, event_kind::IMPORT_PROGRESS, progress.event_data()).await?;
            tx.commit().await.map_err(JobError::from)?;
            position = end;
            // A big file can take longer than one lease: keep it while making progress.
            ctx.extend_lease().await?;
        }
        finish(ctx, id, ImportStatus::Completed, None).await?;
        Ok(())
    }

    async fn on_dead(&self, ctx: &JobContext, error: &str) -> Result<(), RepoError> {
        let Ok(id) = ctx.payload_uuid("import_id") else {
            return Ok(());
        };
        let mut tx = ctx.begin().await?;
        let still_open = lead_imports::get(&mut tx, id)
            .await?
            .is_some_and(|i| !i.status.is_final());
        drop(tx);
        if still_open {
            let reason = format!("a importação falhou após várias tentativas: {error}");
            finish(ctx, id, ImportStatus::Failed, Some(&reason)).await?;
        }
        Ok(())
    }
}

/// Checks one chunk against the database (existing leads, plan quota), inserts what
/// passes, records the rest and advances the counters.
async fn import_chunk(
    tx: &mut TenantTx,
    import_id: Uuid,
    created_by: Option<Uuid>,
    chunk: &[Item],
    max_leads: i64,
) -> Result<ImportRecord, JobError> {
    leads::lock_quota(tx).await?;
    let mut remaining = max_leads - leads::count_live(tx).await?;
    let mut errors: Vec<RowError> = Vec::new();
    let mut candidates: std::collections::VecDeque<&LeadDraft> = std::collections::VecDeque::new();
    for item in chunk {
        match item {
            Item::Error(e) => errors.push(e.clone()),
            Item::Draft(d) => candidates.push_back(d),
        }
    }
    // Insert up to the quota and let the unique index say which CNPJs already have a
    // lead (no separate lookup); a conflict frees its quota slot for the next rows.
    let mut inserted = 0_usize;
    while remaining > 0 && !candidates.is_empty() {
        let take = candidates
            .len()
            .min(usize::try_from(remaining).unwrap_or(usize::MAX));
        let batch: Vec<&LeadDraft> = candidates.drain(..take).collect();
        let rows: Vec<NewLead> = batch.iter().map(|d| new_lead(d)).collect();
        let created = leads::insert_many(tx, &rows, Some(import_id), created_by).await?;
        let created: std::collections::HashSet<&str> =
            created.iter().map(|(_, c)| c.as_str()).collect();
        for draft in batch {
            if created.contains(draft.cnpj.as_str()) {
                inserted += 1;
                remaining -= 1;
            } else {
                errors.push(RowError::already_exists(draft));
            }
        }
    }
    let mut over_plan = 0_usize;
    if let Some(first) = candidates.front() {
        // Past the plan's limit: an existing lead is still reported as such; the
        // others are one error for the whole import, not one per row.
        let cnpjs: Vec<String> = candidates
            .iter()
            .map(|d| d.cnpj.as_str().to_owned())
            .collect();
        let existing = leads::existing_cnpjs(tx, &cnpjs).await?;
        lead_imports::insert_plan_overflow_once(
            tx,
            import_id,
            &record(&RowError::plan_limit(first, max_leads)),
        )
        .await?;
        for d in &candidates {
            if existing.contains(d.cnpj.as_str()) {
                errors.push(RowError::already_exists(d));
            } else {
                over_plan += 1;
            }
        }
    }
    errors.sort_by_key(|e| e.row_number);
    let records: Vec<ImportErrorRecord> = errors.iter().map(record).collect();
    lead_imports::insert_errors(tx, import_id, &records).await?;
    let count = |n: usize| i32::try_from(n).unwrap_or(i32::MAX);
    // Rows over the plan are not imported: they count as failed rows.
    Ok(lead_imports::advance(
        tx,
        import_id,
        count(chunk.len()),
        count(inserted),
        count(errors.len() + over_plan),
    )
    .await?)
}

fn record(e: &RowError) -> ImportErrorRecord {
    ImportErrorRecord {
        row_number: i32::try_from(e.row_number).unwrap_or(i32::MAX),
        cnpj: e.cnpj.clone(),
        code: e.code.as_str().to_owned(),
        message: e.message.clone(),
    }
}

fn new_lead(d: &LeadDraft) -> NewLead {
    NewLead {
        cnpj: d.cnpj.as_str().to_owned(),
        razao_social: d.razao_social.clone(),
        nome_fantasia: d.nome_fantasia.clone(),
        email: d.email.as_ref().map(|e| e.as_str().to_owned()),
        telefone: d.telefone.as_ref().map(|t| t.as_str().to_owned()),
        contact_name: d.contact_name.clone(),
    }
}

/// The `leads.enrich_import` job: one `leads.enrich` job per pending lead of an import.
pub struct EnrichImportedLeads;

#[async_trait]
impl JobHandler for EnrichImportedLeads {
    async fn run(&self, ctx: &JobContext) -> Result<(), JobError> {
        let id = ctx.payload_uuid("import_id")?;
        let mut tx = ctx.begin().await?;
        let queued =
            leads::enqueue_enrichment_of_import(&mut tx, id, ENRICH_MAX_ATTEMPTS, ctx.clock.now())
                .await?;
        tx.commit().await?;
        tracing::info!(import_id = %id, queued, "enrichment queued for imported leads");
        Ok(())
    }
}
