use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{assert_error, fields, spawn_app, TestApp, PASSWORD};

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
