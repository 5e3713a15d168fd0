//! Answers in the wire formats of the AI providers, for tests that stand up a local
//! server in their place (the Anthropic Messages API and OpenAI chat completions).

use serde_json::{json, Value};

/// A `POST /v1/messages` success, as Anthropic documents it.
pub fn anthropic_message(text: &str, input_tokens: u32, output_tokens: u32) -> Value {
    json!({
        "id": "msg_01XFDUDYJgAACzvnptvVoYEL",
        "type": "message",
        "role": "assistant",
        "model": "claude-sonnet-4-5-20250929",
        "content": [{ "type": "text", "text": text }],
        "stop_reason": "end_turn",
        "stop_sequence": null,
        "usage": { "input_tokens": input_tokens, "output_tokens": output_tokens }
    })
}

/// An Anthropic error body (`rate_limit_error`, `overloaded_error`, …).
pub fn anthropic_error(kind: &str, message: &str) -> Value {
    json!({
        "type": "error",
        "error": { "type": kind, "message": message },
        "request_id": "req_011CSHoEeqs5C35K2UUqR7Fy"
    })
}

/// A `POST /v1/chat/completions` success, as OpenAI documents it.
pub fn openai_completion(text: &str, prompt_tokens: u32, completion_tokens: u32) -> Value {
    json!({
        "id": "chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG",
        "object": "chat.completion",
        "created": 1_741_570_283,
        "model": "gpt-4o-mini-2024-07-18",
        "choices": [{
            "index": 0,
            "message": { "role": "assistant", "content": text, "refusal": null, "annotations": [] },
            "logprobs": null,
            "finish_reason": "stop"
        }],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens
        },
        "service_tier": "default"
    })
}

/// An OpenAI error body.
pub fn openai_error(kind: &str, message: &str, param: Option<&str>, code: Option<&str>) -> Value {
    json!({ "error": { "message": message, "type": kind, "param": param, "code": code } })
}
