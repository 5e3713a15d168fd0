//! A fresh database per test, fast: migrations run once per test run into a template
//! database (named after the migrations' checksums), and each test clones it with
//! `CREATE DATABASE … TEMPLATE`. `FLUX_TEST_DATABASE_URL` points at the throwaway cluster
//! that `make test` starts; it must be a superuser (it creates databases and the app role).
//!
//! Test databases are dropped when their `TestDatabase` is, and the first test of each
//! process sweeps what killed runs left behind (databases named after a dead process,
//! templates of older migrations): a cluster that only grew filled the disk of the CI
//! machine after a few thousand tests.

#![allow(clippy::expect_used, clippy::unwrap_used)] // test support: fail loudly

pub mod fake_ai;
pub mod imap_inbox;
mod loopback;
pub mod smtp_sink;

use std::{str::FromStr, sync::OnceLock};

use sqlx::{
    migrate::Migrator,
    postgres::{PgConnectOptions, PgPoolOptions},
    ConnectOptions, Connection, PgConnection, PgPool,
};

static MIGRATOR: Migrator = sqlx::migrate!("../../migrations");

/// A migrated database of its own, dropped with this value: keep it alive as long as
/// the test uses the database (a pool alone does not).
pub struct TestDatabase {
    pub url: String,
    pub name: String,
    admin: PgConnectOptions,
}

const TEST_DATABASE_PREFIX: &str = "flux_test_";

/// `FLUX_TEST_DATABASE_URL`, else `DATABASE_URL` (which the sqlx macros may use for a
/// migrated development database at compile time).
fn admin_options() -> PgConnectOptions {
    let url = std::env::var("FLUX_TEST_DATABASE_URL")
        .or_else(|_| std::env::var("DATABASE_URL"))
        .expect(
            "FLUX_TEST_DATABASE_URL (or DATABASE_URL) must point at a PostgreSQL superuser for \
             tests: run `make test` (it starts a throwaway cluster) or export it",
        );
    PgConnectOptions::from_str(&url).expect("DATABASE_URL is not a valid PostgreSQL URL")
}

fn template_name() -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for m in MIGRATOR.iter() {
        for b in m.checksum.iter().chain(m.version.to_le_bytes().iter()) {
            hash ^= u64::from(*b);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!("flux_tpl_{hash:016x}")
}

impl TestDatabase {
    /// Creates a new database, migrated to the current schema.
    pub async fn create() -> Self {
        let admin = admin_options();
        let mut conn = PgConnection::connect_with(&admin.clone().database("postgres"))
            .await
            .expect("cannot connect to the test PostgreSQL cluster");
        let template = template_name();
        ensure_template(&mut conn, &admin, &template).await;
        sweep_leftovers_once(&mut conn, &template).await;
        let name = format!(
            "{TEST_DATABASE_PREFIX}{}_{}",
            std::process::id(),
            uuid::Uuid::new_v4().simple()
        );
        sqlx::query(&format!("CREATE DATABASE {name} TEMPLATE {template}"))
            .execute(&mut conn)
            .await
            .expect("cannot create the test database");
        let url = admin.clone().database(&name).to_url_lossy().to_string();
        Self { url, name, admin }
    }

    pub async fn pool(&self) -> PgPool {
        PgPoolOptions::new()
            .max_connections(5)
            .connect(&self.url)
            .await
            .expect("cannot connect to the test database")
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        // Drop cannot await, and the test's runtime may be a current-thread one that is
        // blocked right here: the drop gets a thread and a runtime of its own.
        let admin = self.admin.clone().database("postgres");
        let statement = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name);
        let dropped = std::thread::spawn(move || {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime for dropping a test database")
                .block_on(async {
                    let mut conn = PgConnection::connect_with(&admin).await?;
                    sqlx::query(&statement).execute(&mut conn).await?;
                    conn.close().await
                })
        })
        .join();
        // A failure only leaves the database to the next run's sweep.
        if let Ok(Err(e)) = dropped {
            eprintln!("could not drop test database {}: {e}", self.name);
        }
    }
}

/// Once per process: drops test databases whose process is gone and templates built
/// from other migrations. Failures are ignored (another run may be using them).
async fn sweep_leftovers_once(conn: &mut PgConnection, current_template: &str) {
    static SWEPT: OnceLock<()> = OnceLock::new();
    if SWEPT.set(()).is_err() {
        return;
    }
    let names: Vec<String> = sqlx::query_scalar(
        "SELECT datname FROM pg_database WHERE datname LIKE 'flux\\_test\\_%' OR datname LIKE 'flux\\_tpl\\_%'",
    )
    .fetch_all(&mut *conn)
    .await
    .expect("list test databases");
    for name in names.iter().filter(|n| is_leftover(n, current_template)) {
        let force = if name.starts_with(TEST_DATABASE_PREFIX) {
            " WITH (FORCE)"
        } else {
            ""
        };
        let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name}{force}"))
            .execute(&mut *conn)
            .await;
    }
}

fn is_leftover(name: &str, current_template: &str) -> bool {
    if let Some(rest) = name.strip_prefix(TEST_DATABASE_PREFIX) {
        // flux_test_<pid>_<uuid>; older names without a pid are leftovers too.
        return match rest
            .split_once('_')
            .and_then(|(pid, _)| pid.parse::<u32>().ok())
        {
            Some(pid) => !std::path::Path::new(&format!("/proc/{pid}")).exists(),
            None => true,
        };
    }
    name != current_template && !name.ends_with("_building")
}

async fn ensure_template(conn: &mut PgConnection, admin: &PgConnectOptions, template: &str) {
    // Serializes template creation across parallel test processes.
    sqlx::query("SELECT pg_advisory_lock(727272)")
        .execute(&mut *conn)
        .await
        .expect("advisory lock");
    let exists: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
            .bind(template)
            .fetch_one(&mut *conn)
            .await
            .expect("template lookup");
    if !exists {
        let building = format!("{template}_building");
        sqlx::query(&format!("DROP DATABASE IF EXISTS {building}"))
            .execute(&mut *conn)
            .await
            .expect("drop stale template");
        sqlx::query(&format!("CREATE DATABASE {building}"))
            .execute(&mut *conn)
            .await
            .expect("create template");
        {
            let mut tpl = PgConnection::connect_with(&admin.clone().database(&building))
                .await
                .expect("connect template");
            MIGRATOR
                .run(&mut tpl)
                .await
                .expect("migrations failed on the template database");
            tpl.close().await.expect("close template connection");
        }
        // Renamed only once complete, so a crash never leaves a half-built template.
        sqlx::query(&format!("ALTER DATABASE {building} RENAME TO {template}"))
            .execute(&mut *conn)
            .await
            .expect("rename template");
    }
    sqlx::query("SELECT pg_advisory_unlock(727272)")
        .execute(&mut *conn)
        .await
        .expect("advisory unlock");
}

#[cfg(test)]
mod tests {
    use super::is_leftover;

    #[test]
    fn only_databases_of_dead_processes_and_other_templates_are_leftovers() {
        let me = std::process::id();
        let current = "flux_tpl_00000000000000aa";
        assert!(!is_leftover(&format!("flux_test_{me}_0123abcd"), current));
        // pid_max on Linux is at most 2^22: this process cannot exist.
        assert!(is_leftover("flux_test_4294967294_0123abcd", current));
        assert!(is_leftover(
            "flux_test_0123456789abcdef0123456789abcdef",
            current
        ));
        assert!(!is_leftover(current, current));
        assert!(is_leftover("flux_tpl_00000000000000bb", current));
        assert!(!is_leftover("flux_tpl_00000000000000bb_building", current));
    }
}
