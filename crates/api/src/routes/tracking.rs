//! `/api/v1/tracking/{token}/…`: the public links inside e-mails. No login: the
//! token (a signed send id) is the credential. Unsubscribing needs a POST (the page
//! behind the GET asks to confirm, so link scanners cannot unsubscribe anyone); the
//! POST is also the RFC 8058 one-click target of `List-Unsubscribe-Post`.

use actix_web::{
    get,
    http::header::{self, ContentType},
    post, web, HttpResponse,
};
use utoipa_actix_web::service_config::ServiceConfig;

use flux_app::tracking::events::{self as tracking, Link, LINK_LIFETIME_DAYS};
use flux_domain::text::escape_html as escape;

use crate::{error::ApiResult, state::AppState};

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(unsubscribe_page)
        .service(unsubscribe)
        .service(open_pixel)
        .service(click);
}

/// A 1×1 transparent GIF.
const PIXEL: &[u8] = &[
    0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0x01, 0x00, 0x01, 0x00, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00,
    0xff, 0xff, 0xff, 0x21, 0xf9, 0x04, 0x01, 0x00, 0x00, 0x00, 0x00, 0x2c, 0x00, 0x00, 0x00, 0x00,
    0x01, 0x00, 0x01, 0x00, 0x00, 0x02, 0x02, 0x44, 0x01, 0x00, 0x3b,
];

fn page(status: actix_web::http::StatusCode, title: &str, body: &str) -> HttpResponse {
    HttpResponse::build(status)
        .content_type(ContentType::html())
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header(("X-Robots-Tag", "noindex"))
        .body(format!(
            "<!DOCTYPE html><html lang=\"pt-BR\"><head><meta charset=\"utf-8\">\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
             <title>{title}</title></head><body style=\"font-family:sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem\">\
             <h1>{title}</h1>{body}</body></html>"
        ))
}

fn expired_link() -> HttpResponse {
    page(
        actix_web::http::StatusCode::GONE,
        "Link expirado",
        &format!(
            "<p>Os links de um e-mail valem {LINK_LIFETIME_DAYS} dias e este já expirou.</p>\
             <p>Para não receber mais mensagens, responda ao e-mail pedindo para sair da lista.</p>"
        ),
    )
}

fn invalid_link() -> HttpResponse {
    page(
        actix_web::http::StatusCode::NOT_FOUND,
        "Link inválido",
        "<p>Este link não é válido ou expirou.</p>",
    )
}

/// The unsubscribe confirmation page (HTML). Nothing changes until it is submitted.
#[utoipa::path(
    tag = "tracking",
    params(("token" = String, Path, description = "The signed token from the e-mail")),
    responses(
        (status = 200, description = "Confirmation page", content_type = "text/html", body = String),
        (status = 404, description = "Unknown or forged token", content_type = "text/html", body = String),
        (status = 410, description = "The message was sent more than 365 days ago: its links have expired", content_type = "text/html", body = String),
    )
)]
#[get("/tracking/{token}/unsubscribe")]
async fn unsubscribe_page(
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    Ok(
        match tracking::preview(&state.db, &state.ports.tracking, &path).await? {
            Link::Unknown => invalid_link(),
            Link::Expired => expired_link(),
            Link::Live((address, true)) => page(
                actix_web::http::StatusCode::OK,
                "Inscrição cancelada",
                &format!("<p>{} já não recebe nossos e-mails.</p>", escape(&address)),
            ),
            Link::Live((address, false)) => page(
                actix_web::http::StatusCode::OK,
                "Cancelar inscrição",
                &format!(
                    "<p>Deseja que {} deixe de receber nossos e-mails?</p>\
                 <form method=\"post\"><button type=\"submit\">Cancelar inscrição</button></form>",
                    escape(&address)
                ),
            ),
        },
    )
}

/// Unsubscribe (the page's form, or a mail client's RFC 8058 one-click POST): the lead
/// is flagged do-not-contact and its running enrollments end as `unsubscribed`.
/// Repeating it changes nothing more.
#[utoipa::path(
    tag = "tracking",
    params(("token" = String, Path, description = "The signed token from the e-mail")),
    responses(
        (status = 200, description = "Unsubscribed (HTML)", content_type = "text/html", body = String),
        (status = 404, description = "Unknown or forged token", content_type = "text/html", body = String),
        (status = 410, description = "The message was sent more than 365 days ago: its links have expired", content_type = "text/html", body = String),
    )
)]
#[post("/tracking/{token}/unsubscribe")]
async fn unsubscribe(
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    Ok(
        match tracking::unsubscribe(&state.db, &state.ports.tracking, &path).await? {
            Link::Unknown => invalid_link(),
            Link::Expired => expired_link(),
            Link::Live(address) => page(
                actix_web::http::StatusCode::OK,
                "Inscrição cancelada",
                &format!(
                    "<p>Pronto: {} não receberá mais nossos e-mails.</p>",
                    escape(&address)
                ),
            ),
        },
    )
}

/// The open pixel: a 1×1 GIF, always (a bad token shows the same image and records
/// nothing). The first load records an `opened` interaction.
#[utoipa::path(
    tag = "tracking",
    params(("token" = String, Path, description = "The signed token from the e-mail")),
    responses((status = 200, description = "1×1 transparent GIF", content_type = "image/gif", body = Vec<u8>))
)]
#[get("/tracking/{token}/open")]
async fn open_pixel(state: web::Data<AppState>, path: web::Path<String>) -> HttpResponse {
    // The image is served even if recording fails: a broken image helps nobody.
    if let Err(e) = tracking::opened(&state.db, &state.ports.tracking, &path).await {
        tracing::warn!(error = %e, "cannot record an open");
    }
    HttpResponse::Ok()
        .content_type("image/gif")
        .insert_header((header::CACHE_CONTROL, "no-store, max-age=0"))
        .body(PIXEL)
}

/// A tracked link: redirects to the `n`-th link of the message as it was sent and
/// records the first click on it.
#[utoipa::path(
    tag = "tracking",
    params(
        ("token" = String, Path, description = "The signed token from the e-mail"),
        ("n" = String, Path, description = "Which link of the message (0-based)"),
    ),
    responses(
        (status = 302, description = "To the link's address (`Location`)"),
        (status = 404, description = "Unknown token, no such link, or a message sent more than 365 days ago", content_type = "text/html", body = String),
    )
)]
#[get("/tracking/{token}/click/{n}")]
async fn click(
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    let (token, n) = path.into_inner();
    let Ok(index) = n.parse::<usize>() else {
        return Ok(invalid_link());
    };
    Ok(
        match tracking::clicked(&state.db, &state.ports.tracking, &token, index).await? {
            Some(url) => HttpResponse::Found()
                .insert_header((header::LOCATION, url))
                .insert_header((header::CACHE_CONTROL, "no-store"))
                .finish(),
            None => invalid_link(),
        },
    )
}
