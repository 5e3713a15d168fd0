//! `flux`: the single Flux binary.
//!
//! ```text
//! flux serve [--demo]   run the API + SPA (embedded PostgreSQL unless DATABASE_URL is set)
//! flux worker           run background work only (scale-out; `serve` also runs it)
//! flux migrate          apply database migrations and exit
//! flux openapi          print the OpenAPI document
//! flux seed-demo        create the demo organization and print its login
//! ```

mod database;
mod demo;

use std::sync::Arc;

use anyhow::Context;
use flux_api::Application;
use flux_integrations::mail::{LogMailer, Mailer, SmtpMailer};
use flux_platform::{telemetry, Settings};
use tokio::sync::watch;

// glibc malloc was an eighth of the server's time per list request (small strings
// decoded, serialized and freed per row); mimalloc's thread-local pages cost less.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const USAGE: &str = "usage: flux <serve [--demo] | worker | migrate | openapi | seed-demo>";

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let command = args.first().map(String::as_str).unwrap_or("serve");
    if command == "openapi" {
        print!("{}", flux_api::openapi::document_json());
        return Ok(());
    }
    if matches!(command, "-h" | "--help" | "help") {
        println!("{USAGE}");
        return Ok(());
    }

    let settings = Settings::from_env()?;
    telemetry::init(settings.log_format, "info,sqlx=warn,actix_server=warn");
    let result = match command {
        "serve" => serve(settings, args.iter().any(|a| a == "--demo")).await,
        "worker" => worker(settings).await,
        "migrate" => database::open(&settings).await.map(|_| ()),
        "seed-demo" => {
            let handle = database::open(&settings).await?;
            let login = demo::seed(&handle.db).await?;
            println!("{login}");
            Ok(())
        }
        other => Err(anyhow::anyhow!("unknown command {other:?}\n{USAGE}")),
    };
    if let Err(e) = &result {
        tracing::error!(error = format!("{e:#}"), "flux stopped with an error");
    }
    result
}

async fn serve(mut settings: Settings, demo: bool) -> anyhow::Result<()> {
    settings.secrets_key = Some(database::secrets_key(&settings)?);
    let handle = database::open(&settings).await?;
    let jwt_secret = database::jwt_secret(&settings)?;
    if demo {
        let login = demo::seed(&handle.db).await?;
        println!("\n  Flux demo  →  {}\n  {login}\n", settings.public_url);
    }

    let (stop_tx, stop_rx) = watch::channel(false);
    let enrichment = flux_workers::enrichment::policy_from(&settings.enrichment);
    let background = spawn_background(&handle, &settings, enrichment.clone(), stop_rx)?;

    let app = Application::build_with(
        settings.clone(),
        handle.db.clone(),
        jwt_secret.as_bytes(),
        enrichment,
    )?;
    tracing::info!(addr = %settings.addr, url = %settings.public_url, "Flux is listening");
    let served = app.run_until_stopped().await;

    tracing::info!("shutting down");
    let _ = stop_tx.send(true);
    for task in background {
        let _ = task.await;
    }
    handle.close().await;
    served.context("HTTP server failed")
}

/// The in-process background work: the job queue runner, the e-mail outbox
/// dispatcher, housekeeping, the cadence engine and the inbox poller. `flux worker` runs the same set without HTTP, so
/// adding worker processes scales every kind of job.
fn spawn_background(
    handle: &database::DbHandle,
    settings: &Settings,
    enrichment: flux_workers::enrichment::EnrichmentPolicy,
    stop: watch::Receiver<bool>,
) -> anyhow::Result<Vec<tokio::task::JoinHandle<()>>> {
    let email = email_channel(settings)?;
    let mut tasks = vec![
        tokio::spawn(flux_workers::email_outbox::run(
            handle.db.clone(),
            mailer(settings)?,
            stop.clone(),
        )),
        tokio::spawn(flux_workers::housekeeping::run(
            handle.db.clone(),
            stop.clone(),
        )),
        tokio::spawn(engine(handle, settings, email.clone())?.run(stop.clone())),
        tokio::spawn(inbox_poller(handle, settings)?.run(stop.clone())),
    ];
    tasks.extend(flux_workers::runner(handle.db.clone(), enrichment, email).spawn(stop));
    Ok(tasks)
}

/// E-mail through each sender's own SMTP mailbox, for cadences and one-off e-mails.
fn email_channel(
    settings: &Settings,
) -> anyhow::Result<Arc<dyn flux_workers::engine::channel::ChannelSender>> {
    use flux_workers::engine::{smtp::SmtpChannel, tracking::TrackingLinks};
    let key = settings
        .secrets_key
        .clone()
        .context("the secrets key is resolved before the e-mail channel is built")?;
    let links = TrackingLinks::new(key.clone(), &settings.public_url);
    let hosts =
        flux_integrations::smtp::HostPolicy::allowing_private(settings.allow_private_mail_hosts);
    Ok(Arc::new(SmtpChannel::new(key, links).with_hosts(hosts)))
}

/// The cadence engine, sending e-mail through `email` and writing AI-personalized
/// steps with the configured provider. WhatsApp has no channel yet: its steps pause
/// with "canal não configurado".
fn engine(
    handle: &database::DbHandle,
    settings: &Settings,
    email: Arc<dyn flux_workers::engine::channel::ChannelSender>,
) -> anyhow::Result<flux_workers::engine::Engine> {
    use flux_domain::Channel;
    use flux_workers::engine::{channel::Channels, Engine, EngineConfig};
    let channels = Channels::default().with(Channel::Email, email);
    let ai = flux_workers::ai_messages::AiMessages::new(
        handle.db.clone(),
        flux_workers::ai_messages::provider_from(&settings.ai),
        flux_workers::ai_messages::retry_policy(&settings.ai),
    );
    Ok(Engine::new(handle.db.clone(), channels)
        .with_ai(ai)
        .with_config(EngineConfig {
            tick: settings.engine_tick,
            ..EngineConfig::default()
        }))
}

/// Reads senders' inboxes for replies and bounces.
fn inbox_poller(
    handle: &database::DbHandle,
    settings: &Settings,
) -> anyhow::Result<flux_workers::inbox::InboxPoller> {
    use flux_workers::inbox::{InboxConfig, InboxPoller};
    let key = settings
        .secrets_key
        .clone()
        .context("the secrets key is resolved before the inbox poller starts")?;
    Ok(InboxPoller::new(handle.db.clone(), key)
        .with_hosts(flux_integrations::imap::HostPolicy::allowing_private(
            settings.allow_private_mail_hosts,
        ))
        .with_config(InboxConfig {
            every: settings.imap_poll,
            ..InboxConfig::default()
        }))
}

fn mailer(settings: &Settings) -> anyhow::Result<Arc<dyn Mailer>> {
    Ok(match &settings.smtp_url {
        Some(url) => {
            Arc::new(SmtpMailer::new(url.expose(), &settings.mail_from).context("SMTP_URL")?)
        }
        None => {
            tracing::warn!("SMTP_URL not set: e-mails are written to the log instead of sent");
            Arc::new(LogMailer)
        }
    })
}

/// Background work without the HTTP server, until SIGINT/SIGTERM.
async fn worker(mut settings: Settings) -> anyhow::Result<()> {
    use tokio::signal::unix::{signal, SignalKind};
    // Installed first: a signal during start-up must still end in a clean shutdown.
    let mut term = signal(SignalKind::terminate())?;
    let mut interrupt = signal(SignalKind::interrupt())?;
    settings.secrets_key = Some(database::secrets_key(&settings)?);
    let handle = database::open(&settings).await?;
    let (stop_tx, stop_rx) = watch::channel(false);
    let enrichment = flux_workers::enrichment::policy_from(&settings.enrichment);
    let background = spawn_background(&handle, &settings, enrichment, stop_rx)?;
    tracing::info!("worker running");
    tokio::select! {
        _ = interrupt.recv() => {}
        _ = term.recv() => {}
    }
    tracing::info!("worker shutting down");
    let _ = stop_tx.send(true);
    for task in background {
        let _ = task.await;
    }
    handle.close().await;
    Ok(())
}
