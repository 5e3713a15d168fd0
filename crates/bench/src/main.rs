//! `make bench`: the performance figures of the issues, measured side by side on this
//! machine and appended to `docs/benchmarks.md`.
//!
//! - Lead import of a 100k-row CSV (validation, dedup, error capture, insert) against
//!   `psql \copy` of the same rows into the same table with the same indexes.
//! - `GET /api/v1/leads` with filters and with `q` for an organization holding 100k
//!   leads in a 1M-lead database, 16 concurrent clients, against pgbench replaying the
//!   endpoint's own SQL with the same per-request tenant setup.
//! - The cadence engine: steps per second end to end with an in-memory
//!   channel against a pgbench ceiling doing the same claim + inserts + update, and
//!   the enqueue → send latency of an idle engine.
//! - The SPA's first-load download, gzipped and brotli, against its size target.
//!
//! `FLUX_BENCH_DATABASE_URL` is a PostgreSQL superuser URL (the Makefile starts a
//! dedicated durable cluster); the database `flux_bench` is recreated.

#![allow(clippy::print_stdout, clippy::expect_used, unreachable_pub)]

mod engine;
mod import;
mod list;
mod report;
mod setup;
mod spa;

// The allocator `flux` runs with: the list benchmark serves from this process.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main(flavor = "multi_thread")]
async fn main() -> anyhow::Result<()> {
    let which = std::env::args().nth(1).unwrap_or_else(|| "all".into());
    let admin = std::env::var("FLUX_BENCH_DATABASE_URL").map_err(|_| {
        anyhow::anyhow!(
            "FLUX_BENCH_DATABASE_URL must name a PostgreSQL superuser URL (make bench sets it)"
        )
    })?;
    let mut sections = Vec::new();
    if which == "all" || which == "import" {
        let db = setup::fresh_database(&admin).await?;
        sections.push(import::run(&db).await?);
    }
    if which == "all" || which == "list" {
        let db = setup::fresh_database(&admin).await?;
        sections.push(list::run(&db).await?);
    }
    if which == "all" || which == "engine" {
        let db = setup::fresh_database(&admin).await?;
        sections.push(engine::run(&db).await?);
    }
    if which == "all" || which == "spa" {
        sections.push(spa::run()?);
    }
    report::write(&sections)?;
    Ok(())
}
