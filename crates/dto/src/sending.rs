//! The organization's sending settings: the send window, tracking, and what
//! AI-personalized steps do without AI text.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Weekday {
    Monday,
    Tuesday,
    Wednesday,
    Thursday,
    Friday,
    Saturday,
    Sunday,
}

impl Weekday {
    pub const ALL: [Weekday; 7] = [
        Self::Monday,
        Self::Tuesday,
        Self::Wednesday,
        Self::Thursday,
        Self::Friday,
        Self::Saturday,
        Self::Sunday,
    ];

    /// ISO number, 1 = Monday.
    pub fn iso(self) -> i16 {
        match self {
            Self::Monday => 1,
            Self::Tuesday => 2,
            Self::Wednesday => 3,
            Self::Thursday => 4,
            Self::Friday => 5,
            Self::Saturday => 6,
            Self::Sunday => 7,
        }
    }
}

/// When cadence steps go out. Steps that come due outside the window wait for its
/// next opening; national holidays, and state holidays of the lead's UF, are closed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SendingSettings {
    /// IANA time zone of the organization (default `America/Sao_Paulo`).
    pub timezone: String,
    /// Days when messages go out.
    pub days: Vec<Weekday>,
    /// Local opening time, `HH:MM`.
    pub start: String,
    /// Local closing time, `HH:MM` (after `start`).
    pub end: String,
    /// Send on pontos facultativos too (Carnaval, Ash Wednesday morning, Corpus
    /// Christi, Dec 24 and 31); off by default.
    pub send_on_optional_holidays: bool,
    /// Add an open pixel to e-mails and record `opened` interactions.
    pub track_opens: bool,
    /// Route e-mail links through a redirect and record `clicked` interactions.
    pub track_clicks: bool,
    /// What a cadence step with AI personalization does when no AI text can be had
    /// (no provider configured, the plan's daily limit reached, the provider failing).
    pub ai_fallback: AiFallback,
    /// When the window next opens for a lead with no UF (now, if open).
    pub next_open_at: DateTime<Utc>,
}

/// Change sending settings; absent fields are kept.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct UpdateSendingSettings {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub days: Option<Vec<Weekday>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub send_on_optional_holidays: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub track_opens: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub track_clicks: Option<bool>,
    /// What AI-personalized steps do when no AI text can be had.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ai_fallback: Option<AiFallback>,
}

pub use flux_domain::ai_message::AiFallback;
