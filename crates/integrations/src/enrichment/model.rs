//! Company data as Flux stores it, whatever provider it came from.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// Public registry (Receita Federal) data of one CNPJ.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompanyData {
    pub razao_social: Option<String>,
    pub nome_fantasia: Option<String>,
    /// ATIVA, BAIXADA, INAPTA, SUSPENSA or NULA.
    pub situacao_cadastral: Option<String>,
    /// ME, EPP or DEMAIS.
    pub porte: Option<String>,
    /// Main CNAE, 7 digits.
    pub cnae: Option<String>,
    pub cnae_descricao: Option<String>,
    pub natureza_juridica: Option<String>,
    pub capital_social_cents: Option<i64>,
    pub data_abertura: Option<NaiveDate>,
    pub endereco: Option<Address>,
    /// E.164 when the registry phone is a valid Brazilian number.
    pub telefone: Option<String>,
    pub email: Option<String>,
    pub socios: Vec<Partner>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Address {
    pub logradouro: Option<String>,
    pub numero: Option<String>,
    pub complemento: Option<String>,
    pub bairro: Option<String>,
    pub cidade: Option<String>,
    /// Two uppercase letters.
    pub uf: Option<String>,
    /// 8 digits.
    pub cep: Option<String>,
}

/// A partner (QSA). CPFs arrive masked by the public sources (`***123456**`) and are
/// stored exactly so; they are never unmasked or validated.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Partner {
    pub nome: String,
    pub qualificacao: Option<String>,
    pub cpf_cnpj_masked: Option<String>,
    pub data_entrada: Option<NaiveDate>,
}

/// Premium contact data (Lemit). Belongs to the organization that paid for it and is
/// never cached across organizations.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PremiumContacts {
    pub emails: Vec<String>,
    /// E.164 numbers, best ranked first.
    pub telefones: Vec<String>,
    pub socios: Vec<Partner>,
    pub faturamento_estimado_cents: Option<i64>,
}

/// `ATIVA`, `Ativa` → `ATIVA`.
pub(crate) fn situacao(raw: &str) -> Option<String> {
    let s = raw.trim().to_uppercase();
    (!s.is_empty()).then_some(s)
}

/// Registry size descriptions and codes → ME / EPP / DEMAIS.
pub(crate) fn porte(raw: &str) -> Option<String> {
    let s = raw.trim().to_uppercase();
    let value = if s.contains("MICRO") || s == "ME" || s == "01" || s == "1" {
        "ME"
    } else if s.contains("PEQUENO") || s == "EPP" || s == "03" || s == "3" {
        "EPP"
    } else if s.contains("DEMAIS") || s == "05" || s == "5" {
        "DEMAIS"
    } else {
        return None;
    };
    Some(value.to_owned())
}

/// `6021700`, `60.21-7-00`, 6021700 → `6021700`.
pub(crate) fn cnae(raw: &str) -> Option<String> {
    let digits: String = raw.chars().filter(char::is_ascii_digit).collect();
    (digits.len() == 7).then_some(digits)
}

/// `"6983568523.86"` / `1000.5` / `0` → cents, without going through floats.
pub(crate) fn money_cents(raw: &str) -> Option<i64> {
    let raw = raw.trim();
    let (units, fraction) = raw.split_once('.').unwrap_or((raw, ""));
    if units.is_empty()
        || !units.chars().all(|c| c.is_ascii_digit())
        || !fraction.chars().all(|c| c.is_ascii_digit())
    {
        return None;
    }
    let mut cents: String = fraction.chars().take(2).collect();
    while cents.len() < 2 {
        cents.push('0');
    }
    units
        .parse::<i64>()
        .ok()?
        .checked_mul(100)?
        .checked_add(cents.parse::<i64>().ok()?)
}

pub(crate) fn date(raw: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d").ok()
}

pub(crate) fn phone(raw: &str) -> Option<String> {
    flux_domain::PhoneBr::parse(raw)
        .ok()
        .map(|p| p.as_str().to_owned())
}

pub(crate) fn cep(raw: &str) -> Option<String> {
    let digits: String = raw.chars().filter(char::is_ascii_digit).collect();
    (digits.len() == 8).then_some(digits)
}

pub(crate) fn uf(raw: &str) -> Option<String> {
    let s = raw.trim().to_uppercase();
    (s.len() == 2 && s.chars().all(|c| c.is_ascii_uppercase())).then_some(s)
}

pub(crate) fn email(raw: Option<&str>) -> Option<String> {
    raw.and_then(|e| flux_domain::Email::parse(e).ok())
        .map(|e| e.as_str().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizers() {
        assert_eq!(money_cents("6983568523.86"), Some(698_356_852_386));
        assert_eq!(money_cents("1000.5"), Some(100_050));
        assert_eq!(money_cents("0"), Some(0));
        assert_eq!(money_cents("-1"), None);
        assert_eq!(money_cents("1e5"), None);
        assert_eq!(porte("Micro Empresa").as_deref(), Some("ME"));
        assert_eq!(porte("EMPRESA DE PEQUENO PORTE").as_deref(), Some("EPP"));
        assert_eq!(porte("Demais").as_deref(), Some("DEMAIS"));
        assert_eq!(porte("Não informado"), None);
        assert_eq!(cnae("60.21-7-00").as_deref(), Some("6021700"));
        assert_eq!(cep("01.310-100").as_deref(), Some("01310100"));
        assert_eq!(phone("1123851939").as_deref(), Some("+551123851939"));
        assert_eq!(situacao("Ativa").as_deref(), Some("ATIVA"));
    }
}
