//! Brazilian phone numbers, stored as E.164 (`+5511987654321`) so WhatsApp and
//! dialers get one format whatever the spreadsheet had (`(11) 98765-4321`,
//! `11 3385-1939`, `+55 11 98765 4321`, `011987654321`).

use std::fmt;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct PhoneBr(String);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PhoneError {
    #[error("o telefone contém caracteres inválidos")]
    Character,
    #[error("o telefone deve ter DDD e 8 ou 9 dígitos")]
    Length,
    #[error("DDD inválido")]
    AreaCode,
    #[error("celular deve começar com 9")]
    Mobile,
}

impl PhoneBr {
    pub fn parse(raw: &str) -> Result<Self, PhoneError> {
        let mut digits = String::with_capacity(16);
        for c in raw.trim().chars() {
            match c {
                '0'..='9' => digits.push(c),
                ' ' | '(' | ')' | '-' | '.' | '+' | '/' => {}
                _ => return Err(PhoneError::Character),
            }
        }
        // Trunk prefix 0 (and carrier codes like 0xx21) before the DDD.
        let national = match digits.len() {
            12 | 13 if digits.starts_with("55") => &digits[2..],
            11 | 12 if digits.starts_with('0') => &digits[1..],
            _ => digits.as_str(),
        };
        if national.len() != 10 && national.len() != 11 {
            return Err(PhoneError::Length);
        }
        let ddd = &national[..2];
        if ddd.starts_with('0') || ddd.ends_with('0') {
            return Err(PhoneError::AreaCode);
        }
        if national.len() == 11 && national.as_bytes()[2] != b'9' {
            return Err(PhoneError::Mobile);
        }
        Ok(Self(format!("+55{national}")))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// A 9-digit subscriber number after the DDD is a mobile (WhatsApp-capable) line.
    pub fn is_mobile(&self) -> bool {
        self.0.len() == 14
    }
}

impl fmt::Display for PhoneBr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for PhoneBr {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        Self::parse(&raw).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spreadsheet_formats_normalize_to_e164() {
        for raw in [
            "(11) 98765-4321",
            "11987654321",
            "+55 11 98765 4321",
            "5511987654321",
            "011987654321",
        ] {
            let phone = PhoneBr::parse(raw).unwrap();
            assert_eq!(phone.as_str(), "+5511987654321", "{raw}");
            assert!(phone.is_mobile());
        }
        let landline = PhoneBr::parse("11 2385-1939").unwrap();
        assert_eq!(landline.as_str(), "+551123851939");
        assert!(!landline.is_mobile());
    }

    #[test]
    fn rejections() {
        assert_eq!(PhoneBr::parse("9876-5432"), Err(PhoneError::Length));
        assert_eq!(PhoneBr::parse("ramal 12"), Err(PhoneError::Character));
        assert_eq!(PhoneBr::parse("(10) 2385-1939"), Err(PhoneError::AreaCode));
        assert_eq!(PhoneBr::parse("(11) 88765-4321"), Err(PhoneError::Mobile));
        assert_eq!(PhoneBr::parse(""), Err(PhoneError::Length));
    }
}
