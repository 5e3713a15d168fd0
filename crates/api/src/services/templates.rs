//! Message templates: validation, CRUD, duplicate and preview.

use chrono::Utc;
use flux_domain::{
    message_template::{self, ValidTemplate},
    send_window,
    template::{Piece, VariableValues},
    Channel, TemplateFacts, TenantCtx, Variable,
};
use flux_persistence::{
    template_facts,
    templates::{self, TemplateFilter, TemplateRecord},
    TenantTx,
};
use uuid::Uuid;

use crate::{
    error::{ApiError, ApiResult},
    state::AppState,
};

fn not_found() -> ApiError {
    ApiError::not_found("Modelo")
}

fn system_read_only() -> ApiError {
    ApiError::Conflict {
        message: "Modelos do sistema não podem ser alterados nem excluídos; duplique-o para criar uma versão editável".into(),
        fields: vec![],
    }
}

/// Domain validation, with the failing field named in the 422.
pub fn validate(
    name: &str,
    channel: Channel,
    subject: Option<&str>,
    body: &str,
) -> ApiResult<ValidTemplate> {
    message_template::validate(name, channel, subject, body)
        .map_err(|e| ApiError::field(e.field, e.reason))
}

pub async fn list(
    state: &AppState,
    ctx: &TenantCtx,
    filter: &TemplateFilter,
    page: i64,
    per_page: i64,
) -> ApiResult<(Vec<TemplateRecord>, i64)> {
    let mut tx = state.db.begin_tenant(ctx).await?;
    let found = templates::list(&mut tx, filter, per_page, (page - 1) * per_page).await?;
    tx.end_read_only();
    Ok(found)
}

pub async fn get(state: &AppState, ctx: &TenantCtx, id: Uuid) -> ApiResult<TemplateRecord> {
    let mut tx = state.db.begin_tenant(ctx).await?;
    let template = load(&mut tx, id).await?;
    tx.end_read_only();
    Ok(template)
}

async fn load(tx: &mut TenantTx, id: Uuid) -> ApiResult<TemplateRecord> {
    templates::get(tx, id).await?.ok_or_else(not_found)
}

pub async fn create(
    state: &AppState,
    ctx: &TenantCtx,
    template: &ValidTemplate,
) -> ApiResult<TemplateRecord> {
    let mut tx = state.db.begin_tenant(ctx).await?;
    let id = templates::insert(&mut tx, template).await?;
    let created = load(&mut tx, id).await?;
    tx.commit().await?;
    Ok(created)
}

/// What a PATCH changes; absent fields keep their value.
pub struct TemplatePatch {
    pub name: Option<String>,
    pub subject: Option<String>,
    pub body: Option<String>,
}

pub async fn update(
    state: &AppState,
    ctx: &TenantCtx,
    id: Uuid,
    patch: TemplatePatch,
) -> ApiResult<TemplateRecord> {
    let mut tx = state.db.begin_tenant(ctx).await?;
    let current = load(&mut tx, id).await?;
    if current.is_system {
        return Err(system_read_only());
    }
    let valid = validate(
        patch.name.as_deref().unwrap_or(&current.name),
        current.channel,
        patch.subject.as_deref().or(current.subject.as_deref()),
        patch.body.as_deref().unwrap_or(&current.body),
    )?;
    templates::update(&mut tx, id, &valid).await?;
    let updated = load(&mut tx, id).await?;
    tx.commit().await?;
    Ok(updated)
}

/// Soft delete. Refused for system templates and for templates a live cadence still
/// sends (the error names the cadences).
pub async fn delete(state: &AppState, ctx: &TenantCtx, id: Uuid) -> ApiResult<()> {
    let mut tx = state.db.begin_tenant(ctx).await?;
    let current = load(&mut tx, id).await?;
    if current.is_system {
        return Err(system_read_only());
    }
    let users = templates::cadences_using(&mut tx, id).await?;
    if !users.is_empty() {
        return Err(ApiError::Conflict {
            message: format!(
                "O modelo é usado pelas cadências: {}. Troque o modelo nesses passos ou arquive as cadências antes de excluí-lo",
                users.join(", ")
            ),
            fields: vec![],
        });
    }
    templates::soft_delete(&mut tx, id).await?;
    tx.commit().await?;
    Ok(())
}

pub async fn duplicate(
    state: &AppState,
    ctx: &TenantCtx,
    id: Uuid,
    name: Option<String>,
) -> ApiResult<TemplateRecord> {
    let mut tx = state.db.begin_tenant(ctx).await?;
    let source = load(&mut tx, id).await?;
    let name = name.unwrap_or_else(|| {
        let copy = format!("Cópia de {}", source.name);
        copy.chars()
            .take(message_template::NAME_MAX_CHARS)
            .collect()
    });
    let valid = validate(
        &name,
        source.channel,
        source.subject.as_deref(),
        &source.body,
    )?;
    let new_id = templates::insert(&mut tx, &valid).await?;
    let created = load(&mut tx, new_id).await?;
    tx.commit().await?;
    Ok(created)
}

/// A render of `subject`/`body` for a preview.
pub struct Preview {
    pub subject: Option<Vec<Piece>>,
    pub body: Vec<Piece>,
    pub variables_used: Vec<Variable>,
}

/// The catalogue's example values (a preview before a lead is chosen).
struct Examples;

impl VariableValues for Examples {
    fn value(&self, variable: Variable) -> Option<String> {
        Some(variable.example().to_owned())
    }
}

/// Renders texts (saved or not) against a lead as the caller, or against the example
/// values when no lead is given. Syntax errors are 422s naming the field.
pub async fn preview(
    state: &AppState,
    ctx: &TenantCtx,
    channel: Channel,
    subject: Option<&str>,
    body: &str,
    lead_id: Option<Uuid>,
) -> ApiResult<Preview> {
    let valid = validate("preview", channel, subject, body)?;
    let render = |values: &dyn VariableValues| Preview {
        subject: valid.subject.as_ref().map(|s| s.render_pieces(values)),
        body: valid.body.render_pieces(values),
        variables_used: valid.variables_used.iter().copied().collect(),
    };
    let Some(lead_id) = lead_id else {
        return Ok(render(&Examples));
    };
    let facts = lead_facts(state, ctx, lead_id).await?;
    Ok(render(&facts))
}

/// What `lead_id` renders with when the caller sends to it now.
async fn lead_facts(state: &AppState, ctx: &TenantCtx, lead_id: Uuid) -> ApiResult<TemplateFacts> {
    let mut tx = state.db.begin_tenant(ctx).await?;
    let facts = template_facts::for_lead(&mut tx, lead_id, ctx.user_id().uuid())
        .await?
        .ok_or_else(|| ApiError::field("lead_id", "lead não encontrado"))?;
    let timezone = template_facts::org_timezone(&mut tx).await?;
    tx.end_read_only();
    Ok(TemplateFacts {
        local_hour: send_window::local_hour(&timezone, Utc::now()),
        ..facts
    })
}
