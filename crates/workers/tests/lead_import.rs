//! The `leads.import` job on its own: chunked commits, resume after a failure
//! mid-file without duplicating a lead or an error, and failure when it dies.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use chrono::Utc;
use flux_domain::{cnpj::check_digits_of, MemberRole, OrgId, TenantCtx, UserId};
use flux_persistence::{
    jobs::{self, kinds},
    lead_imports::{self, ImportStatus, NewImport},
    organizations, users, Db,
};
use flux_testkit::TestDatabase;
use flux_workers::{
    lead_import::{EnrichImportedLeads, ImportLeads},
    queue::{JobOutcome, Runner, RunnerConfig},
};
use serde_json::json;

async fn setup() -> (TestDatabase, Db, TenantCtx) {
    let test_db = TestDatabase::create().await;
    let db = Db::from_pool(test_db.pool().await);
    let mut tx = db.begin_system().await.unwrap();
    let user = users::insert(&mut tx, "Ana", "ana@a.com.br", "h")
        .await
        .unwrap();
    let org = organizations::create_with_owner(&mut tx, "ana@a.com.br", "org", user.id)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let ctx = TenantCtx::new(
        OrgId::new(org.id),
        UserId::new(user.id),
        MemberRole::Manager,
    );
    (test_db, db, ctx)
}

fn cnpj(n: usize) -> String {
    let base = format!("{:08}0001", 20_000_000 + n * 7);
    let (a, b) = check_digits_of(&base);
    format!("{base}{a}{b}")
}

async fn upload(db: &Db, ctx: &TenantCtx, csv: &str, rows: i32) -> uuid::Uuid {
    let mut tx = db.begin_tenant(ctx).await.unwrap();
    let import = lead_imports::create(
        &mut tx,
        NewImport {
            file_name: "f.csv",
            content: csv.as_bytes(),
            encoding: "utf-8",
            delimiter: ';',
            column_mapping: json!([]),
            total_rows: rows,
        },
    )
    .await
    .unwrap();
    jobs::enqueue(
        &mut tx,
        flux_app::lead_imports::import_job(import.id, Utc::now()).max_attempts(2),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    import.id
}

fn runner(db: &Db, chunk_rows: usize) -> Runner {
    Runner::builder(db.clone())
        .handler(kinds::IMPORT_LEADS, Arc::new(ImportLeads { chunk_rows }))
        .config(RunnerConfig {
            backoff_base: std::time::Duration::ZERO,
            ..RunnerConfig::default()
        })
        .build()
}

#[tokio::test]
async fn resumes_after_a_failed_chunk_without_duplicates() {
    let (_test_db, db, ctx) = setup().await;
    // Rows 2..=7: five valid CNPJs and one invalid, chunks of two rows.
    let mut csv = String::from("CNPJ\n");
    for n in 0..5 {
        csv.push_str(&format!("{}\n", cnpj(n)));
        if n == 1 {
            csv.push_str("123\n");
        }
    }
    let id = upload(&db, &ctx, &csv, 6).await;
    // The third chunk's lead insert fails once, as a database outage would.
    let poisoned = cnpj(3);
    let sql = format!(
        "CREATE FUNCTION fail_once() RETURNS trigger LANGUAGE plpgsql AS $$
         BEGIN
           IF NEW.cnpj = '{poisoned}' AND NOT EXISTS (SELECT 1 FROM pg_class WHERE relname = 'failed_once') THEN
             RAISE EXCEPTION 'injected failure';
           END IF;
           RETURN NEW;
         END $$;
         CREATE TRIGGER fail_once BEFORE INSERT ON leads FOR EACH ROW EXECUTE FUNCTION fail_once();"
    );
    sqlx::raw_sql(&sql).execute(db.pool()).await.unwrap();
    let runner = runner(&db, 2);
    let first = runner.run_one().await.unwrap().unwrap();
    assert!(
        matches!(first, JobOutcome::Retrying { ref error, .. } if error.contains("injected failure")),
        "{first:?}"
    );
    let mut tx = db.begin_tenant(&ctx).await.unwrap();
    let partial = lead_imports::get(&mut tx, id).await.unwrap().unwrap();
    drop(tx);
    assert_eq!(partial.status, ImportStatus::Processing);
    assert_eq!(
        partial.processed_rows, 4,
        "two chunks committed before the failure"
    );
    assert_eq!((partial.success_count, partial.error_count), (3, 1));

    sqlx::query("CREATE TABLE failed_once ()")
        .execute(db.pool())
        .await
        .unwrap();
    let second = runner.run_one().await.unwrap().unwrap();
    assert!(matches!(second, JobOutcome::Succeeded { .. }), "{second:?}");
    let mut tx = db.begin_tenant(&ctx).await.unwrap();
    let done = lead_imports::get(&mut tx, id).await.unwrap().unwrap();
    assert_eq!(done.status, ImportStatus::Completed);
    assert_eq!(
        (done.processed_rows, done.success_count, done.error_count),
        (6, 5, 1)
    );
    let (errors, total) = lead_imports::errors(&mut tx, id, None, 0).await.unwrap();
    assert_eq!(total, 1, "the invalid row is reported once");
    assert_eq!(errors[0].row_number, 4);
    let leads: i64 =
        sqlx::query_scalar("SELECT count(DISTINCT cnpj) FROM leads WHERE import_id = $1")
            .bind(id)
            .fetch_one(db.pool())
            .await
            .unwrap();
    assert_eq!(leads, 5, "five leads, none twice");
    assert!(
        lead_imports::file_content(&mut tx, id)
            .await
            .unwrap()
            .is_none(),
        "file dropped when done"
    );
    let fan_out = jobs::list(&mut tx, Some(kinds::ENRICH_IMPORT), 100)
        .await
        .unwrap();
    assert_eq!(
        fan_out.len(),
        1,
        "enrichment is queued once the import is done"
    );
    drop(tx);
    Runner::builder(db.clone())
        .handler(kinds::ENRICH_IMPORT, Arc::new(EnrichImportedLeads))
        .build()
        .drain()
        .await
        .unwrap();
    let mut tx = db.begin_tenant(&ctx).await.unwrap();
    let enrich = jobs::list(&mut tx, Some(kinds::ENRICH_LEAD), 100)
        .await
        .unwrap();
    assert_eq!(enrich.len(), 5, "one enrichment job per new lead");
}

#[tokio::test]
async fn an_import_whose_job_dies_is_marked_failed() {
    let (_test_db, db, ctx) = setup().await;
    let id = upload(&db, &ctx, &format!("CNPJ\n{}\n", cnpj(1)), 1).await;
    sqlx::raw_sql(
        "CREATE FUNCTION always_fail() RETURNS trigger LANGUAGE plpgsql AS $$
         BEGIN RAISE EXCEPTION 'disk full'; END $$;
         CREATE TRIGGER always_fail BEFORE INSERT ON leads FOR EACH ROW EXECUTE FUNCTION always_fail();",
    )
    .execute(db.pool())
    .await
    .unwrap();
    let outcomes = runner(&db, 100).drain().await.unwrap();
    assert!(
        matches!(outcomes.last(), Some(JobOutcome::Dead { .. })),
        "{outcomes:?}"
    );
    let mut tx = db.begin_tenant(&ctx).await.unwrap();
    let import = lead_imports::get(&mut tx, id).await.unwrap().unwrap();
    assert_eq!(import.status, ImportStatus::Failed);
    assert!(import.failure_reason.unwrap().contains("disk full"));
}
