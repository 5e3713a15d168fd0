use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{assert_error, conflict_fields, invalid_fields, spawn_app, PASSWORD};

#[tokio::test]
async fn invited_person_previews_accepts_and_joins_the_team() {
    let app = spawn_app().await;
    let manager = app.signup("Ana", "ana@acme.com.br").await;
    let token = app.invite(&manager, "Caio@Acme.com.br", "sdr").await;
    let email = app.last_email_to("caio@acme.com.br").await.unwrap();
    assert!(email.contains("http://flux.test/convite?token="), "{email}");

    let preview: Value = app
        .post(
            "/api/v1/invitations/preview",
            &json!({"token": token}),
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(preview["organization_name"], "acme.com.br");
    assert_eq!(preview["email"], "caio@acme.com.br");
    assert_eq!(preview["role"], "sdr");
    assert_eq!(preview["account_exists"], false);

    let missing_name = app
        .post(
            "/api/v1/invitations/accept",
            &json!({"token": token, "password": PASSWORD}),
            None,
        )
        .await;
    assert_eq!(invalid_fields(missing_name).await, ["name"]);

    let res = app
        .post(
            "/api/v1/invitations/accept",
            &json!({"token": token, "name": "Caio Lima", "password": PASSWORD}),
            None,
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let session: Value = res.json().await.unwrap();
    assert_eq!(session["organization"]["id"], json!(manager.org_id()));
    assert_eq!(session["role"], "sdr");

    let members: Value = app
        .get("/api/v1/members", Some(manager.token()))
        .await
        .json()
        .await
        .unwrap();
    let emails: Vec<&str> = members["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["email"].as_str().unwrap())
        .collect();
    assert_eq!(emails, ["ana@acme.com.br", "caio@acme.com.br"]);

    let invitations: Value = app
        .get("/api/v1/invitations", Some(manager.token()))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(invitations["items"][0]["status"], "accepted");

    // The link works once.
    let again = app
        .post(
            "/api/v1/invitations/accept",
            &json!({"token": token, "name": "X", "password": PASSWORD}),
            None,
        )
        .await;
    assert_eq!(invalid_fields(again).await, ["token"]);
}

#[tokio::test]
async fn existing_account_must_confirm_its_password_to_accept() {
    let app = spawn_app().await;
    let beta = app.signup("Bia", "bia@beta.com.br").await;
    app.signup("Ana", "ana@acme.com.br").await;
    let token = app.invite(&beta, "ana@acme.com.br", "manager").await;
    let preview: Value = app
        .post(
            "/api/v1/invitations/preview",
            &json!({"token": token}),
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(preview["account_exists"], true);

    let wrong = app
        .post(
            "/api/v1/invitations/accept",
            &json!({"token": token, "password": "not-her-password"}),
            None,
        )
        .await;
    assert_eq!(invalid_fields(wrong).await, ["password"]);
    let ok = app
        .post(
            "/api/v1/invitations/accept",
            &json!({"token": token, "password": PASSWORD}),
            None,
        )
        .await;
    assert_eq!(ok.status(), StatusCode::OK);
    let body: Value = ok.json().await.unwrap();
    assert_eq!(body["role"], "manager");
}

#[tokio::test]
async fn inviting_a_member_or_a_pending_email_again_is_a_conflict() {
    let app = spawn_app().await;
    let manager = app.signup("Ana", "ana@acme.com.br").await;
    let res = app
        .post_invitation(&manager, "ana@acme.com.br", "sdr")
        .await;
    assert_eq!(conflict_fields(res).await, ["email"]);
    app.invite(&manager, "caio@acme.com.br", "sdr").await;
    let res = app
        .post_invitation(&manager, "caio@acme.com.br", "sdr")
        .await;
    assert_eq!(conflict_fields(res).await, ["email"]);
}

#[tokio::test]
async fn plan_included_users_limit_is_enforced_with_402() {
    let app = spawn_app().await;
    let manager = app.signup("Ana", "ana@acme.com.br").await;
    // Starter includes 4 users: the manager + 3 invitations fill it.
    for i in 0..3 {
        app.invite(&manager, &format!("sdr{i}@acme.com.br"), "sdr")
            .await;
    }
    let res = app
        .post_invitation(&manager, "extra@acme.com.br", "sdr")
        .await;
    let error = assert_error(res, StatusCode::PAYMENT_REQUIRED, "LIMIT_EXCEEDED").await;
    assert_eq!(error["details"]["limit"], "included_users");
    assert_eq!(error["details"]["max"], 4);
    assert_eq!(error["details"]["used"], 4);
    assert!(error["message"].as_str().unwrap().contains("upgrade"));

    // Revoking an invitation frees its seat.
    let list: Value = app
        .get("/api/v1/invitations", Some(manager.token()))
        .await
        .json()
        .await
        .unwrap();
    let id = list["items"][0]["id"].as_str().unwrap();
    assert_eq!(
        app.delete(&format!("/api/v1/invitations/{id}"), Some(manager.token()))
            .await
            .status(),
        StatusCode::NO_CONTENT
    );
    let res = app
        .post_invitation(&manager, "extra@acme.com.br", "sdr")
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn revoked_and_expired_invitations_cannot_be_accepted() {
    let app = spawn_app().await;
    let manager = app.signup("Ana", "ana@acme.com.br").await;
    let revoked = app.invite(&manager, "caio@acme.com.br", "sdr").await;
    let list: Value = app
        .get("/api/v1/invitations", Some(manager.token()))
        .await
        .json()
        .await
        .unwrap();
    let id = list["items"][0]["id"].as_str().unwrap();
    app.delete(&format!("/api/v1/invitations/{id}"), Some(manager.token()))
        .await;
    let res = app
        .post(
            "/api/v1/invitations/accept",
            &json!({"token": revoked, "name": "C", "password": PASSWORD}),
            None,
        )
        .await;
    assert_error(res, StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION").await;
    // Revoking twice: nothing pending with that id any more.
    assert_error(
        app.delete(&format!("/api/v1/invitations/{id}"), Some(manager.token()))
            .await,
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
    )
    .await;

    let expired = app.invite(&manager, "dani@acme.com.br", "sdr").await;
    sqlx::query("UPDATE invitations SET expires_at = now() - interval '1 second' WHERE email = 'dani@acme.com.br'")
        .execute(app.db.pool())
        .await
        .unwrap();
    let res = app
        .post(
            "/api/v1/invitations/preview",
            &json!({"token": expired}),
            None,
        )
        .await;
    assert_error(res, StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION").await;
    let list: Value = app
        .get("/api/v1/invitations", Some(manager.token()))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["items"][0]["status"], "expired");
    // An expired invitation does not block a new one to the same person.
    app.invite(&manager, "dani@acme.com.br", "sdr").await;
}

#[tokio::test]
async fn invitation_input_is_validated() {
    let app = spawn_app().await;
    let manager = app.signup("Ana", "ana@acme.com.br").await;
    let res = app.post_invitation(&manager, "nope", "sdr").await;
    assert_eq!(invalid_fields(res).await, ["email"]);
    let res = app.post_invitation(&manager, "a@b.com.br", "owner").await;
    assert_eq!(invalid_fields(res).await, ["role"]);
    let res = app
        .post(
            "/api/v1/invitations",
            &json!({"email": "a@b.com.br"}),
            Some(manager.token()),
        )
        .await;
    assert_eq!(invalid_fields(res).await, ["role"]);
}

#[tokio::test]
async fn an_old_invitation_cannot_change_the_role_of_a_reactivated_member() {
    let app = spawn_app().await;
    let manager = app.signup("Ana", "ana@acme.com.br").await;
    let caio = app
        .add_member(&manager, "Caio", "caio@acme.com.br", "manager")
        .await;
    let member_id = app.member_id(&manager, caio.user_id()).await;
    let path = format!("/api/v1/members/{member_id}");
    app.patch(
        &path,
        &json!({"status": "suspended"}),
        Some(manager.token()),
    )
    .await;
    // Re-invited as SDR, then reactivated by hand as manager before using the link.
    let stale = app.invite(&manager, "caio@acme.com.br", "sdr").await;
    assert_eq!(
        app.patch(&path, &json!({"status": "active"}), Some(manager.token()))
            .await
            .status(),
        StatusCode::OK
    );
    let res = app
        .post(
            "/api/v1/invitations/accept",
            &json!({"token": stale, "password": PASSWORD}),
            None,
        )
        .await;
    assert_eq!(conflict_fields(res).await, ["token"]);
    let members: Value = app
        .get("/api/v1/members", Some(manager.token()))
        .await
        .json()
        .await
        .unwrap();
    let caio_row = members["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["email"] == "caio@acme.com.br")
        .unwrap()
        .clone();
    assert_eq!(caio_row["role"], "manager", "role unchanged");
}

#[tokio::test]
async fn answers_with_tokens_are_never_kept_for_idempotency() {
    let app = spawn_app().await;
    let manager = app.signup("Ana", "ana@acme.com.br").await;
    let token = app.invite(&manager, "caio@acme.com.br", "sdr").await;
    let res = app
        .client
        .post(app.url("/api/v1/invitations/accept"))
        .bearer_auth(manager.token())
        .header("Idempotency-Key", "accept-1")
        .json(&json!({"token": token, "name": "Caio", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers().get("idempotent-replayed").is_none());
    let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM idempotency_keys")
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert_eq!(stored, 0);
}
