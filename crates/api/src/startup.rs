//! `Application::build`: binds the listener, wires middleware, routes, docs and the
//! SPA over the [`Ports`] the server's wiring built (the test harness builds them the
//! same way).

use std::{net::TcpListener, sync::Arc};

use actix_cors::Cors;
use actix_web::{
    dev::Server,
    http::header,
    middleware::{from_fn, Compress, Condition, DefaultHeaders},
    web, App, HttpServer,
};
use flux_app::{
    accounts::{Auth, Links},
    rate_limit::RateLimits,
    sessions::{JwtKeys, Sessions},
    Ports,
};
use flux_persistence::Db;
use flux_platform::Settings;
use tracing_actix_web::TracingLogger;
use utoipa_actix_web::AppExt;
use utoipa_swagger_ui::SwaggerUi;

use crate::{
    auth::memberships::MembershipCache,
    csp,
    error::ApiError,
    idempotency,
    method_not_allowed::{self, AllowedMethods},
    metrics::{self, Metrics},
    openapi, request_id, routes, spa,
    state::AppState,
};

pub struct Application {
    port: u16,
    server: Server,
}

impl Application {
    pub fn build(
        settings: Settings,
        db: Db,
        jwt_secret: &[u8],
        ports: Ports,
    ) -> anyhow::Result<Self> {
        let listener = TcpListener::bind(settings.addr)?;
        let port = listener.local_addr()?.port();
        let memberships = Arc::new(MembershipCache::default());
        let state = web::Data::new(AppState {
            auth: Auth {
                sessions: Sessions {
                    keys: Arc::new(JwtKeys::new(jwt_secret, settings.access_token_ttl)),
                    refresh_ttl: settings.refresh_token_ttl,
                    max_age: settings.session_max_age,
                },
                limits: Arc::new(RateLimits::new(
                    settings.login_attempts_per_ip_per_minute,
                    settings.login_attempts_per_account_per_minute,
                    settings.ai.requests_per_member_per_minute,
                )),
                links: Links::new(&settings.public_url),
            },
            metrics: Arc::new(Metrics::new()?),
            ports,
            events: crate::events::EventHub::start(db.clone(), memberships.clone()),
            memberships,
            db,
            settings,
        });
        spawn_limiter_housekeeping(state.clone());

        let static_dir = state.settings.static_dir.clone();
        let index_html = std::fs::read_to_string(static_dir.join("index.html")).ok();
        let serve_spa = index_html.is_some();
        if !serve_spa {
            tracing::warn!(dir = %static_dir.display(), "SPA not built: serving the API only");
        }
        let csp = csp::policy(
            &index_html
                .as_deref()
                .map(csp::inline_script_hashes)
                .unwrap_or_default(),
        );
        let cors_origins = state.settings.cors_origins.clone();
        let api_doc = openapi::document();
        let allowed_methods = web::Data::new(AllowedMethods::from_openapi(&api_doc));
        // The metrics middleware reads its own data, not the whole state.
        let metrics = web::Data::from(state.metrics.clone());
        let hsts = state.settings.secure_cookies();

        // Each worker thread runs its own runtime, and gets its own share of the pool
        // (see `Db::lazy_pool_like`); `db` itself stays with background work.
        let workers = std::thread::available_parallelism().map_or(1, usize::from);
        let per_worker = state
            .db
            .pool()
            .options()
            .get_max_connections()
            .div_ceil(workers as u32)
            .max(1);
        let server = HttpServer::new(move || {
            let worker_state = web::Data::new(AppState {
                db: state.db.lazy_pool_like(per_worker),
                ..(**state).clone()
            });
            let cors = cors_origins.iter().fold(
                Cors::default()
                    .allowed_methods(["GET", "POST", "PATCH", "PUT", "DELETE"])
                    .allowed_headers([header::AUTHORIZATION, header::CONTENT_TYPE, header::ACCEPT])
                    .allowed_header("x-flux-session")
                    .allowed_header("idempotency-key")
                    .expose_headers(["x-request-id", "retry-after"])
                    .supports_credentials()
                    .max_age(3600),
                |cors, origin| cors.allowed_origin(origin),
            );
            let mut security_headers = DefaultHeaders::new()
                .add(("X-Content-Type-Options", "nosniff"))
                .add(("X-Frame-Options", "DENY"))
                .add(("Referrer-Policy", "strict-origin-when-cross-origin"))
                .add((
                    "Permissions-Policy",
                    "camera=(), microphone=(), geolocation=()",
                ))
                .add(("Content-Security-Policy", csp.clone()));
            if hsts {
                security_headers = security_headers.add((
                    "Strict-Transport-Security",
                    "max-age=31536000; includeSubDomains",
                ));
            }
            // The published document is `api_doc` (built once above); utoipa's per-worker
            // copy is discarded, so it starts empty.
            let (app, _) = App::new()
                .into_utoipa_app()
                .app_data(worker_state)
                .app_data(allowed_methods.clone())
                .app_data(metrics.clone())
                .app_data(web::JsonConfig::default().error_handler(|err, _| {
                    ApiError::field("body", format!("JSON inválido: {err}")).into()
                }))
                .app_data(web::PathConfig::default().error_handler(|err, _| {
                    ApiError::field("path", format!("parâmetro inválido: {err}")).into()
                }))
                .app_data(web::QueryConfig::default().error_handler(|err, _| {
                    ApiError::field("query", format!("parâmetro inválido: {err}")).into()
                }))
                .configure(routes::configure)
                .split_for_parts();
            let app = app
                .service(
                    SwaggerUi::new("/api/docs/{_:.*}").url("/api/openapi.json", api_doc.clone()),
                )
                .wrap(from_fn(idempotency::middleware))
                .wrap(from_fn(method_not_allowed::envelope))
                .wrap(from_fn(metrics::track))
                .wrap(Compress::default())
                .wrap(security_headers)
                .wrap(Condition::new(!cors_origins.is_empty(), cors))
                .wrap(from_fn(request_id::propagate))
                .wrap(TracingLogger::default());
            // Unmatched paths inside the /api/v1 scope end here, SPA or not.
            let app = app.default_service(web::to(|| async {
                Err::<actix_web::HttpResponse, _>(ApiError::NotFound("Rota não encontrada".into()))
            }));
            if serve_spa {
                app.service(spa::service(&static_dir))
            } else {
                app
            }
        })
        .listen(listener)?
        .workers(workers)
        .shutdown_timeout(20)
        .run();
        Ok(Self { port, server })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Runs until SIGINT/SIGTERM; in-flight requests get up to 20 s to finish.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

fn spawn_limiter_housekeeping(state: web::Data<AppState>) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(300));
        loop {
            tick.tick().await;
            state.auth.limits.retain_recent();
        }
    });
}
