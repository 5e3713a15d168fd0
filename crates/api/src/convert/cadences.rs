//! Cadences: records to wire DTOs and requests to service inputs.

use flux_dto::{
    cadences::{CadenceDto, CadenceStepDto, CadenceStepInput, EnrollmentCounts},
    enrollments::EnrollmentStatus,
};
use flux_persistence::cadences::{CadenceRecord, StepValues};

use flux_app::cadences::StepRequest;

fn count(record: &CadenceRecord, status: EnrollmentStatus) -> i64 {
    record
        .enrollments
        .by_status
        .get(&status)
        .copied()
        .unwrap_or_default()
}

pub fn step_request(step: &CadenceStepInput) -> StepRequest {
    StepRequest {
        id: step.id,
        values: StepValues {
            channel: step.channel,
            template_id: step.template_id,
            delay_days: step.delay_days,
            delay_hours: step.delay_hours,
            ai_personalization: step.ai_personalization,
        },
    }
}

pub fn cadence(c: &CadenceRecord) -> CadenceDto {
    CadenceDto {
        id: c.id,
        name: c.name.clone(),
        description: c.description.clone(),
        status: c.status,
        steps: c
            .steps
            .iter()
            .map(|s| CadenceStepDto {
                id: s.id,
                position: s.position,
                channel: s.channel,
                template_id: s.template_id,
                template_name: s.template_name.clone(),
                delay_days: s.delay_days,
                delay_hours: s.delay_hours,
                ai_personalization: s.ai_personalization,
            })
            .collect(),
        enrollments: EnrollmentCounts {
            active: count(c, EnrollmentStatus::Active),
            paused: count(c, EnrollmentStatus::Paused),
            completed: count(c, EnrollmentStatus::Completed),
            replied: count(c, EnrollmentStatus::Replied),
            bounced: count(c, EnrollmentStatus::Bounced),
            unsubscribed: count(c, EnrollmentStatus::Unsubscribed),
            stopped: count(c, EnrollmentStatus::Stopped),
        },
        created_by: c.created_by,
        created_at: c.created_at,
        updated_at: c.updated_at,
        activated_at: c.activated_at,
        archived_at: c.archived_at,
    }
}
