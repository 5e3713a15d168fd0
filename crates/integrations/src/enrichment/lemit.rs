//! Lemit premium contacts: `POST {FLUX_LEMIT_URL}/api/v1/consulta/empresa` with
//! `Authorization: Bearer {FLUX_LEMIT_API_KEY}` and the form field
//! `documento={14 chars}`. Lemit publishes no open documentation; this follows the
//! request and the `{"empresa": {emails, celulares, fixos, socios, …}}` answer seen
//! in integrations in the wild, and must be confirmed against a Lemit contract.
//! Partners' CPFs are masked before they leave this module.

use std::time::Duration;

use async_trait::async_trait;
use flux_domain::Cnpj;
use serde_json::Value;

use super::{
    json::{array_at, at, parse_object, text_at},
    model::{self, Partner, PremiumContacts},
    provider::{exchange, http_client, join, Answer, ContactsProvider, ProviderId},
};

pub struct Lemit {
    base_url: String,
    api_key: String,
    http: reqwest::Client,
}

impl Lemit {
    pub fn new(base_url: &str, api_key: &str, timeout: Duration) -> Self {
        Self {
            base_url: base_url.to_owned(),
            api_key: api_key.to_owned(),
            http: http_client(timeout),
        }
    }
}

#[async_trait]
impl ContactsProvider for Lemit {
    fn id(&self) -> ProviderId {
        ProviderId::Lemit
    }

    async fn contacts(&self, cnpj: &Cnpj) -> Answer<PremiumContacts> {
        let request = self
            .http
            .post(join(&self.base_url, "api/v1/consulta/empresa"))
            .bearer_auth(&self.api_key)
            .header("accept", "application/json")
            .form(&[("documento", cnpj.as_str())]);
        let answer = exchange(request, false).await;
        Answer::from_body(answer, |body| parse(&parse_object(body)?))
    }
}

/// Ranked best first (lower `ranking` is better; unranked last).
fn ranked(items: &[Value]) -> Vec<&Value> {
    let mut items: Vec<&Value> = items.iter().collect();
    items.sort_by_key(|v| {
        at(v, &["ranking"])
            .and_then(Value::as_i64)
            .unwrap_or(i64::MAX)
    });
    items
}

pub(crate) fn parse(v: &Value) -> Result<PremiumContacts, String> {
    let company = at(v, &["empresa"])
        .filter(|e| e.is_object())
        .ok_or("sem empresa")?;
    let emails = ranked(array_at(company, &["emails"]))
        .into_iter()
        .filter_map(|e| model::email(text_at(e, &["email"]).as_deref()))
        .collect();
    let mut phones: Vec<&Value> = ranked(array_at(company, &["celulares"]));
    phones.extend(ranked(array_at(company, &["fixos"])));
    let telefones = phones
        .into_iter()
        .filter_map(|p| {
            let number = format!(
                "{}{}",
                text_at(p, &["ddd"]).unwrap_or_default(),
                text_at(p, &["numero"]).unwrap_or_default()
            );
            model::phone(&number)
        })
        .collect();
    let socios = array_at(company, &["socios"])
        .iter()
        .filter_map(|s| {
            Some(Partner {
                nome: text_at(s, &["nome"])?,
                qualificacao: text_at(s, &["qualificacao"]),
                cpf_cnpj_masked: text_at(s, &["cpf"])
                    .or_else(|| text_at(s, &["documento"]))
                    .map(|d| mask_document(&d)),
                data_entrada: None,
            })
        })
        .collect();
    let faturamento = text_at(company, &["faturamento_estimado"])
        .or_else(|| text_at(company, &["faturamento_presumido"]))
        .and_then(|f| model::money_cents(&f));
    Ok(PremiumContacts {
        emails,
        telefones,
        socios,
        faturamento_estimado_cents: faturamento,
    })
}

/// A CPF keeps only the 6 middle digits the Receita also shows (`***123456**`); a
/// company partner's CNPJ is public and kept; anything else is fully masked.
pub fn mask_document(raw: &str) -> String {
    let digits: String = raw.chars().filter(char::is_ascii_digit).collect();
    match digits.len() {
        11 => format!("***{}**", &digits[3..9]),
        14 if !raw.contains('*') => digits,
        _ if raw.contains('*') => raw.trim().to_owned(),
        _ => "***".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpfs_are_masked_like_the_receita_does() {
        assert_eq!(mask_document("123.456.789-09"), "***456789**");
        assert_eq!(mask_document("***456789**"), "***456789**");
        assert_eq!(mask_document("11.222.333/0001-81"), "11222333000181");
        assert_eq!(mask_document("12"), "***");
    }
}
