//! Cadences: validation, create, edit (safe for running enrollments), lifecycle and
//! soft delete.

use std::collections::HashSet;

use flux_domain::{
    cadence::{self, CadenceAction, CadenceStatus, StepDraft},
    TenantCtx,
};
use flux_persistence::{
    cadences::{self, CadenceFilter, CadenceRecord, StepValues},
    Db, TenantTx,
};
use serde_json::{json, Value};
use uuid::Uuid;

use crate::{
    audit::audit_change,
    error::{AppError, AppResult},
    ClientInfo, Resource,
};

async fn audited(
    tx: &mut TenantTx,
    client: &ClientInfo,
    action: &'static str,
    id: Uuid,
    changes: Value,
) -> AppResult<()> {
    audit_change(tx, client, action, "cadence", id, changes).await
}

fn invalid(e: cadence::CadenceFieldError) -> AppError {
    AppError::field(&e.field, e.reason)
}

/// A step as asked for: an existing step to keep (`id`) or a new one.
#[derive(Debug, Clone)]
pub struct StepRequest {
    pub id: Option<Uuid>,
    pub values: StepValues,
}

/// Checks the steps' own rules and that each template exists, is live and is of the
/// step's channel.
async fn check_steps(tx: &mut TenantTx, steps: &[StepRequest]) -> AppResult<()> {
    let drafts: Vec<StepDraft> = steps
        .iter()
        .map(|s| StepDraft {
            channel: s.values.channel,
            delay_days: s.values.delay_days,
            delay_hours: s.values.delay_hours,
        })
        .collect();
    cadence::validate_steps(&drafts).map_err(invalid)?;
    let ids: Vec<Uuid> = steps.iter().map(|s| s.values.template_id).collect();
    let channels = cadences::template_channels(tx, &ids).await?;
    for (i, step) in steps.iter().enumerate() {
        match channels.get(&step.values.template_id) {
            None => {
                return Err(AppError::field(
                    &format!("steps[{i}].template_id"),
                    "modelo não encontrado",
                ))
            }
            Some(channel) if *channel != step.values.channel => {
                return Err(AppError::field(
                    &format!("steps[{i}].template_id"),
                    format!(
                        "o modelo é de {}, mas o passo é de {}",
                        channel.label(),
                        step.values.channel.label()
                    ),
                ))
            }
            Some(_) => {}
        }
    }
    Ok(())
}

pub async fn list(
    db: &Db,
    ctx: &TenantCtx,
    filter: &CadenceFilter,
    page: i64,
    per_page: i64,
) -> AppResult<(Vec<CadenceRecord>, i64)> {
    let mut tx = db.begin_tenant(ctx).await?;
    let found = cadences::list(&mut tx, filter, per_page, (page - 1) * per_page).await?;
    tx.end_read_only();
    Ok(found)
}

pub async fn get(db: &Db, ctx: &TenantCtx, id: Uuid) -> AppResult<CadenceRecord> {
    let mut tx = db.begin_tenant(ctx).await?;
    let found = load(&mut tx, id).await?;
    tx.end_read_only();
    Ok(found)
}

async fn load(tx: &mut TenantTx, id: Uuid) -> AppResult<CadenceRecord> {
    cadences::get(tx, id)
        .await?
        .ok_or(AppError::not_found(Resource::Cadence))
}

pub async fn create(
    db: &Db,
    ctx: &TenantCtx,
    name: &str,
    description: Option<&str>,
    steps: &[StepRequest],
    client: &ClientInfo,
) -> AppResult<CadenceRecord> {
    let (name, description) = cadence::validate_header(name, description).map_err(invalid)?;
    if let Some(i) = steps.iter().position(|s| s.id.is_some()) {
        return Err(AppError::field(
            &format!("steps[{i}].id"),
            "uma cadência nova não tem passos existentes",
        ));
    }
    let mut tx = db.begin_tenant(ctx).await?;
    check_steps(&mut tx, steps).await?;
    let id = cadences::insert(&mut tx, &name, description.as_deref()).await?;
    for (i, step) in steps.iter().enumerate() {
        cadences::insert_step(&mut tx, id, position(i), &step.values).await?;
    }
    let created = load(&mut tx, id).await?;
    audited(
        &mut tx,
        client,
        "cadence.created",
        id,
        json!({ "name": created.name, "steps": created.steps.len() }),
    )
    .await?;
    tx.commit().await?;
    Ok(created)
}

fn position(index: usize) -> i32 {
    i32::try_from(index + 1).unwrap_or(i32::MAX)
}

/// What a PATCH changes; `None` keeps the current value.
pub struct CadencePatch {
    pub name: Option<String>,
    pub description: Option<Option<String>>,
    pub steps: Option<Vec<StepRequest>>,
}

#[tracing::instrument(skip_all, fields(org_id = %ctx.org_id(), cadence_id = %id))]
pub async fn update(
    db: &Db,
    ctx: &TenantCtx,
    id: Uuid,
    patch: CadencePatch,
    client: &ClientInfo,
) -> AppResult<CadenceRecord> {
    let mut tx = db.begin_tenant(ctx).await?;
    let status = cadences::lock(&mut tx, id)
        .await?
        .ok_or(AppError::not_found(Resource::Cadence))?;
    if status == CadenceStatus::Archived {
        return Err(AppError::Conflict {
            message: "Cadências arquivadas não podem ser alteradas; duplique-a".into(),
            fields: vec![],
        });
    }
    if patch.name.is_some() || patch.description.is_some() {
        let current = load(&mut tx, id).await?;
        let description = match &patch.description {
            Some(d) => d.clone(),
            None => current.description.clone(),
        };
        let (name, description) = cadence::validate_header(
            patch.name.as_deref().unwrap_or(&current.name),
            description.as_deref(),
        )
        .map_err(invalid)?;
        cadences::update_header(&mut tx, id, &name, description.as_deref()).await?;
    }
    if let Some(steps) = &patch.steps {
        replace_steps(&mut tx, id, steps).await?;
    }
    let updated = load(&mut tx, id).await?;
    audited(
        &mut tx,
        client,
        "cadence.updated",
        id,
        json!({ "name": updated.name, "steps_replaced": patch.steps.is_some() }),
    )
    .await?;
    tx.commit().await?;
    Ok(updated)
}

/// Makes the cadence's steps `steps`, in order, keeping running enrollments sound:
/// removed steps hand their waiting leads to the next step; changed delays
/// reschedule the leads waiting for that step.
async fn replace_steps(tx: &mut TenantTx, id: Uuid, steps: &[StepRequest]) -> AppResult<()> {
    check_steps(tx, steps).await?;
    let live: HashSet<Uuid> = cadences::live_step_ids(tx, id).await?.into_iter().collect();
    let mut kept = HashSet::new();
    for (i, step) in steps.iter().enumerate() {
        if let Some(step_id) = step.id {
            if !live.contains(&step_id) {
                return Err(AppError::field(
                    &format!("steps[{i}].id"),
                    "passo não pertence a esta cadência",
                ));
            }
            if !kept.insert(step_id) {
                return Err(AppError::field(
                    &format!("steps[{i}].id"),
                    "passo repetido na lista",
                ));
            }
        }
    }
    let removed: Vec<Uuid> = live.difference(&kept).copied().collect();
    cadences::remove_steps(tx, &removed).await?;
    let mut delay_changed = Vec::new();
    for (i, step) in steps.iter().enumerate() {
        match step.id {
            Some(step_id) => {
                if cadences::update_step(tx, step_id, position(i), &step.values).await? {
                    delay_changed.push(step_id);
                }
            }
            None => {
                cadences::insert_step(tx, id, position(i), &step.values).await?;
            }
        }
    }
    if !removed.is_empty() {
        let moved = cadences::repoint_enrollments_of_removed_steps(tx, &removed).await?;
        tracing::info!(removed = removed.len(), moved, "cadence steps removed");
    }
    for step_id in delay_changed {
        cadences::reschedule_waiting_for(tx, step_id).await?;
    }
    Ok(())
}

/// Activate, pause, resume or archive.
#[tracing::instrument(skip_all, fields(org_id = %ctx.org_id(), cadence_id = %id, ?action))]
pub async fn transition(
    db: &Db,
    ctx: &TenantCtx,
    id: Uuid,
    action: CadenceAction,
    client: &ClientInfo,
) -> AppResult<CadenceRecord> {
    let mut tx = db.begin_tenant(ctx).await?;
    let status = cadences::lock(&mut tx, id)
        .await?
        .ok_or(AppError::not_found(Resource::Cadence))?;
    let next = status.apply(action).map_err(|e| AppError::Conflict {
        message: e.to_string(),
        fields: vec![],
    })?;
    let stopped = cadences::set_status(&mut tx, id, next).await?;
    let updated = load(&mut tx, id).await?;
    audited(
        &mut tx,
        client,
        "cadence.status_changed",
        id,
        json!({ "from": status.as_str(), "to": next.as_str(), "enrollments_stopped": stopped }),
    )
    .await?;
    tx.commit().await?;
    Ok(updated)
}

/// Soft delete; running enrollments stop.
pub async fn delete(db: &Db, ctx: &TenantCtx, id: Uuid, client: &ClientInfo) -> AppResult<()> {
    let mut tx = db.begin_tenant(ctx).await?;
    cadences::lock(&mut tx, id)
        .await?
        .ok_or(AppError::not_found(Resource::Cadence))?;
    let stopped = cadences::stop_running(&mut tx, id, "Cadência excluída").await?;
    cadences::soft_delete(&mut tx, id).await?;
    audited(
        &mut tx,
        client,
        "cadence.deleted",
        id,
        json!({ "enrollments_stopped": stopped }),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
