//! Cross-org isolation on every tenant endpoint: org B's manager must neither see nor
//! touch org A's data, even when guessing ids.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{assert_error, spawn_app};

#[tokio::test]
async fn another_orgs_manager_cannot_see_or_change_members() {
    let app = spawn_app().await;
    let a = app.signup("Ana", "ana@acme.com.br").await;
    let a_sdr = app.add_member(&a, "Caio", "caio@acme.com.br", "sdr").await;
    let b = app.signup("Bia", "bia@beta.com.br").await;
    let a_member = app.member_id(&a, a_sdr.user_id()).await;

    let members: Value = app
        .get("/api/v1/members", Some(b.token()))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(members["total"], 1);
    assert_eq!(members["items"][0]["email"], "bia@beta.com.br");

    let res = app
        .patch_member(&b, a_member, &json!({"status": "suspended"}))
        .await;
    assert_error(res, StatusCode::NOT_FOUND, "NOT_FOUND").await;
    assert_eq!(
        app.get("/api/v1/me", Some(a_sdr.token())).await.status(),
        StatusCode::OK,
        "A's member untouched"
    );
}

#[tokio::test]
async fn another_orgs_manager_cannot_see_or_revoke_invitations() {
    let app = spawn_app().await;
    let a = app.signup("Ana", "ana@acme.com.br").await;
    let token = app.invite(&a, "caio@acme.com.br", "sdr").await;
    let b = app.signup("Bia", "bia@beta.com.br").await;
    let a_list: Value = app
        .get("/api/v1/invitations", Some(a.token()))
        .await
        .json()
        .await
        .unwrap();
    let a_invitation = a_list["items"][0]["id"].as_str().unwrap().to_owned();

    let b_list: Value = app
        .get("/api/v1/invitations", Some(b.token()))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(b_list["total"], 0);
    let res = app
        .delete(
            &format!("/api/v1/invitations/{a_invitation}"),
            Some(b.token()),
        )
        .await;
    assert_error(res, StatusCode::NOT_FOUND, "NOT_FOUND").await;
    let preview = app
        .post(
            "/api/v1/invitations/preview",
            &json!({"token": token}),
            None,
        )
        .await;
    assert_eq!(
        preview.status(),
        StatusCode::OK,
        "A's invitation still pending"
    );
}

#[tokio::test]
async fn me_and_tokens_are_bound_to_one_org() {
    let app = spawn_app().await;
    let a = app.signup("Ana", "ana@acme.com.br").await;
    let b = app.signup("Bia", "bia@beta.com.br").await;
    let me: Value = app
        .get("/api/v1/me", Some(b.token()))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["organization"]["id"], json!(b.org_id()));
    assert_ne!(me["organization"]["id"], json!(a.org_id()));
    assert_eq!(me["memberships"].as_array().unwrap().len(), 1);
}
