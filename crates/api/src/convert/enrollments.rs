//! Enrollments, funnel and timeline: records to wire DTOs.

use flux_domain::{enrollment::Refusal, interaction::InteractionType};
use flux_dto::enrollments::{
    CadenceFunnel, EnrollmentDto, FunnelCounts, FunnelStep, InteractionDto, RefusalReason,
};
use flux_persistence::{
    enrollments::{EnrollmentRecord, FunnelRow},
    interactions::InteractionRecord,
};
use uuid::Uuid;

pub fn refusal_to_dto(refusal: Refusal) -> RefusalReason {
    match refusal {
        Refusal::NotFound => RefusalReason::NotFound,
        Refusal::OptedOut => RefusalReason::OptedOut,
        Refusal::Archived => RefusalReason::Archived,
        Refusal::NoAddress(_) => RefusalReason::NoAddress,
        Refusal::AlreadyEnrolled => RefusalReason::AlreadyEnrolled,
    }
}

pub fn enrollment(e: &EnrollmentRecord) -> EnrollmentDto {
    EnrollmentDto {
        id: e.id,
        cadence_id: e.cadence_id,
        cadence_name: e.cadence_name.clone(),
        lead_id: e.lead_id,
        lead_name: e.lead_name.clone(),
        lead_cnpj: e.lead_cnpj.clone(),
        sender_id: e.sender_id,
        sender_name: e.sender_name.clone(),
        status: e.status,
        pause_reason: e.pause_reason,
        status_detail: e.status_detail.clone(),
        cadence_held: e.cadence_held,
        next_step_id: e.next_step_id,
        next_step_position: e.next_step_position,
        next_step_due: e.next_step_due,
        steps_sent: e.steps_sent,
        steps_total: e.steps_total,
        enrolled_by: e.enrolled_by,
        enrolled_at: e.enrolled_at,
        last_step_at: e.last_step_at,
        finished_at: e.finished_at,
    }
}

pub fn interaction(i: &InteractionRecord) -> InteractionDto {
    InteractionDto {
        id: i.id,
        kind: i.kind,
        channel: i.channel,
        summary: i.summary.clone(),
        enrollment_id: i.enrollment_id,
        cadence_id: i.cadence_id,
        cadence_name: i.cadence_name.clone(),
        step_id: i.step_id,
        step_position: i.step_position,
        template_id: i.template_id,
        ai_generated: i.ai_generated,
        actor_id: i.actor_id,
        occurred_at: i.occurred_at,
    }
}

/// Folds the (step, type, count) rows, ordered by position, into one entry per step.
pub fn funnel(cadence_id: Uuid, rows: &[FunnelRow]) -> CadenceFunnel {
    let mut steps: Vec<FunnelStep> = Vec::new();
    for row in rows {
        if steps.last().map(|s| s.step_id) != Some(row.step_id) {
            steps.push(FunnelStep {
                step_id: row.step_id,
                position: row.position,
                channel: row.channel,
                template_name: row.template_name.clone(),
                counts: FunnelCounts::default(),
            });
        }
        let Some(step) = steps.last_mut() else {
            continue;
        };
        let counts = &mut step.counts;
        let slot = match row.kind {
            Some(InteractionType::Sent) => &mut counts.sent,
            Some(InteractionType::Delivered) => &mut counts.delivered,
            Some(InteractionType::Opened) => &mut counts.opened,
            Some(InteractionType::Clicked) => &mut counts.clicked,
            Some(InteractionType::Replied) => &mut counts.replied,
            Some(InteractionType::Bounced) => &mut counts.bounced,
            Some(InteractionType::Failed) => &mut counts.failed,
            Some(InteractionType::Unsubscribed) => &mut counts.unsubscribed,
            Some(InteractionType::MeetingScheduled) | None => continue,
        };
        *slot = row.count;
    }
    CadenceFunnel { cadence_id, steps }
}
