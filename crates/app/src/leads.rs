//! Leads: list and search, create, edit, bulk actions, soft delete, export, enrich
//! now and enrichment history.

use chrono::Utc;
use flux_domain::{Cnpj, Email, PhoneBr, TenantCtx};
use flux_dto::events as event_kind;
use flux_dto::leads::{CreateLeadRequest, UpdateLeadRequest};
use flux_persistence::{
    audit, events,
    jobs::{self, kinds, NewJob},
    lead_search::{self, LeadFilter, LeadListRow, LeadSort},
    leads::{self, AttemptRecord, LeadPatch, LeadRecord, NewLead},
    members, organizations, Db, TenantTx,
};
use serde_json::json;
use uuid::Uuid;

use crate::{
    audit::audit_entry,
    enrichment::{enrich_lead, EnrichOutcome, EnrichmentPolicy, ENRICH_MAX_ATTEMPTS},
    error::{AppError, AppResult, UPGRADE_URL},
    ClientInfo, Resource,
};
use flux_dto::error::{PlanLimit, PlanLimitDetails};

/// Longest name accepted in lead text fields (same as imports).
const MAX_TEXT_CHARS: usize = flux_import::rows::MAX_TEXT_CHARS;
/// Most leads one bulk request may touch.
pub const MAX_BULK: usize = 1000;

pub async fn get(db: &Db, ctx: &TenantCtx, id: Uuid) -> AppResult<LeadRecord> {
    let mut tx = db.begin_tenant(ctx).await?;
    leads::get(&mut tx, id)
        .await?
        .ok_or(AppError::not_found(Resource::Lead))
}

/// Whether an "enrich now" finished, or had to be scheduled for later.
pub enum EnrichNow {
    Done(LeadRecord),
    Scheduled(LeadRecord),
}

/// If the inline run is cut short (client gone, process stopped) or cannot call a
/// provider now, this queued job finishes the work; after a successful inline run it
/// sees the fresh `enriched_at` and does nothing.
const SAFETY_NET_DELAY_SECS: i64 = 60;

/// Calls the providers right away (the SDR is waiting). A queued job backs the call
/// up: when no provider can answer now, it retries with backoff instead of failing.
#[tracing::instrument(skip_all, fields(org_id = %ctx.org_id(), lead_id = %id))]
pub async fn enrich_now(
    db: &Db,
    enrichment: &EnrichmentPolicy,
    ctx: &TenantCtx,
    id: Uuid,
) -> AppResult<EnrichNow> {
    let tenant = db.for_tenant(ctx);
    let mut job = NewJob::new(kinds::ENRICH_LEAD, json!({ "lead_id": id }), Utc::now())
        .unique(id.to_string())
        .max_attempts(ENRICH_MAX_ATTEMPTS);
    job.run_at += chrono::Duration::seconds(SAFETY_NET_DELAY_SECS);
    let mut tx = tenant.begin().await?;
    leads::get(&mut tx, id)
        .await?
        .ok_or(AppError::not_found(Resource::Lead))?;
    jobs::enqueue(&mut tx, job).await?;
    tx.commit().await?;
    let outcome = enrich_lead(&tenant, enrichment, id, None, Utc::now).await?;
    let lead = get(db, ctx, id).await?;
    Ok(match outcome {
        EnrichOutcome::Enriched { .. } | EnrichOutcome::NotFound => EnrichNow::Done(lead),
        EnrichOutcome::Skipped => return Err(AppError::not_found(Resource::Lead)),
        EnrichOutcome::Unavailable { .. }
        | EnrichOutcome::Deferred { .. }
        | EnrichOutcome::InProgress => EnrichNow::Scheduled(lead),
    })
}

pub async fn enrichment_attempts(
    db: &Db,
    ctx: &TenantCtx,
    id: Uuid,
) -> AppResult<Vec<AttemptRecord>> {
    let mut tx = db.begin_tenant(ctx).await?;
    leads::get(&mut tx, id)
        .await?
        .ok_or(AppError::not_found(Resource::Lead))?;
    Ok(leads::attempts(&mut tx, id, 100).await?)
}

pub async fn list(
    db: &Db,
    ctx: &TenantCtx,
    filter: &LeadFilter,
    sort: LeadSort,
    page: i64,
    per_page: i64,
) -> AppResult<(Vec<LeadListRow>, i64)> {
    let db = db.for_tenant(ctx);
    Ok(lead_search::search(&db, filter, sort, per_page, (page - 1) * per_page).await?)
}

fn text(field: &str, value: Option<&str>) -> AppResult<Option<String>> {
    match value.map(str::trim).filter(|v| !v.is_empty()) {
        Some(v) if v.chars().count() > MAX_TEXT_CHARS => Err(AppError::field(
            field,
            format!("use no máximo {MAX_TEXT_CHARS} caracteres"),
        )),
        // PostgreSQL text cannot hold NUL.
        Some(v) if v.contains('\0') => Err(AppError::field(field, "contém um caractere nulo")),
        other => Ok(other.map(str::to_owned)),
    }
}

fn email(value: Option<&str>) -> AppResult<Option<String>> {
    value
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(|v| Email::parse(v).map(|e| e.as_str().to_owned()))
        .transpose()
        .map_err(|e| AppError::field("email", e.to_string()))
}

fn phone(value: Option<&str>) -> AppResult<Option<String>> {
    value
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(|v| PhoneBr::parse(v).map(|p| p.as_str().to_owned()))
        .transpose()
        .map_err(|e| AppError::field("telefone", e.to_string()))
}

async fn ensure_member(tx: &mut TenantTx, field: &str, user_id: uuid::Uuid) -> AppResult<()> {
    if members::is_active_member(tx, user_id).await? {
        Ok(())
    } else {
        Err(AppError::field(
            field,
            "não é um membro ativo desta organização",
        ))
    }
}

/// The plan's lead limit and the live leads counting against it.
pub(crate) struct LeadQuota {
    pub(crate) subscription: organizations::SubscriptionRecord,
    pub(crate) used: i64,
}

impl LeadQuota {
    pub(crate) async fn load(tx: &mut TenantTx) -> AppResult<Self> {
        let subscription = organizations::subscription(tx).await?.ok_or_else(|| {
            AppError::Internal(anyhow::anyhow!("organization without subscription"))
        })?;
        let used = leads::count_live(tx).await?;
        Ok(Self { subscription, used })
    }

    pub(crate) fn max(&self) -> i64 {
        i64::from(self.subscription.max_leads)
    }

    pub(crate) fn remaining(&self) -> i64 {
        (self.max() - self.used).max(0)
    }
}

/// 402 when the plan's `max_leads` is reached (call under `leads::lock_quota`).
async fn ensure_lead_quota(tx: &mut TenantTx, adding: i64) -> AppResult<()> {
    let quota = LeadQuota::load(tx).await?;
    if quota.remaining() < adding {
        let (max, used) = (quota.max(), quota.used);
        return Err(AppError::LimitExceeded {
            message: format!(
                "Seu plano {} permite {max} leads e {used} já estão em uso. Exclua leads ou faça upgrade do plano.",
                quota.subscription.plan_name
            ),
            details: PlanLimitDetails {
                limit: PlanLimit::MaxLeads,
                max,
                used,
                in_progress: None,
                plan: quota.subscription.plan_slug,
                upgrade_url: UPGRADE_URL.into(),
                resets_at: None,
            },
        });
    }
    Ok(())
}

#[tracing::instrument(skip_all, fields(org_id = %ctx.org_id()))]
pub async fn create(
    db: &Db,
    ctx: &TenantCtx,
    req: &CreateLeadRequest,
    client: &ClientInfo,
) -> AppResult<LeadRecord> {
    let cnpj = Cnpj::parse(&req.cnpj)
        .map_err(|e| AppError::field("cnpj", format!("CNPJ inválido: {}", e.reason_pt_br())))?;
    let new = NewLead {
        cnpj: cnpj.as_str().to_owned(),
        razao_social: text("razao_social", req.razao_social.as_deref())?,
        nome_fantasia: text("nome_fantasia", req.nome_fantasia.as_deref())?,
        email: email(req.email.as_deref())?,
        telefone: phone(req.telefone.as_deref())?,
        contact_name: text("contact_name", req.contact_name.as_deref())?,
    };
    let mut tx = db.begin_tenant(ctx).await?;
    let owner = req.owner_id.unwrap_or(ctx.user_id().uuid());
    ensure_member(&mut tx, "owner_id", owner).await?;
    leads::lock_quota(&mut tx).await?;
    if !leads::existing_cnpjs(&mut tx, std::slice::from_ref(&new.cnpj))
        .await?
        .is_empty()
    {
        return Err(AppError::Conflict {
            message: "Já existe um lead com este CNPJ".into(),
            fields: vec![flux_dto::FieldIssue {
                field: "cnpj".into(),
                reason: "já existe um lead com este CNPJ".into(),
            }],
        });
    }
    ensure_lead_quota(&mut tx, 1).await?;
    let created = leads::insert_many(
        &mut tx,
        std::slice::from_ref(&new),
        None,
        Some(ctx.user_id().uuid()),
    )
    .await?;
    let (id, _) = created.first().cloned().ok_or_else(|| AppError::Conflict {
        message: "Já existe um lead com este CNPJ".into(),
        fields: vec![],
    })?;
    if owner != ctx.user_id().uuid() {
        leads::assign(&mut tx, &[id], Some(owner)).await?;
    }
    jobs::enqueue(
        &mut tx,
        NewJob::new(kinds::ENRICH_LEAD, json!({ "lead_id": id }), Utc::now())
            .unique(id.to_string())
            .max_attempts(ENRICH_MAX_ATTEMPTS),
    )
    .await?;
    events::publish(
        &mut tx,
        event_kind::LEAD_CREATED,
        json!({ "lead_id": id, "cnpj": new.cnpj }),
    )
    .await?;
    let mut entry = audit_entry(client, "lead.created", "lead");
    entry.resource_id = Some(id);
    entry.changes = json!({ "cnpj": new.cnpj });
    audit::record(&mut tx, entry).await?;
    let lead = leads::get(&mut tx, id)
        .await?
        .ok_or(AppError::not_found(Resource::Lead))?;
    tx.commit().await?;
    Ok(lead)
}

fn nullable_text(field: &str, value: &Option<Option<String>>) -> AppResult<Option<Option<String>>> {
    value
        .as_ref()
        .map(|v| text(field, v.as_deref()))
        .transpose()
}

#[tracing::instrument(skip_all, fields(org_id = %ctx.org_id(), lead_id = %id))]
pub async fn update(
    db: &Db,
    ctx: &TenantCtx,
    id: uuid::Uuid,
    req: &UpdateLeadRequest,
    client: &ClientInfo,
) -> AppResult<LeadRecord> {
    let patch = LeadPatch {
        razao_social: nullable_text("razao_social", &req.razao_social)?,
        nome_fantasia: nullable_text("nome_fantasia", &req.nome_fantasia)?,
        email: req
            .email
            .as_ref()
            .map(|v| email(v.as_deref()))
            .transpose()?,
        telefone: req
            .telefone
            .as_ref()
            .map(|v| phone(v.as_deref()))
            .transpose()?,
        contact_name: nullable_text("contact_name", &req.contact_name)?,
        status: req.status,
        owner_id: req.owner_id,
        do_not_contact: req.do_not_contact,
    };
    let mut tx = db.begin_tenant(ctx).await?;
    if let Some(Some(owner)) = patch.owner_id {
        ensure_member(&mut tx, "owner_id", owner).await?;
    }
    if !leads::update(&mut tx, id, &patch).await? {
        return Err(AppError::not_found(Resource::Lead));
    }
    let changed: Vec<&str> = [
        ("razao_social", patch.razao_social.is_some()),
        ("nome_fantasia", patch.nome_fantasia.is_some()),
        ("email", patch.email.is_some()),
        ("telefone", patch.telefone.is_some()),
        ("contact_name", patch.contact_name.is_some()),
        ("status", patch.status.is_some()),
        ("owner_id", patch.owner_id.is_some()),
        ("do_not_contact", patch.do_not_contact.is_some()),
    ]
    .into_iter()
    .filter_map(|(name, set)| set.then_some(name))
    .collect();
    if !changed.is_empty() {
        let mut entry = audit_entry(client, "lead.updated", "lead");
        entry.resource_id = Some(id);
        entry.changes = json!({ "fields": changed, "do_not_contact": patch.do_not_contact });
        audit::record(&mut tx, entry).await?;
        events::publish(
            &mut tx,
            event_kind::LEAD_UPDATED,
            json!({ "lead_id": id, "fields": changed }),
        )
        .await?;
    }
    let lead = leads::get(&mut tx, id)
        .await?
        .ok_or(AppError::not_found(Resource::Lead))?;
    tx.commit().await?;
    Ok(lead)
}

/// 1 to MAX_BULK lead ids, deduplicated, or 422 on `lead_ids`.
pub(crate) fn bulk_ids(ids: &[uuid::Uuid]) -> AppResult<Vec<uuid::Uuid>> {
    if ids.is_empty() || ids.len() > MAX_BULK {
        return Err(AppError::field(
            "lead_ids",
            format!("envie de 1 a {MAX_BULK} ids"),
        ));
    }
    let mut unique = ids.to_vec();
    unique.sort();
    unique.dedup();
    Ok(unique)
}

/// What a bulk request does.
pub enum BulkAction {
    Archive,
    Unarchive,
    Assign(Option<uuid::Uuid>),
}

#[tracing::instrument(skip_all, fields(org_id = %ctx.org_id()))]
pub async fn bulk(
    db: &Db,
    ctx: &TenantCtx,
    ids: &[uuid::Uuid],
    action: BulkAction,
    client: &ClientInfo,
) -> AppResult<u64> {
    let ids = bulk_ids(ids)?;
    let mut tx = db.begin_tenant(ctx).await?;
    let (affected, name) = match action {
        BulkAction::Archive => (
            leads::set_archived(&mut tx, &ids, true, Utc::now()).await?,
            event_kind::LEADS_ARCHIVED,
        ),
        BulkAction::Unarchive => (
            leads::set_archived(&mut tx, &ids, false, Utc::now()).await?,
            event_kind::LEADS_UNARCHIVED,
        ),
        BulkAction::Assign(owner) => {
            if let Some(owner) = owner {
                ensure_member(&mut tx, "owner_id", owner).await?;
            }
            (
                leads::assign(&mut tx, &ids, owner).await?,
                event_kind::LEADS_ASSIGNED,
            )
        }
    };
    if affected > 0 {
        let mut entry = audit_entry(client, name, "lead");
        entry.changes = json!({ "lead_ids": ids, "affected": affected });
        audit::record(&mut tx, entry).await?;
        events::publish(&mut tx, name, json!({ "count": affected })).await?;
    }
    tx.commit().await?;
    Ok(affected)
}

#[tracing::instrument(skip_all, fields(org_id = %ctx.org_id(), lead_id = %id))]
pub async fn delete(
    db: &Db,
    ctx: &TenantCtx,
    id: uuid::Uuid,
    client: &ClientInfo,
) -> AppResult<()> {
    let mut tx = db.begin_tenant(ctx).await?;
    if !leads::soft_delete(&mut tx, id, Utc::now()).await? {
        return Err(AppError::not_found(Resource::Lead));
    }
    let mut entry = audit_entry(client, "lead.deleted", "lead");
    entry.resource_id = Some(id);
    audit::record(&mut tx, entry).await?;
    events::publish(&mut tx, event_kind::LEAD_DELETED, json!({ "lead_id": id })).await?;
    tx.commit().await?;
    Ok(())
}
