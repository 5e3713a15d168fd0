//! The channels a cadence step can use.

use std::{fmt, str::FromStr};

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Email,
    Whatsapp,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Email => "email",
            Channel::Whatsapp => "whatsapp",
        }
    }

    /// pt-BR name for messages.
    pub fn label(self) -> &'static str {
        match self {
            Channel::Email => "e-mail",
            Channel::Whatsapp => "WhatsApp",
        }
    }
}

impl fmt::Display for Channel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("canal desconhecido {0:?}")]
pub struct UnknownChannel(pub String);

impl FromStr for Channel {
    type Err = UnknownChannel;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "email" => Ok(Channel::Email),
            "whatsapp" => Ok(Channel::Whatsapp),
            other => Err(UnknownChannel(other.to_owned())),
        }
    }
}
