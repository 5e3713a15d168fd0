//! The Anthropic Messages API: `POST {FLUX_ANTHROPIC_URL}/v1/messages` with
//! `x-api-key` and `anthropic-version: 2023-06-01`. The answer is
//! `{"content":[{"type":"text","text"}],"model","stop_reason","usage":{"input_tokens","output_tokens"}}`;
//! errors are `{"type":"error","error":{"type","message"}}` (429 `rate_limit_error`,
//! 529 `overloaded_error`).

use async_trait::async_trait;
use serde::Deserialize;
use serde_json::json;

use super::{
    http::{self, Reply},
    AiError, AiProvider, Completion, Prompt, RetryPolicy,
};

const API_VERSION: &str = "2023-06-01";

pub struct Anthropic {
    url: String,
    api_key: String,
    model: String,
    policy: RetryPolicy,
    http: reqwest::Client,
}

impl Anthropic {
    pub fn new(base_url: &str, api_key: &str, model: &str, policy: RetryPolicy) -> Self {
        Self {
            url: http::endpoint(base_url, "v1/messages"),
            api_key: api_key.to_owned(),
            model: model.to_owned(),
            policy,
            http: http::client(),
        }
    }
}

#[derive(Deserialize)]
struct MessageResponse {
    content: Vec<ContentBlock>,
    model: String,
    stop_reason: Option<String>,
    usage: Usage,
}

#[derive(Deserialize)]
struct ContentBlock {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    text: String,
}

#[derive(Deserialize)]
struct Usage {
    input_tokens: u32,
    output_tokens: u32,
}

#[async_trait]
impl AiProvider for Anthropic {
    fn name(&self) -> &'static str {
        "anthropic"
    }

    fn model(&self) -> &str {
        &self.model
    }

    #[tracing::instrument(skip_all, fields(provider = "anthropic", model = %self.model))]
    async fn complete(&self, prompt: &Prompt) -> Result<Completion, AiError> {
        let body = json!({
            "model": self.model,
            "max_tokens": prompt.max_tokens,
            "temperature": prompt.temperature,
            "system": prompt.system,
            "messages": [{ "role": "user", "content": prompt.user }],
        });
        let reply = http::exchange(&self.policy, "anthropic", || {
            self.http
                .post(&self.url)
                .header("x-api-key", &self.api_key)
                .header("anthropic-version", API_VERSION)
                .json(&body)
        })
        .await?;
        match reply {
            Reply::Success(body) => parse(&body),
            Reply::ClientError { status, body } => Err(http::rejected(status, &body)),
        }
    }
}

fn parse(body: &[u8]) -> Result<Completion, AiError> {
    // serde's message may quote the body (the model's text): only where it broke.
    let answer: MessageResponse = serde_json::from_slice(body).map_err(|e| {
        AiError::Malformed(format!(
            "corpo fora do formato da API Messages (linha {}, coluna {})",
            e.line(),
            e.column()
        ))
    })?;
    // Only a finished turn is a message; anything else is cut short or declined.
    match answer.stop_reason.as_deref() {
        None | Some("end_turn" | "stop_sequence") => {}
        Some("refusal") => {
            return Err(AiError::Rejected(
                "o modelo se recusou a escrever esta mensagem".into(),
            ))
        }
        Some(reason) => {
            return Err(AiError::Malformed(format!(
                "a resposta não terminou ({reason})"
            )))
        }
    }
    let text: String = answer
        .content
        .iter()
        .filter(|b| b.kind == "text")
        .map(|b| b.text.as_str())
        .collect();
    if text.trim().is_empty() {
        return Err(AiError::Malformed("a resposta não tem texto".into()));
    }
    Ok(Completion {
        text,
        model: answer.model,
        input_tokens: answer.usage.input_tokens,
        output_tokens: answer.usage.output_tokens,
    })
}
