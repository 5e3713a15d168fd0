//! Language-model providers behind one trait: the Anthropic Messages API
//! and any OpenAI-compatible chat-completions endpoint (OpenAI itself, or local models
//! served by Ollama or vLLM).
//!
//! Clients append the provider's documented path to a configured base URL, so a local
//! server can stand in for either. Transient failures (429, 5xx, timeouts, dropped
//! connections) are retried with backoff inside [`RetryPolicy`]; what is left is an
//! [`AiError`] whose message can be shown to people.

mod anthropic;
mod http;
mod openai;

use std::time::Duration;

use async_trait::async_trait;

pub use anthropic::Anthropic;
pub use openai::OpenAiCompatible;

/// One request: instructions, the user turn, and a ceiling on the answer's length.
#[derive(Debug, Clone, PartialEq)]
pub struct Prompt {
    pub system: String,
    pub user: String,
    pub max_tokens: u32,
    pub temperature: f64,
}

/// The model's answer and what it cost.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Completion {
    pub text: String,
    /// The model that answered, as the provider names it.
    pub model: String,
    pub input_tokens: u32,
    pub output_tokens: u32,
}

/// Why there is no completion. Messages are pt-BR: they reach the SDR (an API error,
/// or the reason a cadence step paused). They never carry the prompt.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AiError {
    /// 429 after every retry, or a wait longer than the policy allows.
    #[error("o provedor de IA está limitando as requisições; tente novamente em instantes")]
    RateLimited { retry_after: Option<Duration> },
    /// 5xx or a failed connection after every retry.
    #[error("o provedor de IA está indisponível ({0})")]
    Unavailable(String),
    #[error("o provedor de IA não respondeu a tempo")]
    Timeout,
    /// A success status with a body we cannot use (not the documented shape, no
    /// text, cut at the token ceiling).
    #[error("resposta inválida do provedor de IA: {0}")]
    Malformed(String),
    /// Any other 4xx (key, model name, request size) or the model declining to write.
    #[error("o provedor de IA recusou a requisição: {0}")]
    Rejected(String),
}

impl AiError {
    /// A stable code for logs and the usage list.
    pub fn code(&self) -> &'static str {
        match self {
            Self::RateLimited { .. } => "rate_limited",
            Self::Unavailable(_) => "unavailable",
            Self::Timeout => "timeout",
            Self::Malformed(_) => "malformed",
            Self::Rejected(_) => "rejected",
        }
    }
}

/// A language model that writes text.
#[async_trait]
pub trait AiProvider: Send + Sync {
    /// `anthropic` or `openai`.
    fn name(&self) -> &'static str;
    /// The configured model (the answer names the one that actually ran).
    fn model(&self) -> &str;
    async fn complete(&self, prompt: &Prompt) -> Result<Completion, AiError>;
}

/// How hard a client tries before giving up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Tries in all, the first included.
    pub attempts: u32,
    /// Wait before the first retry; doubled for each one after.
    pub base_delay: Duration,
    /// No single wait is longer; a provider asking for more (`Retry-After`) is not
    /// waited for.
    pub max_delay: Duration,
    /// Per try: connecting, sending and reading the whole answer.
    pub timeout: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            attempts: 3,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(10),
            timeout: Duration::from_secs(45),
        }
    }
}

impl RetryPolicy {
    /// The longest a `complete` call can take: every try timing out, every wait at
    /// its ceiling. Callers size their own leases and reservations on it.
    pub fn worst_case(&self) -> Duration {
        self.timeout * self.attempts + self.max_delay * self.attempts.saturating_sub(1)
    }
}
