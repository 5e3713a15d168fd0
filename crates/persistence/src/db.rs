//! Pool, migrations and the two kinds of transaction.

use std::{str::FromStr, time::Duration};

use flux_domain::TenantCtx;
use sqlx::{
    migrate::Migrator,
    pool::PoolConnection,
    postgres::{PgConnectOptions, PgPoolOptions},
    PgConnection, PgPool, Postgres, Transaction,
};

use crate::error::{RepoError, RepoResult};

pub static MIGRATOR: Migrator = sqlx::migrate!("../../migrations");

/// The role RLS applies to; created by the first migration.
const TENANT_ROLE: &str = "flux_app";

#[derive(Debug, Clone)]
pub struct Db {
    pool: PgPool,
}

pub type SystemTx = Transaction<'static, Postgres>;

/// A transaction confined to one organization by PostgreSQL row-level security.
pub struct TenantTx {
    tx: Transaction<'static, Postgres>,
    ctx: TenantCtx,
}

#[derive(Debug, thiserror::Error)]
pub enum DbSetupError {
    #[error("cannot connect to PostgreSQL: {0}")]
    Connect(#[source] sqlx::Error),
    #[error("migrations failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("the database user must be a superuser or have BYPASSRLS (it runs pre-tenant work such as login); grant it with ALTER ROLE … BYPASSRLS")]
    MissingBypassRls,
    #[error("database check failed: {0}")]
    Check(#[source] sqlx::Error),
}

impl Db {
    pub async fn connect(url: &str, max_connections: u32) -> Result<Self, DbSetupError> {
        let options = PgConnectOptions::from_str(url)
            .map_err(DbSetupError::Connect)?
            .application_name("flux");
        let pool = PgPoolOptions::new()
            .max_connections(max_connections)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options)
            .await
            .map_err(DbSetupError::Connect)?;
        Ok(Self { pool })
    }

    pub fn from_pool(pool: PgPool) -> Self {
        Self { pool }
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Applies pending migrations and checks the privileges the app relies on.
    pub async fn migrate(&self) -> Result<(), DbSetupError> {
        MIGRATOR.run(&self.pool).await?;
        let can_bypass: bool = sqlx::query_scalar(
            "SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user",
        )
        .fetch_one(&self.pool)
        .await
        .map_err(DbSetupError::Check)?;
        if can_bypass {
            Ok(())
        } else {
            Err(DbSetupError::MissingBypassRls)
        }
    }

    pub async fn ping(&self) -> RepoResult<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    #[tracing::instrument(skip_all, fields(org_id = %ctx.org_id()))]
    pub async fn begin_tenant(&self, ctx: &TenantCtx) -> RepoResult<TenantTx> {
        let mut tx = self.pool.begin().await?;
        // `set_config(…, true)` is `SET LOCAL`: it ends with the transaction, so a pooled
        // connection never keeps it. One statement sets the role RLS applies to and the
        // tenant (one round trip per request instead of two).
        sqlx::query(
            "SELECT set_config('role', $1, true), set_config('app.org_id', $2, true),
                    set_config('app.user_id', $3, true)",
        )
        .bind(TENANT_ROLE)
        .bind(ctx.org_id().to_string())
        .bind(ctx.user_id().to_string())
        .execute(&mut *tx)
        .await?;
        Ok(TenantTx {
            tx,
            ctx: ctx.clone(),
        })
    }

    /// This database seen by one tenant only: every transaction it opens is a
    /// [`TenantTx`] of `ctx` (background jobs get nothing else).
    pub fn for_tenant(&self, ctx: &TenantCtx) -> TenantDb {
        TenantDb {
            db: self.clone(),
            ctx: ctx.clone(),
        }
    }

    /// A pooled connection for single system statements (no transaction needed).
    pub async fn acquire(&self) -> RepoResult<PoolConnection<Postgres>> {
        Ok(self.pool.acquire().await?)
    }

    pub async fn begin_system(&self) -> RepoResult<SystemTx> {
        Ok(self.pool.begin().await?)
    }
}

/// A [`Db`] bound to one organization.
#[derive(Debug, Clone)]
pub struct TenantDb {
    db: Db,
    ctx: TenantCtx,
}

impl TenantDb {
    pub async fn begin(&self) -> RepoResult<TenantTx> {
        self.db.begin_tenant(&self.ctx).await
    }

    pub fn ctx(&self) -> &TenantCtx {
        &self.ctx
    }
}

impl TenantTx {
    pub fn ctx(&self) -> &TenantCtx {
        &self.ctx
    }

    /// Plans every statement of this transaction for its actual parameters and the
    /// table's current size. Bulk work on a fast-growing table needs it: a cached
    /// generic plan made while the table was nearly empty keeps scanning it whole.
    pub async fn use_custom_plans(&mut self) -> RepoResult<()> {
        sqlx::query("SET LOCAL plan_cache_mode = force_custom_plan")
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    pub async fn commit(self) -> RepoResult<()> {
        self.tx.commit().await.map_err(RepoError::from)
    }

    /// Raw access for repositories of this crate, and for the RLS tests that prove a
    /// tenant transaction cannot see other organizations even without a WHERE.
    #[doc(hidden)]
    pub fn conn(&mut self) -> &mut PgConnection {
        &mut self.tx
    }
}
