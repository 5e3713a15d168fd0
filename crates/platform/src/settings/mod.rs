//! Configuration from `FLUX_*` environment variables (plus `DATABASE_URL` and
//! `SMTP_URL`), validated once at startup with messages that name the variable.

use std::{collections::HashMap, net::SocketAddr, path::PathBuf, time::Duration};

use url::Url;

use crate::Secret;

mod providers;

use providers::{ai_settings, enrichment_settings};
pub use providers::{
    AiProviderSetting, AiSettings, EnrichmentSettings, PUBLIC_ENRICHMENT_PROVIDERS,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Pretty,
    Json,
}

/// What the log keeps of an e-mail Flux could not send because `SMTP_URL` is not set
/// (`FLUX_MAIL_LOG`). Bodies carry reset and invitation links: anyone who reads the
/// log could use them, so they are logged only where that is the point (the demo).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MailLog {
    /// That a message to whom was not sent, and its subject.
    Redacted,
    /// The whole message, links included.
    Full,
}

#[derive(Debug, Clone)]
pub struct Settings {
    /// External PostgreSQL; `None` starts the embedded cluster in `data_dir/pg`.
    pub database_url: Option<Secret<String>>,
    pub data_dir: PathBuf,
    pub addr: SocketAddr,
    /// Base URL users reach Flux at; used in e-mailed links and cookie security.
    pub public_url: Url,
    /// HS256 signing key for access tokens; generated and kept in `data_dir` if unset.
    pub jwt_secret: Option<Secret<String>>,
    /// `FLUX_SECRETS_KEY`: encrypts mailbox passwords and signs tracking links;
    /// generated and kept in `data_dir` if unset (see `flux serve`).
    pub secrets_key: Option<crate::SecretsKey>,
    pub access_token_ttl: Duration,
    pub refresh_token_ttl: Duration,
    /// `FLUX_SESSION_MAX_DAYS` (90): a session ends this long after its login, however
    /// often its refresh token was rotated.
    pub session_max_age: Duration,
    pub log_format: LogFormat,
    pub cors_origins: Vec<String>,
    /// Directory with the built SPA (`index.html` + assets).
    pub static_dir: PathBuf,
    pub smtp_url: Option<Secret<String>>,
    pub mail_from: String,
    pub pg_bin_dir: Option<PathBuf>,
    pub login_attempts_per_ip_per_minute: u32,
    pub login_attempts_per_account_per_minute: u32,
    pub max_json_body_bytes: usize,
    /// Largest CSV accepted by lead import and preview (`FLUX_IMPORT_MAX_BYTES`, 20 MB).
    pub max_import_bytes: usize,
    /// Most rows one import may have (`FLUX_IMPORT_MAX_ROWS`, 100,000).
    pub max_import_rows: usize,
    pub db_max_connections: u32,
    /// `FLUX_ENGINE_TICK_SECS` (60): the cadence engine's safety-net tick; it is also
    /// woken when an enrollment becomes due and at the next due time.
    pub engine_tick: Duration,
    /// `FLUX_IMAP_POLL_SECS` (120): how often each mailbox's inbox is read for
    /// replies and bounces.
    pub imap_poll: Duration,
    /// `FLUX_ALLOW_PRIVATE_MAIL_HOSTS` (false): whether mailboxes may point at
    /// loopback, private or link-local addresses (a LAN relay; tests). Off, such
    /// hosts are refused when saved and when connected to.
    pub allow_private_mail_hosts: bool,
    /// `FLUX_MAIL_LOG` (`redacted`; `full` with `flux serve --demo`).
    pub mail_log: MailLog,
    /// `FLUX_TRUSTED_PROXIES`: the reverse proxies (CIDRs) whose `Forwarded` /
    /// `X-Forwarded-For` name the client; nobody else's are read.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// `FLUX_METRICS_TOKEN`: when set, `/metrics` answers only to
    /// `Authorization: Bearer <token>`.
    pub metrics_token: Option<Secret<String>>,
    pub enrichment: EnrichmentSettings,
    pub ai: AiSettings,
}

#[derive(Debug, thiserror::Error)]
#[error("invalid configuration: {var} {reason}")]
pub struct SettingsError {
    pub var: &'static str,
    pub reason: String,
}

/// Access tokens must stay short-lived (at most 15 minutes: a stolen one is useful briefly).
pub const MAX_ACCESS_TOKEN_TTL_SECS: u64 = 900;

impl Settings {
    pub fn from_env() -> Result<Self, SettingsError> {
        Self::from_map(&std::env::vars().collect())
    }

    /// Parses settings from a variable map (tests pass their own).
    pub fn from_map(vars: &HashMap<String, String>) -> Result<Self, SettingsError> {
        let get = |k: &str| {
            vars.get(k)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };

        let addr: SocketAddr = parse_or(
            &get("FLUX_ADDR"),
            "FLUX_ADDR",
            "127.0.0.1:8080".parse().ok(),
        )?;
        let public_url = match get("FLUX_PUBLIC_URL") {
            Some(raw) => Url::parse(&raw)
                .map_err(|e| err("FLUX_PUBLIC_URL", format!("is not a URL: {e}")))?,
            // Binding every interface (0.0.0.0) says nothing about how people reach it.
            None if addr.ip().is_unspecified() => {
                Url::parse(&format!("http://localhost:{}", addr.port()))
                    .map_err(|e| err("FLUX_ADDR", format!("does not form a URL: {e}")))?
            }
            None => Url::parse(&format!("http://{addr}"))
                .map_err(|e| err("FLUX_ADDR", format!("does not form a URL: {e}")))?,
        };
        if !matches!(public_url.scheme(), "http" | "https") {
            return Err(err("FLUX_PUBLIC_URL", "must be http(s)".into()));
        }
        let access_secs: u64 = parse_or(
            &get("FLUX_ACCESS_TOKEN_TTL_SECS"),
            "FLUX_ACCESS_TOKEN_TTL_SECS",
            Some(900),
        )?;
        if access_secs == 0 || access_secs > MAX_ACCESS_TOKEN_TTL_SECS {
            return Err(err(
                "FLUX_ACCESS_TOKEN_TTL_SECS",
                format!("must be between 1 and {MAX_ACCESS_TOKEN_TTL_SECS}"),
            ));
        }
        let refresh_days: u64 = parse_or(
            &get("FLUX_REFRESH_TOKEN_TTL_DAYS"),
            "FLUX_REFRESH_TOKEN_TTL_DAYS",
            Some(30),
        )?;
        if refresh_days == 0 || refresh_days > 365 {
            return Err(err(
                "FLUX_REFRESH_TOKEN_TTL_DAYS",
                "must be between 1 and 365".into(),
            ));
        }
        let session_days: u64 = parse_or(
            &get("FLUX_SESSION_MAX_DAYS"),
            "FLUX_SESSION_MAX_DAYS",
            Some(90),
        )?;
        if !(1..=3650).contains(&session_days) {
            return Err(err(
                "FLUX_SESSION_MAX_DAYS",
                "must be between 1 and 3650".into(),
            ));
        }
        let log_format = match get("FLUX_LOG_FORMAT").as_deref() {
            None | Some("pretty") => LogFormat::Pretty,
            Some("json") => LogFormat::Json,
            Some(other) => {
                return Err(err(
                    "FLUX_LOG_FORMAT",
                    format!("must be pretty or json, not {other:?}"),
                ))
            }
        };
        let jwt_secret = get("FLUX_JWT_SECRET").map(Secret::new);
        if let Some(secret) = &jwt_secret {
            if secret.expose().len() < 32 {
                return Err(err(
                    "FLUX_JWT_SECRET",
                    "must be at least 32 characters".into(),
                ));
            }
        }
        let secrets_key = get("FLUX_SECRETS_KEY")
            .map(|raw| crate::SecretsKey::from_base64(&raw))
            .transpose()
            .map_err(|e| err("FLUX_SECRETS_KEY", e.to_string()))?;
        let cors_origins = get("FLUX_CORS_ORIGINS")
            .map(|v| {
                v.split(',')
                    .map(|o| o.trim().to_owned())
                    .filter(|o| !o.is_empty())
                    .collect()
            })
            .unwrap_or_default();
        let mail_log = match get("FLUX_MAIL_LOG").as_deref() {
            None | Some("redacted") => MailLog::Redacted,
            Some("full") => MailLog::Full,
            Some(other) => {
                return Err(err(
                    "FLUX_MAIL_LOG",
                    format!("must be redacted or full, not {other:?}"),
                ))
            }
        };
        let metrics_token = get("FLUX_METRICS_TOKEN").map(Secret::new);
        let trusted_proxies = get("FLUX_TRUSTED_PROXIES")
            .map(|raw| {
                raw.split(',')
                    .map(str::trim)
                    .filter(|n| !n.is_empty())
                    .map(|n| {
                        n.parse::<ipnet::IpNet>()
                            .or_else(|_| n.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                            .map_err(|_| {
                                err(
                                    "FLUX_TRUSTED_PROXIES",
                                    format!("{n:?} is not an IP address or CIDR"),
                                )
                            })
                    })
                    .collect::<Result<Vec<_>, _>>()
            })
            .transpose()?
            .unwrap_or_default();
        if metrics_token
            .as_ref()
            .is_some_and(|t| t.expose().len() < 16)
        {
            return Err(err(
                "FLUX_METRICS_TOKEN",
                "must be at least 16 characters".into(),
            ));
        }
        if let Some(smtp) = get("SMTP_URL") {
            Url::parse(&smtp).map_err(|e| err("SMTP_URL", format!("is not a URL: {e}")))?;
        }

        Ok(Self {
            database_url: get("DATABASE_URL").map(Secret::new),
            data_dir: get("FLUX_DATA_DIR")
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from(".flux")),
            addr,
            public_url,
            jwt_secret,
            secrets_key,
            access_token_ttl: Duration::from_secs(access_secs),
            refresh_token_ttl: Duration::from_secs(refresh_days * 86_400),
            session_max_age: Duration::from_secs(session_days * 86_400),
            log_format,
            cors_origins,
            static_dir: get("FLUX_STATIC_DIR")
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from("frontend/dist")),
            smtp_url: get("SMTP_URL").map(Secret::new),
            mail_from: get("FLUX_MAIL_FROM")
                .unwrap_or_else(|| "Flux <no-reply@flux.localhost>".into()),
            pg_bin_dir: get("FLUX_PG_BIN_DIR").map(PathBuf::from),
            login_attempts_per_ip_per_minute: parse_or(
                &get("FLUX_LOGIN_RATE_PER_IP"),
                "FLUX_LOGIN_RATE_PER_IP",
                Some(30),
            )?,
            login_attempts_per_account_per_minute: parse_or(
                &get("FLUX_LOGIN_RATE_PER_ACCOUNT"),
                "FLUX_LOGIN_RATE_PER_ACCOUNT",
                Some(10),
            )?,
            max_json_body_bytes: parse_or(
                &get("FLUX_MAX_JSON_BYTES"),
                "FLUX_MAX_JSON_BYTES",
                Some(256 * 1024),
            )?,
            max_import_bytes: parse_or(
                &get("FLUX_IMPORT_MAX_BYTES"),
                "FLUX_IMPORT_MAX_BYTES",
                Some(20 * 1024 * 1024),
            )?,
            max_import_rows: match parse_or(
                &get("FLUX_IMPORT_MAX_ROWS"),
                "FLUX_IMPORT_MAX_ROWS",
                Some(100_000),
            )? {
                0 => return Err(err("FLUX_IMPORT_MAX_ROWS", "must be at least 1".into())),
                rows => rows,
            },
            db_max_connections: parse_or(
                &get("FLUX_DB_MAX_CONNECTIONS"),
                "FLUX_DB_MAX_CONNECTIONS",
                Some(20),
            )?,
            engine_tick: {
                let secs: u64 = parse_or(
                    &get("FLUX_ENGINE_TICK_SECS"),
                    "FLUX_ENGINE_TICK_SECS",
                    Some(60),
                )?;
                if secs == 0 {
                    return Err(err("FLUX_ENGINE_TICK_SECS", "must be at least 1".into()));
                }
                Duration::from_secs(secs)
            },
            imap_poll: {
                let secs: u64 = parse_or(
                    &get("FLUX_IMAP_POLL_SECS"),
                    "FLUX_IMAP_POLL_SECS",
                    Some(120),
                )?;
                if secs < 10 {
                    return Err(err(
                        "FLUX_IMAP_POLL_SECS",
                        "must be at least 10 (mail servers limit logins)".into(),
                    ));
                }
                Duration::from_secs(secs)
            },
            allow_private_mail_hosts: parse_or(
                &get("FLUX_ALLOW_PRIVATE_MAIL_HOSTS"),
                "FLUX_ALLOW_PRIVATE_MAIL_HOSTS",
                Some(false),
            )?,
            mail_log,
            metrics_token,
            trusted_proxies,
            enrichment: enrichment_settings(&get)?,
            ai: ai_settings(&get)?,
        })
    }

    /// Cookies carry `Secure` whenever Flux is served over HTTPS.
    pub fn secure_cookies(&self) -> bool {
        self.public_url.scheme() == "https"
    }
}

pub(super) fn err(var: &'static str, reason: String) -> SettingsError {
    SettingsError { var, reason }
}

pub(super) fn parse_or<T: std::str::FromStr>(
    raw: &Option<String>,
    var: &'static str,
    default: Option<T>,
) -> Result<T, SettingsError>
where
    T::Err: std::fmt::Display,
{
    match raw {
        Some(v) => v
            .parse()
            .map_err(|e| err(var, format!("has invalid value {v:?}: {e}"))),
        None => default.ok_or_else(|| err(var, "is required".into())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn defaults_describe_a_local_embedded_setup() {
        let s = Settings::from_map(&HashMap::new()).unwrap();
        assert!(s.database_url.is_none());
        assert_eq!(s.addr.to_string(), "127.0.0.1:8080");
        assert_eq!(s.public_url.as_str(), "http://127.0.0.1:8080/");
        assert_eq!(s.access_token_ttl, Duration::from_secs(900));
        assert!(!s.secure_cookies());
    }

    #[test]
    fn rejects_access_tokens_longer_than_fifteen_minutes() {
        let e = Settings::from_map(&vars(&[("FLUX_ACCESS_TOKEN_TTL_SECS", "901")])).unwrap_err();
        assert_eq!(e.var, "FLUX_ACCESS_TOKEN_TTL_SECS");
    }

    #[test]
    fn names_the_variable_with_a_bad_value() {
        let e = Settings::from_map(&vars(&[("FLUX_ADDR", "not-an-addr")])).unwrap_err();
        assert_eq!(e.var, "FLUX_ADDR");
        let e = Settings::from_map(&vars(&[("FLUX_JWT_SECRET", "short")])).unwrap_err();
        assert_eq!(e.var, "FLUX_JWT_SECRET");
        let e = Settings::from_map(&vars(&[("FLUX_LOG_FORMAT", "xml")])).unwrap_err();
        assert_eq!(e.var, "FLUX_LOG_FORMAT");
        let e = Settings::from_map(&vars(&[("FLUX_SECRETS_KEY", "c2hvcnQ=")])).unwrap_err();
        assert_eq!(e.var, "FLUX_SECRETS_KEY");
        let key = crate::SecretsKey::generate_base64();
        let s = Settings::from_map(&vars(&[("FLUX_SECRETS_KEY", &key)])).unwrap();
        assert!(s.secrets_key.is_some());
    }

    #[test]
    fn ai_is_off_by_default_and_a_chosen_provider_needs_its_key() {
        let s = Settings::from_map(&HashMap::new()).unwrap();
        assert!(s.ai.provider.is_none());
        assert_eq!(s.ai.anthropic_url.as_str(), "https://api.anthropic.com/");

        let e = Settings::from_map(&vars(&[("FLUX_AI_PROVIDER", "anthropic")])).unwrap_err();
        assert_eq!(e.var, "FLUX_ANTHROPIC_API_KEY");
        let e = Settings::from_map(&vars(&[("FLUX_AI_PROVIDER", "openai")])).unwrap_err();
        assert_eq!(e.var, "FLUX_OPENAI_API_KEY");
        let e = Settings::from_map(&vars(&[("FLUX_AI_PROVIDER", "gemini")])).unwrap_err();
        assert_eq!(e.var, "FLUX_AI_PROVIDER");
        let e = Settings::from_map(&vars(&[("FLUX_AI_TIMEOUT_SECS", "0")])).unwrap_err();
        assert_eq!(e.var, "FLUX_AI_TIMEOUT_SECS");

        let s = Settings::from_map(&vars(&[
            ("FLUX_AI_PROVIDER", "Anthropic"),
            ("FLUX_ANTHROPIC_API_KEY", "sk-ant-x"),
        ]))
        .unwrap();
        assert_eq!(s.ai.provider, Some(AiProviderSetting::Anthropic));
        assert_eq!(s.ai.model, "claude-sonnet-4-5");

        // A local OpenAI-compatible server (Ollama) runs without a key.
        let s = Settings::from_map(&vars(&[
            ("FLUX_AI_PROVIDER", "openai"),
            ("FLUX_OPENAI_URL", "http://127.0.0.1:11434"),
            ("FLUX_AI_MODEL", "llama3.1"),
        ]))
        .unwrap();
        assert_eq!(s.ai.provider, Some(AiProviderSetting::OpenAi));
        assert_eq!(s.ai.model, "llama3.1");
        assert!(s.ai.openai_api_key.is_none());
    }

    #[test]
    fn enrichment_defaults_and_validation() {
        let s = Settings::from_map(&HashMap::new()).unwrap();
        assert_eq!(s.enrichment.providers, ["brasilapi", "cnpj_ws"]);
        assert_eq!(s.enrichment.cnpjws_url.as_str(), "https://publica.cnpj.ws/");
        assert_eq!(s.enrichment.cnpjws_per_minute, 3);
        assert!(s.enrichment.lemit_api_key.is_none());
        let s = Settings::from_map(&vars(&[("FLUX_ENRICHMENT_PROVIDERS", " CNPJ_WS ")])).unwrap();
        assert_eq!(s.enrichment.providers, ["cnpj_ws"]);
        for bad in ["receita", "brasilapi,brasilapi", ","] {
            let e = Settings::from_map(&vars(&[("FLUX_ENRICHMENT_PROVIDERS", bad)])).unwrap_err();
            assert_eq!(e.var, "FLUX_ENRICHMENT_PROVIDERS", "{bad}");
        }
        let e = Settings::from_map(&vars(&[("FLUX_BRASILAPI_URL", "ftp://x")])).unwrap_err();
        assert_eq!(e.var, "FLUX_BRASILAPI_URL");
    }

    #[test]
    fn binding_all_interfaces_links_to_localhost_unless_configured() {
        let s = Settings::from_map(&vars(&[("FLUX_ADDR", "0.0.0.0:9000")])).unwrap();
        assert_eq!(s.public_url.as_str(), "http://localhost:9000/");
    }

    #[test]
    fn https_public_url_makes_cookies_secure() {
        let s =
            Settings::from_map(&vars(&[("FLUX_PUBLIC_URL", "https://app.flux.com.br")])).unwrap();
        assert!(s.secure_cookies());
    }

    #[test]
    fn parses_cors_origin_list() {
        let s = Settings::from_map(&vars(&[(
            "FLUX_CORS_ORIGINS",
            "https://a.com, https://b.com,",
        )]))
        .unwrap();
        assert_eq!(s.cors_origins, ["https://a.com", "https://b.com"]);
    }
}
