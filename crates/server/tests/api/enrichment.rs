//! Enrichment end to end: imports enqueue it, the job runner calls local servers that
//! speak BrasilAPI / CNPJ.ws / Lemit, and the API shows the result and its history.

use std::{sync::Arc, time::Duration};

use flux_persistence::jobs::kinds;
use flux_workers::{
    enrichment::EnrichLead,
    queue::{JobOutcome, Runner, RunnerConfig},
};
use reqwest::StatusCode;
use serde_json::{json, Value};
use wiremock::{
    matchers::{method, path},
    Mock, MockServer, ResponseTemplate,
};

use crate::helpers::{assert_error, spawn_app_with, Session, TestApp};

pub(crate) const CNPJ: &str = "19131243000197";

pub(crate) fn brasilapi_body() -> Value {
    json!({
        "cnpj": CNPJ, "razao_social": "OPEN KNOWLEDGE BRASIL", "nome_fantasia": "REDE PELO CONHECIMENTO LIVRE",
        "descricao_situacao_cadastral": "ATIVA", "data_inicio_atividade": "2013-10-03",
        "cnae_fiscal": 9430800, "cnae_fiscal_descricao": "Atividades de associações de defesa de direitos sociais",
        "descricao_tipo_de_logradouro": "ALAMEDA", "logradouro": "FRANCA", "numero": "144", "complemento": "APT 34",
        "bairro": "JARDIM PAULISTA", "cep": "01422000", "uf": "SP", "municipio": "SAO PAULO",
        "ddd_telefone_1": "1123851939", "email": null, "capital_social": 0, "porte": "DEMAIS",
        "natureza_juridica": "Associação Privada",
        "qsa": [{"nome_socio": "NATALIA PASSOS MAZOTTE CORTEZ", "cnpj_cpf_do_socio": "***059967**",
                 "qualificacao_socio": "Presidente", "data_entrada_sociedade": "2019-02-14"}]
    })
}

pub(crate) struct Providers {
    pub(crate) brasilapi: MockServer,
    pub(crate) cnpj_ws: MockServer,
    pub(crate) lemit: MockServer,
}

pub(crate) async fn app_with_providers() -> (TestApp, Providers) {
    app_with_providers_and(&[]).await
}

/// Later settings win over the defaults below.
pub(crate) async fn app_with_providers_and(extra: &[(&str, &str)]) -> (TestApp, Providers) {
    let providers = Providers {
        brasilapi: MockServer::start().await,
        cnpj_ws: MockServer::start().await,
        lemit: MockServer::start().await,
    };
    let (brasilapi, cnpj_ws, lemit) = (
        providers.brasilapi.uri(),
        providers.cnpj_ws.uri(),
        providers.lemit.uri(),
    );
    let mut settings = vec![
        ("FLUX_BRASILAPI_URL", brasilapi.as_str()),
        ("FLUX_CNPJWS_URL", cnpj_ws.as_str()),
        ("FLUX_LEMIT_URL", lemit.as_str()),
        ("FLUX_LEMIT_API_KEY", "lemit-key"),
        ("FLUX_ENRICHMENT_PROVIDERS", "brasilapi,cnpj_ws"),
        ("FLUX_ENRICHMENT_TIMEOUT_SECS", "2"),
        // Generous local limits: most tests are about provider answers, not throttling.
        ("FLUX_CNPJWS_RATE_PER_MINUTE", "1000"),
        ("FLUX_BRASILAPI_RATE_PER_MINUTE", "1000"),
    ];
    settings.extend_from_slice(extra);
    let app = spawn_app_with(&settings).await;
    (app, providers)
}

impl TestApp {
    /// Runs import and enrichment jobs until none is due (no backoff wait).
    pub(crate) async fn run_all_jobs(&self) -> Vec<JobOutcome> {
        Runner::builder(self.db.clone())
            .handler(
                kinds::IMPORT_LEADS,
                Arc::new(flux_workers::lead_import::ImportLeads::default()),
            )
            .handler(
                kinds::ENRICH_IMPORT,
                Arc::new(flux_workers::lead_import::EnrichImportedLeads),
            )
            .handler(
                kinds::ENRICH_LEAD,
                Arc::new(EnrichLead {
                    policy: flux_server::wiring::enrichment(&self.settings.enrichment),
                }),
            )
            .config(RunnerConfig {
                backoff_base: Duration::ZERO,
                ..RunnerConfig::default()
            })
            .build()
            .drain()
            .await
            .unwrap()
    }

    pub(crate) async fn only_lead(&self, session: &Session) -> Value {
        let id: uuid::Uuid = sqlx::query_scalar("SELECT id FROM leads WHERE org_id = $1")
            .bind(session.org_id())
            .fetch_one(self.db.pool())
            .await
            .unwrap();
        let res = self
            .get(&format!("/api/v1/leads/{id}"), Some(session.token()))
            .await;
        assert_eq!(res.status(), StatusCode::OK);
        res.json().await.unwrap()
    }

    pub(crate) async fn attempts(&self, session: &Session, lead_id: &str) -> Vec<Value> {
        let res = self
            .get(
                &format!("/api/v1/leads/{lead_id}/enrichment-attempts"),
                Some(session.token()),
            )
            .await;
        let body: Value = res.json().await.unwrap();
        body["items"].as_array().unwrap().clone()
    }

    pub(crate) async fn event_kinds(&self, session: &Session) -> Vec<String> {
        sqlx::query_scalar("SELECT kind FROM events WHERE org_id = $1 ORDER BY id")
            .bind(session.org_id())
            .fetch_all(self.db.pool())
            .await
            .unwrap()
    }
}

#[tokio::test]
async fn imported_leads_are_enriched_in_the_background() {
    let (app, p) = app_with_providers().await;
    Mock::given(method("GET"))
        .and(path(format!("/api/cnpj/v1/{CNPJ}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(brasilapi_body()))
        .expect(1)
        .mount(&p.brasilapi)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(500))
        .expect(0)
        .mount(&p.lemit)
        .await;
    let s = app.signup("Ana", "ana@acme.com.br").await;
    let import = app
        .upload(
            &s,
            "/api/v1/lead-imports",
            "l.csv",
            format!("CNPJ;E-mail\n{CNPJ};vendas@cliente.com.br\n").into_bytes(),
        )
        .await;
    assert_eq!(import.status(), StatusCode::ACCEPTED);
    let outcomes = app.run_all_jobs().await;
    assert_eq!(
        outcomes.len(),
        3,
        "import, enrichment fan-out, one enrichment: {outcomes:?}"
    );

    let lead = app.only_lead(&s).await;
    assert_eq!(lead["enrichment_status"], "enriched");
    assert_eq!(lead["enrichment_provider"], "brasilapi");
    assert_eq!(lead["razao_social"], "OPEN KNOWLEDGE BRASIL");
    assert_eq!(lead["cnpj_formatted"], "19.131.243/0001-97");
    assert_eq!(lead["porte"], "DEMAIS");
    assert_eq!(lead["cnae"], "9430800");
    assert_eq!(lead["situacao_cadastral"], "ATIVA");
    assert_eq!(lead["uf"], "SP");
    assert_eq!(lead["cidade"], "SAO PAULO");
    let found: Value = app
        .get("/api/v1/leads?q=conhecimento%20livre", Some(s.token()))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (found["total"].clone(), found["items"][0]["id"].clone()),
        (json!(1), lead["id"].clone()),
        "the name enrichment wrote is searchable"
    );
    assert_eq!(lead["endereco"]["cep"], "01422000");
    assert_eq!(lead["socios"][0]["cpf_cnpj_masked"], "***059967**");
    assert_eq!(
        lead["email"], "vendas@cliente.com.br",
        "the imported e-mail is kept"
    );
    assert_eq!(
        lead["telefone"], "+551123851939",
        "registry phone fills the blank"
    );
    assert_eq!(
        lead["premium_contacts"],
        Value::Null,
        "Starter plan: no premium call"
    );

    let attempts = app.attempts(&s, lead["id"].as_str().unwrap()).await;
    assert_eq!(attempts.len(), 1);
    assert_eq!(attempts[0]["provider"], "brasilapi");
    assert_eq!(attempts[0]["outcome"], "success");
    assert_eq!(attempts[0]["http_status"], 200);
    let kinds = app.event_kinds(&s).await;
    for expected in [
        "import.created",
        "import.progress",
        "import.completed",
        "lead.enrichment_started",
        "lead.enriched",
    ] {
        assert!(
            kinds.iter().any(|k| k == expected),
            "{expected} missing from {kinds:?}"
        );
    }
}

#[tokio::test]
async fn rate_limited_provider_falls_back_and_public_data_is_shared_through_the_cache() {
    let (app, p) = app_with_providers().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(429).set_body_string("Too Many Requests"))
        .mount(&p.brasilapi)
        .await;
    let cnpj_ws = json!({
        "razao_social": "OPEN KNOWLEDGE BRASIL", "capital_social": "10.00", "porte": {"id": "05", "descricao": "Demais"},
        "socios": [], "estabelecimento": {"nome_fantasia": "OKBR", "situacao_cadastral": "Ativa",
        "atividade_principal": {"id": "9430800", "descricao": "Associações"}, "estado": {"sigla": "SP"}, "cidade": {"nome": "São Paulo"}}
    });
    Mock::given(method("GET"))
        .and(path(format!("/cnpj/{CNPJ}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(cnpj_ws))
        .expect(2)
        .mount(&p.cnpj_ws)
        .await;
    let a = app.signup("Ana", "ana@acme.com.br").await;
    let b = app.signup("Bia", "bia@outra.com.br").await;
    app.upload(
        &a,
        "/api/v1/lead-imports",
        "l.csv",
        format!("CNPJ\n{CNPJ}\n").into_bytes(),
    )
    .await;
    app.run_all_jobs().await;
    let lead_a = app.only_lead(&a).await;
    assert_eq!(lead_a["enrichment_provider"], "cnpj_ws");
    assert_eq!(lead_a["capital_social_cents"], 1000);
    let attempts = app.attempts(&a, lead_a["id"].as_str().unwrap()).await;
    let log: Vec<(&str, &str)> = attempts
        .iter()
        .rev()
        .map(|x| {
            (
                x["provider"].as_str().unwrap(),
                x["outcome"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        log,
        vec![("brasilapi", "rate_limited"), ("cnpj_ws", "success")]
    );

    // Another organization importing the same company: served from the shared cache.
    app.upload(
        &b,
        "/api/v1/lead-imports",
        "l.csv",
        format!("CNPJ\n{CNPJ}\n").into_bytes(),
    )
    .await;
    app.run_all_jobs().await;
    let lead_b = app.only_lead(&b).await;
    assert_eq!(lead_b["enrichment_status"], "enriched");
    assert_eq!(lead_b["razao_social"], "OPEN KNOWLEDGE BRASIL");
    let attempts = app.attempts(&b, lead_b["id"].as_str().unwrap()).await;
    assert_eq!(attempts.len(), 1);
    assert_eq!(attempts[0]["from_cache"], true);
    // Once the cached data is older than FLUX_ENRICHMENT_CACHE_TTL_HOURS, the provider
    // is asked again (the mock expects exactly two calls).
    sqlx::query("UPDATE company_registry_cache SET fetched_at = now() - interval '31 days'")
        .execute(app.db.pool())
        .await
        .unwrap();
    let res = app
        .post(
            &format!("/api/v1/leads/{}/enrich", lead_b["id"].as_str().unwrap()),
            &json!({}),
            Some(b.token()),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let refreshed = app.attempts(&b, lead_b["id"].as_str().unwrap()).await;
    assert_eq!(refreshed[0]["provider"], "cnpj_ws");
    assert_eq!(refreshed[0]["from_cache"], false);
    // Organization A's attempts are not visible to B and vice versa.
    assert_error(
        app.get(
            &format!(
                "/api/v1/leads/{}/enrichment-attempts",
                lead_a["id"].as_str().unwrap()
            ),
            Some(b.token()),
        )
        .await,
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
    )
    .await;
}

#[tokio::test]
async fn unknown_cnpj_is_not_found_without_retries() {
    let (app, p) = app_with_providers().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(404).set_body_json(json!({"message": "CNPJ não encontrado.", "name": "NotFoundError", "type": "not_found"})))
        .expect(1)
        .mount(&p.brasilapi)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(404).set_body_json(json!({"status": 404, "titulo": "Não encontrado", "detalhes": "CNPJ não encontrado", "validacao": []})))
        .expect(1)
        .mount(&p.cnpj_ws)
        .await;
    let s = app.signup("Ana", "ana@acme.com.br").await;
    app.upload(
        &s,
        "/api/v1/lead-imports",
        "l.csv",
        format!("CNPJ\n{CNPJ}\n").into_bytes(),
    )
    .await;
    let outcomes = app.run_all_jobs().await;
    assert!(
        outcomes
            .iter()
            .all(|o| matches!(o, JobOutcome::Succeeded { .. })),
        "{outcomes:?}"
    );
    assert_eq!(app.only_lead(&s).await["enrichment_status"], "not_found");
}

#[tokio::test]
async fn outages_are_retried_then_the_lead_is_marked_failed() {
    let (app, p) = app_with_providers().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(503).set_body_string("down"))
        .mount(&p.brasilapi)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_string("{not json"))
        .mount(&p.cnpj_ws)
        .await;
    let s = app.signup("Ana", "ana@acme.com.br").await;
    app.upload(
        &s,
        "/api/v1/lead-imports",
        "l.csv",
        format!("CNPJ\n{CNPJ}\n").into_bytes(),
    )
    .await;
    let outcomes = app.run_all_jobs().await;
    let enrich: Vec<_> = outcomes
        .iter()
        .filter(|o| !matches!(o, JobOutcome::Succeeded { .. }))
        .collect();
    assert_eq!(
        enrich.len(),
        flux_app::enrichment::ENRICH_MAX_ATTEMPTS as usize,
        "{outcomes:?}"
    );
    assert!(matches!(enrich.last(), Some(JobOutcome::Dead { .. })));
    let lead = app.only_lead(&s).await;
    assert_eq!(lead["enrichment_status"], "enrichment_failed");
    let attempts = app.attempts(&s, lead["id"].as_str().unwrap()).await;
    assert_eq!(
        attempts.len(),
        2 * flux_app::enrichment::ENRICH_MAX_ATTEMPTS as usize
    );
    assert!(attempts.iter().any(|a| a["http_status"] == 503));
    assert!(attempts.iter().any(|a| a["error_message"]
        .as_str()
        .unwrap()
        .contains("resposta inválida")));
    assert!(app
        .event_kinds(&s)
        .await
        .contains(&"lead.enrichment_failed".to_owned()));
}
