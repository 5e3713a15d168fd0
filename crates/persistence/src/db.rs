//! Pool, migrations and the two kinds of transaction.

use std::{str::FromStr, time::Duration};

use flux_domain::TenantCtx;
use sqlx::{
    migrate::Migrator,
    pool::PoolConnection,
    postgres::{PgConnectOptions, PgPoolOptions},
    Connection, PgConnection, PgPool, Postgres, Transaction,
};

use uuid::Uuid;

use crate::error::{RepoError, RepoResult};

pub static MIGRATOR: Migrator = sqlx::migrate!("../../migrations");

/// The role RLS applies to; created by the first migration.
const TENANT_ROLE: &str = "flux_app";

/// A pooled connection idle longer than this is pinged before use.
const IDLE_CHECK_AFTER: Duration = Duration::from_secs(5);

#[derive(Debug, Clone)]
pub struct Db {
    pool: PgPool,
}

pub type SystemTx = Transaction<'static, Postgres>;

/// How a transaction plans its prepared statements.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Plans {
    /// PostgreSQL's default: after a few runs a statement may keep one generic plan.
    Cached,
    /// Planned for the actual values on every run (`plan_cache_mode =
    /// force_custom_plan`), still skipping the parse and the extra round trip of an
    /// unnamed statement. For queries whose best plan depends on how selective their
    /// values are, e.g. list filters: a generic plan cannot know and picks
    /// whole-organization scans.
    PerValues,
}

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

fn pool_options(max_connections: u32) -> PgPoolOptions {
    PgPoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(Duration::from_secs(10))
        // sqlx checks a connection when it returns to the pool; checking it again on
        // every checkout doubles the round trips of a short request. Only a connection
        // idle long enough to have been dropped by the server or the network is
        // checked before use.
        .test_before_acquire(false)
        .before_acquire(|conn, meta| {
            Box::pin(async move {
                if meta.idle_for > IDLE_CHECK_AFTER {
                    conn.ping().await?;
                }
                Ok(true)
            })
        })
}

/// The statements that confine a transaction to one organization and member. `SET
/// LOCAL`s end with the transaction. Plain `SET`s, not a `SELECT` of `set_config`s:
/// nothing to plan and no row to send back (≈ 11 µs less database time per
/// transaction, measured with pgbench on 2 cores). The values are UUIDs formatted here
/// and constants, so they can be literals. Public for the benchmarks that replay them.
pub fn tenant_setup(org_id: Uuid, user_id: Uuid, plans: Plans) -> Vec<String> {
    let mut setup = vec![
        format!("SET LOCAL ROLE {TENANT_ROLE}"),
        format!("SET LOCAL app.org_id = '{org_id}'"),
        format!("SET LOCAL app.user_id = '{user_id}'"),
    ];
    if plans == Plans::PerValues {
        setup.push("SET LOCAL plan_cache_mode = force_custom_plan".to_owned());
    }
    setup
}

impl Db {
    pub async fn connect(url: &str, max_connections: u32) -> Result<Self, DbSetupError> {
        let options = PgConnectOptions::from_str(url)
            .map_err(DbSetupError::Connect)?
            .application_name("flux");
        let pool = pool_options(max_connections)
            .connect_with(options)
            .await
            .map_err(DbSetupError::Connect)?;
        Ok(Self { pool })
    }

    /// Another pool on the same database, opening its connections on first use from
    /// the task that needs them. An HTTP worker thread gets one of its own: a
    /// connection's socket wakes the runtime that opened it, so a pool shared between
    /// runtimes costs a second thread wake-up on every round trip (a fifth of the
    /// server's time on a list request).
    pub fn lazy_pool_like(&self, max_connections: u32) -> Self {
        let options = (*self.pool.connect_options()).clone();
        Self {
            pool: pool_options(max_connections).connect_lazy_with(options),
        }
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

    /// A transaction confined to `ctx`'s organization (prepared statements keep their
    /// cached plans).
    pub async fn begin_tenant(&self, ctx: &TenantCtx) -> RepoResult<TenantTx> {
        self.begin_tenant_with(ctx, Plans::Cached).await
    }

    #[tracing::instrument(skip_all, fields(org_id = %ctx.org_id()))]
    pub async fn begin_tenant_with(&self, ctx: &TenantCtx, plans: Plans) -> RepoResult<TenantTx> {
        // The tenant setup and `BEGIN` travel as one simple query: one round trip. The
        // setup runs first, in the message's implicit transaction, which `BEGIN` then
        // turns into the real one (PostgreSQL protocol, "multiple statements in a simple
        // query"); if the setup fails, nothing is left open on the pooled connection.
        let mut setup = tenant_setup(ctx.org_id().uuid(), ctx.user_id().uuid(), plans).join("; ");
        setup.push_str("; BEGIN");
        let tx = self.pool.begin_with(setup).await?;
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

    pub async fn begin_with(&self, plans: Plans) -> RepoResult<TenantTx> {
        self.db.begin_tenant_with(&self.ctx, plans).await
    }

    pub fn ctx(&self) -> &TenantCtx {
        &self.ctx
    }
}

impl TenantTx {
    pub fn ctx(&self) -> &TenantCtx {
        &self.ctx
    }

    pub async fn commit(self) -> RepoResult<()> {
        self.tx.commit().await.map_err(RepoError::from)
    }

    /// Ends a transaction that wrote nothing by rolling it back. sqlx sends the
    /// rollback together with the check it makes when the connection returns to the
    /// pool: one round trip, where a commit takes its own before that check.
    pub fn end_read_only(self) {
        drop(self.tx);
    }

    /// Raw access for repositories of this crate, and for the RLS tests that prove a
    /// tenant transaction cannot see other organizations even without a WHERE.
    #[doc(hidden)]
    pub fn conn(&mut self) -> &mut PgConnection {
        &mut self.tx
    }
}
