use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{assert_error, spawn_app, spawn_app_with};

#[tokio::test]
async fn health_and_readiness_answer() {
    let app = spawn_app().await;
    let res = app.get("/healthz", None).await;
    assert_eq!(res.status(), StatusCode::OK);
    let res = app.get("/readyz", None).await;
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["status"], "ok");
}

#[tokio::test]
async fn readiness_fails_when_the_database_is_gone() {
    let app = spawn_app().await;
    app.take_the_database_down().await;
    let res = app.get("/readyz", None).await;
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
}

#[tokio::test]
async fn metrics_count_requests_by_route_pattern() {
    let app = spawn_app().await;
    app.get("/healthz", None).await;
    app.get("/api/v1/me", None).await;
    let text = app.get("/metrics", None).await.text().await.unwrap();
    assert!(
        text.contains(r#"flux_http_requests_total{method="GET",route="/healthz",status="200"} 1"#),
        "{text}"
    );
    assert!(
        text.contains(r#"route="/api/v1/me",status="401""#),
        "{text}"
    );
    assert!(text.contains("flux_http_request_duration_seconds_bucket"));
}

#[tokio::test]
async fn metrics_answer_only_to_the_configured_token() {
    let token = "metrics-token-0123456789";
    let app = spawn_app_with(&[("FLUX_METRICS_TOKEN", token)]).await;
    let res = app.get("/metrics", None).await;
    assert_error(res, StatusCode::UNAUTHORIZED, "UNAUTHORIZED").await;
    let res = app.get("/metrics", Some("metrics-token-wrong-one")).await;
    assert_error(res, StatusCode::UNAUTHORIZED, "UNAUTHORIZED").await;
    let res = app.get("/metrics", Some(token)).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("flux_http_requests_total"));
}

#[tokio::test]
async fn responses_carry_request_id_and_security_headers() {
    let app = spawn_app().await;
    let res = app.get("/healthz", None).await;
    let h = res.headers();
    assert_eq!(h.get("x-request-id").unwrap().len(), 36);
    assert_eq!(h.get("x-content-type-options").unwrap(), "nosniff");
    assert_eq!(h.get("x-frame-options").unwrap(), "DENY");
    assert!(h
        .get("content-security-policy")
        .unwrap()
        .to_str()
        .unwrap()
        .contains("frame-ancestors 'none'"));
}

#[tokio::test]
async fn openapi_document_and_docs_page_are_served() {
    let app = spawn_app().await;
    let doc: Value = app
        .get("/api/openapi.json", None)
        .await
        .json()
        .await
        .unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    assert!(doc["paths"]["/api/v1/auth/signup"]["post"].is_object());
    assert!(doc["components"]["securitySchemes"]["bearer_auth"].is_object());
    let generated: Value = serde_json::from_str(&flux_api::openapi::document_json()).unwrap();
    assert_eq!(doc, generated, "the served document is the committed one");
    assert_eq!(
        doc["components"]["schemas"]["UpdateMemberRequest"]["minProperties"],
        1
    );
    let docs = app.get("/api/docs/", None).await;
    assert_eq!(docs.status(), StatusCode::OK);
    assert!(docs.text().await.unwrap().contains("swagger"));
}

#[tokio::test]
async fn committed_openapi_json_matches_the_code() {
    let committed = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../openapi/openapi.json"
    ))
    .expect("openapi/openapi.json is committed (run `make openapi`)");
    assert!(
        committed == flux_api::openapi::document_json(),
        "openapi/openapi.json is stale: run `make openapi` and commit it"
    );
}

#[test]
fn every_operation_has_its_own_id() {
    // SDK generators name methods after operationIds: two alike break them.
    let doc: Value = serde_json::from_str(&flux_api::openapi::document_json()).unwrap();
    let mut seen = std::collections::HashMap::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let Some(id) = operation["operationId"].as_str() else {
                continue;
            };
            if let Some(first) = seen.insert(id.to_owned(), format!("{method} {path}")) {
                panic!("operationId {id:?} of {method} {path} is also {first}'s");
            }
        }
    }
    assert!(seen.len() > 50);
}

#[tokio::test]
async fn cors_allows_configured_origins_only() {
    let app =
        crate::helpers::spawn_app_with(&[("FLUX_CORS_ORIGINS", "https://crm.example.com")]).await;
    let res = app
        .client
        .request(reqwest::Method::OPTIONS, app.url("/api/v1/me"))
        .header("Origin", "https://crm.example.com")
        .header("Access-Control-Request-Method", "GET")
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.headers().get("access-control-allow-origin").unwrap(),
        "https://crm.example.com"
    );
    let res = app
        .client
        .request(reqwest::Method::OPTIONS, app.url("/api/v1/me"))
        .header("Origin", "https://evil.example.com")
        .header("Access-Control-Request-Method", "GET")
        .send()
        .await
        .unwrap();
    assert!(res.headers().get("access-control-allow-origin").is_none());
}

#[tokio::test]
async fn spa_routes_get_index_html_with_a_hashed_script_policy_and_api_stays_json() {
    let dir = tempfile::tempdir().unwrap();
    let index = "<!DOCTYPE html><html><head><script type=\"module\">\nimport init from '/app.js';\nawait init();\n</script></head><body></body></html>";
    std::fs::write(dir.path().join("index.html"), index).unwrap();
    std::fs::write(
        dir.path().join("app.js"),
        "export default async function init() {}",
    )
    .unwrap();
    let app =
        crate::helpers::spawn_app_with(&[("FLUX_STATIC_DIR", dir.path().to_str().unwrap())]).await;

    // Client-side routes (deep links) are served the SPA.
    let res = app.get("/configuracoes/usuarios", None).await;
    assert_eq!(res.status(), StatusCode::OK);
    let csp = res
        .headers()
        .get("content-security-policy")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert!(res.text().await.unwrap().contains("import init"));
    let expected = flux_api::csp::inline_script_hashes(index);
    assert!(csp.contains(&expected[0]), "{csp}");
    let script_src = csp
        .split(';')
        .find(|d| d.trim().starts_with("script-src"))
        .unwrap();
    assert!(!script_src.contains("unsafe-inline"), "{script_src}");

    // Static assets are served as files.
    let js = app.get("/app.js", None).await;
    assert_eq!(js.status(), StatusCode::OK);
    // Unknown API paths never fall through to the SPA.
    crate::helpers::assert_error(
        app.get("/api/v1/nope", None).await,
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
    )
    .await;
}
