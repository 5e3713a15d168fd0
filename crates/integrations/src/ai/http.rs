//! The exchange both clients share: send, classify, retry what is transient.

use std::time::Duration;

use bytes::Bytes;
use reqwest::{header::RETRY_AFTER, StatusCode};
use serde_json::Value;

use super::{AiError, RetryPolicy};

/// A final answer from the provider (transient failures are retried before this).
#[derive(Debug)]
pub(super) enum Reply {
    Success(Bytes),
    /// A 4xx other than 429: the request itself is wrong. Not retried as is; the
    /// caller may adjust it (an unsupported parameter) or give up.
    ClientError {
        status: StatusCode,
        body: Bytes,
    },
}

pub(super) fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(5))
        .user_agent(concat!("Flux/", env!("CARGO_PKG_VERSION")))
        .build()
        .unwrap_or_default()
}

/// Sends what `build` makes until a final answer or the policy is spent.
pub(super) async fn exchange(
    policy: &RetryPolicy,
    provider: &'static str,
    build: impl Fn() -> reqwest::RequestBuilder,
) -> Result<Reply, AiError> {
    let attempts = policy.attempts.max(1);
    let mut last = AiError::Unavailable("nenhuma tentativa".into());
    for attempt in 1..=attempts {
        let mut wait = None;
        match build().timeout(policy.timeout).send().await {
            Err(e) => {
                last = transport_error(&e);
            }
            Ok(response) => {
                let status = response.status();
                let retry_after = retry_after(&response);
                match response.bytes().await {
                    Err(e) => last = transport_error(&e),
                    Ok(body) if status.is_success() => return Ok(Reply::Success(body)),
                    Ok(_) if status == StatusCode::TOO_MANY_REQUESTS => {
                        last = AiError::RateLimited { retry_after };
                        match retry_after {
                            // Waiting longer than the policy allows would hold the SDR
                            // (or the engine's lease) hostage.
                            Some(d) if d > policy.max_delay => return Err(last),
                            d => wait = d,
                        }
                    }
                    // 529 (Anthropic "overloaded") is a 5xx too; 408 and 409 (a
                    // conflicting concurrent request) are worth another try as well.
                    Ok(body)
                        if status.is_server_error()
                            || status == StatusCode::REQUEST_TIMEOUT
                            || status == StatusCode::CONFLICT =>
                    {
                        last = AiError::Unavailable(format!(
                            "HTTP {}: {}",
                            status.as_u16(),
                            provider_message(&body)
                        ));
                    }
                    Ok(body) if status.is_client_error() => {
                        return Ok(Reply::ClientError { status, body })
                    }
                    Ok(_) => {
                        return Err(AiError::Malformed(format!(
                            "HTTP {} inesperado",
                            status.as_u16()
                        )))
                    }
                }
            }
        }
        if attempt < attempts {
            let wait = wait
                .unwrap_or_else(|| jittered(policy.base_delay * 2u32.saturating_pow(attempt - 1)))
                .min(policy.max_delay);
            tracing::warn!(
                provider,
                attempt,
                error = last.code(),
                wait_ms = wait.as_millis() as u64,
                "AI provider call failed; retrying"
            );
            tokio::time::sleep(wait).await;
        }
    }
    Err(last)
}

fn transport_error(e: &reqwest::Error) -> AiError {
    if e.is_timeout() {
        AiError::Timeout
    } else {
        // reqwest's text names the URL (an internal host, perhaps): operators read it
        // in the log, people get the kind of failure.
        tracing::warn!(error = %e, "AI provider unreachable");
        AiError::Unavailable(if e.is_connect() {
            "falha de conexão".into()
        } else {
            "a conexão caiu".into()
        })
    }
}

/// Half the backoff plus a random part of the other half: many callers that failed
/// together (a provider outage) do not all come back at the same instant.
fn jittered(backoff: Duration) -> Duration {
    let half = backoff / 2;
    half + half.mul_f64(rand::random::<f64>())
}

fn retry_after(response: &reqwest::Response) -> Option<Duration> {
    let raw = response.headers().get(RETRY_AFTER)?.to_str().ok()?;
    parse_retry_after(raw, chrono::Utc::now())
}

/// `Retry-After` as seconds or as an HTTP-date (RFC 9110 §10.2.3: IMF-fixdate and the
/// obsolete RFC 850 and asctime forms), as a wait from `now`, at most a day; a date
/// in the past is no wait.
fn parse_retry_after(raw: &str, now: chrono::DateTime<chrono::Utc>) -> Option<Duration> {
    const A_DAY: Duration = Duration::from_secs(86_400);
    let raw = raw.trim();
    if let Ok(seconds) = raw.parse::<f64>() {
        return (seconds.is_finite() && seconds >= 0.0)
            .then(|| Duration::from_secs_f64(seconds.min(A_DAY.as_secs_f64())));
    }
    let at = chrono::DateTime::<chrono::Utc>::from(httpdate::parse_http_date(raw).ok()?);
    Some((at - now).to_std().unwrap_or_default().min(A_DAY))
}

/// The provider's own words about an error: `{"error":{"message"}}` (Anthropic,
/// OpenAI, vLLM, Ollama), `{"error":"…"}` or `{"message":"…"}`; else the start of
/// the body.
pub(super) fn provider_message(body: &[u8]) -> String {
    let from_json = serde_json::from_slice::<Value>(body).ok().and_then(|v| {
        v.pointer("/error/message")
            .or_else(|| v.get("error").filter(|e| e.is_string()))
            .or_else(|| v.get("message"))
            .and_then(Value::as_str)
            .map(str::to_owned)
    });
    let text = from_json.unwrap_or_else(|| String::from_utf8_lossy(body).into_owned());
    let text = text.trim();
    match text.char_indices().nth(300) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None if text.is_empty() => "sem detalhes".into(),
        None => text.to_owned(),
    }
}

/// The endpoint for a documented `v1/…` path under a configured base URL, whatever
/// slashes either has; a base already ending in `/v1` (the SDKs' convention, e.g.
/// `http://localhost:11434/v1`) is not given a second one.
pub(super) fn endpoint(base: &str, path: &str) -> String {
    let base = base.trim_end_matches('/');
    let base = base.strip_suffix("/v1").unwrap_or(base);
    format!("{base}/{}", path.trim_start_matches('/'))
}

/// The error for a 4xx the client does not handle itself.
pub(super) fn rejected(status: StatusCode, body: &[u8]) -> AiError {
    let hint = match status.as_u16() {
        401 | 403 => "verifique a chave de API configurada; ",
        404 => "verifique o modelo e a URL configurados; ",
        _ => "",
    };
    AiError::Rejected(format!(
        "{hint}HTTP {}: {}",
        status.as_u16(),
        provider_message(body)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_reads_seconds_and_http_dates() {
        let now = "2026-11-22T10:00:00Z".parse().unwrap();
        assert_eq!(parse_retry_after(" 7 ", now), Some(Duration::from_secs(7)));
        assert_eq!(
            parse_retry_after("0.5", now),
            Some(Duration::from_millis(500))
        );
        assert_eq!(
            parse_retry_after("Sun, 22 Nov 2026 10:00:30 GMT", now),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            parse_retry_after("Sun, 22 Nov 2026 09:00:00 GMT", now),
            Some(Duration::ZERO),
            "a date already past"
        );
        assert_eq!(
            parse_retry_after("Sunday, 22-Nov-26 10:01:00 GMT", now),
            Some(Duration::from_secs(60)),
            "RFC 850"
        );
        assert_eq!(
            parse_retry_after("Sun Nov 22 10:00:05 2026", now),
            Some(Duration::from_secs(5)),
            "asctime"
        );
        assert_eq!(
            parse_retry_after("Sun, 22 Nov 2026 10:00:30 +0000", now),
            None,
            "an RFC 2822 date that is no HTTP-date"
        );
        assert_eq!(parse_retry_after("-1", now), None);
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(
            parse_retry_after("1e12", now),
            Some(Duration::from_secs(86_400))
        );
    }

    #[test]
    fn backoff_is_jittered_within_its_upper_half() {
        let backoff = Duration::from_millis(1000);
        let waits: Vec<Duration> = (0..50).map(|_| jittered(backoff)).collect();
        assert!(waits
            .iter()
            .all(|w| *w >= Duration::from_millis(500) && *w <= backoff));
        assert!(
            waits.iter().any(|w| *w != waits[0]),
            "not all the same wait"
        );
    }
}
