//! Any OpenAI-compatible chat-completions endpoint: `POST {FLUX_OPENAI_URL}/v1/chat/completions`
//! with `Authorization: Bearer` when a key is set (local servers such as Ollama or
//! vLLM often run without one). The answer is
//! `{"model","choices":[{"message":{"content","refusal"},"finish_reason"}],"usage":{"prompt_tokens","completion_tokens"}}`;
//! errors are `{"error":{"message","type","param","code"}}`.
//!
//! Servers disagree on the length parameter: OpenAI's reasoning models refuse
//! `max_tokens` (and any `temperature` but the default) with 400
//! `unsupported_parameter`/`unsupported_value`, while Ollama silently ignores
//! `max_completion_tokens`. So the client sends the widely understood form and, told
//! a parameter is unsupported, switches once and remembers.

use std::sync::atomic::{AtomicBool, Ordering};

use async_trait::async_trait;
use reqwest::StatusCode;
use serde_json::{json, Value};

use super::{
    http::{self, Reply},
    AiError, AiProvider, Completion, Prompt, RetryPolicy,
};

/// How many times the ceiling a reasoning model gets (see `body`).
const REASONING_ROOM: u32 = 8;

pub struct OpenAiCompatible {
    url: String,
    api_key: Option<String>,
    model: String,
    policy: RetryPolicy,
    http: reqwest::Client,
    /// The server refused `max_tokens`: send `max_completion_tokens`.
    completion_tokens_param: AtomicBool,
    /// The server refused our `temperature`: leave it to the model's default.
    default_temperature: AtomicBool,
}

impl OpenAiCompatible {
    pub fn new(base_url: &str, api_key: Option<&str>, model: &str, policy: RetryPolicy) -> Self {
        Self {
            url: http::endpoint(base_url, "v1/chat/completions"),
            api_key: api_key.map(str::to_owned),
            model: model.to_owned(),
            policy,
            http: http::client(),
            completion_tokens_param: AtomicBool::new(false),
            default_temperature: AtomicBool::new(false),
        }
    }

    fn body(&self, prompt: &Prompt) -> Value {
        let mut body = json!({
            "model": self.model,
            "messages": [
                { "role": "system", "content": prompt.system },
                { "role": "user", "content": prompt.user },
            ],
        });
        if self.completion_tokens_param.load(Ordering::Relaxed) {
            // Servers that want this are OpenAI's reasoning models, whose ceiling also
            // covers hidden reasoning: room for it, or every answer is cut short.
            body["max_completion_tokens"] = json!(prompt.max_tokens.saturating_mul(REASONING_ROOM));
        } else {
            body["max_tokens"] = json!(prompt.max_tokens);
        }
        if !self.default_temperature.load(Ordering::Relaxed) {
            body["temperature"] = json!(prompt.temperature);
        }
        body
    }

    /// Adapts to a 400 naming one of our optional parameters; `false` when there is
    /// nothing left to adapt.
    fn adapt(&self, body: &[u8]) -> bool {
        let Ok(v) = serde_json::from_slice::<Value>(body) else {
            return false;
        };
        let code = v.pointer("/error/code").and_then(Value::as_str);
        if !matches!(code, Some("unsupported_parameter" | "unsupported_value")) {
            return false;
        }
        let flag = match v.pointer("/error/param").and_then(Value::as_str) {
            Some("max_tokens") => &self.completion_tokens_param,
            Some("temperature") => &self.default_temperature,
            _ => return false,
        };
        !flag.swap(true, Ordering::Relaxed)
    }
}

#[async_trait]
impl AiProvider for OpenAiCompatible {
    fn name(&self) -> &'static str {
        "openai"
    }

    fn model(&self) -> &str {
        &self.model
    }

    #[tracing::instrument(skip_all, fields(provider = "openai", model = %self.model))]
    async fn complete(&self, prompt: &Prompt) -> Result<Completion, AiError> {
        // The first try, then at most one per parameter the server may refuse.
        for _ in 0..3 {
            let body = self.body(prompt);
            let reply = http::exchange(&self.policy, "openai", || {
                let request = self.http.post(&self.url).json(&body);
                match &self.api_key {
                    Some(key) => request.bearer_auth(key),
                    None => request,
                }
            })
            .await?;
            match reply {
                Reply::Success(body) => return parse(&body, &self.model),
                Reply::ClientError { status, body }
                    if status == StatusCode::BAD_REQUEST && self.adapt(&body) =>
                {
                    tracing::info!("AI provider refused an optional parameter; adapting");
                }
                Reply::ClientError { status, body } => return Err(http::rejected(status, &body)),
            }
        }
        Err(AiError::Rejected(
            "o servidor recusou os parâmetros da requisição".into(),
        ))
    }
}

/// `model` names the answer when the server does not.
fn parse(body: &[u8], model: &str) -> Result<Completion, AiError> {
    let v: Value = serde_json::from_slice(body).map_err(|e| {
        AiError::Malformed(format!(
            "JSON inválido (linha {}, coluna {})",
            e.line(),
            e.column()
        ))
    })?;
    let choice = v
        .pointer("/choices/0")
        .ok_or_else(|| AiError::Malformed("a resposta não tem choices".into()))?;
    match choice.get("finish_reason").and_then(Value::as_str) {
        Some("length") => {
            return Err(AiError::Malformed(
                "a resposta foi cortada no limite de tokens".into(),
            ))
        }
        Some("content_filter") => {
            return Err(AiError::Rejected(
                "o filtro de conteúdo do provedor bloqueou a resposta".into(),
            ))
        }
        _ => {}
    }
    let message = choice
        .get("message")
        .ok_or_else(|| AiError::Malformed("a resposta não tem message".into()))?;
    if message
        .get("refusal")
        .and_then(Value::as_str)
        .is_some_and(|r| !r.trim().is_empty())
    {
        return Err(AiError::Rejected(
            "o modelo se recusou a escrever esta mensagem".into(),
        ));
    }
    // A string, or (some servers) a list of `{"type":"text","text"}` parts.
    let text = match message.get("content") {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(parts)) => parts
            .iter()
            .filter_map(|p| p.get("text").and_then(Value::as_str))
            .collect(),
        _ => String::new(),
    };
    if text.trim().is_empty() {
        return Err(AiError::Malformed("a resposta não tem texto".into()));
    }
    let tokens = |path: &str| {
        v.pointer(path)
            .and_then(Value::as_u64)
            .and_then(|n| u32::try_from(n).ok())
            .unwrap_or(0)
    };
    Ok(Completion {
        text,
        model: v
            .get("model")
            .and_then(Value::as_str)
            .filter(|m| !m.is_empty())
            .unwrap_or(model)
            .to_owned(),
        input_tokens: tokens("/usage/prompt_tokens"),
        output_tokens: tokens("/usage/completion_tokens"),
    })
}
