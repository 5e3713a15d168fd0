//! BrasilAPI: `GET {FLUX_BRASILAPI_URL}/api/cnpj/v1/{cnpj}`, free, no key. 404
//! `{"message","name":"NotFoundError","type":"not_found"}`; 400 for CNPJs it cannot
//! parse; 429 sometimes as plain text from its edge.

use std::time::Duration;

use async_trait::async_trait;
use flux_domain::Cnpj;
use serde_json::Value;

use super::{
    json::{array_at, parse_object, text_at},
    model::{self, Address, CompanyData, Partner},
    provider::{exchange, http_client, join, Answer, CompanyProvider, ProviderId},
};

pub struct BrasilApi {
    base_url: String,
    http: reqwest::Client,
}

impl BrasilApi {
    pub fn new(base_url: &str, timeout: Duration) -> Self {
        Self {
            base_url: base_url.to_owned(),
            http: http_client(timeout),
        }
    }
}

#[async_trait]
impl CompanyProvider for BrasilApi {
    fn id(&self) -> ProviderId {
        ProviderId::BrasilApi
    }

    async fn company(&self, cnpj: &Cnpj) -> Answer<CompanyData> {
        let url = join(&self.base_url, &format!("api/cnpj/v1/{}", cnpj.as_str()));
        let answer = exchange(
            self.http.get(url).header("accept", "application/json"),
            true,
        )
        .await;
        Answer::from_body(answer, |body| parse(&parse_object(body)?))
    }
}

pub(crate) fn parse(v: &Value) -> Result<CompanyData, String> {
    let razao_social = text_at(v, &["razao_social"]).ok_or("sem razao_social")?;
    let logradouro = match (
        text_at(v, &["descricao_tipo_de_logradouro"]),
        text_at(v, &["logradouro"]),
    ) {
        (Some(tipo), Some(rua)) if !rua.to_uppercase().starts_with(&tipo.to_uppercase()) => {
            Some(format!("{tipo} {rua}"))
        }
        (_, Some(rua)) => Some(rua),
        (tipo, None) => tipo,
    };
    Ok(CompanyData {
        razao_social: Some(razao_social),
        nome_fantasia: text_at(v, &["nome_fantasia"]),
        situacao_cadastral: text_at(v, &["descricao_situacao_cadastral"])
            .and_then(|s| model::situacao(&s)),
        porte: text_at(v, &["porte"])
            .and_then(|p| model::porte(&p))
            .or_else(|| text_at(v, &["codigo_porte"]).and_then(|p| model::porte(&p))),
        cnae: text_at(v, &["cnae_fiscal"])
            .map(|c| format!("{c:0>7}"))
            .and_then(|c| model::cnae(&c)),
        cnae_descricao: text_at(v, &["cnae_fiscal_descricao"]),
        natureza_juridica: text_at(v, &["natureza_juridica"]),
        capital_social_cents: text_at(v, &["capital_social"]).and_then(|c| model::money_cents(&c)),
        data_abertura: text_at(v, &["data_inicio_atividade"]).and_then(|d| model::date(&d)),
        endereco: Some(Address {
            logradouro,
            numero: text_at(v, &["numero"]),
            complemento: text_at(v, &["complemento"]),
            bairro: text_at(v, &["bairro"]),
            cidade: text_at(v, &["municipio"]),
            uf: text_at(v, &["uf"]).and_then(|u| model::uf(&u)),
            cep: text_at(v, &["cep"]).and_then(|c| model::cep(&c)),
        }),
        telefone: text_at(v, &["ddd_telefone_1"]).and_then(|p| model::phone(&p)),
        email: model::email(text_at(v, &["email"]).as_deref()),
        socios: array_at(v, &["qsa"])
            .iter()
            .filter_map(|s| {
                Some(Partner {
                    nome: text_at(s, &["nome_socio"])?,
                    qualificacao: text_at(s, &["qualificacao_socio"]),
                    cpf_cnpj_masked: text_at(s, &["cnpj_cpf_do_socio"]),
                    data_entrada: text_at(s, &["data_entrada_sociedade"])
                        .and_then(|d| model::date(&d)),
                })
            })
            .collect(),
    })
}
