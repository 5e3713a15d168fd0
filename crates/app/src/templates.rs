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
    Db, TenantTx,
};
use serde_json::json;
use uuid::Uuid;

use crate::{
    audit::audit_change,
    error::{AppError, AppResult},
    ClientInfo, Resource,
};

/// Records a template change in the audit log, in the change's transaction.
async fn audited(
    tx: &mut TenantTx,
    client: &ClientInfo,
    action: &'static str,
    template: &TemplateRecord,
) -> AppResult<()> {
    let changes = json!({ "name": template.name });
    audit_change(tx, client, action, "message_template", template.id, changes).await
}

fn system_read_only() -> AppError {
    AppError::Conflict {
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
) -> AppResult<ValidTemplate> {
    message_template::validate(name, channel, subject, body)
        .map_err(|e| AppError::field(e.field, e.reason))
}

pub async fn list(
    db: &Db,
    ctx: &TenantCtx,
    filter: &TemplateFilter,
    page: i64,
    per_page: i64,
) -> AppResult<(Vec<TemplateRecord>, i64)> {
    let mut tx = db.begin_tenant(ctx).await?;
    let found = templates::list(&mut tx, filter, per_page, (page - 1) * per_page).await?;
    tx.end_read_only();
    Ok(found)
}

pub async fn get(db: &Db, ctx: &TenantCtx, id: Uuid) -> AppResult<TemplateRecord> {
    let mut tx = db.begin_tenant(ctx).await?;
    let template = load(&mut tx, id).await?;
    tx.end_read_only();
    Ok(template)
}

async fn load(tx: &mut TenantTx, id: Uuid) -> AppResult<TemplateRecord> {
    templates::get(tx, id)
        .await?
        .ok_or(AppError::not_found(Resource::Template))
}

pub async fn create(
    db: &Db,
    ctx: &TenantCtx,
    template: &ValidTemplate,
    client: &ClientInfo,
) -> AppResult<TemplateRecord> {
    let mut tx = db.begin_tenant(ctx).await?;
    let id = templates::insert(&mut tx, template).await?;
    let created = load(&mut tx, id).await?;
    audited(&mut tx, client, "template.created", &created).await?;
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
    db: &Db,
    ctx: &TenantCtx,
    id: Uuid,
    patch: TemplatePatch,
    client: &ClientInfo,
) -> AppResult<TemplateRecord> {
    let mut tx = db.begin_tenant(ctx).await?;
    if templates::lock(&mut tx, id)
        .await?
        .ok_or(AppError::not_found(Resource::Template))?
    {
        return Err(system_read_only());
    }
    let current = load(&mut tx, id).await?;
    let valid = validate(
        patch.name.as_deref().unwrap_or(&current.name),
        current.channel,
        patch.subject.as_deref().or(current.subject.as_deref()),
        patch.body.as_deref().unwrap_or(&current.body),
    )?;
    templates::update(&mut tx, id, &valid).await?;
    let updated = load(&mut tx, id).await?;
    audited(&mut tx, client, "template.updated", &updated).await?;
    tx.commit().await?;
    Ok(updated)
}

/// Soft delete. Refused for system templates and for templates a live cadence still
/// sends (the error names the cadences). The row lock keeps a concurrent cadence edit
/// from pointing a step at it meanwhile.
pub async fn delete(db: &Db, ctx: &TenantCtx, id: Uuid, client: &ClientInfo) -> AppResult<()> {
    let mut tx = db.begin_tenant(ctx).await?;
    if templates::lock(&mut tx, id)
        .await?
        .ok_or(AppError::not_found(Resource::Template))?
    {
        return Err(system_read_only());
    }
    let current = load(&mut tx, id).await?;
    let users = templates::cadences_using(&mut tx, id).await?;
    if !users.is_empty() {
        return Err(AppError::Conflict {
            message: format!(
                "O modelo é usado pelas cadências: {}. Troque o modelo nesses passos ou arquive as cadências antes de excluí-lo",
                users.join(", ")
            ),
            fields: vec![],
        });
    }
    templates::soft_delete(&mut tx, id).await?;
    audited(&mut tx, client, "template.deleted", &current).await?;
    tx.commit().await?;
    Ok(())
}

pub async fn duplicate(
    db: &Db,
    ctx: &TenantCtx,
    id: Uuid,
    name: Option<String>,
    client: &ClientInfo,
) -> AppResult<TemplateRecord> {
    let mut tx = db.begin_tenant(ctx).await?;
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
    audited(&mut tx, client, "template.created", &created).await?;
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
    db: &Db,
    ctx: &TenantCtx,
    channel: Channel,
    subject: Option<&str>,
    body: &str,
    lead_id: Option<Uuid>,
) -> AppResult<Preview> {
    // The name is not part of a preview; a fixed valid one lets the texts go through
    // the same validation as a save. A draft e-mail whose subject is still blank
    // previews its body (saving it still requires the subject).
    let subject = subject.filter(|s| !s.trim().is_empty());
    let stand_in = (channel == Channel::Email && subject.is_none()).then_some("-");
    let mut valid = validate("preview", channel, subject.or(stand_in), body)?;
    if stand_in.is_some() {
        valid.subject = None;
    }
    let mut tx = db.begin_tenant(ctx).await?;
    let preview = render(&mut tx, &valid, lead_id).await?;
    tx.end_read_only();
    Ok(preview)
}

/// Renders a saved template against a lead (or the example values).
pub async fn preview_saved(
    db: &Db,
    ctx: &TenantCtx,
    id: Uuid,
    lead_id: Option<Uuid>,
) -> AppResult<Preview> {
    let mut tx = db.begin_tenant(ctx).await?;
    let t = load(&mut tx, id).await?;
    let valid = validate(&t.name, t.channel, t.subject.as_deref(), &t.body)?;
    let preview = render(&mut tx, &valid, lead_id).await?;
    tx.end_read_only();
    Ok(preview)
}

async fn render(
    tx: &mut TenantTx,
    valid: &ValidTemplate,
    lead_id: Option<Uuid>,
) -> AppResult<Preview> {
    let render = |values: &dyn VariableValues| Preview {
        subject: valid.subject.as_ref().map(|s| s.render_pieces(values)),
        body: valid.body.render_pieces(values),
        variables_used: valid.variables_used.iter().copied().collect(),
    };
    Ok(match lead_id {
        None => render(&Examples),
        Some(lead_id) => render(&lead_facts(tx, lead_id).await?),
    })
}

/// What `lead_id` renders with when the caller sends to it now.
pub(crate) async fn lead_facts(tx: &mut TenantTx, lead_id: Uuid) -> AppResult<TemplateFacts> {
    let sender = tx.ctx().user_id().uuid();
    let facts = template_facts::for_lead(tx, lead_id, sender)
        .await?
        .ok_or_else(|| AppError::field("lead_id", "lead não encontrado"))?;
    let timezone = template_facts::org_timezone(tx).await?;
    Ok(TemplateFacts {
        local_hour: send_window::local_hour(&timezone, Utc::now()),
        ..facts
    })
}
