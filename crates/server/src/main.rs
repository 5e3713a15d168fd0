//! `flux`: the single Flux binary.
//!
//! ```text
//! flux serve [--demo]   run the API + SPA (embedded PostgreSQL unless DATABASE_URL is set)
//! flux worker           run background work only (scale-out; `serve` also runs it)
//! flux migrate          apply database migrations and exit
//! flux openapi          print the OpenAPI document
//! flux seed-demo        create the demo organization and print its login
//! ```

use anyhow::Context;
use flux_api::Application;
use flux_app::Ports;
use flux_platform::{telemetry, Settings};
use flux_server::{database, demo, wiring};
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
    if demo && std::env::var_os("FLUX_MAIL_LOG").is_none() {
        // The demo has no mail server: its log is where reset links are read.
        settings.mail_log = flux_platform::MailLog::Full;
    }
    settings.secrets_key = Some(database::secrets_key(&settings)?);
    let handle = database::open(&settings).await?;
    let jwt_secret = database::jwt_secret(&settings)?;
    if demo {
        let login = demo::seed(&handle.db).await?;
        println!("\n  Flux demo  →  {}\n  {login}\n", settings.public_url);
    }

    let ports = wiring::ports(&settings)?;
    let (stop_tx, stop_rx) = watch::channel(false);
    let background = spawn_background(&handle, &settings, &ports, stop_rx);

    let app = Application::build(
        settings.clone(),
        handle.db.clone(),
        jwt_secret.as_bytes(),
        ports,
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
/// dispatcher, housekeeping, the cadence engine and the inbox poller. `flux worker`
/// runs the same set without HTTP, so adding worker processes scales every kind of job.
fn spawn_background(
    handle: &database::DbHandle,
    settings: &Settings,
    ports: &Ports,
    stop: watch::Receiver<bool>,
) -> Vec<tokio::task::JoinHandle<()>> {
    let db = &handle.db;
    let mut tasks = vec![
        tokio::spawn(flux_workers::system_mail::run(
            db.clone(),
            ports.mailer.clone(),
            stop.clone(),
        )),
        tokio::spawn(flux_workers::housekeeping::run(db.clone(), stop.clone())),
        tokio::spawn(wiring::engine(db, ports, settings).run(stop.clone())),
        tokio::spawn(wiring::inbox_poller(db, ports, settings).run(stop.clone())),
    ];
    tasks.extend(
        flux_workers::runner(db.clone(), ports.enrichment.clone(), ports.email.clone()).spawn(stop),
    );
    tasks
}

/// Background work without the HTTP server, until SIGINT/SIGTERM.
async fn worker(mut settings: Settings) -> anyhow::Result<()> {
    use tokio::signal::unix::{signal, SignalKind};
    // Installed first: a signal during start-up must still end in a clean shutdown.
    let mut term = signal(SignalKind::terminate())?;
    let mut interrupt = signal(SignalKind::interrupt())?;
    settings.secrets_key = Some(database::secrets_key(&settings)?);
    let handle = database::open(&settings).await?;
    let ports = wiring::ports(&settings)?;
    let (stop_tx, stop_rx) = watch::channel(false);
    let background = spawn_background(&handle, &settings, &ports, stop_rx);
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
