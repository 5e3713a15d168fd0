//! Leads: creation under the plan's lead quota (imports and single creation).

use std::collections::HashSet;

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

/// Leads created by an import, in creation order (tests and progress reports).
pub async fn cnpjs_of_import(tx: &mut TenantTx, import_id: Uuid) -> RepoResult<Vec<String>> {
    Ok(sqlx::query_scalar!(
        "SELECT cnpj FROM leads WHERE import_id = $1 AND deleted_at IS NULL ORDER BY created_at, cnpj",
        import_id
    )
    .fetch_all(tx.conn())
    .await?)
}
