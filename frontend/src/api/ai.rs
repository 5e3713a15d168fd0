//! AI messages: generate, the day's usage, the log.

use flux_dto::{
    ai::{AiGenerationList, AiUsage, GenerateMessageRequest, GeneratedMessage, GenerationQuery},
    query::Page,
};

use super::{
    get,
    path::{query, v1, v1_with},
    post, ApiError,
};

pub async fn generate(body: &GenerateMessageRequest) -> Result<GeneratedMessage, ApiError> {
    post(&v1("/ai/messages"), body).await
}

pub async fn usage() -> Result<AiUsage, ApiError> {
    get(&v1("/ai/usage")).await
}

pub async fn generations(
    filter: &GenerationQuery,
    page: Page,
) -> Result<AiGenerationList, ApiError> {
    get(&v1_with(
        "/ai/generations",
        &[query(filter), query(&page.params())],
    ))
    .await
}
