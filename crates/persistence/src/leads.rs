//! Leads: creation under the plan's lead quota, reads, enrichment results and the
//! shared registry cache.

use std::collections::HashSet;

use chrono::{DateTime, NaiveDate, Utc};
use flux_domain::lead::{EnrichmentOutcome, EnrichmentStatus, LeadStatus};
use serde_json::Value;
use uuid::Uuid;

use crate::{error::RepoResult, TenantTx};

/// A lead to insert; fields already validated by the domain types.
#[derive(Debug, Clone, Default)]
pub struct NewLead {
    pub cnpj: String,
    pub razao_social: Option<String>,
    pub nome_fantasia: Option<String>,
    pub email: Option<String>,
    pub telefone: Option<String>,
    pub contact_name: Option<String>,
}

/// Serializes lead creation within the organization until the transaction ends, so
/// the quota check and the inserts that follow it see a stable count.
pub async fn lock_quota(tx: &mut TenantTx) -> RepoResult<()> {
    let key = format!("leads-quota:{}", tx.ctx().org_id());
    sqlx::query!("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", key)
        .execute(tx.conn())
        .await?;
    Ok(())
}

/// Live (not deleted) leads: what the plan's `max_leads` counts.
pub async fn count_live(tx: &mut TenantTx) -> RepoResult<i64> {
    Ok(
        sqlx::query_scalar!(r#"SELECT count(*) AS "n!" FROM leads WHERE deleted_at IS NULL"#)
            .fetch_one(tx.conn())
            .await?,
    )
}

/// Which of `cnpjs` already belong to a live lead of the organization.
pub async fn existing_cnpjs(tx: &mut TenantTx, cnpjs: &[String]) -> RepoResult<HashSet<String>> {
    if cnpjs.is_empty() {
        return Ok(HashSet::new());
    }
    let found = sqlx::query_scalar!(
        "SELECT cnpj FROM leads WHERE deleted_at IS NULL AND cnpj = ANY($1)",
        cnpjs
    )
    .fetch_all(tx.conn())
    .await?;
    Ok(found.into_iter().collect())
}

/// Inserts leads in one statement, skipping CNPJs that already have a live lead;
/// returns `(id, cnpj)` of the rows actually created.
pub async fn insert_many(
    tx: &mut TenantTx,
    leads: &[NewLead],
    import_id: Option<Uuid>,
    created_by: Option<Uuid>,
) -> RepoResult<Vec<(Uuid, String)>> {
    if leads.is_empty() {
        return Ok(Vec::new());
    }
    let org_id = tx.ctx().org_id().uuid();
    let column = |f: fn(&NewLead) -> Option<String>| leads.iter().map(f).collect::<Vec<_>>();
    let cnpjs: Vec<String> = leads.iter().map(|l| l.cnpj.clone()).collect();
    let razao = column(|l| l.razao_social.clone());
    let fantasia = column(|l| l.nome_fantasia.clone());
    let email = column(|l| l.email.clone());
    let telefone = column(|l| l.telefone.clone());
    let contact = column(|l| l.contact_name.clone());
    let rows = sqlx::query!(
        "INSERT INTO leads (org_id, cnpj, razao_social, nome_fantasia, email, telefone,
                            contact_name, import_id, created_by, owner_id)
         SELECT $1, c, r, f, e, tel, n, $8, $9, $9
         FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[])
              AS u(c, r, f, e, tel, n)
         ON CONFLICT (org_id, cnpj) WHERE deleted_at IS NULL DO NOTHING
         RETURNING id, cnpj",
        org_id,
        &cnpjs,
        &razao as &[Option<String>],
        &fantasia as &[Option<String>],
        &email as &[Option<String>],
        &telefone as &[Option<String>],
        &contact as &[Option<String>],
        import_id,
        created_by
    )
    .fetch_all(tx.conn())
    .await?;
    Ok(rows.into_iter().map(|r| (r.id, r.cnpj)).collect())
}

/// A lead as stored.
#[derive(Debug, Clone)]
pub struct LeadRecord {
    pub id: Uuid,
    pub cnpj: String,
    pub status: LeadStatus,
    pub enrichment_status: EnrichmentStatus,
    pub razao_social: Option<String>,
    pub nome_fantasia: Option<String>,
    pub endereco: Option<Value>,
    pub uf: Option<String>,
    pub cidade: Option<String>,
    pub porte: Option<String>,
    pub cnae: Option<String>,
    pub cnae_descricao: Option<String>,
    pub situacao_cadastral: Option<String>,
    pub natureza_juridica: Option<String>,
    pub capital_social_cents: Option<i64>,
    pub data_abertura: Option<NaiveDate>,
    pub socios: Value,
    pub email: Option<String>,
    pub telefone: Option<String>,
    pub contact_name: Option<String>,
    pub do_not_contact: bool,
    pub owner_id: Option<Uuid>,
    pub enriched_at: Option<DateTime<Utc>>,
    pub enrichment_provider: Option<String>,
    pub premium_contacts: Option<Value>,
    pub faturamento_estimado_cents: Option<i64>,
    pub import_id: Option<Uuid>,
    pub created_by: Option<Uuid>,
    pub archived_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A live (not deleted) lead by id.
/// Whether a live (not deleted) lead exists in the organization.
pub async fn exists(tx: &mut TenantTx, id: Uuid) -> RepoResult<bool> {
    Ok(sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM leads WHERE id = $1 AND deleted_at IS NULL) AS "e!""#,
        id
    )
    .fetch_one(tx.conn())
    .await?)
}

pub async fn get(tx: &mut TenantTx, id: Uuid) -> RepoResult<Option<LeadRecord>> {
    Ok(sqlx::query_as!(
        LeadRecord,
        r#"SELECT id, cnpj, status AS "status: LeadStatus",
                  enrichment_status AS "enrichment_status: EnrichmentStatus",
                  razao_social, nome_fantasia, endereco, uf, cidade, porte, cnae, cnae_descricao,
                  situacao_cadastral, natureza_juridica, capital_social_cents, data_abertura, socios,
                  email, telefone, contact_name, do_not_contact, owner_id, enriched_at,
                  enrichment_provider, premium_contacts, faturamento_estimado_cents, import_id,
                  created_by, archived_at, created_at, updated_at
           FROM leads WHERE id = $1 AND deleted_at IS NULL"#,
        id
    )
    .fetch_optional(tx.conn())
    .await?)
}

/// Moves a lead's enrichment status.
pub async fn set_enrichment_status(
    tx: &mut TenantTx,
    id: Uuid,
    status: EnrichmentStatus,
) -> RepoResult<()> {
    sqlx::query!(
        "UPDATE leads SET enrichment_status = $2 WHERE id = $1 AND deleted_at IS NULL",
        id,
        status.as_str()
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// Registry data found for a lead. Contact fields only fill blanks: what the SDR
/// typed or imported is never overwritten by registry data.
#[derive(Debug, Clone, Default)]
pub struct Enrichment {
    pub provider: String,
    pub razao_social: Option<String>,
    pub nome_fantasia: Option<String>,
    pub endereco: Option<Value>,
    pub uf: Option<String>,
    pub cidade: Option<String>,
    pub porte: Option<String>,
    pub cnae: Option<String>,
    pub cnae_descricao: Option<String>,
    pub situacao_cadastral: Option<String>,
    pub natureza_juridica: Option<String>,
    pub capital_social_cents: Option<i64>,
    pub data_abertura: Option<NaiveDate>,
    pub socios: Value,
    pub email: Option<String>,
    pub telefone: Option<String>,
    pub premium_contacts: Option<Value>,
    pub faturamento_estimado_cents: Option<i64>,
}

pub async fn apply_enrichment(
    tx: &mut TenantTx,
    id: Uuid,
    e: &Enrichment,
    now: DateTime<Utc>,
) -> RepoResult<()> {
    sqlx::query!(
        "UPDATE leads SET
           enrichment_status = 'enriched', enriched_at = $2, enrichment_provider = $3,
           razao_social = coalesce($4, razao_social), nome_fantasia = coalesce($5, nome_fantasia),
           endereco = $6, uf = $7, cidade = $8, porte = $9, cnae = $10, cnae_descricao = $11,
           situacao_cadastral = $12, natureza_juridica = $13, capital_social_cents = $14,
           data_abertura = $15, socios = $16,
           email = coalesce(email, $17), telefone = coalesce(telefone, $18),
           premium_contacts = coalesce($19, premium_contacts),
           faturamento_estimado_cents = coalesce($20, faturamento_estimado_cents)
         WHERE id = $1 AND deleted_at IS NULL",
        id,
        now,
        e.provider,
        e.razao_social,
        e.nome_fantasia,
        e.endereco,
        e.uf,
        e.cidade,
        e.porte,
        e.cnae,
        e.cnae_descricao,
        e.situacao_cadastral,
        e.natureza_juridica,
        e.capital_social_cents,
        e.data_abertura,
        e.socios,
        e.email,
        e.telefone,
        e.premium_contacts,
        e.faturamento_estimado_cents
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// One provider call, for the enrichment history.
#[derive(Debug, Clone)]
pub struct AttemptRecord {
    pub provider: String,
    pub outcome: EnrichmentOutcome,
    pub http_status: Option<i16>,
    pub from_cache: bool,
    pub error_message: Option<String>,
    pub duration_ms: i32,
    pub created_at: DateTime<Utc>,
}

pub async fn insert_attempts(
    tx: &mut TenantTx,
    lead_id: Uuid,
    attempts: &[AttemptRecord],
) -> RepoResult<()> {
    if attempts.is_empty() {
        return Ok(());
    }
    let org_id = tx.ctx().org_id().uuid();
    let providers: Vec<String> = attempts.iter().map(|a| a.provider.clone()).collect();
    let outcomes: Vec<&str> = attempts.iter().map(|a| a.outcome.as_str()).collect();
    let statuses: Vec<Option<i16>> = attempts.iter().map(|a| a.http_status).collect();
    let cached: Vec<bool> = attempts.iter().map(|a| a.from_cache).collect();
    let errors: Vec<Option<String>> = attempts.iter().map(|a| a.error_message.clone()).collect();
    let durations: Vec<i32> = attempts.iter().map(|a| a.duration_ms).collect();
    let at: Vec<DateTime<Utc>> = attempts.iter().map(|a| a.created_at).collect();
    sqlx::query!(
        "INSERT INTO enrichment_attempts (org_id, lead_id, provider, outcome, http_status, from_cache,
                                          error_message, duration_ms, created_at)
         SELECT $1, $2, p, o::enrichment_outcome, s, c, e, d, t
         FROM unnest($3::text[], $4::text[], $5::smallint[], $6::bool[], $7::text[], $8::int[], $9::timestamptz[])
              AS u(p, o, s, c, e, d, t)",
        org_id,
        lead_id,
        &providers,
        &outcomes as &[&str],
        &statuses as &[Option<i16>],
        &cached,
        &errors as &[Option<String>],
        &durations,
        &at
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// The enrichment history of a lead, newest first.
pub async fn attempts(
    tx: &mut TenantTx,
    lead_id: Uuid,
    limit: i64,
) -> RepoResult<Vec<AttemptRecord>> {
    Ok(sqlx::query_as!(
        AttemptRecord,
        r#"SELECT provider, outcome AS "outcome: EnrichmentOutcome", http_status, from_cache, error_message,
                  duration_ms, created_at
           FROM enrichment_attempts WHERE lead_id = $1
           ORDER BY created_at DESC, id LIMIT $2"#,
        lead_id,
        limit
    )
    .fetch_all(tx.conn())
    .await?)
}

/// Public registry data cached for `cnpj` and fetched after `fresh_after`.
pub async fn cached_registry(
    tx: &mut TenantTx,
    cnpj: &str,
    fresh_after: DateTime<Utc>,
) -> RepoResult<Option<(String, Value)>> {
    Ok(sqlx::query!(
        "SELECT provider, data FROM company_registry_cache WHERE cnpj = $1 AND fetched_at > $2",
        cnpj,
        fresh_after
    )
    .fetch_optional(tx.conn())
    .await?
    .map(|r| (r.provider, r.data)))
}

pub async fn cache_registry(
    tx: &mut TenantTx,
    cnpj: &str,
    provider: &str,
    data: &Value,
    now: DateTime<Utc>,
) -> RepoResult<()> {
    sqlx::query!(
        "INSERT INTO company_registry_cache (cnpj, provider, data, fetched_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (cnpj) DO UPDATE SET provider = $2, data = $3, fetched_at = $4",
        cnpj,
        provider,
        data,
        now
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// Fields a member may change. `None` leaves a field alone; `Some(None)` clears it.
#[derive(Debug, Clone, Default)]
pub struct LeadPatch {
    pub razao_social: Option<Option<String>>,
    pub nome_fantasia: Option<Option<String>>,
    pub email: Option<Option<String>>,
    pub telefone: Option<Option<String>>,
    pub contact_name: Option<Option<String>>,
    pub status: Option<LeadStatus>,
    pub owner_id: Option<Option<Uuid>>,
    pub do_not_contact: Option<bool>,
}

impl LeadPatch {
    pub fn is_empty(&self) -> bool {
        self.razao_social.is_none()
            && self.nome_fantasia.is_none()
            && self.email.is_none()
            && self.telefone.is_none()
            && self.contact_name.is_none()
            && self.status.is_none()
            && self.owner_id.is_none()
            && self.do_not_contact.is_none()
    }
}

/// Applies `patch`; `false` when there is no such live lead.
pub async fn update(tx: &mut TenantTx, id: Uuid, patch: &LeadPatch) -> RepoResult<bool> {
    if patch.is_empty() {
        return Ok(get(tx, id).await?.is_some());
    }
    let mut q = sqlx::QueryBuilder::<sqlx::Postgres>::new("UPDATE leads SET ");
    {
        let mut set = q.separated(", ");
        let text_fields = [
            ("razao_social", &patch.razao_social),
            ("nome_fantasia", &patch.nome_fantasia),
            ("email", &patch.email),
            ("telefone", &patch.telefone),
            ("contact_name", &patch.contact_name),
        ];
        for (column, value) in text_fields {
            if let Some(value) = value {
                set.push(format!("{column} = "))
                    .push_bind_unseparated(value.clone());
            }
        }
        if let Some(status) = &patch.status {
            set.push("status = ").push_bind_unseparated(status.as_str());
        }
        if let Some(owner) = patch.owner_id {
            set.push("owner_id = ").push_bind_unseparated(owner);
        }
        if let Some(flag) = patch.do_not_contact {
            set.push("do_not_contact = ").push_bind_unseparated(flag);
        }
    }
    q.push(" WHERE id = ")
        .push_bind(id)
        .push(" AND deleted_at IS NULL");
    Ok(q.build().execute(tx.conn()).await?.rows_affected() == 1)
}

/// Archives (or unarchives) the live leads among `ids`; returns how many changed.
pub async fn set_archived(
    tx: &mut TenantTx,
    ids: &[Uuid],
    archived: bool,
    now: DateTime<Utc>,
) -> RepoResult<u64> {
    let done = if archived {
        sqlx::query!(
            "UPDATE leads SET archived_at = $2 WHERE id = ANY($1) AND deleted_at IS NULL AND archived_at IS NULL",
            ids,
            now
        )
        .execute(tx.conn())
        .await?
    } else {
        sqlx::query!(
            "UPDATE leads SET archived_at = NULL WHERE id = ANY($1) AND deleted_at IS NULL AND archived_at IS NOT NULL",
            ids
        )
        .execute(tx.conn())
        .await?
    };
    Ok(done.rows_affected())
}

/// Gives the live leads among `ids` to `owner` (or nobody); returns how many changed.
pub async fn assign(tx: &mut TenantTx, ids: &[Uuid], owner: Option<Uuid>) -> RepoResult<u64> {
    Ok(sqlx::query!(
        "UPDATE leads SET owner_id = $2 WHERE id = ANY($1) AND deleted_at IS NULL
         AND owner_id IS DISTINCT FROM $2",
        ids,
        owner
    )
    .execute(tx.conn())
    .await?
    .rows_affected())
}

/// Soft delete: the lead disappears everywhere and its CNPJ may be imported again.
pub async fn soft_delete(tx: &mut TenantTx, id: Uuid, now: DateTime<Utc>) -> RepoResult<bool> {
    Ok(sqlx::query!(
        "UPDATE leads SET deleted_at = $2 WHERE id = $1 AND deleted_at IS NULL",
        id,
        now
    )
    .execute(tx.conn())
    .await?
    .rows_affected()
        == 1)
}

/// Queues one `leads.enrich` job per pending lead of an import (skipping leads that
/// already have a live one); returns how many were queued.
pub async fn enqueue_enrichment_of_import(
    tx: &mut TenantTx,
    import_id: Uuid,
    max_attempts: i32,
    run_at: DateTime<Utc>,
) -> RepoResult<u64> {
    let org_id = tx.ctx().org_id().uuid();
    Ok(sqlx::query!(
        "INSERT INTO jobs (org_id, kind, payload, unique_key, max_attempts, run_at)
         SELECT $1, $5, jsonb_build_object('lead_id', id), id::text, $3, $4
         FROM leads
         WHERE import_id = $2 AND deleted_at IS NULL AND enrichment_status = 'pending'
         ORDER BY created_at
         ON CONFLICT (org_id, kind, unique_key)
           WHERE unique_key IS NOT NULL AND status IN ('queued', 'running')
         DO NOTHING",
        org_id,
        import_id,
        max_attempts,
        run_at,
        crate::jobs::kinds::ENRICH_LEAD
    )
    .execute(tx.conn())
    .await?
    .rows_affected())
}

/// Marks the lead `enriching` for this run, unless another run holds it (claimed
/// after `stale_before`); `false` when the lead is taken or gone.
pub async fn claim_enrichment(
    tx: &mut TenantTx,
    id: Uuid,
    stale_before: DateTime<Utc>,
) -> RepoResult<bool> {
    Ok(sqlx::query!(
        "UPDATE leads SET enrichment_status = 'enriching'
         WHERE id = $1 AND deleted_at IS NULL
           AND (enrichment_status <> 'enriching' OR updated_at < $2)",
        id,
        stale_before
    )
    .execute(tx.conn())
    .await?
    .rows_affected()
        == 1)
}
