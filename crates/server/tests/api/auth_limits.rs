//! Sign-in limits per account and per address (behind trusted proxies too), and the
//! absolute lifetime of a session.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{assert_error, spawn_app_with, TestApp, PASSWORD};

#[tokio::test]
async fn login_attempts_are_limited_per_account() {
    let app = spawn_app_with(&[("FLUX_LOGIN_RATE_PER_ACCOUNT", "3")]).await;
    app.signup("Ana", "ana@acme.com.br").await;
    for _ in 0..3 {
        assert_eq!(
            app.login("ana@acme.com.br", "wrong-password")
                .await
                .status(),
            StatusCode::UNAUTHORIZED
        );
    }
    let res = app.login("ana@acme.com.br", PASSWORD).await;
    let retry_after: u64 = res
        .headers()
        .get("retry-after")
        .unwrap()
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry_after >= 1);
    let error = assert_error(res, StatusCode::TOO_MANY_REQUESTS, "RATE_LIMIT").await;
    assert!(error["details"]["retry_after_seconds"].as_u64().unwrap() >= 1);
    // Another account from the same IP still gets through.
    app.signup("Bia", "bia@beta.com.br").await;
    assert_eq!(
        app.login("bia@beta.com.br", PASSWORD).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn login_attempts_are_limited_per_ip() {
    let app = spawn_app_with(&[("FLUX_LOGIN_RATE_PER_IP", "2")]).await;
    assert_eq!(
        app.login("a@x.com.br", "whatever-pass").await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.login("b@x.com.br", "whatever-pass").await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_error(
        app.login("c@x.com.br", "whatever-pass").await,
        StatusCode::TOO_MANY_REQUESTS,
        "RATE_LIMIT",
    )
    .await;
}

#[tokio::test]
async fn a_session_ends_at_its_absolute_lifetime_however_often_it_was_refreshed() {
    let app = spawn_app_with(&[("FLUX_SESSION_MAX_DAYS", "1")]).await;
    let s = app.signup("Ana", "ana@acme.com.br").await;
    let refresh = |token: String| {
        let app = &app;
        async move {
            app.post(
                "/api/v1/auth/refresh",
                &json!({"refresh_token": token}),
                None,
            )
            .await
        }
    };
    // Rotated within the day: fine.
    let res = refresh(s.refresh_token()).await;
    assert_eq!(res.status(), StatusCode::OK);
    let rotated: Value = res.json().await.unwrap();
    let rotated = rotated["refresh_token"].as_str().unwrap().to_owned();
    // The login was two days ago: the newest token of the family is refused too.
    sqlx::query(
        "UPDATE refresh_tokens SET created_at = created_at - interval '2 days' WHERE user_id = $1",
    )
    .bind(s.user_id())
    .execute(app.db.pool())
    .await
    .unwrap();
    let res = refresh(rotated.clone()).await;
    let error = assert_error(res, StatusCode::UNAUTHORIZED, "UNAUTHORIZED").await;
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("limite de 1 dia."),
        "{error}"
    );
    let revoked: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM refresh_tokens WHERE user_id = $1 AND revoked_at IS NULL",
    )
    .bind(s.user_id())
    .fetch_one(app.db.pool())
    .await
    .unwrap();
    assert_eq!(revoked, 0, "the family is revoked");
}

async fn login_from(app: &TestApp, forwarded_for: &str) -> StatusCode {
    app.client
        .post(app.url("/api/v1/auth/login"))
        .header("X-Forwarded-For", forwarded_for)
        .json(&json!({"email": "ninguem@x.com.br", "password": "whatever-pass"}))
        .send()
        .await
        .unwrap()
        .status()
}

/// The answers to failed logins claiming to come from `addresses`, one credential
/// attempt allowed per address, with `trusted` proxies (if any).
async fn logins_from(trusted: Option<&str>, addresses: &[&str]) -> Vec<StatusCode> {
    let mut settings = vec![
        ("FLUX_LOGIN_RATE_PER_IP", "1"),
        ("FLUX_LOGIN_RATE_PER_ACCOUNT", "100"),
    ];
    settings.extend(trusted.map(|t| ("FLUX_TRUSTED_PROXIES", t)));
    let app = spawn_app_with(&settings).await;
    let mut answers = Vec::new();
    for address in addresses {
        answers.push(login_from(&app, address).await);
    }
    answers
}

#[tokio::test]
async fn the_address_of_a_trusted_proxys_client_is_the_one_limited() {
    let answers = logins_from(
        Some("127.0.0.0/8, ::1"),
        &["198.51.100.1", "198.51.100.2", "198.51.100.1"],
    )
    .await;
    use StatusCode as S;
    assert_eq!(
        answers,
        [S::UNAUTHORIZED, S::UNAUTHORIZED, S::TOO_MANY_REQUESTS]
    );
}

#[tokio::test]
async fn forwarding_headers_from_anyone_else_are_ignored() {
    // A new header is no new address: the peer is counted.
    let answers = logins_from(None, &["198.51.100.1", "198.51.100.2"]).await;
    assert_eq!(
        answers,
        [StatusCode::UNAUTHORIZED, StatusCode::TOO_MANY_REQUESTS]
    );
}

#[tokio::test]
async fn sign_ups_and_new_passwords_count_against_the_address() {
    let app = spawn_app_with(&[("FLUX_LOGIN_RATE_PER_IP", "2")]).await;
    app.signup("Ana", "ana@acme.com.br").await;
    // A taken e-mail is refused before any hashing, and still counts.
    let res = app
        .post(
            "/api/v1/auth/signup",
            &json!({"name": "Ana", "email": "ana@acme.com.br", "password": PASSWORD}),
            None,
        )
        .await;
    assert_error(res, StatusCode::CONFLICT, "CONFLICT").await;
    let res = app
        .post(
            "/api/v1/auth/signup",
            &json!({"name": "Bia", "email": "bia@beta.com.br", "password": PASSWORD}),
            None,
        )
        .await;
    assert_error(res, StatusCode::TOO_MANY_REQUESTS, "RATE_LIMIT").await;
    let res = app
        .post(
            "/api/v1/auth/password-reset/confirm",
            &json!({"token": "nao-existe", "password": "outra-senha-forte-1"}),
            None,
        )
        .await;
    assert_error(res, StatusCode::TOO_MANY_REQUESTS, "RATE_LIMIT").await;
}
