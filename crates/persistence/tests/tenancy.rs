//! Row-level security is the second wall between tenants: these tests issue queries
//! with no `WHERE org_id` inside tenant transactions and expect to see one org only.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use flux_domain::{MemberRole, OrgId, TenantCtx, UserId};
use flux_persistence::{organizations, users, Db, Plans};
use flux_testkit::TestDatabase;
use uuid::Uuid;

/// The database value drops the database: keep it for the whole test.
async fn db() -> (TestDatabase, Db) {
    let test_db = TestDatabase::create().await;
    let db = Db::from_pool(test_db.pool().await);
    (test_db, db)
}

async fn org_with_manager(db: &Db, email: &str) -> TenantCtx {
    let mut tx = db.begin_system().await.unwrap();
    let user = users::insert(&mut tx, "Owner", email, "hash")
        .await
        .unwrap();
    let org = organizations::create_with_owner(&mut tx, email, "org", user.id)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    TenantCtx::new(
        OrgId::new(org.id),
        UserId::new(user.id),
        MemberRole::Manager,
    )
}

#[tokio::test]
async fn tenant_transaction_sees_only_its_own_rows_without_where_clause() {
    let (_test_db, db) = db().await;
    let a = org_with_manager(&db, "a@a.com.br").await;
    let b = org_with_manager(&db, "b@b.com.br").await;

    let mut tx = db.begin_tenant(&a).await.unwrap();
    let orgs: Vec<Uuid> = sqlx::query_scalar("SELECT id FROM organizations")
        .fetch_all(tx.conn())
        .await
        .unwrap();
    assert_eq!(orgs, vec![a.org_id().uuid()]);
    for table in ["organization_members", "subscriptions"] {
        let org_ids: Vec<Uuid> = sqlx::query_scalar(&format!("SELECT org_id FROM {table}"))
            .fetch_all(tx.conn())
            .await
            .unwrap();
        assert!(!org_ids.is_empty(), "{table} should show org A's rows");
        assert!(
            org_ids.iter().all(|id| *id == a.org_id().uuid()),
            "{table} leaked rows of org B ({})",
            b.org_id()
        );
    }
}

#[tokio::test]
async fn tenant_transaction_cannot_write_into_another_org() {
    let (_test_db, db) = db().await;
    let a = org_with_manager(&db, "a@a.com.br").await;
    let b = org_with_manager(&db, "b@b.com.br").await;

    let mut tx = db.begin_tenant(&a).await.unwrap();
    let err = sqlx::query(
        "INSERT INTO invitations (org_id, email, token_hash, expires_at) VALUES ($1, 'x@y.com', 'h', now())",
    )
    .bind(b.org_id().uuid())
    .execute(tx.conn())
    .await
    .unwrap_err();
    assert!(err.to_string().contains("row-level security"), "{err}");
}

#[tokio::test]
async fn tenant_updates_and_deletes_cannot_reach_another_org() {
    let (_test_db, db) = db().await;
    let a = org_with_manager(&db, "a@a.com.br").await;
    let b = org_with_manager(&db, "b@b.com.br").await;

    let mut tx = db.begin_tenant(&a).await.unwrap();
    let updated = sqlx::query("UPDATE organizations SET name = 'hacked'")
        .execute(tx.conn())
        .await
        .unwrap();
    assert_eq!(updated.rows_affected(), 1, "only org A is visible");
    let deleted = sqlx::query("DELETE FROM organization_members WHERE org_id = $1")
        .bind(b.org_id().uuid())
        .execute(tx.conn())
        .await
        .unwrap();
    assert_eq!(deleted.rows_affected(), 0);
    tx.commit().await.unwrap();

    let mut tx = db.begin_tenant(&b).await.unwrap();
    let name: String = sqlx::query_scalar("SELECT name FROM organizations")
        .fetch_one(tx.conn())
        .await
        .unwrap();
    assert_eq!(name, "b@b.com.br");
}

#[tokio::test]
async fn tenant_role_cannot_read_auth_secrets() {
    let (_test_db, db) = db().await;
    let a = org_with_manager(&db, "a@a.com.br").await;
    let mut tx = db.begin_tenant(&a).await.unwrap();
    let err = sqlx::query("SELECT password_hash FROM users")
        .fetch_all(tx.conn())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("permission denied"), "{err}");
}

#[tokio::test]
async fn signup_creates_org_slug_manager_and_starter_trial() {
    let (_test_db, db) = db().await;
    let mut tx = db.begin_system().await.unwrap();
    let u1 = users::insert(&mut tx, "Ana", "ana@acme.com.br", "h")
        .await
        .unwrap();
    let u2 = users::insert(&mut tx, "Bia", "bia@acme.com.br", "h")
        .await
        .unwrap();
    let o1 = organizations::create_with_owner(&mut tx, "acme.com.br", "acme-com-br", u1.id)
        .await
        .unwrap();
    let o2 = organizations::create_with_owner(&mut tx, "acme.com.br", "acme-com-br", u2.id)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(o1.slug, "acme-com-br");
    assert!(o2.slug.starts_with("acme-com-br-") && o2.slug.len() == "acme-com-br-".len() + 8);

    let ctx = TenantCtx::new(OrgId::new(o1.id), UserId::new(u1.id), MemberRole::Manager);
    let mut tx = db.begin_tenant(&ctx).await.unwrap();
    let sub = organizations::subscription(&mut tx).await.unwrap().unwrap();
    assert_eq!(
        (
            sub.plan_slug.as_str(),
            sub.status.as_str(),
            sub.included_users
        ),
        ("starter", "trialing", 4)
    );
}

#[tokio::test]
async fn plans_match_seed_000_section_9() {
    let (_test_db, db) = db().await;
    let rows: Vec<(String, i32, i32, i32, i32, i32, i32)> = sqlx::query_as(
        "SELECT slug, price_cents, max_leads, max_ai_per_day, max_whatsapp_per_month, included_users,
                additional_user_price_cents FROM plans ORDER BY price_cents",
    )
    .fetch_all(db.pool())
    .await
    .unwrap();
    assert_eq!(
        rows,
        vec![
            ("starter".into(), 14900, 1000, 50, 500, 4, 4900),
            ("pro".into(), 34900, 5000, 200, 2500, 4, 8900),
            ("enterprise".into(), 69900, 10000, -1, 10000, 4, 12900),
        ]
    );
}

#[tokio::test]
async fn tenant_transaction_sees_only_its_own_members_accounts() {
    let (_test_db, db) = db().await;
    let a = org_with_manager(&db, "a@a.com.br").await;
    let _b = org_with_manager(&db, "b@b.com.br").await;
    let mut tx = db.begin_tenant(&a).await.unwrap();
    let emails: Vec<String> = sqlx::query_scalar("SELECT email FROM users")
        .fetch_all(tx.conn())
        .await
        .unwrap();
    assert_eq!(emails, ["a@a.com.br"]);
}

#[tokio::test]
async fn lead_search_terms_are_confined_to_the_tenant() {
    let (_test_db, db) = db().await;
    let a = org_with_manager(&db, "a@a.com.br").await;
    let b = org_with_manager(&db, "b@b.com.br").await;
    for (ctx, name) in [(&a, "Construtora Alfa"), (&b, "Construtora Beta")] {
        sqlx::query(
            "INSERT INTO leads (org_id, cnpj, razao_social) VALUES ($1, '11222333000181', $2)",
        )
        .bind(ctx.org_id().uuid())
        .bind(name)
        .execute(db.pool())
        .await
        .unwrap();
    }

    let mut tx = db.begin_tenant(&a).await.unwrap();
    let terms: Vec<(Uuid, String)> =
        sqlx::query_as("SELECT org_id, term FROM lead_search_terms ORDER BY term")
            .fetch_all(tx.conn())
            .await
            .unwrap();
    assert_eq!(
        terms,
        vec![
            (a.org_id().uuid(), "alfa".to_owned()),
            (a.org_id().uuid(), "construtor".to_owned())
        ]
    );
    let forged = sqlx::query(
        "INSERT INTO lead_search_terms (org_id, lead_id, term, archived, created_at, weight)
         VALUES ($1, gen_random_uuid(), 'forjado', false, now(), 1)",
    )
    .bind(b.org_id().uuid())
    .execute(tx.conn())
    .await;
    assert!(forged.is_err(), "a tenant wrote a term into another org");
}

#[tokio::test]
async fn tenant_setup_is_local_to_its_transaction_and_sets_the_plan_mode_asked() {
    // One connection, with the app's pool options: every transaction below and the
    // final check run on the same session.
    let test_db = TestDatabase::create().await;
    let db = Db::connect(&test_db.url, 1).await.unwrap();
    let a = org_with_manager(&db, "a@a.com.br").await;
    let settings = "SELECT current_user::text, current_setting('app.org_id', true), \
                    current_setting('app.user_id', true), current_setting('plan_cache_mode')";

    for (plans, mode) in [
        (Plans::Cached, "auto"),
        (Plans::PerValues, "force_custom_plan"),
    ] {
        let mut tx = db.begin_tenant_with(&a, plans).await.unwrap();
        let seen: (String, String, String, String) =
            sqlx::query_as(settings).fetch_one(tx.conn()).await.unwrap();
        assert_eq!(
            seen,
            (
                "flux_app".to_owned(),
                a.org_id().uuid().to_string(),
                a.user_id().uuid().to_string(),
                mode.to_owned()
            )
        );
        tx.commit().await.unwrap();
    }

    // The pooled connection keeps none of it once its transactions end.
    let mut conn = db.acquire().await.unwrap();
    assert_no_tenant_setup_left(&mut conn).await;
}

#[tokio::test]
async fn a_read_only_end_rolls_back_and_leaves_the_pooled_connection_clean() {
    let test_db = TestDatabase::create().await;
    let db = Db::connect(&test_db.url, 1).await.unwrap();
    let a = org_with_manager(&db, "a@a.com.br").await;

    let mut tx = db.begin_tenant_with(&a, Plans::PerValues).await.unwrap();
    // Would a write slip through, the rollback drops it.
    sqlx::query("UPDATE organizations SET name = 'changed'")
        .execute(tx.conn())
        .await
        .unwrap();
    tx.end_read_only();

    // The same (only) connection: the transaction is over (its local settings are
    // gone) and its write undone.
    let mut conn = db.acquire().await.unwrap();
    assert_no_tenant_setup_left(&mut conn).await;
    let name: String = sqlx::query_scalar("SELECT name FROM organizations")
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    assert_ne!(name, "changed");
}

/// A caller that goes away (a client disconnecting) while the tenant `BEGIN` is in
/// flight must not leave its role and organization on the pooled connection.
#[tokio::test]
async fn a_begin_abandoned_in_flight_leaves_the_pooled_connection_clean() {
    let test_db = TestDatabase::create().await;
    let db = Db::connect(&test_db.url, 1).await.unwrap();
    let a = org_with_manager(&db, "a@a.com.br").await;
    let mut begin = Box::pin(db.begin_tenant(&a));
    let in_flight = std::future::poll_fn(|cx| {
        std::task::Poll::Ready(std::future::Future::poll(begin.as_mut(), cx).is_pending())
    })
    .await;
    assert!(in_flight, "BEGIN still in flight after one poll");
    drop(begin);
    // The same (only) connection comes back without the tenant transaction.
    let mut conn = db.acquire().await.unwrap();
    assert_no_tenant_setup_left(&mut conn).await;
}

/// Outside any tenant transaction: not the app role, no organization, default plans.
async fn assert_no_tenant_setup_left(conn: &mut sqlx::PgConnection) {
    let (role, org, mode): (String, Option<String>, String) = sqlx::query_as(
        "SELECT current_user::text, nullif(current_setting('app.org_id', true), ''), \
         current_setting('plan_cache_mode')",
    )
    .fetch_one(conn)
    .await
    .unwrap();
    assert_ne!(role, "flux_app");
    assert_eq!(org, None);
    assert_eq!(mode, "auto");
}

/// A table added without its policy would be readable across organizations: every
/// table with an `org_id` column that the app role may touch must have RLS enabled,
/// forced, and a policy. (Auth tables such as `refresh_tokens` carry an org_id but are
/// closed to the app role altogether.)
#[tokio::test]
async fn every_tenant_table_is_under_forced_row_level_security() {
    let (_guard, db) = db().await;
    let unprotected: Vec<String> = sqlx::query_scalar(
        "SELECT c.relname::text FROM pg_class c
         JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'public'
         JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'org_id' AND NOT a.attisdropped
         WHERE c.relkind = 'r'
           AND has_table_privilege('flux_app', c.oid, 'SELECT, INSERT, UPDATE, DELETE')
           AND NOT (c.relrowsecurity AND c.relforcerowsecurity
                    AND EXISTS (SELECT 1 FROM pg_policy p WHERE p.polrelid = c.oid))
         ORDER BY 1",
    )
    .fetch_all(db.pool())
    .await
    .unwrap();
    assert_eq!(unprotected, Vec::<String>::new());
}

/// Foreign keys ignore RLS; the composite keys of the cadence tables make a row
/// pointing at another organization's row impossible even so.
#[tokio::test]
async fn cadence_rows_cannot_reference_another_orgs_rows() {
    let (_guard, db) = db().await;
    let a = org_with_manager(&db, "a@a.com.br").await;
    let b = org_with_manager(&db, "b@b.com.br").await;
    let template_of_a: Uuid = {
        let mut tx = db.begin_tenant(&a).await.unwrap();
        let id = sqlx::query_scalar("SELECT id FROM message_templates LIMIT 1")
            .fetch_one(tx.conn())
            .await
            .unwrap();
        tx.commit().await.unwrap();
        id
    };
    let mut tx = db.begin_tenant(&b).await.unwrap();
    let cadence: Uuid = sqlx::query_scalar(
        "INSERT INTO cadences (org_id, name) VALUES (app_current_org(), 'B cad') RETURNING id",
    )
    .fetch_one(tx.conn())
    .await
    .unwrap();
    let err = sqlx::query(
        "INSERT INTO cadence_steps (org_id, cadence_id, position, channel, template_id)
         VALUES (app_current_org(), $1, 1, 'email', $2)",
    )
    .bind(cadence)
    .bind(template_of_a)
    .execute(tx.conn())
    .await
    .unwrap_err();
    assert!(
        err.to_string().contains("fk_steps_template"),
        "unexpected error: {err}"
    );
    // The failed statement aborted B's transaction; roll it back.
    tx.end_read_only();

    // Nor can an enrollment of B point at A's lead.
    let lead_of_a: Uuid = {
        let mut tx = db.begin_tenant(&a).await.unwrap();
        let id = sqlx::query_scalar(
            "INSERT INTO leads (org_id, cnpj) VALUES (app_current_org(), '11222333000181') RETURNING id",
        )
        .fetch_one(tx.conn())
        .await
        .unwrap();
        tx.commit().await.unwrap();
        id
    };
    let mut tx = db.begin_tenant(&b).await.unwrap();
    let cadence: Uuid = sqlx::query_scalar(
        "INSERT INTO cadences (org_id, name) VALUES (app_current_org(), 'B cad') RETURNING id",
    )
    .fetch_one(tx.conn())
    .await
    .unwrap();
    let err = sqlx::query(
        "INSERT INTO cadence_enrollments (org_id, cadence_id, lead_id, sender_id)
         VALUES (app_current_org(), $1, $2, $3)",
    )
    .bind(cadence)
    .bind(lead_of_a)
    .bind(b.user_id().uuid())
    .execute(tx.conn())
    .await
    .unwrap_err();
    assert!(
        err.to_string().contains("fk_enrollments_lead"),
        "unexpected error: {err}"
    );
}
