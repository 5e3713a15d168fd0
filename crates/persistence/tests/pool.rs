//! The app's pool skips the per-checkout ping; a connection that sat idle long enough
//! to have been dropped (database restart, network) must still never reach a caller.

#![allow(clippy::unwrap_used)]

use std::time::Duration;

use flux_persistence::Db;
use flux_testkit::TestDatabase;

#[tokio::test]
async fn a_connection_dropped_while_idle_is_replaced_before_use() {
    let test_db = TestDatabase::create().await;
    let db = Db::connect(&test_db.url, 1).await.unwrap();
    let backend = "SELECT pg_backend_pid()";
    let first: i32 = sqlx::query_scalar(backend)
        .fetch_one(db.pool())
        .await
        .unwrap();

    let admin = test_db.pool().await;
    let terminated: bool = sqlx::query_scalar("SELECT pg_terminate_backend($1)")
        .bind(first)
        .fetch_one(&admin)
        .await
        .unwrap();
    assert!(terminated);
    // Past the idle time after which a pooled connection is checked before use.
    tokio::time::sleep(Duration::from_secs(6)).await;

    let second: i32 = sqlx::query_scalar(backend)
        .fetch_one(db.pool())
        .await
        .unwrap();
    assert_ne!(first, second, "a fresh connection replaced the dropped one");
}
