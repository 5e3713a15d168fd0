//! A fresh database per test, fast: migrations run once per test run into a template
//! database (named after the migrations' checksums), and each test clones it with
//! `CREATE DATABASE … TEMPLATE`. `FLUX_TEST_DATABASE_URL` points at the throwaway cluster
//! that `make test` starts; it must be a superuser (it creates databases and the app role).

#![allow(clippy::expect_used, clippy::unwrap_used)] // test support: fail loudly

use std::str::FromStr;

use sqlx::{
    migrate::Migrator,
    postgres::{PgConnectOptions, PgPoolOptions},
    ConnectOptions, Connection, PgConnection, PgPool,
};

static MIGRATOR: Migrator = sqlx::migrate!("../../migrations");

pub struct TestDatabase {
    pub url: String,
    pub name: String,
}

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
        let name = format!("flux_test_{}", uuid::Uuid::new_v4().simple());
        sqlx::query(&format!("CREATE DATABASE {name} TEMPLATE {template}"))
            .execute(&mut conn)
            .await
            .expect("cannot create the test database");
        let url = admin.database(&name).to_url_lossy().to_string();
        Self { url, name }
    }

    pub async fn pool(&self) -> PgPool {
        PgPoolOptions::new()
            .max_connections(5)
            .connect(&self.url)
            .await
            .expect("cannot connect to the test database")
    }
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
