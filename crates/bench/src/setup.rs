//! A fresh, migrated `flux_bench` database and organizations to load.

use std::str::FromStr;

use flux_domain::{MemberRole, OrgId, TenantCtx, UserId};
use flux_persistence::{organizations, users, Db};
use sqlx::{postgres::PgConnectOptions, Connection, PgConnection};

pub struct BenchDb {
    pub db: Db,
    pub url: String,
}

pub async fn fresh_database(admin_url: &str) -> anyhow::Result<BenchDb> {
    let admin = PgConnectOptions::from_str(admin_url)?;
    let mut conn = PgConnection::connect_with(&admin.clone().database("postgres")).await?;
    sqlx::query("DROP DATABASE IF EXISTS flux_bench WITH (FORCE)")
        .execute(&mut conn)
        .await?;
    sqlx::query("CREATE DATABASE flux_bench")
        .execute(&mut conn)
        .await?;
    // psql and pgbench must understand the URL too: the same URL naming `flux_bench`,
    // keeping its parameters (e.g. `?host=/socket/dir`).
    let (base, params) = admin_url.split_once('?').unwrap_or((admin_url, ""));
    let (without_db, _) = base
        .rsplit_once('/')
        .ok_or_else(|| anyhow::anyhow!("FLUX_BENCH_DATABASE_URL has no database part"))?;
    let url = if params.is_empty() {
        format!("{without_db}/flux_bench")
    } else {
        format!("{without_db}/flux_bench?{params}")
    };
    let db = Db::connect(&url, 24).await?;
    db.migrate().await?;
    // Plans big enough for the volumes measured here.
    sqlx::query("UPDATE plans SET max_leads = 10000000")
        .execute(db.pool())
        .await?;
    Ok(BenchDb { db, url })
}

/// An organization with its owner, as sign-up creates them.
pub async fn organization(db: &Db, n: usize) -> anyhow::Result<TenantCtx> {
    let email = format!("owner{n}@bench{n}.com.br");
    let mut tx = db.begin_system().await?;
    let user = users::insert(&mut tx, "Bench Owner", &email, "not-a-real-hash").await?;
    let org =
        organizations::create_with_owner(&mut tx, &email, &format!("bench-{n}"), user.id).await?;
    tx.commit().await?;
    Ok(TenantCtx::new(
        OrgId::new(org.id),
        UserId::new(user.id),
        MemberRole::Manager,
    ))
}

/// The newest installed pgbench (Debian keeps it out of PATH).
pub fn pgbench_bin() -> String {
    std::fs::read_dir("/usr/lib/postgresql")
        .ok()
        .and_then(|dirs| {
            dirs.filter_map(Result::ok)
                .map(|d| d.path().join("bin/pgbench"))
                .filter(|p| p.exists())
                .max()
        })
        .map(|p| p.display().to_string())
        .unwrap_or_else(|| "pgbench".into())
}

/// The `tps = …` figure of a pgbench run's output.
pub fn pgbench_tps(stdout: &str) -> anyhow::Result<f64> {
    stdout
        .lines()
        .find_map(|l| {
            l.strip_prefix("tps = ")
                .and_then(|r| r.split_whitespace().next())
                .and_then(|v| v.parse().ok())
        })
        .ok_or_else(|| anyhow::anyhow!("no tps in pgbench output: {stdout}"))
}
