#![allow(clippy::unwrap_used)]

use flux_persistence::Db;
use flux_testkit::TestDatabase;
use flux_workers::housekeeping::run_once;

/// A fresh database with one organization and its owner.
async fn org_with_owner() -> (TestDatabase, Db, uuid::Uuid, uuid::Uuid) {
    let test_db = TestDatabase::create().await;
    let db = Db::from_pool(test_db.pool().await);
    let user: uuid::Uuid = sqlx::query_scalar(
        "INSERT INTO users (name, email, password_hash) VALUES ('A', 'a@a.com', 'h') RETURNING id",
    )
    .fetch_one(db.pool())
    .await
    .unwrap();
    let org: uuid::Uuid = sqlx::query_scalar(
        "INSERT INTO organizations (name, slug, owner_id) VALUES ('A', 'a', $1) RETURNING id",
    )
    .bind(user)
    .fetch_one(db.pool())
    .await
    .unwrap();
    (test_db, db, user, org)
}

#[tokio::test]
async fn purges_only_idempotency_keys_past_retention() {
    let (_test_db, db, user, org) = org_with_owner().await;
    let pool = db.pool();
    for (key, age) in [("old", "25 hours"), ("fresh", "1 hour")] {
        sqlx::query(&format!(
            "INSERT INTO idempotency_keys (org_id, user_id, key, request_hash, status_code, created_at)
             VALUES ($1, $2, $3, 'h', 201, now() - interval '{age}')"
        ))
        .bind(org)
        .bind(user)
        .bind(key)
        .execute(pool)
        .await
        .unwrap();
    }
    assert_eq!(run_once(&db).await.unwrap(), 1);
    let left: Vec<String> = sqlx::query_scalar("SELECT key FROM idempotency_keys")
        .fetch_all(pool)
        .await
        .unwrap();
    assert_eq!(left, ["fresh"]);
}

#[tokio::test]
async fn purges_finished_jobs_and_old_events_by_retention() {
    let (_test_db, db, _, org) = org_with_owner().await;
    let pool = db.pool();
    for (kind, status, age) in [
        ("old-success", "succeeded", Some("8 days")),
        ("recent-success", "succeeded", Some("6 days")),
        ("dead-month", "dead", Some("31 days")),
        ("dead-week", "dead", Some("8 days")),
        ("queued", "queued", None),
    ] {
        let finished = age.map_or("NULL".to_owned(), |a| format!("now() - interval '{a}'"));
        sqlx::query(&format!(
            "INSERT INTO jobs (org_id, kind, status, finished_at) VALUES ($1, $2, '{status}', {finished})"
        ))
        .bind(org)
        .bind(kind)
        .execute(pool)
        .await
        .unwrap();
    }
    for age in ["25 hours", "1 hour"] {
        sqlx::query(&format!(
            "INSERT INTO events (org_id, kind, data, created_at) VALUES ($1, '{age}', '{{}}', now() - interval '{age}')"
        ))
        .bind(org)
        .execute(pool)
        .await
        .unwrap();
    }
    assert_eq!(run_once(&db).await.unwrap(), 3);
    let mut jobs: Vec<String> = sqlx::query_scalar("SELECT kind FROM jobs")
        .fetch_all(pool)
        .await
        .unwrap();
    jobs.sort();
    assert_eq!(jobs, ["dead-week", "queued", "recent-success"]);
    let events: Vec<String> = sqlx::query_scalar("SELECT kind FROM events")
        .fetch_all(pool)
        .await
        .unwrap();
    assert_eq!(events, ["1 hour"]);
}

#[tokio::test]
async fn purges_ai_usage_after_ninety_days() {
    let (_test_db, db, user, org) = org_with_owner().await;
    let pool = db.pool();
    for days in [91, 89] {
        sqlx::query(&format!(
            "INSERT INTO ai_usage (org_id, usage_date, generation_count, daily_limit)
             VALUES ($1, current_date - {days}, 3, 50)"
        ))
        .bind(org)
        .execute(pool)
        .await
        .unwrap();
        sqlx::query(&format!(
            "INSERT INTO ai_generations (org_id, user_id, source, channel, provider, model,
                                        usage_date, outcome, created_at, finished_at)
             VALUES ($1, $2, 'on_demand', 'email', 'anthropic', 'claude', current_date - {days},
                     'succeeded', now() - interval '{days} days', now() - interval '{days} days')"
        ))
        .bind(org)
        .bind(user)
        .execute(pool)
        .await
        .unwrap();
    }
    assert_eq!(run_once(&db).await.unwrap(), 2);
    let days: Vec<i32> =
        sqlx::query_scalar("SELECT (current_date - usage_date)::int FROM ai_usage")
            .fetch_all(pool)
            .await
            .unwrap();
    assert_eq!(days, [89]);
    let logged: i64 = sqlx::query_scalar("SELECT count(*) FROM ai_generations")
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(logged, 1);
}
