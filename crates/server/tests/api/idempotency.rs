//! `Idempotency-Key` on creating POSTs: retries replay, they never act twice.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{assert_error, conflict_fields, invalid_fields, spawn_app, TestApp};

async fn invite_with_key(app: &TestApp, token: &str, key: &str, email: &str) -> reqwest::Response {
    app.client
        .post(app.url("/api/v1/invitations"))
        .bearer_auth(token)
        .header("Idempotency-Key", key)
        .json(&json!({"email": email, "role": "sdr"}))
        .send()
        .await
        .unwrap()
}

async fn invitations(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM invitations")
        .fetch_one(app.db.pool())
        .await
        .unwrap()
}

#[tokio::test]
async fn a_retry_with_the_same_key_replays_the_first_answer_without_acting_twice() {
    let app = spawn_app().await;
    let s = app.signup("Ana", "ana@acme.com.br").await;
    let first = invite_with_key(&app, s.token(), "retry-1", "caio@acme.com.br").await;
    assert_eq!(first.status(), StatusCode::CREATED);
    assert!(first.headers().get("idempotent-replayed").is_none());
    let first: Value = first.json().await.unwrap();

    let again = invite_with_key(&app, s.token(), "retry-1", "caio@acme.com.br").await;
    assert_eq!(again.status(), StatusCode::CREATED);
    assert_eq!(again.headers().get("idempotent-replayed").unwrap(), "true");
    assert!(again
        .headers()
        .get("content-type")
        .unwrap()
        .to_str()
        .unwrap()
        .starts_with("application/json"));
    let again: Value = again.json().await.unwrap();
    assert_eq!(again, first, "the same invitation, not a second one");
    assert_eq!(invitations(&app).await, 1);
    let emails: i64 =
        sqlx::query_scalar("SELECT count(*) FROM email_outbox WHERE kind = 'invitation'")
            .fetch_one(app.db.pool())
            .await
            .unwrap();
    assert_eq!(emails, 1, "one e-mail");

    // Without a key, the duplicate is refused as before.
    let res = app.post_invitation(&s, "caio@acme.com.br", "sdr").await;
    assert_eq!(conflict_fields(res).await, ["email"]);
}

#[tokio::test]
async fn reusing_a_key_for_a_different_request_is_rejected() {
    let app = spawn_app().await;
    let s = app.signup("Ana", "ana@acme.com.br").await;
    assert_eq!(
        invite_with_key(&app, s.token(), "k", "caio@acme.com.br")
            .await
            .status(),
        StatusCode::CREATED
    );
    let res = invite_with_key(&app, s.token(), "k", "dani@acme.com.br").await;
    assert_eq!(invalid_fields(res).await, ["Idempotency-Key"]);
    assert_eq!(invitations(&app).await, 1);
}

#[tokio::test]
async fn client_errors_are_replayed_too_and_keys_are_validated() {
    let app = spawn_app().await;
    let s = app.signup("Ana", "ana@acme.com.br").await;
    let res = invite_with_key(&app, s.token(), "bad-email", "not-an-email").await;
    assert_eq!(invalid_fields(res).await, ["email"]);
    let res = invite_with_key(&app, s.token(), "bad-email", "not-an-email").await;
    assert_eq!(res.headers().get("idempotent-replayed").unwrap(), "true");
    assert_eq!(invalid_fields(res).await, ["email"]);

    let res = invite_with_key(&app, s.token(), &"x".repeat(256), "caio@acme.com.br").await;
    assert_eq!(invalid_fields(res).await, ["Idempotency-Key"]);
    let res = invite_with_key(&app, s.token(), "com espaço", "caio@acme.com.br").await;
    assert_eq!(invalid_fields(res).await, ["Idempotency-Key"]);
}

#[tokio::test]
async fn keys_belong_to_one_member_of_one_organization() {
    let app = spawn_app().await;
    let a = app.signup("Ana", "ana@acme.com.br").await;
    let b = app.signup("Bia", "bia@beta.com.br").await;
    assert_eq!(
        invite_with_key(&app, a.token(), "shared", "x@acme.com.br")
            .await
            .status(),
        StatusCode::CREATED
    );
    // Another organization's member with the same key acts independently.
    let res = invite_with_key(&app, b.token(), "shared", "y@beta.com.br").await;
    assert_eq!(res.status(), StatusCode::CREATED);
    assert!(res.headers().get("idempotent-replayed").is_none());
    assert_eq!(invitations(&app).await, 2);
}

#[tokio::test]
async fn a_key_still_in_flight_is_a_conflict_and_an_abandoned_one_runs_again() {
    let app = spawn_app().await;
    let s = app.signup("Ana", "ana@acme.com.br").await;
    // Simulate a first request that claimed the key and has not answered yet.
    assert_eq!(
        invite_with_key(&app, s.token(), "k", "caio@acme.com.br")
            .await
            .status(),
        StatusCode::CREATED
    );
    sqlx::query("UPDATE idempotency_keys SET status_code = NULL, response_body = NULL")
        .execute(app.db.pool())
        .await
        .unwrap();
    let res = invite_with_key(&app, s.token(), "k", "caio@acme.com.br").await;
    assert_eq!(conflict_fields(res).await, ["Idempotency-Key"]);

    // Once abandoned (crashed first request), a retry runs the request again.
    sqlx::query("UPDATE idempotency_keys SET created_at = now() - interval '10 minutes'")
        .execute(app.db.pool())
        .await
        .unwrap();
    let res = invite_with_key(&app, s.token(), "k", "caio@acme.com.br").await;
    // The invitation exists already, so the rerun meets the pending-invitation rule.
    assert_eq!(conflict_fields(res).await, ["email"]);
}

#[tokio::test]
async fn unauthenticated_requests_with_a_key_still_get_401() {
    let app = spawn_app().await;
    let res = app
        .client
        .post(app.url("/api/v1/invitations"))
        .header("Idempotency-Key", "k")
        .json(&json!({"email": "a@b.com.br", "role": "sdr"}))
        .send()
        .await
        .unwrap();
    assert_error(res, StatusCode::UNAUTHORIZED, "UNAUTHORIZED").await;
}
