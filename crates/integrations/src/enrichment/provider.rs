//! The provider trait and the HTTP plumbing every client shares.

use std::time::Duration;

use async_trait::async_trait;
use flux_domain::Cnpj;
use reqwest::{header::RETRY_AFTER, Response, StatusCode};

use super::model::{CompanyData, PremiumContacts};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProviderId {
    CnpjWs,
    BrasilApi,
    Lemit,
}

impl ProviderId {
    /// As stored in `enrichment_attempts.provider` and written in
    /// `FLUX_ENRICHMENT_PROVIDERS`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::CnpjWs => "cnpj_ws",
            Self::BrasilApi => "brasilapi",
            Self::Lemit => "lemit",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        [Self::CnpjWs, Self::BrasilApi, Self::Lemit]
            .into_iter()
            .find(|p| p.as_str() == raw)
    }
}

/// Why a provider gave no data.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProviderError {
    /// The provider does not know this CNPJ (404, or 400 for a format it does not
    /// support yet, such as alphanumeric CNPJs). Never retried.
    #[error("CNPJ não encontrado ({0})")]
    NotFound(String),
    /// 429 from the provider, or our own limiter for it is exhausted.
    #[error("limite de requisições atingido")]
    RateLimited { retry_after: Option<Duration> },
    /// 5xx, timeout, connection failure: worth retrying later.
    #[error("provedor indisponível: {0}")]
    Unavailable(String),
    /// 200 with a body we cannot read: retried (providers hiccup), logged verbatim.
    #[error("resposta inválida do provedor: {0}")]
    InvalidResponse(String),
    /// 401/403 and other 4xx: our configuration (key, IP allow-list) is wrong.
    #[error("requisição recusada pelo provedor: {0}")]
    Rejected(String),
}

impl ProviderError {
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            Self::RateLimited { .. } | Self::Unavailable(_) | Self::InvalidResponse(_)
        )
    }
}

/// A source of public registry data for a CNPJ.
#[async_trait]
pub trait CompanyProvider: Send + Sync {
    fn id(&self) -> ProviderId;
    async fn company(&self, cnpj: &Cnpj) -> Answer<CompanyData>;
}

/// A source of premium contacts (emails, phones, partners, revenue).
#[async_trait]
pub trait ContactsProvider: Send + Sync {
    fn id(&self) -> ProviderId;
    async fn contacts(&self, cnpj: &Cnpj) -> Answer<PremiumContacts>;
}

/// What a provider answered: the HTTP status (none on timeouts and connection
/// failures, kept for the attempts log) and the data or the classified error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer<T> {
    pub http_status: Option<u16>,
    pub result: Result<T, ProviderError>,
}

impl<T> Answer<T> {
    pub fn failed(error: ProviderError) -> Self {
        Self {
            http_status: None,
            result: Err(error),
        }
    }

    /// Parses a 200 body with `parse`; other outcomes pass through.
    pub(crate) fn from_body(
        exchange: Answer<bytes::Bytes>,
        parse: impl FnOnce(&[u8]) -> Result<T, String>,
    ) -> Self {
        Self {
            http_status: exchange.http_status,
            result: exchange
                .result
                .and_then(|body| parse(&body).map_err(ProviderError::InvalidResponse)),
        }
    }
}

pub(crate) fn http_client(timeout: Duration) -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout.min(Duration::from_secs(5)))
        .user_agent(concat!("Flux/", env!("CARGO_PKG_VERSION")))
        .build()
        .unwrap_or_default()
}

/// Sends and classifies; `not_found_on_400` for providers that answer 400 to CNPJs
/// they cannot look up.
pub(crate) async fn exchange(
    request: reqwest::RequestBuilder,
    not_found_on_400: bool,
) -> Answer<bytes::Bytes> {
    let response: Response = match request.send().await {
        Ok(r) => r,
        Err(e) if e.is_timeout() => {
            return Answer::failed(ProviderError::Unavailable("tempo esgotado".into()))
        }
        Err(e) => {
            return Answer::failed(ProviderError::Unavailable(format!("falha de conexão: {e}")))
        }
    };
    let status = response.status();
    let retry_after = response
        .headers()
        .get(RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        // A provider's wait beyond an hour is treated as an hour.
        .map(|secs| Duration::from_secs(secs.min(3600)));
    let body = match response.bytes().await {
        Ok(b) => b,
        Err(e) => {
            return Answer {
                http_status: Some(status.as_u16()),
                result: Err(ProviderError::Unavailable(format!(
                    "corpo interrompido: {e}"
                ))),
            }
        }
    };
    let snippet = || {
        String::from_utf8_lossy(&body[..body.len().min(300)])
            .trim()
            .to_owned()
    };
    let result = match status {
        StatusCode::OK => Ok(body.clone()),
        StatusCode::NOT_FOUND => Err(ProviderError::NotFound(snippet())),
        StatusCode::BAD_REQUEST if not_found_on_400 => Err(ProviderError::NotFound(snippet())),
        StatusCode::TOO_MANY_REQUESTS => Err(ProviderError::RateLimited { retry_after }),
        s if s.is_server_error() => Err(ProviderError::Unavailable(format!(
            "HTTP {}: {}",
            s.as_u16(),
            snippet()
        ))),
        s => Err(ProviderError::Rejected(format!(
            "HTTP {}: {}",
            s.as_u16(),
            snippet()
        ))),
    };
    Answer {
        http_status: Some(status.as_u16()),
        result,
    }
}

/// Joins a configured base URL and a path, whatever slashes either has.
pub(crate) fn join(base: &str, path: &str) -> String {
    format!(
        "{}/{}",
        base.trim_end_matches('/'),
        path.trim_start_matches('/')
    )
}
