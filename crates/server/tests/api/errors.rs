//! Bad input always yields a 4xx envelope naming the field — never a panic or HTML.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{assert_error, fields, invalid_fields, spawn_app};

#[tokio::test]
async fn malformed_json_is_a_validation_error_on_body() {
    let app = spawn_app().await;
    let res = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .header("content-type", "application/json")
        .body("{\"email\": ")
        .send()
        .await
        .unwrap();
    let error = assert_error(res, StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION").await;
    assert_eq!(fields(&error), ["body"]);
}

#[tokio::test]
async fn wrong_types_missing_and_unknown_fields_are_named() {
    let app = spawn_app().await;
    let cases = [
        (json!({"email": 42, "password": "x"}), "email"),
        (json!({"password": "x"}), "email"),
        (
            json!({"email": "a@b.com", "password": "x", "is_admin": true}),
            "is_admin",
        ),
        (
            json!({"email": "a@b.com", "password": "x", "org_id": "not-a-uuid"}),
            "org_id",
        ),
    ];
    for (body, field) in cases {
        let res = app.post("/api/v1/auth/login", &body, None).await;
        let error = assert_error(res, StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION").await;
        assert_eq!(fields(&error), [field], "for {body}");
    }
}

#[tokio::test]
async fn non_json_content_type_is_rejected() {
    let app = spawn_app().await;
    let res = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .header("content-type", "text/plain")
        .body("email=a")
        .send()
        .await
        .unwrap();
    assert_eq!(invalid_fields(res).await, ["Content-Type"]);
}

#[tokio::test]
async fn oversized_bodies_are_rejected_before_parsing() {
    let app = spawn_app().await;
    let huge = "x".repeat(300 * 1024);
    let res = app
        .post(
            "/api/v1/auth/signup",
            &json!({"name": huge, "email": "a@b.com", "password": "12345678"}),
            None,
        )
        .await;
    let error = assert_error(res, StatusCode::PAYLOAD_TOO_LARGE, "VALIDATION").await;
    assert!(error["details"]["limit_bytes"].as_u64().is_some());
}

#[tokio::test]
async fn bad_uuid_in_path_names_the_parameter() {
    let app = spawn_app().await;
    let s = app.signup("Ana", "ana@acme.com.br").await;
    let res = app
        .patch(
            "/api/v1/members/not-a-uuid",
            &json!({"role": "sdr"}),
            Some(s.token()),
        )
        .await;
    assert_eq!(invalid_fields(res).await, ["id"]);
    let res = app.delete("/api/v1/invitations/123", Some(s.token())).await;
    assert_eq!(invalid_fields(res).await, ["id"]);
}

#[tokio::test]
async fn missing_or_forged_tokens_are_unauthorized() {
    let app = spawn_app().await;
    let res = app.get("/api/v1/me", None).await;
    assert_eq!(res.headers().get("www-authenticate").unwrap(), "Bearer");
    assert_error(res, StatusCode::UNAUTHORIZED, "UNAUTHORIZED").await;
    assert_error(
        app.get("/api/v1/me", Some("not.a.jwt")).await,
        StatusCode::UNAUTHORIZED,
        "UNAUTHORIZED",
    )
    .await;
    // A token signed with another key.
    let forged = "eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9.eyJzdWIiOiI4MDBkMTY2Ny0wODc4LTQxMGItOTA4OS04ZWJlOTA1MWEyNGMiLCJvcmciOiJkMWYzZWZlMS00OTFlLTRhZDYtOWJmNC1hYjJmMzQ5NjA2ZTIiLCJpc3MiOiJmbHV4IiwiYXVkIjoiZmx1eC1hcGkiLCJpYXQiOjE3OTUyNDEyNjgsImV4cCI6NDc5NTI0MjE2OCwianRpIjoiMjFkYTQ2YzUtMTZmMy00NWFiLTljNjEtOTE2OWEzZGFjOTU5In0.wEIMHGKWrewXhDVwINY_DcttPKa3lo4n_vDb4axGfdc";
    assert_error(
        app.get("/api/v1/me", Some(forged)).await,
        StatusCode::UNAUTHORIZED,
        "UNAUTHORIZED",
    )
    .await;
}

#[tokio::test]
async fn unknown_routes_get_a_json_404_with_request_id() {
    let app = spawn_app().await;
    let res = app.get("/api/v1/does-not-exist", None).await;
    let header = res
        .headers()
        .get("x-request-id")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    let error = assert_error(res, StatusCode::NOT_FOUND, "NOT_FOUND").await;
    assert_eq!(error["request_id"], header.as_str());
}

#[tokio::test]
async fn server_failures_answer_a_generic_500_and_keep_the_cause_out_of_the_body() {
    let app = spawn_app().await;
    let s = app.signup("Ana", "ana@acme.com.br").await;
    app.take_the_database_down().await;
    let res = app.get("/api/v1/me", Some(s.token())).await;
    let header = res
        .headers()
        .get("x-request-id")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    let error = assert_error(res, StatusCode::INTERNAL_SERVER_ERROR, "INTERNAL").await;
    let message = error["message"].as_str().unwrap();
    assert!(
        !message.to_lowercase().contains("pool") && !message.contains("sqlx"),
        "{message}"
    );
    assert_eq!(
        error["request_id"],
        header.as_str(),
        "the request id ties the body to the logs"
    );
}

#[tokio::test]
async fn wrong_method_on_a_known_route_is_405_with_allow_and_the_envelope() {
    let app = spawn_app().await;
    let res = app.delete("/api/v1/me", None).await;
    assert_eq!(res.headers().get("allow").unwrap(), "GET");
    let error = assert_error(res, StatusCode::METHOD_NOT_ALLOWED, "NOT_FOUND").await;
    assert_eq!(error["details"]["allowed_methods"], json!(["GET"]));
    let res = app.get("/api/v1/auth/login", None).await;
    assert_eq!(res.headers().get("allow").unwrap(), "POST");
    assert_error(res, StatusCode::METHOD_NOT_ALLOWED, "NOT_FOUND").await;
}

#[tokio::test]
async fn a_handlers_own_not_found_is_not_mistaken_for_a_wrong_method() {
    let app = spawn_app().await;
    let s = app.signup("Ana", "ana@acme.com.br").await;
    let res = app
        .delete(
            &format!("/api/v1/invitations/{}", uuid::Uuid::new_v4()),
            Some(s.token()),
        )
        .await;
    assert!(res.headers().get("allow").is_none());
    assert_error(res, StatusCode::NOT_FOUND, "NOT_FOUND").await;
}

#[tokio::test]
async fn a_literal_route_is_not_routed_to_its_parameter_sibling() {
    let app = spawn_app().await;
    let s = app.signup("Ana", "ana@acme.com.br").await;
    let res = app
        .delete("/api/v1/invitations/preview", Some(s.token()))
        .await;
    assert_eq!(res.headers().get("allow").unwrap(), "POST");
    assert_error(res, StatusCode::METHOD_NOT_ALLOWED, "NOT_FOUND").await;
}
