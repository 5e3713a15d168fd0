//! CNPJ.ws public API: `GET {FLUX_CNPJWS_URL}/cnpj/{14 digits}`, no key, about 3
//! requests per minute per IP. Errors come as `{status, titulo, detalhes}`; unknown or
//! unsupported CNPJs as 404 (older deployments: 400 "CNPJ inválido").

use std::time::Duration;

use async_trait::async_trait;
use flux_domain::Cnpj;
use serde_json::Value;

use super::{
    json::{array_at, parse_object, text_at},
    model::{self, Address, CompanyData, Partner},
    provider::{exchange, http_client, join, Answer, CompanyProvider, ProviderId},
};

pub struct CnpjWs {
    base_url: String,
    http: reqwest::Client,
}

impl CnpjWs {
    pub fn new(base_url: &str, timeout: Duration) -> Self {
        Self {
            base_url: base_url.to_owned(),
            http: http_client(timeout),
        }
    }
}

#[async_trait]
impl CompanyProvider for CnpjWs {
    fn id(&self) -> ProviderId {
        ProviderId::CnpjWs
    }

    async fn company(&self, cnpj: &Cnpj) -> Answer<CompanyData> {
        let url = join(&self.base_url, &format!("cnpj/{}", cnpj.as_str()));
        let answer = exchange(
            self.http.get(url).header("accept", "application/json"),
            true,
        )
        .await;
        Answer::from_body(answer, |body| parse(&parse_object(body)?))
    }
}

pub(crate) fn parse(v: &Value) -> Result<CompanyData, String> {
    let est = v
        .get("estabelecimento")
        .filter(|e| e.is_object())
        .ok_or("sem estabelecimento")?;
    let razao_social = text_at(v, &["razao_social"]).ok_or("sem razao_social")?;
    let phone = match (text_at(est, &["ddd1"]), text_at(est, &["telefone1"])) {
        (Some(ddd), Some(number)) => model::phone(&format!("{ddd}{number}")),
        _ => None,
    };
    let logradouro = match (
        text_at(est, &["tipo_logradouro"]),
        text_at(est, &["logradouro"]),
    ) {
        (Some(tipo), Some(rua)) => Some(format!("{tipo} {rua}")),
        (None, rua) => rua,
        (tipo, None) => tipo,
    };
    Ok(CompanyData {
        razao_social: Some(razao_social),
        nome_fantasia: text_at(est, &["nome_fantasia"]),
        situacao_cadastral: text_at(est, &["situacao_cadastral"]).and_then(|s| model::situacao(&s)),
        porte: text_at(v, &["porte", "descricao"])
            .or_else(|| text_at(v, &["porte", "id"]))
            .and_then(|p| model::porte(&p)),
        cnae: text_at(est, &["atividade_principal", "id"])
            .or_else(|| text_at(est, &["atividade_principal", "subclasse"]))
            .and_then(|c| model::cnae(&c)),
        cnae_descricao: text_at(est, &["atividade_principal", "descricao"]),
        natureza_juridica: text_at(v, &["natureza_juridica", "descricao"]),
        capital_social_cents: text_at(v, &["capital_social"]).and_then(|c| model::money_cents(&c)),
        data_abertura: text_at(est, &["data_inicio_atividade"]).and_then(|d| model::date(&d)),
        endereco: Some(Address {
            logradouro,
            numero: text_at(est, &["numero"]),
            complemento: text_at(est, &["complemento"]),
            bairro: text_at(est, &["bairro"]),
            cidade: text_at(est, &["cidade", "nome"]),
            uf: text_at(est, &["estado", "sigla"]).and_then(|u| model::uf(&u)),
            cep: text_at(est, &["cep"]).and_then(|c| model::cep(&c)),
        }),
        telefone: phone,
        email: model::email(text_at(est, &["email"]).as_deref()),
        socios: array_at(v, &["socios"])
            .iter()
            .filter_map(|s| {
                Some(Partner {
                    nome: text_at(s, &["nome"])?,
                    qualificacao: text_at(s, &["qualificacao_socio", "descricao"]),
                    cpf_cnpj_masked: text_at(s, &["cpf_cnpj_socio"]),
                    data_entrada: text_at(s, &["data_entrada"]).and_then(|d| model::date(&d)),
                })
            })
            .collect(),
    })
}
