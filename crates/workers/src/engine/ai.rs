//! AI personalization of a step's message.

use async_trait::async_trait;
use flux_domain::TemplateFacts;

/// A rendered message before (and after) personalization.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Draft {
    pub subject: Option<String>,
    pub body: String,
}

/// Rewrites a rendered template for one lead. Errors are shown to people as the
/// reason the step paused.
#[async_trait]
pub trait AiWriter: Send + Sync {
    async fn personalize(&self, draft: &Draft, facts: &TemplateFacts) -> Result<Draft, String>;
}
