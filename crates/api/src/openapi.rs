//! The OpenAPI 3.1 document: info, security scheme and tags here; paths and schemas
//! are collected from the handlers by utoipa-actix-web.

use utoipa::{
    openapi::{
        security::{HttpAuthScheme, HttpBuilder, SecurityScheme},
        OpenApi as OpenApiDoc,
    },
    Modify, OpenApi,
};

use crate::routes;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Flux API",
        description = "REST API of Flux, the sales engagement platform for Brazilian B2B teams.\n\n\
            Errors always use the envelope `{\"error\":{\"code\",\"message\",\"details\"}}` with codes \
            VALIDATION, UNAUTHORIZED, FORBIDDEN, NOT_FOUND, CONFLICT, LIMIT_EXCEEDED, RATE_LIMIT, \
            EXTERNAL_API and INTERNAL. Every response carries `X-Request-Id`.",
        license(name = "Proprietary", identifier = "LicenseRef-Proprietary"),
        contact(name = "Flux", email = "dev@flux.localhost")
    ),
    servers((url = "/", description = "This server")),
    modifiers(&BearerAuth),
    tags(
        (name = "auth", description = "Sign-up, login, sessions and password reset"),
        (name = "me", description = "The signed-in user"),
        (name = "members", description = "The organization's team"),
        (name = "invitations", description = "Inviting teammates"),
        (name = "leads", description = "Companies the organization prospects, their enrichment"),
        (name = "lead-imports", description = "CSV import of companies by CNPJ: preview, progress, row errors"),
        (name = "templates", description = "Email and WhatsApp message templates with variables, preview"),
        (name = "cadences", description = "Cadences: steps, lifecycle, editing rules"),
        (name = "enrollments", description = "Leads going through cadences: enroll, pause, resume, unenroll, funnel"),
        (name = "organization", description = "Organization settings: the send window and tracking"),
        (name = "mailboxes", description = "Senders' SMTP/IMAP mailboxes: settings, encrypted credentials, connection test, sync health"),
        (name = "tracking", description = "Public links inside e-mails (no login; a signed token): unsubscribe, open pixel, click redirect"),
        (name = "ai", description = "AI-written messages for leads, the plan's daily AI limit, the usage log"),
        (name = "events", description = "Live events (Server-Sent Events)"),
        (name = "operations", description = "Health, readiness and metrics"),
    )
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut OpenApiDoc) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer_auth",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some("Access token from /api/v1/auth/login (15 minutes)"))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "metrics_token",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "`FLUX_METRICS_TOKEN`, when the operator set one (`/metrics` only)",
                    ))
                    .build(),
            ),
        );
    }
}

/// `minProperties: 1` on partial-update bodies. Set here because utoipa-gen 5.5's
/// `min_properties` attribute emits `maxProperties` instead.
struct AtLeastOneProperty;

impl Modify for AtLeastOneProperty {
    fn modify(&self, openapi: &mut OpenApiDoc) {
        use utoipa::openapi::{schema::Schema, RefOr};
        let Some(components) = openapi.components.as_mut() else {
            return;
        };
        for name in ["UpdateMemberRequest"] {
            if let Some(RefOr::T(Schema::Object(object))) = components.schemas.get_mut(name) {
                object.min_properties = Some(1);
            }
        }
    }
}

/// The document the server publishes, built from the same route table it serves.
pub fn document() -> OpenApiDoc {
    use utoipa_actix_web::AppExt;
    let (_, mut doc) = actix_web::App::new()
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .configure(routes::configure)
        .split_for_parts();
    // Runs after the handlers' schemas have been collected into the document.
    AtLeastOneProperty.modify(&mut doc);
    doc
}

pub fn document_json() -> String {
    let mut json = document().to_pretty_json().unwrap_or_default();
    json.push('\n');
    json
}
