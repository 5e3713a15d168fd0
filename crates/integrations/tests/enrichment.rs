//! Enrichment clients against local servers speaking each provider's wire format.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::{sync::Arc, time::Duration};

use flux_domain::Cnpj;
use flux_integrations::enrichment::{
    BrasilApi, CnpjWs, CompanyProvider, ContactsProvider, Enricher, EnrichmentOutcome, Lemit,
    ProviderError, ProviderId, PublicOutcome,
};
use serde_json::json;
use wiremock::{
    matchers::{body_string, header, method, path},
    Mock, MockServer, ResponseTemplate,
};

const TIMEOUT: Duration = Duration::from_millis(500);

fn cnpj() -> Cnpj {
    Cnpj::parse("19.131.243/0001-97").unwrap()
}

/// BrasilAPI `GET /api/cnpj/v1/{cnpj}` answer (shape of its published example).
fn brasilapi_body() -> serde_json::Value {
    json!({
        "cnpj": "19131243000197",
        "razao_social": "OPEN KNOWLEDGE BRASIL",
        "nome_fantasia": "REDE PELO CONHECIMENTO LIVRE",
        "situacao_cadastral": 2,
        "descricao_situacao_cadastral": "ATIVA",
        "data_inicio_atividade": "2013-10-03",
        "cnae_fiscal": 9430800,
        "cnae_fiscal_descricao": "Atividades de associações de defesa de direitos sociais",
        "cnaes_secundarios": [{"codigo": 9493600, "descricao": "Atividades de organizações associativas ligadas à cultura e à arte"}],
        "descricao_tipo_de_logradouro": "ALAMEDA",
        "logradouro": "FRANCA",
        "numero": "144",
        "complemento": "APT   34",
        "bairro": "JARDIM PAULISTA",
        "cep": "01422000",
        "uf": "SP",
        "codigo_municipio_ibge": 3550308,
        "municipio": "SAO PAULO",
        "ddd_telefone_1": "1123851939",
        "email": null,
        "capital_social": 0,
        "porte": "DEMAIS",
        "codigo_porte": 5,
        "natureza_juridica": "Associação Privada",
        "qsa": [
            {"identificador_de_socio": 2, "nome_socio": "NATALIA PASSOS MAZOTTE CORTEZ", "cnpj_cpf_do_socio": "***059967**",
             "qualificacao_socio": "Presidente", "data_entrada_sociedade": "2019-02-14", "faixa_etaria": "Entre 31 a 40 anos"}
        ]
    })
}

/// CNPJ.ws `GET /cnpj/{cnpj}` answer (shape of its public API).
fn cnpj_ws_body() -> serde_json::Value {
    json!({
        "cnpj_raiz": "19131243",
        "razao_social": "OPEN KNOWLEDGE BRASIL",
        "capital_social": "1500.75",
        "porte": {"id": "05", "descricao": "Demais"},
        "natureza_juridica": {"id": "3999", "descricao": "Associação Privada"},
        "socios": [
            {"cpf_cnpj_socio": "***059967**", "nome": "NATALIA PASSOS MAZOTTE CORTEZ", "tipo": "Pessoa Física",
             "data_entrada": "2019-02-14", "qualificacao_socio": {"id": 16, "descricao": "Presidente "}}
        ],
        "simples": null,
        "estabelecimento": {
            "cnpj": "19131243000197",
            "nome_fantasia": "REDE PELO CONHECIMENTO LIVRE",
            "situacao_cadastral": "Ativa",
            "data_inicio_atividade": "2013-10-03",
            "atividade_principal": {"id": "9430800", "subclasse": "9430-8/00", "descricao": "Atividades de associações de defesa de direitos sociais"},
            "tipo_logradouro": "Alameda",
            "logradouro": "Franca",
            "numero": "144",
            "complemento": "Apt 34",
            "bairro": "Jardim Paulista",
            "cep": "01422000",
            "ddd1": "11",
            "telefone1": "23851939",
            "email": "contato@ok.org.br",
            "estado": {"id": 26, "nome": "São Paulo", "sigla": "SP", "ibge_id": 35},
            "cidade": {"id": 5363, "nome": "São Paulo", "ibge_id": 3550308}
        }
    })
}

async fn brasilapi(server: &MockServer) -> Arc<dyn CompanyProvider> {
    Arc::new(BrasilApi::new(&server.uri(), TIMEOUT))
}

async fn cnpj_ws(server: &MockServer) -> Arc<dyn CompanyProvider> {
    // A trailing slash in the configured base must not break the path.
    Arc::new(CnpjWs::new(&format!("{}/", server.uri()), TIMEOUT))
}

#[tokio::test]
async fn brasilapi_success_is_normalized() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/cnpj/v1/19131243000197"))
        .respond_with(ResponseTemplate::new(200).set_body_json(brasilapi_body()))
        .expect(1)
        .mount(&server)
        .await;
    let answer = brasilapi(&server).await.company(&cnpj()).await;
    assert_eq!(answer.http_status, Some(200));
    let data = answer.result.unwrap();
    assert_eq!(data.razao_social.as_deref(), Some("OPEN KNOWLEDGE BRASIL"));
    assert_eq!(data.situacao_cadastral.as_deref(), Some("ATIVA"));
    assert_eq!(data.porte.as_deref(), Some("DEMAIS"));
    assert_eq!(data.cnae.as_deref(), Some("9430800"));
    assert_eq!(data.capital_social_cents, Some(0));
    assert_eq!(data.telefone.as_deref(), Some("+551123851939"));
    let address = data.endereco.unwrap();
    assert_eq!(address.logradouro.as_deref(), Some("ALAMEDA FRANCA"));
    assert_eq!(
        (
            address.cidade.as_deref(),
            address.uf.as_deref(),
            address.cep.as_deref()
        ),
        (Some("SAO PAULO"), Some("SP"), Some("01422000"))
    );
    assert_eq!(
        data.socios[0].cpf_cnpj_masked.as_deref(),
        Some("***059967**")
    );
    assert_eq!(
        data.socios[0].data_entrada.unwrap().to_string(),
        "2019-02-14"
    );
}

#[tokio::test]
async fn cnpj_ws_success_is_normalized() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/cnpj/19131243000197"))
        .respond_with(ResponseTemplate::new(200).set_body_json(cnpj_ws_body()))
        .mount(&server)
        .await;
    let data = cnpj_ws(&server)
        .await
        .company(&cnpj())
        .await
        .result
        .unwrap();
    assert_eq!(data.situacao_cadastral.as_deref(), Some("ATIVA"));
    assert_eq!(data.porte.as_deref(), Some("DEMAIS"));
    assert_eq!(data.capital_social_cents, Some(150_075));
    assert_eq!(data.email.as_deref(), Some("contato@ok.org.br"));
    assert_eq!(data.telefone.as_deref(), Some("+551123851939"));
    assert_eq!(
        data.natureza_juridica.as_deref(),
        Some("Associação Privada")
    );
    assert_eq!(data.socios[0].qualificacao.as_deref(), Some("Presidente"));
    assert_eq!(data.endereco.unwrap().uf.as_deref(), Some("SP"));
}

#[tokio::test]
async fn error_statuses_are_classified() {
    let server = MockServer::start().await;
    let provider = brasilapi(&server).await;
    type Expectation = fn(&ProviderError) -> bool;
    let cases: Vec<(ResponseTemplate, Expectation)> = vec![
        (
            ResponseTemplate::new(404).set_body_json(json!({"message": "CNPJ 19.131.243/0001-97 não encontrado.", "name": "NotFoundError", "type": "not_found"})),
            |e| matches!(e, ProviderError::NotFound(m) if m.contains("não encontrado")),
        ),
        (ResponseTemplate::new(429).set_body_string("Too Many Requests"), |e| matches!(e, ProviderError::RateLimited { retry_after: None })),
        (
            ResponseTemplate::new(429).insert_header("retry-after", "30").set_body_json(json!({"type": "rate_limit_exceeded"})),
            |e| matches!(e, ProviderError::RateLimited { retry_after: Some(d) } if d.as_secs() == 30),
        ),
        (ResponseTemplate::new(503).set_body_string("upstream down"), |e| matches!(e, ProviderError::Unavailable(m) if m.contains("503"))),
        (ResponseTemplate::new(200).set_body_string("<html>oops</html>"), |e| matches!(e, ProviderError::InvalidResponse(_))),
        (ResponseTemplate::new(200).set_body_json(json!({"cnpj": "x"})), |e| matches!(e, ProviderError::InvalidResponse(m) if m.contains("razao_social"))),
        (ResponseTemplate::new(200).set_delay(TIMEOUT * 3), |e| matches!(e, ProviderError::Unavailable(m) if m.contains("tempo esgotado"))),
        (ResponseTemplate::new(403).set_body_string("forbidden"), |e| matches!(e, ProviderError::Rejected(_))),
    ];
    for (response, expected) in cases {
        server.reset().await;
        Mock::given(method("GET"))
            .respond_with(response)
            .mount(&server)
            .await;
        let error = provider.company(&cnpj()).await.result.unwrap_err();
        assert!(expected(&error), "{error:?}");
    }
}

#[tokio::test]
async fn a_rate_limited_provider_falls_through_to_the_next_at_once() {
    let first = MockServer::start().await;
    let second = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(429).set_body_string("Too Many Requests"))
        .mount(&first)
        .await;
    Mock::given(method("GET"))
        .and(path("/cnpj/19131243000197"))
        .respond_with(ResponseTemplate::new(200).set_body_json(cnpj_ws_body()))
        .mount(&second)
        .await;
    let enricher = Enricher::builder()
        .public(brasilapi(&first).await, 60)
        .public(cnpj_ws(&second).await, 60)
        .build();
    let result = enricher.public_data(&cnpj()).await;
    assert!(matches!(
        result.outcome,
        PublicOutcome::Found {
            provider: ProviderId::CnpjWs,
            ..
        }
    ));
    let log: Vec<_> = result
        .attempts
        .iter()
        .map(|a| (a.provider, a.outcome, a.http_status))
        .collect();
    assert_eq!(
        log,
        vec![
            (
                ProviderId::BrasilApi,
                EnrichmentOutcome::RateLimited,
                Some(429)
            ),
            (ProviderId::CnpjWs, EnrichmentOutcome::Success, Some(200)),
        ]
    );
}

#[tokio::test]
async fn not_found_everywhere_is_not_found_and_an_outage_is_retryable() {
    let first = MockServer::start().await;
    let second = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(404).set_body_json(json!({"type": "not_found"})))
        .mount(&first)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(404).set_body_json(json!({"status": 404, "titulo": "Não encontrado", "detalhes": "CNPJ não encontrado", "validacao": []})))
        .mount(&second)
        .await;
    let enricher = Enricher::builder()
        .public(brasilapi(&first).await, 60)
        .public(cnpj_ws(&second).await, 60)
        .build();
    assert_eq!(
        enricher.public_data(&cnpj()).await.outcome,
        PublicOutcome::NotFound
    );

    second.reset().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(502))
        .mount(&second)
        .await;
    let result = enricher.public_data(&cnpj()).await;
    assert_eq!(
        result.outcome,
        PublicOutcome::Unavailable { retry_after: None },
        "one said 404, one was down: retry"
    );
    assert_eq!(result.attempts[1].outcome, EnrichmentOutcome::Failed);
}

#[tokio::test]
async fn our_own_limit_skips_a_provider_without_calling_it() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(brasilapi_body()))
        .expect(1)
        .mount(&server)
        .await;
    let enricher = Enricher::builder()
        .public(brasilapi(&server).await, 1)
        .build();
    assert!(matches!(
        enricher.public_data(&cnpj()).await.outcome,
        PublicOutcome::Found { .. }
    ));
    let second = enricher.public_data(&cnpj()).await;
    match second.outcome {
        PublicOutcome::Unavailable {
            retry_after: Some(wait),
        } => assert!(wait > Duration::from_secs(1)),
        other => panic!("{other:?}"),
    }
    assert_eq!(second.attempts[0].outcome, EnrichmentOutcome::RateLimited);
    assert_eq!(second.attempts[0].http_status, None);
}

#[tokio::test]
async fn lemit_sends_the_key_and_masks_partner_cpfs() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/v1/consulta/empresa"))
        .and(header("authorization", "Bearer chave-secreta"))
        .and(body_string("documento=19131243000197"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "empresa": {
                "cnpj": "19131243000197",
                "razao_social": "OPEN KNOWLEDGE BRASIL",
                "emails": [{"email": "b@ok.org.br", "ranking": 2}, {"email": "a@ok.org.br", "ranking": 1}, {"email": "inválido"}],
                "celulares": [{"ddd": "11", "numero": "987654321", "whatsapp": true, "ranking": 1}],
                "fixos": [{"ddd": "11", "numero": "23851939", "ranking": 1}],
                "socios": [{"nome": "NATALIA", "cpf": "123.456.789-09", "participacao": 100}],
                "faturamento_presumido": 1250000.5
            }
        })))
        .mount(&server)
        .await;
    let lemit = Lemit::new(&server.uri(), "chave-secreta", TIMEOUT);
    let contacts = lemit.contacts(&cnpj()).await.result.unwrap();
    assert_eq!(contacts.emails, vec!["a@ok.org.br", "b@ok.org.br"]);
    assert_eq!(contacts.telefones, vec!["+5511987654321", "+551123851939"]);
    assert_eq!(
        contacts.socios[0].cpf_cnpj_masked.as_deref(),
        Some("***456789**")
    );
    assert_eq!(contacts.faturamento_estimado_cents, Some(125_000_050));

    let wrong_key = Lemit::new(&server.uri(), "outra", TIMEOUT);
    server.reset().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(401).set_body_string("unauthorized"))
        .mount(&server)
        .await;
    assert!(matches!(
        wrong_key.contacts(&cnpj()).await.result,
        Err(ProviderError::Rejected(_))
    ));
}
