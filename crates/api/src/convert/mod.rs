//! Mapping between domain/persistence records and wire DTOs.

pub mod ai;
pub mod cadences;
pub mod enrollments;
pub mod one_off_emails;
pub mod templates;

pub use flux_app::convert::{formatted_cnpj, import_error_code, lead_field};
use flux_dto::{
    auth::{MembershipSummary, OrganizationDto, SubscriptionSummary, UserDto},
    members::{InvitationDto, MemberDto},
};
use flux_persistence::{
    invitations::InvitationRecord,
    members::{MemberRecord, MembershipRecord},
    organizations::{OrganizationRecord, SubscriptionRecord},
    users::UserRecord,
};

pub fn user(u: &UserRecord) -> UserDto {
    UserDto {
        id: u.id,
        name: u.name.clone(),
        email: u.email.clone(),
        created_at: u.created_at,
    }
}

pub fn organization(o: &OrganizationRecord) -> OrganizationDto {
    OrganizationDto {
        id: o.id,
        name: o.name.clone(),
        slug: o.slug.clone(),
        timezone: o.timezone.clone(),
        created_at: o.created_at,
    }
}

pub fn member(m: &MemberRecord) -> MemberDto {
    MemberDto {
        id: m.id,
        user_id: m.user_id,
        name: m.name.clone(),
        email: m.email.clone(),
        role: m.role,
        status: m.status,
        accepted_at: m.accepted_at,
        created_at: m.created_at,
    }
}

pub fn membership(m: &MembershipRecord) -> MembershipSummary {
    MembershipSummary {
        org_id: m.org_id,
        org_name: m.org_name.clone(),
        org_slug: m.org_slug.clone(),
        role: m.role,
    }
}

pub fn invitation(i: &InvitationRecord) -> InvitationDto {
    InvitationDto {
        id: i.id,
        email: i.email.clone(),
        role: i.role,
        status: i.status,
        invited_by: i.invited_by,
        expires_at: i.expires_at,
        created_at: i.created_at,
    }
}

pub fn subscription(s: &SubscriptionRecord) -> SubscriptionSummary {
    SubscriptionSummary {
        plan_slug: s.plan_slug.clone(),
        plan_name: s.plan_name.clone(),
        status: s.status,
        current_period_end: s.current_period_end,
        included_users: s.included_users,
    }
}

pub fn lead_import(
    i: &flux_persistence::lead_imports::ImportRecord,
) -> flux_dto::leads::LeadImportDto {
    flux_dto::leads::LeadImportDto {
        id: i.id,
        file_name: i.file_name.clone(),
        file_size_bytes: i.file_size_bytes,
        encoding: i.encoding.clone(),
        delimiter: i.delimiter.clone(),
        // Written by this program from the same type; an unreadable value shows empty.
        mapping: serde_json::from_value(i.column_mapping.clone()).unwrap_or_default(),
        status: i.status,
        total_rows: i.total_rows,
        processed_rows: i.processed_rows,
        success_count: i.success_count,
        error_count: i.error_count,
        failure_reason: i.failure_reason.clone(),
        created_by: i.created_by,
        created_at: i.created_at,
        started_at: i.started_at,
        finished_at: i.finished_at,
    }
}

/// Stored row errors carry codes this program wrote; an unknown one is corruption.
pub fn import_row_error(
    e: &flux_persistence::lead_imports::ImportErrorRecord,
) -> Result<flux_dto::leads::ImportRowError, crate::error::ApiError> {
    let code = flux_import::RowErrorCode::from_code(&e.code).ok_or_else(|| {
        crate::error::ApiError::Internal(anyhow::anyhow!("unknown import error code {:?}", e.code))
    })?;
    Ok(flux_dto::leads::ImportRowError {
        row_number: e.row_number,
        cnpj: e.cnpj.clone(),
        code: import_error_code(code),
        message: e.message.clone(),
    })
}

fn from_json<T: serde::de::DeserializeOwned>(v: &Option<serde_json::Value>) -> Option<T> {
    v.clone().and_then(|v| serde_json::from_value(v).ok())
}

pub fn lead(
    l: &flux_persistence::leads::LeadRecord,
) -> Result<flux_dto::leads::LeadDto, crate::error::ApiError> {
    let (status, enrichment_status) = (l.status, l.enrichment_status);
    let cnpj_formatted = formatted_cnpj(&l.cnpj);
    Ok(flux_dto::leads::LeadDto {
        id: l.id,
        cnpj: l.cnpj.clone(),
        cnpj_formatted,
        status,
        enrichment_status,
        razao_social: l.razao_social.clone(),
        nome_fantasia: l.nome_fantasia.clone(),
        endereco: from_json(&l.endereco),
        uf: l.uf.clone(),
        cidade: l.cidade.clone(),
        porte: l.porte.clone(),
        cnae: l.cnae.clone(),
        cnae_descricao: l.cnae_descricao.clone(),
        situacao_cadastral: l.situacao_cadastral.clone(),
        natureza_juridica: l.natureza_juridica.clone(),
        capital_social_cents: l.capital_social_cents,
        data_abertura: l.data_abertura,
        socios: serde_json::from_value(l.socios.clone()).unwrap_or_default(),
        email: l.email.clone(),
        telefone: l.telefone.clone(),
        contact_name: l.contact_name.clone(),
        do_not_contact: l.do_not_contact,
        owner_id: l.owner_id,
        enriched_at: l.enriched_at,
        enrichment_provider: l.enrichment_provider.clone(),
        premium_contacts: from_json(&l.premium_contacts),
        faturamento_estimado_cents: l.faturamento_estimado_cents,
        import_id: l.import_id,
        created_by: l.created_by,
        archived_at: l.archived_at,
        created_at: l.created_at,
        updated_at: l.updated_at,
    })
}

pub fn enrichment_attempt(
    a: &flux_persistence::leads::AttemptRecord,
) -> Result<flux_dto::leads::EnrichmentAttemptDto, crate::error::ApiError> {
    let outcome = a.outcome;
    Ok(flux_dto::leads::EnrichmentAttemptDto {
        provider: a.provider.clone(),
        outcome,
        http_status: a.http_status.map(i32::from),
        from_cache: a.from_cache,
        error_message: a.error_message.clone(),
        duration_ms: a.duration_ms,
        created_at: a.created_at,
    })
}

pub fn lead_list_item(
    l: flux_persistence::lead_search::LeadListRow,
) -> Result<flux_dto::leads::LeadListItem, crate::error::ApiError> {
    Ok(flux_dto::leads::LeadListItem {
        id: l.id,
        cnpj_formatted: formatted_cnpj(&l.cnpj),
        cnpj: l.cnpj,
        status: l.status,
        enrichment_status: l.enrichment_status,
        razao_social: l.razao_social,
        nome_fantasia: l.nome_fantasia,
        porte: l.porte,
        cnae: l.cnae,
        uf: l.uf,
        cidade: l.cidade,
        situacao_cadastral: l.situacao_cadastral,
        email: l.email,
        telefone: l.telefone,
        contact_name: l.contact_name,
        owner_id: l.owner_id,
        do_not_contact: l.do_not_contact,
        import_id: l.import_id,
        enriched_at: l.enriched_at,
        archived_at: l.archived_at,
        created_at: l.created_at,
        updated_at: l.updated_at,
    })
}
