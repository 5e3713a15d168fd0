//! The AI provider clients against local servers speaking the Anthropic Messages API
//! and OpenAI chat completions: success, retries on 429/5xx, timeouts, malformed
//! bodies, rejected requests, and the parameters OpenAI-compatible servers disagree on.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use flux_integrations::ai::{
    AiError, AiProvider, Anthropic, OpenAiCompatible, Prompt, RetryPolicy,
};
use flux_testkit::fake_ai;
use serde_json::{json, Value};
use wiremock::{
    matchers::{body_partial_json, header, header_exists, method, path},
    Mock, MockServer, Request, ResponseTemplate,
};

fn policy() -> RetryPolicy {
    RetryPolicy {
        attempts: 3,
        base_delay: Duration::from_millis(10),
        max_delay: Duration::from_millis(200),
        timeout: Duration::from_millis(400),
    }
}

fn prompt() -> Prompt {
    Prompt {
        system: "Você escreve mensagens de prospecção.".into(),
        user: "Escreva para a Padaria Pão Quente.".into(),
        max_tokens: 600,
        temperature: 0.7,
    }
}

fn anthropic(server: &MockServer) -> Anthropic {
    Anthropic::new(&server.uri(), "sk-ant-test", "claude-sonnet-4-5", policy())
}

fn openai(server: &MockServer, key: Option<&str>) -> OpenAiCompatible {
    // A trailing slash on the base URL must not double the path's.
    OpenAiCompatible::new(&format!("{}/", server.uri()), key, "gpt-4o-mini", policy())
}

fn json_body(request: &Request) -> Value {
    serde_json::from_slice(&request.body).unwrap()
}

#[tokio::test]
async fn anthropic_sends_the_documented_request_and_reads_the_answer() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/messages"))
        .and(header("x-api-key", "sk-ant-test"))
        .and(header("anthropic-version", "2023-06-01"))
        .and(header("content-type", "application/json"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(fake_ai::anthropic_message(
                "Olá, tudo bem?",
                321,
                45,
            )),
        )
        .expect(1)
        .mount(&server)
        .await;

    let done = anthropic(&server).complete(&prompt()).await.unwrap();
    assert_eq!(done.text, "Olá, tudo bem?");
    assert_eq!(done.model, "claude-sonnet-4-5-20250929");
    assert_eq!((done.input_tokens, done.output_tokens), (321, 45));

    let sent = json_body(&server.received_requests().await.unwrap()[0]);
    assert_eq!(sent["model"], "claude-sonnet-4-5");
    assert_eq!(sent["max_tokens"], 600);
    assert_eq!(sent["system"], "Você escreve mensagens de prospecção.");
    assert_eq!(
        sent["messages"],
        json!([{ "role": "user", "content": "Escreva para a Padaria Pão Quente." }])
    );
}

#[tokio::test]
async fn anthropic_retries_429_and_529_then_succeeds() {
    let server = MockServer::start().await;
    Mock::given(path("/v1/messages"))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("retry-after", "0")
                .set_body_json(fake_ai::anthropic_error(
                    "rate_limit_error",
                    "Number of request tokens has exceeded your per-minute rate limit",
                )),
        )
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(path("/v1/messages"))
        .respond_with(
            ResponseTemplate::new(529)
                .set_body_json(fake_ai::anthropic_error("overloaded_error", "Overloaded")),
        )
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(path("/v1/messages"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(fake_ai::anthropic_message("ok", 1, 1)),
        )
        .mount(&server)
        .await;

    let done = anthropic(&server).complete(&prompt()).await.unwrap();
    assert_eq!(done.text, "ok");
    assert_eq!(server.received_requests().await.unwrap().len(), 3);
}

#[tokio::test]
async fn persistent_5xx_gives_up_after_the_policy_with_the_providers_words() {
    let server = MockServer::start().await;
    Mock::given(path("/v1/messages"))
        .respond_with(
            ResponseTemplate::new(500).set_body_json(fake_ai::anthropic_error(
                "api_error",
                "Internal server error",
            )),
        )
        .expect(3)
        .mount(&server)
        .await;

    let err = anthropic(&server).complete(&prompt()).await.unwrap_err();
    match &err {
        AiError::Unavailable(m) => assert!(m.contains("HTTP 500: Internal server error"), "{m}"),
        other => panic!("expected Unavailable, got {other:?}"),
    }
    assert_eq!(err.code(), "unavailable");
}

#[tokio::test]
async fn a_429_asking_for_a_longer_wait_than_allowed_is_not_waited_for() {
    let server = MockServer::start().await;
    Mock::given(path("/v1/messages"))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("retry-after", "60")
                .set_body_json(fake_ai::anthropic_error("rate_limit_error", "slow down")),
        )
        .expect(1)
        .mount(&server)
        .await;

    let err = anthropic(&server).complete(&prompt()).await.unwrap_err();
    assert_eq!(
        err,
        AiError::RateLimited {
            retry_after: Some(Duration::from_secs(60))
        }
    );
}

#[tokio::test]
async fn a_slow_provider_times_out_on_every_try() {
    let server = MockServer::start().await;
    Mock::given(path("/v1/messages"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(fake_ai::anthropic_message("tarde demais", 1, 1))
                .set_delay(Duration::from_secs(2)),
        )
        .mount(&server)
        .await;

    let err = anthropic(&server).complete(&prompt()).await.unwrap_err();
    assert_eq!(err, AiError::Timeout);
    assert_eq!(server.received_requests().await.unwrap().len(), 3);
}

#[tokio::test]
async fn malformed_and_unusable_answers_are_errors_not_text() {
    let cases: [(Value, &str); 5] = [
        (
            json!({ "content": [{ "type": "text", "text": "Olá" }], "model": "m",
                    "stop_reason": "model_context_window_exceeded", "usage": { "input_tokens": 1, "output_tokens": 1 } }),
            "malformed",
        ),
        (json!({ "unexpected": true }), "malformed"),
        (
            json!({ "content": [], "model": "m", "stop_reason": "end_turn", "usage": { "input_tokens": 1, "output_tokens": 0 } }),
            "malformed",
        ),
        (
            json!({ "content": [{ "type": "text", "text": "Olá, eu gostaria de apre" }], "model": "m",
                    "stop_reason": "max_tokens", "usage": { "input_tokens": 1, "output_tokens": 600 } }),
            "malformed",
        ),
        (
            json!({ "content": [{ "type": "text", "text": "" }], "model": "m",
                    "stop_reason": "refusal", "usage": { "input_tokens": 1, "output_tokens": 0 } }),
            "rejected",
        ),
    ];
    for (body, code) in cases {
        let server = MockServer::start().await;
        Mock::given(path("/v1/messages"))
            .respond_with(ResponseTemplate::new(200).set_body_json(&body))
            .expect(1)
            .mount(&server)
            .await;
        let err = anthropic(&server).complete(&prompt()).await.unwrap_err();
        assert_eq!(err.code(), code, "{body} → {err:?}");
    }

    let server = MockServer::start().await;
    Mock::given(path("/v1/messages"))
        .respond_with(ResponseTemplate::new(200).set_body_string("<html>gateway</html>"))
        .mount(&server)
        .await;
    let err = anthropic(&server).complete(&prompt()).await.unwrap_err();
    assert!(matches!(err, AiError::Malformed(_)), "{err:?}");
}

#[tokio::test]
async fn a_bad_key_is_rejected_at_once_with_a_hint() {
    let server = MockServer::start().await;
    Mock::given(path("/v1/messages"))
        .respond_with(
            ResponseTemplate::new(401).set_body_json(fake_ai::anthropic_error(
                "authentication_error",
                "invalid x-api-key",
            )),
        )
        .expect(1)
        .mount(&server)
        .await;

    let err = anthropic(&server).complete(&prompt()).await.unwrap_err();
    let AiError::Rejected(message) = err else {
        panic!("{err:?}")
    };
    assert!(message.contains("chave de API"), "{message}");
    assert!(message.contains("invalid x-api-key"), "{message}");
}

#[tokio::test]
async fn openai_sends_the_documented_request_and_reads_the_answer() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .and(header("authorization", "Bearer sk-test"))
        .and(body_partial_json(
            json!({ "model": "gpt-4o-mini", "max_tokens": 600 }),
        ))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(fake_ai::openai_completion(
                "Oi, Maria!",
                200,
                30,
            )),
        )
        .expect(1)
        .mount(&server)
        .await;

    let done = openai(&server, Some("sk-test"))
        .complete(&prompt())
        .await
        .unwrap();
    assert_eq!(done.text, "Oi, Maria!");
    assert_eq!(done.model, "gpt-4o-mini-2024-07-18");
    assert_eq!((done.input_tokens, done.output_tokens), (200, 30));
    let sent = json_body(&server.received_requests().await.unwrap()[0]);
    assert_eq!(
        sent["messages"],
        json!([
            { "role": "system", "content": "Você escreve mensagens de prospecção." },
            { "role": "user", "content": "Escreva para a Padaria Pão Quente." }
        ])
    );
}

#[tokio::test]
async fn a_local_server_without_a_key_gets_no_authorization_and_may_omit_usage() {
    let server = MockServer::start().await;
    // Ollama-style: no usage block, no model name.
    Mock::given(path("/v1/chat/completions"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "choices": [{ "index": 0, "message": { "role": "assistant", "content": "Olá!" }, "finish_reason": "stop" }]
        })))
        .mount(&server)
        .await;

    // The SDKs' base URL convention (`…/v1`) is accepted too.
    let client = OpenAiCompatible::new(
        &format!("{}/v1/", server.uri()),
        None,
        "gpt-4o-mini",
        policy(),
    );
    let done = client.complete(&prompt()).await.unwrap();
    assert_eq!(done.text, "Olá!");
    assert_eq!(done.model, "gpt-4o-mini");
    assert_eq!((done.input_tokens, done.output_tokens), (0, 0));
    let request = &server.received_requests().await.unwrap()[0];
    assert!(request.headers.get("authorization").is_none());
}

#[tokio::test]
async fn openai_adapts_once_to_servers_refusing_max_tokens_and_temperature() {
    let server = MockServer::start().await;
    Mock::given(path("/v1/chat/completions"))
        .and(body_partial_json(json!({ "max_tokens": 600 })))
        .respond_with(ResponseTemplate::new(400).set_body_json(fake_ai::openai_error(
            "invalid_request_error",
            "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead.",
            Some("max_tokens"),
            Some("unsupported_parameter"),
        )))
        .mount(&server)
        .await;
    Mock::given(path("/v1/chat/completions"))
        .and(body_partial_json(json!({ "temperature": 0.7 })))
        .respond_with(ResponseTemplate::new(400).set_body_json(fake_ai::openai_error(
            "invalid_request_error",
            "Unsupported value: 'temperature' does not support 0.7 with this model. Only the default (1) value is supported.",
            Some("temperature"),
            Some("unsupported_value"),
        )))
        .mount(&server)
        .await;
    Mock::given(path("/v1/chat/completions"))
        // With room for hidden reasoning (8 × the ceiling).
        .and(body_partial_json(json!({ "max_completion_tokens": 4800 })))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(fake_ai::openai_completion("ok", 1, 1)),
        )
        .mount(&server)
        .await;

    let client = openai(&server, Some("sk-test"));
    assert_eq!(client.complete(&prompt()).await.unwrap().text, "ok");
    assert_eq!(server.received_requests().await.unwrap().len(), 3);
    // Remembered: the next call goes straight through.
    assert_eq!(client.complete(&prompt()).await.unwrap().text, "ok");
    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 4);
    let last = json_body(&requests[3]);
    assert!(
        last.get("max_tokens").is_none() && last.get("temperature").is_none(),
        "{last}"
    );
}

#[tokio::test]
async fn openai_errors_are_classified() {
    let server = MockServer::start().await;
    Mock::given(path("/v1/chat/completions"))
        .and(header_exists("authorization"))
        .respond_with(
            ResponseTemplate::new(404).set_body_json(fake_ai::openai_error(
                "invalid_request_error",
                "The model `gpt-9` does not exist or you do not have access to it.",
                None,
                Some("model_not_found"),
            )),
        )
        .expect(1)
        .mount(&server)
        .await;
    let err = openai(&server, Some("k"))
        .complete(&prompt())
        .await
        .unwrap_err();
    let AiError::Rejected(message) = err else {
        panic!("{err:?}")
    };
    assert!(
        message.contains("modelo") && message.contains("gpt-9"),
        "{message}"
    );

    for (body, code) in [
        (
            json!({ "choices": [{ "message": { "content": null, "refusal": "I can't help with that." }, "finish_reason": "stop" }] }),
            "rejected",
        ),
        (
            json!({ "choices": [{ "message": { "content": "Olá, gostaria de" }, "finish_reason": "length" }] }),
            "malformed",
        ),
        (
            json!({ "choices": [{ "message": { "content": "" }, "finish_reason": "content_filter" }] }),
            "rejected",
        ),
        (json!({ "choices": [] }), "malformed"),
    ] {
        let server = MockServer::start().await;
        Mock::given(path("/v1/chat/completions"))
            .respond_with(ResponseTemplate::new(200).set_body_json(&body))
            .mount(&server)
            .await;
        let err = openai(&server, None).complete(&prompt()).await.unwrap_err();
        assert_eq!(err.code(), code, "{body} → {err:?}");
    }

    let server = MockServer::start().await;
    Mock::given(path("/v1/chat/completions"))
        .respond_with(ResponseTemplate::new(503).set_body_string("upstream connect error"))
        .expect(3)
        .mount(&server)
        .await;
    let err = openai(&server, None).complete(&prompt()).await.unwrap_err();
    assert_eq!(
        err,
        AiError::Unavailable("HTTP 503: upstream connect error".into())
    );
}

#[tokio::test]
async fn an_unreachable_server_is_unavailable() {
    // A port nothing listens on.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let err = OpenAiCompatible::new(&url, None, "llama3.1", policy())
        .complete(&prompt())
        .await
        .unwrap_err();
    assert!(
        matches!(err, AiError::Unavailable(ref m) if m.contains("falha de conexão")),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_408_is_tried_again() {
    let server = MockServer::start().await;
    Mock::given(path("/v1/chat/completions"))
        .respond_with(ResponseTemplate::new(408).set_body_string("request timeout"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(path("/v1/chat/completions"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(fake_ai::openai_completion("ok", 1, 1)),
        )
        .mount(&server)
        .await;
    assert_eq!(
        openai(&server, None)
            .complete(&prompt())
            .await
            .unwrap()
            .text,
        "ok"
    );
    assert_eq!(server.received_requests().await.unwrap().len(), 2);
}
