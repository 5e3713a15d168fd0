//! AI messages API against local servers speaking the Anthropic and OpenAI wire
//! formats: generation from the lead's data, the daily limit (also under parallel
//! requests), failures that are not counted, the usage log, and tenancy.

use std::time::Duration;

use flux_testkit::fake_ai;
use reqwest::StatusCode;
use serde_json::{json, Value};
use uuid::Uuid;
use wiremock::{matchers::path, Mock, MockServer, ResponseTemplate};

use crate::helpers::{assert_error, invalid_fields, spawn_app, spawn_app_with, Session, TestApp};

pub(crate) const EMAIL_ANSWER: &str = "Assunto: Pão Quente e as encomendas de fim de ano\n\n\
    Olá, Maria!\n\nVi que a Padaria Pao Quente LTDA atua com panificação em Campinas. \
    Podemos conversar 15 minutos esta semana?\n\nAbraço,\nAna";

pub(crate) async fn anthropic_app(server: &MockServer) -> TestApp {
    spawn_app_with(&[
        ("FLUX_AI_PROVIDER", "anthropic"),
        ("FLUX_ANTHROPIC_URL", &server.uri()),
        ("FLUX_ANTHROPIC_API_KEY", "sk-ant-test"),
        ("FLUX_AI_MODEL", "claude-sonnet-4-5"),
        ("FLUX_AI_MAX_ATTEMPTS", "2"),
        ("FLUX_AI_TIMEOUT_SECS", "1"),
    ])
    .await
}

/// A server whose Anthropic stand-in always answers `response`.
pub(crate) async fn answering(response: ResponseTemplate) -> (MockServer, TestApp) {
    let server = MockServer::start().await;
    answer_with(&server, response).await;
    let app = anthropic_app(&server).await;
    (server, app)
}

/// Ana signs up (a manager, plan Starter) and has one enriched lead.
pub(crate) async fn ana_with_a_lead(app: &TestApp) -> (Session, Uuid) {
    let s = app.signup("Ana", "ana@acme.com.br").await;
    let lead = app.enriched_lead(&s).await;
    (s, lead)
}

pub(crate) async fn answer_with(server: &MockServer, response: ResponseTemplate) {
    Mock::given(path("/v1/messages"))
        .respond_with(response)
        .mount(server)
        .await;
}

pub(crate) fn anthropic_ok(text: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(fake_ai::anthropic_message(text, 812, 164))
}

pub(crate) async fn generate(app: &TestApp, s: &Session, body: Value) -> reqwest::Response {
    app.post("/api/v1/ai/messages", &body, Some(s.token()))
        .await
}

pub(crate) fn email_request(lead: Uuid) -> Value {
    json!({
        "lead_id": lead,
        "channel": "email",
        "tone": "consultive",
        "additional_context": "Vendemos um ERP para padarias"
    })
}

/// Generates for `lead`, expecting `EXTERNAL_API` with `status` and `details.reason`.
async fn external_error(
    app: &TestApp,
    s: &Session,
    lead: Uuid,
    status: StatusCode,
    reason: &str,
) -> Value {
    let error = assert_error(
        generate(app, s, email_request(lead)).await,
        status,
        "EXTERNAL_API",
    )
    .await;
    assert_eq!(error["details"]["reason"], reason, "{error}");
    error
}

/// Sets the daily AI limit of the plan `slug` (this test's database only).
pub(crate) async fn set_ai_limit(app: &TestApp, slug: &str, limit: i32) {
    sqlx::query("UPDATE plans SET max_ai_per_day = $2 WHERE slug = $1")
        .bind(slug)
        .bind(limit)
        .execute(app.db.pool())
        .await
        .unwrap();
}

#[tokio::test]
async fn an_email_is_written_from_the_leads_data_and_counted() {
    let (server, app) = answering(anthropic_ok(EMAIL_ANSWER)).await;
    let s = app.signup("Ana Lima", "ana@acme.com.br").await;
    let lead = app.enriched_lead(&s).await;

    let res = generate(&app, &s, email_request(lead)).await;
    assert_eq!(res.status(), StatusCode::OK);
    let message: Value = res.json().await.unwrap();
    assert_eq!(
        message["subject"],
        "Pão Quente e as encomendas de fim de ano"
    );
    assert!(message["body"].as_str().unwrap().starts_with("Olá, Maria!"));
    assert_eq!(message["model"], "claude-sonnet-4-5-20250929");
    assert_eq!(message["tokens"], json!({ "input": 812, "output": 164 }));
    // Starter allows 50 a day.
    assert_eq!(message["remaining_today"], 49);

    // The provider got the lead's company data and the sender — not its contacts.
    let sent: Value =
        serde_json::from_slice(&server.received_requests().await.unwrap()[0].body).unwrap();
    let user = sent["messages"][0]["content"].as_str().unwrap();
    for expected in [
        "Padaria Pao Quente LTDA",
        "fabricacao de produtos de panificacao",
        "Campinas",
        "\"Maria\"",
        "Remetente: Ana Lima",
        "consultivo",
        "Vendemos um ERP para padarias",
    ] {
        assert!(user.contains(expected), "{expected:?} missing from {user}");
    }
    assert!(
        !user.contains("11222333000181") && !user.contains("SOUZA"),
        "{user}"
    );
    assert!(sent["system"].as_str().unwrap().contains("Assunto: "));

    let usage: Value = app.get_json("/api/v1/ai/usage", &s).await;
    assert_eq!(usage["used"], 1);
    assert_eq!(usage["limit"], 50);
    assert_eq!(usage["remaining"], 49);
    assert_eq!(usage["unlimited"], false);
    assert_eq!(usage["configured"], true);
    assert_eq!(usage["plan"], "starter");

    let log: Value = app.get_json("/api/v1/ai/generations", &s).await;
    assert_eq!(log["total"], 1);
    let entry = &log["items"][0];
    assert_eq!(entry["id"], message["generation_id"]);
    assert_eq!(entry["outcome"], "succeeded");
    assert_eq!(entry["source"], "on_demand");
    assert_eq!(entry["tone"], "consultive");
    assert_eq!(entry["lead_id"], json!(lead));
    assert_eq!(entry["user_name"], "Ana Lima");
    assert_eq!(
        (
            entry["input_tokens"].clone(),
            entry["output_tokens"].clone()
        ),
        (json!(812), json!(164))
    );
    assert!(entry["latency_ms"].as_i64().unwrap() >= 0);
    assert_eq!(log["totals"]["input_tokens"], 812);
}

#[tokio::test]
async fn whatsapp_through_an_openai_compatible_server_is_plain_and_has_no_subject() {
    let server = MockServer::start().await;
    Mock::given(path("/v1/chat/completions"))
        .respond_with(ResponseTemplate::new(200).set_body_json(fake_ai::openai_completion(
            "Oi, Maria! Aqui é a Ana, da Acme. Posso te mandar uma ideia rápida para a Pão Quente?",
            300,
            40,
        )))
        .mount(&server)
        .await;
    // A local server (Ollama, vLLM) without a key.
    let app = spawn_app_with(&[
        ("FLUX_AI_PROVIDER", "openai"),
        ("FLUX_OPENAI_URL", &server.uri()),
        ("FLUX_AI_MODEL", "llama3.1"),
    ])
    .await;
    let (s, lead) = ana_with_a_lead(&app).await;

    let res = generate(
        &app,
        &s,
        json!({ "lead_id": lead, "channel": "whatsapp", "tone": "friendly" }),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    let message: Value = res.json().await.unwrap();
    assert_eq!(message["subject"], Value::Null);
    assert!(message["body"].as_str().unwrap().starts_with("Oi, Maria!"));
    let sent: Value =
        serde_json::from_slice(&server.received_requests().await.unwrap()[0].body).unwrap();
    assert_eq!(sent["model"], "llama3.1");
    assert!(sent["messages"][0]["content"]
        .as_str()
        .unwrap()
        .contains("WhatsApp"));
}

#[tokio::test]
async fn provider_failures_are_clear_errors_and_not_counted() {
    let server = MockServer::start().await;
    let app = anthropic_app(&server).await;
    let (s, lead) = ana_with_a_lead(&app).await;

    // 5xx on every try (two tries here).
    answer_with(
        &server,
        ResponseTemplate::new(529)
            .set_body_json(fake_ai::anthropic_error("overloaded_error", "Overloaded")),
    )
    .await;
    let error = external_error(
        &app,
        &s,
        lead,
        StatusCode::SERVICE_UNAVAILABLE,
        "unavailable",
    )
    .await;
    assert!(
        error["message"].as_str().unwrap().contains("Overloaded"),
        "{error}"
    );
    assert_eq!(server.received_requests().await.unwrap().len(), 2);

    // 429 asking for a wait longer than allowed: passed on with Retry-After.
    server.reset().await;
    answer_with(
        &server,
        ResponseTemplate::new(429)
            .insert_header("retry-after", "120")
            .set_body_json(fake_ai::anthropic_error("rate_limit_error", "rate limited")),
    )
    .await;
    let res = generate(&app, &s, email_request(lead)).await;
    assert_eq!(res.headers()["retry-after"], "120");
    let error = assert_error(res, StatusCode::SERVICE_UNAVAILABLE, "EXTERNAL_API").await;
    assert_eq!(error["details"]["retry_after_seconds"], 120);

    // An e-mail without a subject line is unusable.
    server.reset().await;
    answer_with(&server, anthropic_ok("Olá, Maria! Tudo bem?")).await;
    let error = external_error(&app, &s, lead, StatusCode::BAD_GATEWAY, "malformed").await;
    assert!(
        error["message"].as_str().unwrap().contains("assunto"),
        "{error}"
    );

    // A bad key.
    server.reset().await;
    answer_with(
        &server,
        ResponseTemplate::new(401).set_body_json(fake_ai::anthropic_error(
            "authentication_error",
            "invalid x-api-key",
        )),
    )
    .await;
    external_error(&app, &s, lead, StatusCode::BAD_GATEWAY, "rejected").await;

    // Too slow (the timeout is 1 s here).
    server.reset().await;
    answer_with(
        &server,
        anthropic_ok(EMAIL_ANSWER).set_delay(Duration::from_millis(1500)),
    )
    .await;
    external_error(&app, &s, lead, StatusCode::GATEWAY_TIMEOUT, "timeout").await;

    let usage: Value = app.get_json("/api/v1/ai/usage", &s).await;
    assert_eq!(
        (usage["used"].clone(), usage["in_progress"].clone()),
        (json!(0), json!(0))
    );
    let log: Value = app.get_json("/api/v1/ai/generations", &s).await;
    let codes: Vec<&str> = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            assert_eq!(g["outcome"], "failed");
            g["error_code"].as_str().unwrap()
        })
        .collect();
    assert_eq!(
        codes,
        [
            "timeout",
            "rejected",
            "malformed",
            "rate_limited",
            "unavailable"
        ]
    );
    assert_eq!(log["totals"]["failed"], 5);
}

#[tokio::test]
async fn without_a_provider_generating_is_a_clear_error() {
    let app = spawn_app().await;
    let (s, lead) = ana_with_a_lead(&app).await;
    let error = external_error(
        &app,
        &s,
        lead,
        StatusCode::SERVICE_UNAVAILABLE,
        "not_configured",
    )
    .await;
    assert!(error["message"]
        .as_str()
        .unwrap()
        .contains("FLUX_AI_PROVIDER"));
    let usage: Value = app.get_json("/api/v1/ai/usage", &s).await;
    assert_eq!(usage["configured"], false);
    assert_eq!(usage["used"], 0);
}

#[tokio::test]
async fn bad_requests_name_the_field() {
    let (server, app) = answering(anthropic_ok(EMAIL_ANSWER)).await;
    let (s, lead) = ana_with_a_lead(&app).await;

    let long = "x".repeat(501);
    for (body, field) in [
        (
            json!({ "lead_id": lead, "channel": "email", "tone": "direct", "additional_context": long }),
            "additional_context",
        ),
        (
            json!({ "lead_id": lead, "channel": "email", "tone": "formal" }),
            "tone",
        ),
        (
            json!({ "lead_id": lead, "channel": "sms", "tone": "direct" }),
            "channel",
        ),
        (
            json!({ "lead_id": Uuid::new_v4(), "channel": "email", "tone": "direct" }),
            "lead_id",
        ),
        (json!({ "channel": "email", "tone": "direct" }), "lead_id"),
    ] {
        let fields = invalid_fields(generate(&app, &s, body.clone()).await).await;
        assert_eq!(fields, [field], "{body}");
    }
    // 500 characters (accented ones count once) are fine.
    let ok = json!({ "lead_id": lead, "channel": "email", "tone": "direct", "additional_context": "é".repeat(500) });
    assert_eq!(generate(&app, &s, ok).await.status(), StatusCode::OK);
    assert!(server.received_requests().await.unwrap().len() == 1);

    for query in [
        "from=2026-13-01",
        "from=",
        "to=0244-02-05&from=",
        "user_id=abc",
        "from=2026-11-02&to=2026-11-01",
        "per_page=0",
    ] {
        let res = app
            .get(&format!("/api/v1/ai/generations?{query}"), Some(s.token()))
            .await;
        assert_eq!(invalid_fields(res).await.len(), 1, "{query}");
    }
}
