use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{
    assert_error, fields, invalid_fields, spawn_app, spawn_app_with, TestApp, PASSWORD,
};

#[tokio::test]
async fn signup_creates_user_org_from_domain_manager_and_starter_trial() {
    let app = spawn_app().await;
    let s = app.signup("Ana Souza", "Ana@Acme.com.br").await;
    assert_eq!(s.auth.user.email, "ana@acme.com.br");
    assert_eq!(s.auth.organization.name, "acme.com.br");
    assert_eq!(s.auth.organization.slug, "acme-com-br");
    assert_eq!(s.auth.role, flux_dto::members::MemberRole::Manager);
    assert!(s.auth.tokens.refresh_token.is_some());

    let me: Value = app
        .get("/api/v1/me", Some(s.token()))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["role"], "manager");
    assert_eq!(me["subscription"]["plan_slug"], "starter");
    assert_eq!(me["subscription"]["status"], "trialing");
    assert_eq!(me["permissions"].as_array().unwrap().len(), 16);
    assert_eq!(me["memberships"].as_array().unwrap().len(), 1);

    // A second company on the same domain gets its own organization and a unique slug.
    let other = app.signup("Bia", "bia@acme.com.br").await;
    assert_ne!(other.org_id(), s.org_id());
    assert!(other.auth.organization.slug.starts_with("acme-com-br-"));
}

#[tokio::test]
async fn signup_with_taken_email_is_a_conflict_on_email_case_insensitively() {
    let app = spawn_app().await;
    app.signup("Ana", "ana@acme.com.br").await;
    let res = app
        .post(
            "/api/v1/auth/signup",
            &json!({"name": "Ana", "email": "ANA@acme.com.br", "password": PASSWORD}),
            None,
        )
        .await;
    let error = assert_error(res, StatusCode::CONFLICT, "CONFLICT").await;
    assert_eq!(fields(&error), ["email"]);
}

#[tokio::test]
async fn signup_reports_every_invalid_field_at_once() {
    let app = spawn_app().await;
    let res = app
        .post(
            "/api/v1/auth/signup",
            &json!({"name": "  ", "email": "not-an-email", "password": "short"}),
            None,
        )
        .await;
    let error = assert_error(res, StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION").await;
    assert_eq!(fields(&error), ["name", "email", "password"]);
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM users")
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert_eq!(count, 0, "nothing is written on invalid input");
}

#[tokio::test]
async fn login_succeeds_with_the_right_password_only() {
    let app = spawn_app().await;
    app.signup("Ana", "ana@acme.com.br").await;
    let s = app.login_ok(" ANA@acme.com.br ").await;
    assert!(s.auth.tokens.expires_in <= 900);
    let me = app.get("/api/v1/me", Some(s.token())).await;
    assert_eq!(me.status(), StatusCode::OK);

    let wrong = assert_error(
        app.login("ana@acme.com.br", "wrong-password").await,
        StatusCode::UNAUTHORIZED,
        "UNAUTHORIZED",
    )
    .await;
    let unknown = assert_error(
        app.login("nobody@acme.com.br", PASSWORD).await,
        StatusCode::UNAUTHORIZED,
        "UNAUTHORIZED",
    )
    .await;
    assert_eq!(
        wrong["message"], unknown["message"],
        "no account enumeration"
    );

    let failed: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_logs WHERE action = 'auth.login' AND NOT success",
    )
    .fetch_one(app.db.pool())
    .await
    .unwrap();
    assert_eq!(failed, 2, "failed logins are audited");
}

#[tokio::test]
async fn access_token_lives_at_most_fifteen_minutes() {
    let app = spawn_app().await;
    let s = app.signup("Ana", "ana@acme.com.br").await;
    let payload = s.token().split('.').nth(1).unwrap();
    use base64::Engine;
    let claims: Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .unwrap(),
    )
    .unwrap();
    let lifetime = claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap();
    assert!(lifetime > 0 && lifetime <= 900, "lifetime {lifetime}");
    assert_eq!(claims["org"], json!(s.org_id()));
}

#[tokio::test]
async fn refresh_rotates_and_reusing_a_rotated_token_revokes_the_session() {
    let app = spawn_app().await;
    let s = app.signup("Ana", "ana@acme.com.br").await;
    let first = s.refresh_token();

    let res = app
        .post(
            "/api/v1/auth/refresh",
            &json!({"refresh_token": first}),
            None,
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let tokens: Value = res.json().await.unwrap();
    let second = tokens["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(second, first);
    assert_eq!(
        app.get("/api/v1/me", Some(tokens["access_token"].as_str().unwrap()))
            .await
            .status(),
        StatusCode::OK
    );

    // Replaying the rotated token after the grace window looks like theft: the whole
    // family dies.
    sqlx::query("UPDATE refresh_tokens SET rotated_at = now() - interval '1 minute' WHERE rotated_at IS NOT NULL")
        .execute(app.db.pool())
        .await
        .unwrap();
    let replay = app
        .post(
            "/api/v1/auth/refresh",
            &json!({"refresh_token": first}),
            None,
        )
        .await;
    assert_error(replay, StatusCode::UNAUTHORIZED, "UNAUTHORIZED").await;
    let after = app
        .post(
            "/api/v1/auth/refresh",
            &json!({"refresh_token": second}),
            None,
        )
        .await;
    assert_error(after, StatusCode::UNAUTHORIZED, "UNAUTHORIZED").await;

    // Other sessions of the same user are untouched.
    let other = app.login_ok("ana@acme.com.br").await;
    let res = app
        .post(
            "/api/v1/auth/refresh",
            &json!({"refresh_token": other.refresh_token()}),
            None,
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
}

#[tokio::test]
async fn refresh_without_a_token_or_with_garbage_is_unauthorized() {
    let app = spawn_app().await;
    assert_error(
        app.post("/api/v1/auth/refresh", &json!({}), None).await,
        StatusCode::UNAUTHORIZED,
        "UNAUTHORIZED",
    )
    .await;
    assert_error(
        app.post(
            "/api/v1/auth/refresh",
            &json!({"refresh_token": "garbage"}),
            None,
        )
        .await,
        StatusCode::UNAUTHORIZED,
        "UNAUTHORIZED",
    )
    .await;
}

#[tokio::test]
async fn cookie_sessions_keep_the_refresh_token_in_an_httponly_strict_cookie() {
    let app = spawn_app().await;
    app.signup("Ana", "ana@acme.com.br").await;
    let res = cookie_post(
        &app,
        "/api/v1/auth/login",
        &json!({"email": "ana@acme.com.br", "password": PASSWORD}),
        None,
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    let cookie = set_cookie(&res);
    assert!(cookie.starts_with("flux_refresh="), "{cookie}");
    for attr in ["HttpOnly", "SameSite=Strict", "Path=/api/v1/auth"] {
        assert!(cookie.contains(attr), "{cookie} lacks {attr}");
    }
    let body: Value = res.json().await.unwrap();
    assert!(
        body["tokens"].get("refresh_token").is_none(),
        "refresh token must not be in the body"
    );

    let pair = cookie_pair(&cookie);
    let res = cookie_post(&app, "/api/v1/auth/refresh", &json!({}), Some(&pair)).await;
    assert_eq!(res.status(), StatusCode::OK);
    let rotated = cookie_pair(&set_cookie(&res));
    assert_ne!(rotated, pair);

    // Logout clears the cookie and revokes the session.
    let res = cookie_post(&app, "/api/v1/auth/logout", &json!({}), Some(&rotated)).await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let cleared = set_cookie(&res);
    assert!(cleared.contains("Max-Age=0"), "{cleared}");
    let res = cookie_post(&app, "/api/v1/auth/refresh", &json!({}), Some(&rotated)).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}

/// A browser-style call: cookie session mode, with the refresh cookie when given.
async fn cookie_post(
    app: &TestApp,
    path: &str,
    body: &Value,
    cookie: Option<&str>,
) -> reqwest::Response {
    let mut req = app
        .client
        .post(app.url(path))
        .header("X-Flux-Session", "cookie")
        .json(body);
    if let Some(cookie) = cookie {
        req = req.header("Cookie", cookie);
    }
    req.send().await.unwrap()
}

fn set_cookie(res: &reqwest::Response) -> String {
    res.headers()
        .get("set-cookie")
        .expect("Set-Cookie")
        .to_str()
        .unwrap()
        .to_owned()
}

/// `name=value` of a Set-Cookie header.
fn cookie_pair(set_cookie: &str) -> String {
    set_cookie.split(';').next().unwrap().to_owned()
}

#[tokio::test]
async fn logout_revokes_the_refresh_token_and_is_idempotent() {
    let app = spawn_app().await;
    let s = app.signup("Ana", "ana@acme.com.br").await;
    let token = s.refresh_token();
    for _ in 0..2 {
        let res = app
            .post(
                "/api/v1/auth/logout",
                &json!({"refresh_token": token}),
                None,
            )
            .await;
        assert_eq!(res.status(), StatusCode::NO_CONTENT);
    }
    let res = app
        .post(
            "/api/v1/auth/refresh",
            &json!({"refresh_token": token}),
            None,
        )
        .await;
    assert_error(res, StatusCode::UNAUTHORIZED, "UNAUTHORIZED").await;
}

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
