//! The facts a template is rendered with, read from the lead, the sender and the
//! organization.

use flux_domain::TemplateFacts;
use uuid::Uuid;

use crate::{error::RepoResult, TenantTx};

/// Facts for rendering to a live lead as `sender_id`; `None` when the lead is not
/// visible. `local_hour` is left for the caller (it depends on the moment of sending).
pub async fn for_lead(
    tx: &mut TenantTx,
    lead_id: Uuid,
    sender_id: Uuid,
) -> RepoResult<Option<TemplateFacts>> {
    let row = sqlx::query!(
        r#"SELECT l.razao_social, l.nome_fantasia, l.cnpj, l.cidade, l.uf, l.porte,
                  l.cnae_descricao, l.socios -> 0 ->> 'nome' AS primeiro_socio, l.contact_name,
                  l.email, l.telefone,
                  u.name AS "sdr_nome?", u.email AS "sdr_email?", o.name AS org_nome
           FROM leads l
           JOIN organizations o ON o.id = l.org_id
           LEFT JOIN users u ON u.id = $2
           WHERE l.id = $1 AND l.deleted_at IS NULL"#,
        lead_id,
        sender_id
    )
    .fetch_optional(tx.conn())
    .await?;
    Ok(row.map(|r| TemplateFacts {
        razao_social: r.razao_social,
        nome_fantasia: r.nome_fantasia,
        cnpj: Some(r.cnpj),
        cidade: r.cidade,
        uf: r.uf,
        porte: r.porte,
        atividade: r.cnae_descricao,
        primeiro_socio: r.primeiro_socio,
        contato_nome: r.contact_name,
        email: r.email,
        telefone: r.telefone,
        sdr_nome: r.sdr_nome,
        sdr_email: r.sdr_email,
        org_nome: Some(r.org_nome),
        local_hour: None,
    }))
}

/// The organization's time zone (IANA name).
pub async fn org_timezone(tx: &mut TenantTx) -> RepoResult<String> {
    Ok(
        sqlx::query_scalar!("SELECT timezone FROM organizations WHERE id = app_current_org()")
            .fetch_one(tx.conn())
            .await?,
    )
}

/// The lead's partners' names as registered (`socios[].nome`), in order.
pub async fn partner_names(tx: &mut TenantTx, lead_id: Uuid) -> RepoResult<Vec<String>> {
    Ok(sqlx::query_scalar!(
        r#"SELECT s ->> 'nome' AS "nome!"
           FROM leads l, jsonb_array_elements(
             CASE WHEN jsonb_typeof(l.socios) = 'array' THEN l.socios ELSE '[]'::jsonb END) s
           WHERE l.id = $1 AND s ->> 'nome' IS NOT NULL"#,
        lead_id
    )
    .fetch_all(tx.conn())
    .await?)
}
