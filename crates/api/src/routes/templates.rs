//! `/api/v1/templates`: email and WhatsApp message templates.

use actix_web::{delete, get, http::header, patch, post, web, HttpResponse};
use flux_domain::Permission;
use flux_dto::{
    templates::{
        CreateTemplateRequest, DuplicateTemplateRequest, PreviewSavedTemplateRequest,
        PreviewTemplateRequest, TemplateDto, TemplateList, TemplatePreview, TemplateQuery,
        TemplateVariableList, UpdateTemplateRequest,
    },
    ErrorBody,
};
use flux_persistence::templates::TemplateFilter;
use utoipa_actix_web::service_config::ServiceConfig;

use flux_app::templates::{self, TemplatePatch};

use crate::{
    convert::templates as convert,
    error::ApiResult,
    extract::{Authenticated, Client, ValidJson},
    routes::{parse_uuid, search_text, Page, Paging},
    state::AppState,
};

pub fn configure(cfg: &mut ServiceConfig) {
    // Literal paths before `/templates/{id}`.
    cfg.service(list_variables)
        .service(preview_text)
        .service(list_templates)
        .service(create_template)
        .service(get_template)
        .service(update_template)
        .service(delete_template)
        .service(duplicate_template)
        .service(preview_template);
}

/// The organization's templates (system ones first, then by name), with how each
/// has performed in cadences.
#[utoipa::path(
    tag = "templates",
    security(("bearer_auth" = [])),
    params(TemplateQuery, Paging),
    responses(
        (status = 200, description = "A page of templates", body = TemplateList),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Requires `templates:read`", body = ErrorBody),
        (status = 422, description = "Unknown channel or malformed page (named in the error)", body = ErrorBody),
    )
)]
#[get("/templates")]
async fn list_templates(
    state: web::Data<AppState>,
    auth: Authenticated,
    query: web::Query<TemplateQuery>,
    paging: web::Query<Paging>,
) -> ApiResult<web::Json<TemplateList>> {
    let ctx = auth.require(Permission::TemplatesRead)?;
    let Page { page, per_page } = paging.page()?;
    let query = query.into_inner();
    let filter = TemplateFilter {
        channel: query.channel,
        q: search_text("q", query.q)?,
    };
    let (items, total) = templates::list(&state.db, ctx, &filter, page, per_page).await?;
    Ok(web::Json(TemplateList {
        items: items.iter().map(convert::template).collect(),
        total,
        page,
        per_page,
    }))
}

/// Every variable a template may use, with where its value comes from and an example.
#[utoipa::path(
    tag = "templates",
    security(("bearer_auth" = [])),
    responses(
        (status = 200, description = "The variable catalogue", body = TemplateVariableList),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Requires `templates:read`", body = ErrorBody),
    )
)]
#[get("/templates/variables")]
async fn list_variables(auth: Authenticated) -> ApiResult<web::Json<TemplateVariableList>> {
    auth.require(Permission::TemplatesRead)?;
    Ok(web::Json(convert::variable_catalogue()))
}

/// Render a text that need not be saved (the editor's live preview) against a lead,
/// or against example values when no lead is given. Missing values are marked, never
/// left blank: `sendable` says whether a cadence could send it to this lead.
#[utoipa::path(
    tag = "templates",
    security(("bearer_auth" = [])),
    request_body = PreviewTemplateRequest,
    responses(
        (status = 200, description = "The rendered texts", body = TemplatePreview),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Requires `templates:read`", body = ErrorBody),
        (status = 422, description = "Syntax error or unknown variable (the field is named, the position is in the reason), or unknown lead", body = ErrorBody),
    )
)]
#[post("/templates/preview")]
async fn preview_text(
    state: web::Data<AppState>,
    auth: Authenticated,
    body: ValidJson<PreviewTemplateRequest>,
) -> ApiResult<web::Json<TemplatePreview>> {
    let ctx = auth.require(Permission::TemplatesRead)?;
    let req = body.0;
    let preview = templates::preview(
        &state.db,
        ctx,
        req.channel,
        req.subject.as_deref(),
        &req.body,
        req.lead_id,
    )
    .await?;
    Ok(web::Json(convert::preview(preview)))
}

/// Create a template. `variables_used` is extracted from the texts; unknown
/// variables are refused with the list of valid ones.
#[utoipa::path(
    tag = "templates",
    security(("bearer_auth" = [])),
    request_body = CreateTemplateRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Up to 255 visible ASCII characters (e.g. a UUID). Retries with the same key within 24 h replay the first answer (`Idempotent-Replayed: true`); the same key with a different request is a 422.")),
    responses(
        (status = 201, description = "Template created", body = TemplateDto),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Requires `templates:write`", body = ErrorBody),
        (status = 422, description = "Invalid name, subject or body (field and reason named)", body = ErrorBody),
    )
)]
#[post("/templates")]
async fn create_template(
    state: web::Data<AppState>,
    auth: Authenticated,
    client: Client,
    body: ValidJson<CreateTemplateRequest>,
) -> ApiResult<HttpResponse> {
    let ctx = auth.require(Permission::TemplatesWrite)?;
    let req = body.0;
    let valid = templates::validate(&req.name, req.channel, req.subject.as_deref(), &req.body)?;
    let template = templates::create(&state.db, ctx, &valid, &client).await?;
    Ok(HttpResponse::Created()
        .insert_header((
            header::LOCATION,
            format!("/api/v1/templates/{}", template.id),
        ))
        .json(convert::template(&template)))
}

#[utoipa::path(
    tag = "templates",
    security(("bearer_auth" = [])),
    params(("id" = String, Path, description = "Template id (UUID)")),
    responses(
        (status = 200, description = "The template", body = TemplateDto),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Requires `templates:read`", body = ErrorBody),
        (status = 404, description = "No such template in this organization", body = ErrorBody),
        (status = 422, description = "Malformed id", body = ErrorBody),
    )
)]
#[get("/templates/{id}")]
async fn get_template(
    state: web::Data<AppState>,
    auth: Authenticated,
    path: web::Path<String>,
) -> ApiResult<web::Json<TemplateDto>> {
    let ctx = auth.require(Permission::TemplatesRead)?;
    let id = parse_uuid("id", &path)?;
    let template = templates::get(&state.db, ctx, id).await?;
    Ok(web::Json(convert::template(&template)))
}

/// Change a template's name or texts (absent fields are kept). Cadences use the new
/// text from their next send; messages already sent keep theirs.
#[utoipa::path(
    tag = "templates",
    security(("bearer_auth" = [])),
    params(("id" = String, Path, description = "Template id (UUID)")),
    request_body = UpdateTemplateRequest,
    responses(
        (status = 200, description = "The updated template", body = TemplateDto),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Requires `templates:write`", body = ErrorBody),
        (status = 404, description = "No such template in this organization", body = ErrorBody),
        (status = 409, description = "System templates are read-only", body = ErrorBody),
        (status = 422, description = "Invalid field (named in the error)", body = ErrorBody),
    )
)]
#[patch("/templates/{id}")]
async fn update_template(
    state: web::Data<AppState>,
    auth: Authenticated,
    client: Client,
    path: web::Path<String>,
    body: ValidJson<UpdateTemplateRequest>,
) -> ApiResult<web::Json<TemplateDto>> {
    let ctx = auth.require(Permission::TemplatesWrite)?;
    let id = parse_uuid("id", &path)?;
    let req = body.0;
    let patch = TemplatePatch {
        name: req.name,
        subject: req.subject,
        body: req.body,
    };
    let template = templates::update(&state.db, ctx, id, patch, &client).await?;
    Ok(web::Json(convert::template(&template)))
}

/// Delete a template (soft delete; messages sent with it keep their history).
#[utoipa::path(
    tag = "templates",
    security(("bearer_auth" = [])),
    params(("id" = String, Path, description = "Template id (UUID)")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Requires `templates:write`", body = ErrorBody),
        (status = 404, description = "No such template in this organization", body = ErrorBody),
        (status = 409, description = "A system template, or one a live cadence still uses (named)", body = ErrorBody),
        (status = 422, description = "Malformed id", body = ErrorBody),
    )
)]
#[delete("/templates/{id}")]
async fn delete_template(
    state: web::Data<AppState>,
    auth: Authenticated,
    client: Client,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let ctx = auth.require(Permission::TemplatesWrite)?;
    let id = parse_uuid("id", &path)?;
    templates::delete(&state.db, ctx, id, &client).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Copy a template (system ones included) into a new, editable one.
#[utoipa::path(
    tag = "templates",
    security(("bearer_auth" = [])),
    params(("id" = String, Path, description = "Template id (UUID)")),
    request_body = DuplicateTemplateRequest,
    responses(
        (status = 201, description = "The copy", body = TemplateDto),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Requires `templates:write`", body = ErrorBody),
        (status = 404, description = "No such template in this organization", body = ErrorBody),
        (status = 422, description = "Invalid name", body = ErrorBody),
    )
)]
#[post("/templates/{id}/duplicate")]
async fn duplicate_template(
    state: web::Data<AppState>,
    auth: Authenticated,
    client: Client,
    path: web::Path<String>,
    body: ValidJson<DuplicateTemplateRequest>,
) -> ApiResult<HttpResponse> {
    let ctx = auth.require(Permission::TemplatesWrite)?;
    let id = parse_uuid("id", &path)?;
    let template = templates::duplicate(&state.db, ctx, id, body.0.name, &client).await?;
    Ok(HttpResponse::Created()
        .insert_header((
            header::LOCATION,
            format!("/api/v1/templates/{}", template.id),
        ))
        .json(convert::template(&template)))
}

/// Render a saved template against a lead (or the example values).
#[utoipa::path(
    tag = "templates",
    security(("bearer_auth" = [])),
    params(("id" = String, Path, description = "Template id (UUID)")),
    request_body = PreviewSavedTemplateRequest,
    responses(
        (status = 200, description = "The rendered texts", body = TemplatePreview),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Requires `templates:read`", body = ErrorBody),
        (status = 404, description = "No such template in this organization", body = ErrorBody),
        (status = 422, description = "Malformed id or unknown lead", body = ErrorBody),
    )
)]
#[post("/templates/{id}/preview")]
async fn preview_template(
    state: web::Data<AppState>,
    auth: Authenticated,
    path: web::Path<String>,
    body: ValidJson<PreviewSavedTemplateRequest>,
) -> ApiResult<web::Json<TemplatePreview>> {
    let ctx = auth.require(Permission::TemplatesRead)?;
    let id = parse_uuid("id", &path)?;
    let preview = templates::preview_saved(&state.db, ctx, id, body.0.lead_id).await?;
    Ok(web::Json(convert::preview(preview)))
}
