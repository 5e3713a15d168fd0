//! The settings of the providers Flux calls: enrichment registries and the AI writer.

use std::time::Duration;

use url::Url;

use super::{err, parse_or, SettingsError};
use crate::Secret;

/// Which provider writes AI messages (`FLUX_AI_PROVIDER`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AiProviderSetting {
    Anthropic,
    OpenAi,
}

/// AI message generation. Without a provider, generating is a clear error
/// (`EXTERNAL_API`) and AI-personalized cadence steps fall back per organization.
#[derive(Debug, Clone)]
pub struct AiSettings {
    /// `FLUX_AI_PROVIDER`: `anthropic` or `openai` (any OpenAI-compatible server).
    pub provider: Option<AiProviderSetting>,
    /// `FLUX_AI_MODEL`: `claude-sonnet-4-5` for Anthropic, `gpt-4o-mini` for OpenAI.
    pub model: String,
    /// `FLUX_ANTHROPIC_URL` (`https://api.anthropic.com`); the client appends
    /// `/v1/messages`.
    pub anthropic_url: Url,
    /// `FLUX_ANTHROPIC_API_KEY`: required with the Anthropic provider.
    pub anthropic_api_key: Option<Secret<String>>,
    /// `FLUX_OPENAI_URL` (`https://api.openai.com`); the client appends
    /// `/v1/chat/completions` (Ollama: `http://localhost:11434`).
    pub openai_url: Url,
    /// `FLUX_OPENAI_API_KEY`: required for api.openai.com; local servers may go without.
    pub openai_api_key: Option<Secret<String>>,
    /// `FLUX_AI_TIMEOUT_SECS` (45): per request to the provider.
    pub timeout: Duration,
    /// `FLUX_AI_MAX_ATTEMPTS` (3): tries per generation on 429, 5xx and timeouts.
    pub max_attempts: u32,
    /// `FLUX_AI_RATE_PER_MEMBER` (20): "Gerar com IA" requests per member per minute
    /// and process, refused ones included (each is logged), so a client stuck in a
    /// loop cannot flood the provider or the usage log.
    pub requests_per_member_per_minute: u32,
}

/// Company enrichment providers (public registries and premium contacts).
#[derive(Debug, Clone)]
pub struct EnrichmentSettings {
    /// `FLUX_CNPJWS_URL`; the client appends `/cnpj/{cnpj}`.
    pub cnpjws_url: Url,
    /// `FLUX_BRASILAPI_URL`; the client appends `/api/cnpj/v1/{cnpj}`.
    pub brasilapi_url: Url,
    /// `FLUX_LEMIT_URL`; premium contacts for Pro and Enterprise plans.
    pub lemit_url: Url,
    /// `FLUX_LEMIT_API_KEY`; Lemit is off without it.
    pub lemit_api_key: Option<Secret<String>>,
    /// `FLUX_ENRICHMENT_PROVIDERS`: public providers in fallback order.
    pub providers: Vec<String>,
    /// `FLUX_ENRICHMENT_CACHE_TTL_HOURS`: public data reuse across organizations.
    pub cache_ttl: Duration,
    /// `FLUX_ENRICHMENT_TIMEOUT_SECS`: per provider request.
    pub timeout: Duration,
    /// Requests per minute per process: `FLUX_CNPJWS_RATE_PER_MINUTE` (3),
    /// `FLUX_BRASILAPI_RATE_PER_MINUTE` (60), `FLUX_LEMIT_RATE_PER_MINUTE` (60).
    pub cnpjws_per_minute: u32,
    pub brasilapi_per_minute: u32,
    pub lemit_per_minute: u32,
}

/// Public providers `FLUX_ENRICHMENT_PROVIDERS` may name.
pub const PUBLIC_ENRICHMENT_PROVIDERS: [&str; 2] = ["brasilapi", "cnpj_ws"];

fn url_or(raw: Option<String>, var: &'static str, default: &str) -> Result<Url, SettingsError> {
    let raw = raw.unwrap_or_else(|| default.to_owned());
    let url = Url::parse(&raw).map_err(|e| err(var, format!("is not a URL: {e}")))?;
    if matches!(url.scheme(), "http" | "https") {
        Ok(url)
    } else {
        Err(err(var, "must be http(s)".into()))
    }
}

pub(super) fn enrichment_settings(
    get: &dyn Fn(&str) -> Option<String>,
) -> Result<EnrichmentSettings, SettingsError> {
    const VAR: &str = "FLUX_ENRICHMENT_PROVIDERS";
    let providers: Vec<String> = get(VAR)
        .unwrap_or_else(|| "brasilapi,cnpj_ws".into())
        .split(',')
        .map(|p| p.trim().to_ascii_lowercase())
        .filter(|p| !p.is_empty())
        .collect();
    if providers.is_empty() {
        return Err(err(VAR, "must name at least one provider".into()));
    }
    for (i, p) in providers.iter().enumerate() {
        if !PUBLIC_ENRICHMENT_PROVIDERS.contains(&p.as_str()) {
            return Err(err(
                VAR,
                format!("names unknown provider {p:?} (known: brasilapi, cnpj_ws)"),
            ));
        }
        if providers[..i].contains(p) {
            return Err(err(VAR, format!("names {p:?} twice")));
        }
    }
    let hours: u64 = parse_or(
        &get("FLUX_ENRICHMENT_CACHE_TTL_HOURS"),
        "FLUX_ENRICHMENT_CACHE_TTL_HOURS",
        Some(720),
    )?;
    let timeout: u64 = parse_or(
        &get("FLUX_ENRICHMENT_TIMEOUT_SECS"),
        "FLUX_ENRICHMENT_TIMEOUT_SECS",
        Some(10),
    )?;
    if timeout == 0 {
        return Err(err(
            "FLUX_ENRICHMENT_TIMEOUT_SECS",
            "must be at least 1".into(),
        ));
    }
    let rate = |var: &'static str, default: u32| -> Result<u32, SettingsError> {
        let value: u32 = parse_or(&get(var), var, Some(default))?;
        if value == 0 {
            Err(err(var, "must be at least 1".into()))
        } else {
            Ok(value)
        }
    };
    Ok(EnrichmentSettings {
        cnpjws_url: url_or(
            get("FLUX_CNPJWS_URL"),
            "FLUX_CNPJWS_URL",
            "https://publica.cnpj.ws",
        )?,
        brasilapi_url: url_or(
            get("FLUX_BRASILAPI_URL"),
            "FLUX_BRASILAPI_URL",
            "https://brasilapi.com.br",
        )?,
        lemit_url: url_or(
            get("FLUX_LEMIT_URL"),
            "FLUX_LEMIT_URL",
            "https://api.lemit.com.br",
        )?,
        lemit_api_key: get("FLUX_LEMIT_API_KEY").map(Secret::new),
        providers,
        cache_ttl: Duration::from_secs(hours * 3600),
        timeout: Duration::from_secs(timeout),
        cnpjws_per_minute: rate("FLUX_CNPJWS_RATE_PER_MINUTE", 3)?,
        brasilapi_per_minute: rate("FLUX_BRASILAPI_RATE_PER_MINUTE", 60)?,
        lemit_per_minute: rate("FLUX_LEMIT_RATE_PER_MINUTE", 60)?,
    })
}

pub(super) fn ai_settings(
    get: &dyn Fn(&str) -> Option<String>,
) -> Result<AiSettings, SettingsError> {
    const PROVIDER: &str = "FLUX_AI_PROVIDER";
    let provider = match get(PROVIDER).map(|p| p.to_ascii_lowercase()).as_deref() {
        None => None,
        Some("anthropic") => Some(AiProviderSetting::Anthropic),
        Some("openai") => Some(AiProviderSetting::OpenAi),
        Some(other) => {
            return Err(err(
                PROVIDER,
                format!("must be anthropic or openai, not {other:?}"),
            ))
        }
    };
    let anthropic_url = url_or(
        get("FLUX_ANTHROPIC_URL"),
        "FLUX_ANTHROPIC_URL",
        "https://api.anthropic.com",
    )?;
    let openai_url = url_or(
        get("FLUX_OPENAI_URL"),
        "FLUX_OPENAI_URL",
        "https://api.openai.com",
    )?;
    let anthropic_api_key = get("FLUX_ANTHROPIC_API_KEY").map(Secret::new);
    let openai_api_key = get("FLUX_OPENAI_API_KEY").map(Secret::new);
    match provider {
        Some(AiProviderSetting::Anthropic) if anthropic_api_key.is_none() => {
            return Err(err(
                "FLUX_ANTHROPIC_API_KEY",
                "is required when FLUX_AI_PROVIDER=anthropic".into(),
            ))
        }
        Some(AiProviderSetting::OpenAi)
            if openai_api_key.is_none() && openai_url.host_str() == Some("api.openai.com") =>
        {
            return Err(err(
                "FLUX_OPENAI_API_KEY",
                "is required for api.openai.com (only a local FLUX_OPENAI_URL may go without)"
                    .into(),
            ))
        }
        _ => {}
    }
    let model = get("FLUX_AI_MODEL").unwrap_or_else(|| {
        match provider {
            Some(AiProviderSetting::OpenAi) => "gpt-4o-mini",
            _ => "claude-sonnet-4-5",
        }
        .into()
    });
    let timeout: u64 = parse_or(
        &get("FLUX_AI_TIMEOUT_SECS"),
        "FLUX_AI_TIMEOUT_SECS",
        Some(45),
    )?;
    if !(1..=300).contains(&timeout) {
        return Err(err(
            "FLUX_AI_TIMEOUT_SECS",
            "must be between 1 and 300".into(),
        ));
    }
    let max_attempts: u32 = parse_or(
        &get("FLUX_AI_MAX_ATTEMPTS"),
        "FLUX_AI_MAX_ATTEMPTS",
        Some(3),
    )?;
    if !(1..=5).contains(&max_attempts) {
        return Err(err(
            "FLUX_AI_MAX_ATTEMPTS",
            "must be between 1 and 5".into(),
        ));
    }
    let requests_per_member_per_minute: u32 = parse_or(
        &get("FLUX_AI_RATE_PER_MEMBER"),
        "FLUX_AI_RATE_PER_MEMBER",
        Some(20),
    )?;
    if requests_per_member_per_minute == 0 {
        return Err(err("FLUX_AI_RATE_PER_MEMBER", "must be at least 1".into()));
    }
    Ok(AiSettings {
        provider,
        model,
        anthropic_url,
        anthropic_api_key,
        openai_url,
        openai_api_key,
        timeout: Duration::from_secs(timeout),
        max_attempts,
        requests_per_member_per_minute,
    })
}
