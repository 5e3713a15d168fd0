//! Password resets, switching organizations, concurrent refreshes and reset limits.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{assert_error, invalid_fields, spawn_app, PASSWORD};

#[tokio::test]
async fn password_reset_sets_a_new_password_once_and_ends_sessions() {
    let app = spawn_app().await;
    let s = app.signup("Ana", "ana@acme.com.br").await;
    let res = app
        .post(
            "/api/v1/auth/password-reset",
            &json!({"email": "ana@acme.com.br"}),
            None,
        )
        .await;
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    let body = app.last_email_to("ana@acme.com.br").await.unwrap();
    assert!(
        body.contains("http://flux.test/redefinir-senha?token="),
        "{body}"
    );
    let token = app.token_from_email("ana@acme.com.br").await;

    let weak = app
        .post(
            "/api/v1/auth/password-reset/confirm",
            &json!({"token": token, "password": "123"}),
            None,
        )
        .await;
    assert_eq!(invalid_fields(weak).await, ["password"]);

    let res = app
        .post(
            "/api/v1/auth/password-reset/confirm",
            &json!({"token": token, "password": "nova-senha-456"}),
            None,
        )
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);

    assert_eq!(
        app.login("ana@acme.com.br", PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.login("ana@acme.com.br", "nova-senha-456")
            .await
            .status(),
        StatusCode::OK
    );
    let refresh = app
        .post(
            "/api/v1/auth/refresh",
            &json!({"refresh_token": s.refresh_token()}),
            None,
        )
        .await;
    assert_eq!(
        refresh.status(),
        StatusCode::UNAUTHORIZED,
        "old sessions are revoked"
    );

    let again = app
        .post(
            "/api/v1/auth/password-reset/confirm",
            &json!({"token": token, "password": "outra-senha-789"}),
            None,
        )
        .await;
    assert_eq!(invalid_fields(again).await, ["token"]);
}

#[tokio::test]
async fn password_reset_for_an_unknown_email_looks_the_same_and_sends_nothing() {
    let app = spawn_app().await;
    let res = app
        .post(
            "/api/v1/auth/password-reset",
            &json!({"email": "ghost@acme.com.br"}),
            None,
        )
        .await;
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    assert!(app.last_email_to("ghost@acme.com.br").await.is_none());
}

#[tokio::test]
async fn expired_reset_token_is_rejected() {
    let app = spawn_app().await;
    app.signup("Ana", "ana@acme.com.br").await;
    app.post(
        "/api/v1/auth/password-reset",
        &json!({"email": "ana@acme.com.br"}),
        None,
    )
    .await;
    let token = app.token_from_email("ana@acme.com.br").await;
    sqlx::query("UPDATE password_reset_tokens SET expires_at = now() - interval '1 minute'")
        .execute(app.db.pool())
        .await
        .unwrap();
    let res = app
        .post(
            "/api/v1/auth/password-reset/confirm",
            &json!({"token": token, "password": "nova-senha-456"}),
            None,
        )
        .await;
    assert_error(res, StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION").await;
}

#[tokio::test]
async fn a_user_in_two_orgs_can_switch_between_them() {
    let app = spawn_app().await;
    let acme = app.signup("Ana", "ana@acme.com.br").await;
    let beta = app.signup("Bia", "bia@beta.com.br").await;
    let token = app.invite(&beta, "ana@acme.com.br", "sdr").await;
    // Ana already has an account: she accepts with her own password.
    let res = app
        .post(
            "/api/v1/invitations/accept",
            &json!({"token": token, "password": PASSWORD}),
            None,
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);

    let me: Value = app
        .get("/api/v1/me", Some(acme.token()))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["memberships"].as_array().unwrap().len(), 2);

    let res = app
        .post(
            "/api/v1/auth/switch-org",
            &json!({"org_id": beta.org_id()}),
            Some(acme.token()),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let switched: Value = res.json().await.unwrap();
    assert_eq!(switched["organization"]["id"], json!(beta.org_id()));
    assert_eq!(switched["role"], "sdr");
    let me: Value = app
        .get(
            "/api/v1/me",
            Some(switched["tokens"]["access_token"].as_str().unwrap()),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["organization"]["id"], json!(beta.org_id()));

    // Login can pick the organization too.
    let res = app
        .post(
            "/api/v1/auth/login",
            &json!({"email": "ana@acme.com.br", "password": PASSWORD, "org_id": beta.org_id()}),
            None,
        )
        .await;
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["organization"]["id"], json!(beta.org_id()));
}

#[tokio::test]
async fn switching_to_an_org_you_are_not_in_is_forbidden() {
    let app = spawn_app().await;
    let acme = app.signup("Ana", "ana@acme.com.br").await;
    let beta = app.signup("Bia", "bia@beta.com.br").await;
    let res = app
        .post(
            "/api/v1/auth/switch-org",
            &json!({"org_id": beta.org_id()}),
            Some(acme.token()),
        )
        .await;
    assert_error(res, StatusCode::FORBIDDEN, "FORBIDDEN").await;
    let res = app
        .post(
            "/api/v1/auth/login",
            &json!({"email": "ana@acme.com.br", "password": PASSWORD, "org_id": beta.org_id()}),
            None,
        )
        .await;
    assert_error(res, StatusCode::FORBIDDEN, "FORBIDDEN").await;
}

#[tokio::test]
async fn two_tabs_refreshing_at_once_both_stay_signed_in() {
    let app = spawn_app().await;
    let s = app.signup("Ana", "ana@acme.com.br").await;
    let token = s.refresh_token();
    let body = json!({"refresh_token": token});
    let (a, b) = tokio::join!(
        app.post("/api/v1/auth/refresh", &body, None),
        app.post("/api/v1/auth/refresh", &body, None),
    );
    assert_eq!((a.status(), b.status()), (StatusCode::OK, StatusCode::OK));
    let (a, b): (Value, Value) = (a.json().await.unwrap(), b.json().await.unwrap());
    assert_ne!(
        a["refresh_token"], b["refresh_token"],
        "each tab gets its own token"
    );
    for tokens in [a, b] {
        let next = app
            .post(
                "/api/v1/auth/refresh",
                &json!({"refresh_token": tokens["refresh_token"]}),
                None,
            )
            .await;
        assert_eq!(next.status(), StatusCode::OK, "both branches keep working");
    }
}

#[tokio::test]
async fn password_reset_requests_are_limited_per_account_without_revealing_it() {
    let app = spawn_app().await;
    app.signup("Ana", "ana@acme.com.br").await;
    let body = json!({"email": "ana@acme.com.br"});
    for _ in 0..5 {
        let res = app.post("/api/v1/auth/password-reset", &body, None).await;
        assert_eq!(res.status(), StatusCode::ACCEPTED);
    }
    let res = app.post("/api/v1/auth/password-reset", &body, None).await;
    assert!(res.headers().get("retry-after").is_some());
    assert_error(res, StatusCode::TOO_MANY_REQUESTS, "RATE_LIMIT").await;
    let mails: i64 =
        sqlx::query_scalar("SELECT count(*) FROM email_outbox WHERE kind = 'password_reset'")
            .fetch_one(app.db.pool())
            .await
            .unwrap();
    assert_eq!(mails, 5, "no mail-bombing past the limit");
    // Unknown accounts are limited the same way, so the limit reveals nothing.
    let ghost = json!({"email": "ghost@acme.com.br"});
    for _ in 0..5 {
        app.post("/api/v1/auth/password-reset", &ghost, None).await;
    }
    let res = app.post("/api/v1/auth/password-reset", &ghost, None).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
}
