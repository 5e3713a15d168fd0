//! Enrollments: enrolling leads in bulk (with a reason for each refusal), listing,
//! pausing, resuming and unenrolling; the cadence funnel and the lead timeline.

use std::collections::HashMap;

use chrono::Utc;
use flux_domain::{
    cadence::CadenceStatus,
    enrollment::{self, EnrollmentAction, EnrollmentStatus, LeadEligibility, PauseReason, Refusal},
    TenantCtx,
};
use flux_persistence::{
    cadences,
    engine::{self, SentMessage},
    enrollments::{self, EnrollmentFilter, EnrollmentRecord, FunnelRow},
    interactions::{self, InteractionRecord},
    leads, members, Db, TenantTx,
};
use serde_json::json;
use uuid::Uuid;

use crate::{
    access::require_send_as,
    audit::audit_change,
    error::{AppError, AppResult},
    leads::bulk_ids,
    ClientInfo, Resource,
};

/// Each lead asked for: enrolled (with the enrollment id) or refused.
#[derive(Debug, Default)]
pub struct EnrollOutcome {
    pub enrolled: Vec<(Uuid, Uuid)>,
    pub refused: Vec<(Uuid, Refusal)>,
}

/// Enrolls leads in a cadence, all starting at its first step, each sent by `sender`
/// (the caller when `None`). Refused leads are reported, not errors.
#[tracing::instrument(skip_all, fields(org_id = %ctx.org_id(), cadence_id = %cadence_id, leads = lead_ids.len()))]
pub async fn enroll(
    db: &Db,
    ctx: &TenantCtx,
    cadence_id: Uuid,
    lead_ids: &[Uuid],
    sender: Option<Uuid>,
    client: &ClientInfo,
) -> AppResult<EnrollOutcome> {
    let lead_ids = bulk_ids(lead_ids)?;
    let sender = match sender {
        Some(id) => id,
        None if ctx.is_system() => {
            return Err(AppError::field(
                "sender_id",
                "informe quem envia as mensagens",
            ))
        }
        None => ctx.user_id().uuid(),
    };
    if !ctx.is_system() && sender != ctx.user_id().uuid() {
        require_send_as(ctx, "Só gestores escolhem outro membro como remetente")?;
    }
    let mut tx = db.begin_tenant(ctx).await?;
    let status = cadences::lock(&mut tx, cadence_id)
        .await?
        .ok_or(AppError::not_found(Resource::Cadence))?;
    if status == CadenceStatus::Archived {
        return Err(AppError::Conflict {
            message: "Não é possível inscrever leads numa cadência arquivada".into(),
            fields: vec![],
        });
    }
    if !members::is_active_member(&mut tx, sender).await? {
        return Err(AppError::field(
            "sender_id",
            "deve ser um membro ativo da organização",
        ));
    }
    let first = enrollments::first_step(&mut tx, cadence_id)
        .await?
        .ok_or_else(|| AppError::Conflict {
            message: "A cadência não tem passos".into(),
            fields: vec![],
        })?;
    let outcome = enroll_eligible(&mut tx, cadence_id, &lead_ids, sender, &first, status).await?;
    if !outcome.enrolled.is_empty() {
        if status == CadenceStatus::Active {
            enrollments::notify_engine(&mut tx).await?;
        }
        audit_change(
            &mut tx,
            client,
            "cadence.leads_enrolled",
            "cadence",
            cadence_id,
            json!({
                "enrolled": outcome.enrolled.len(),
                "refused": outcome.refused.len(),
                "sender_id": sender,
            }),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(outcome)
}

async fn enroll_eligible(
    tx: &mut TenantTx,
    cadence_id: Uuid,
    lead_ids: &[Uuid],
    sender: Uuid,
    first: &enrollments::FirstStep,
    status: CadenceStatus,
) -> AppResult<EnrollOutcome> {
    let rows = enrollments::eligibility(tx, cadence_id, lead_ids).await?;
    let found: HashMap<Uuid, &enrollments::LeadEligibilityRow> =
        rows.iter().map(|r| (r.id, r)).collect();
    let mut outcome = EnrollOutcome::default();
    let mut eligible = Vec::with_capacity(lead_ids.len());
    for &lead_id in lead_ids {
        let refusal = match found.get(&lead_id) {
            None => Some(Refusal::NotFound),
            Some(row) => enrollment::refusal(
                &LeadEligibility {
                    do_not_contact: row.do_not_contact,
                    archived: row.archived,
                    email: row.email.as_deref(),
                    phone: row.phone.as_deref(),
                    already_enrolled: row.already_enrolled,
                },
                first.channel,
            ),
        };
        match refusal {
            Some(reason) => outcome.refused.push((lead_id, reason)),
            None => eligible.push(lead_id),
        }
    }
    let inserted = enrollments::insert_many(
        tx,
        cadence_id,
        &eligible,
        sender,
        first,
        status.holds_enrollments(),
    )
    .await?;
    let inserted: HashMap<Uuid, Uuid> = inserted.into_iter().collect();
    for lead_id in eligible {
        match inserted.get(&lead_id) {
            Some(&enrollment_id) => outcome.enrolled.push((lead_id, enrollment_id)),
            // Enrolled by a concurrent request between the check and the insert.
            None => outcome.refused.push((lead_id, Refusal::AlreadyEnrolled)),
        }
    }
    Ok(outcome)
}

/// A page of enrollments of one live cadence.
pub async fn list_for_cadence(
    db: &Db,
    ctx: &TenantCtx,
    cadence_id: Uuid,
    filter: EnrollmentFilter,
    page: i64,
    per_page: i64,
) -> AppResult<(Vec<EnrollmentRecord>, i64)> {
    let mut tx = db.begin_tenant(ctx).await?;
    cadences::get(&mut tx, cadence_id)
        .await?
        .ok_or(AppError::not_found(Resource::Cadence))?;
    let filter = EnrollmentFilter {
        cadence_id: Some(cadence_id),
        ..filter
    };
    let found = enrollments::list(&mut tx, &filter, per_page, (page - 1) * per_page).await?;
    tx.end_read_only();
    Ok(found)
}

pub async fn get(
    db: &Db,
    ctx: &TenantCtx,
    cadence_id: Uuid,
    id: Uuid,
) -> AppResult<EnrollmentRecord> {
    let mut tx = db.begin_tenant(ctx).await?;
    let found = enrollments::get(&mut tx, cadence_id, id)
        .await?
        .ok_or(AppError::not_found(Resource::Enrollment))?;
    tx.end_read_only();
    Ok(found)
}

/// Pause, resume or unenroll one enrollment.
#[tracing::instrument(skip_all, fields(org_id = %ctx.org_id(), enrollment_id = %id, ?action))]
pub async fn act(
    db: &Db,
    ctx: &TenantCtx,
    cadence_id: Uuid,
    id: Uuid,
    action: EnrollmentAction,
    client: &ClientInfo,
) -> AppResult<EnrollmentRecord> {
    let mut tx = db.begin_tenant(ctx).await?;
    let (status, pause_reason) = enrollments::lock(&mut tx, cadence_id, id)
        .await?
        .ok_or(AppError::not_found(Resource::Enrollment))?;
    enrollment::check_action(status, pause_reason, action).map_err(|e| AppError::Conflict {
        message: e.to_string(),
        fields: vec![],
    })?;
    let audit_action = match action {
        EnrollmentAction::Pause => {
            enrollments::pause(&mut tx, id).await?;
            "enrollment.paused"
        }
        EnrollmentAction::Resume => {
            enrollments::resume(&mut tx, id).await?;
            enrollments::notify_engine(&mut tx).await?;
            "enrollment.resumed"
        }
        EnrollmentAction::Unenroll => {
            enrollments::unenroll(&mut tx, id, "Removido da cadência manualmente").await?;
            "enrollment.unenrolled"
        }
    };
    let updated = enrollments::get(&mut tx, cadence_id, id)
        .await?
        .ok_or(AppError::not_found(Resource::Enrollment))?;
    audit_change(
        &mut tx,
        client,
        audit_action,
        "enrollment",
        id,
        json!({ "cadence_id": cadence_id, "lead_id": updated.lead_id, "from": status.as_str() }),
    )
    .await?;
    tx.commit().await?;
    Ok(updated)
}

/// Settles a send a crash left unknown: `was_sent` records it as sent and moves the
/// lead on; otherwise it goes out again. Either way the enrollment is active again.
#[tracing::instrument(skip_all, fields(org_id = %ctx.org_id(), enrollment_id = %id, was_sent))]
pub async fn resolve_review(
    db: &Db,
    ctx: &TenantCtx,
    cadence_id: Uuid,
    id: Uuid,
    was_sent: bool,
    client: &ClientInfo,
) -> AppResult<EnrollmentRecord> {
    let mut tx = db.begin_tenant(ctx).await?;
    let (status, pause_reason) = enrollments::lock(&mut tx, cadence_id, id)
        .await?
        .ok_or(AppError::not_found(Resource::Enrollment))?;
    let enrollment = enrollments::get(&mut tx, cadence_id, id)
        .await?
        .ok_or(AppError::not_found(Resource::Enrollment))?;
    if enrollment.sender_id != ctx.user_id().uuid() {
        require_send_as(
            ctx,
            "Só quem envia ou um gestor decide se um envio pendente de revisão saiu",
        )?;
    }
    let send_id = match (status, pause_reason) {
        (EnrollmentStatus::Paused, Some(PauseReason::ReviewRequired)) => {
            enrollments::send_in_review(&mut tx, id).await?
        }
        _ => None,
    }
    .ok_or_else(|| AppError::Conflict {
        message: "Esta inscrição não tem envio pendente de revisão".into(),
        fields: vec![],
    })?;
    enrollments::resolve_review(&mut tx, send_id, was_sent).await?;
    enrollments::resume(&mut tx, id).await?;
    if was_sent {
        let sent = SentMessage {
            send_id,
            provider_id: None,
        };
        engine::record_sent(&mut tx, &[sent], Utc::now()).await?;
    } else {
        enrollments::notify_engine(&mut tx).await?;
    }
    let updated = enrollments::get(&mut tx, cadence_id, id)
        .await?
        .ok_or(AppError::not_found(Resource::Enrollment))?;
    audit_change(
        &mut tx,
        client,
        "enrollment.review_resolved",
        "enrollment",
        id,
        json!({ "send_id": send_id, "was_sent": was_sent }),
    )
    .await?;
    tx.commit().await?;
    Ok(updated)
}

/// The per-step funnel of a live cadence.
pub async fn funnel(db: &Db, ctx: &TenantCtx, cadence_id: Uuid) -> AppResult<Vec<FunnelRow>> {
    let mut tx = db.begin_tenant(ctx).await?;
    cadences::get(&mut tx, cadence_id)
        .await?
        .ok_or(AppError::not_found(Resource::Cadence))?;
    let rows = enrollments::funnel(&mut tx, cadence_id).await?;
    tx.end_read_only();
    Ok(rows)
}

/// A lead's timeline: a page of interactions and every enrollment.
pub struct Timeline {
    pub interactions: Vec<InteractionRecord>,
    pub total: i64,
    pub enrollments: Vec<EnrollmentRecord>,
}

pub async fn timeline(
    db: &Db,
    ctx: &TenantCtx,
    lead_id: Uuid,
    page: i64,
    per_page: i64,
) -> AppResult<Timeline> {
    let mut tx = db.begin_tenant(ctx).await?;
    if !leads::exists(&mut tx, lead_id).await? {
        return Err(AppError::not_found(Resource::Lead));
    }
    let (interactions, total) =
        interactions::for_lead(&mut tx, lead_id, per_page, (page - 1) * per_page).await?;
    let filter = EnrollmentFilter {
        lead_id: Some(lead_id),
        ..EnrollmentFilter::default()
    };
    let (enrollments, _) = enrollments::list(&mut tx, &filter, i64::MAX, 0).await?;
    tx.end_read_only();
    Ok(Timeline {
        interactions,
        total,
        enrollments,
    })
}
