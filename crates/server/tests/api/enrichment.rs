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

const CNPJ: &str = "19131243000197";

fn brasilapi_body() -> Value {
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

struct Providers {
    brasilapi: MockServer,
    cnpj_ws: MockServer,
    lemit: MockServer,
}

async fn app_with_providers() -> (TestApp, Providers) {
    app_with_providers_and(&[]).await
}

/// Later settings win over the defaults below.
async fn app_with_providers_and(extra: &[(&str, &str)]) -> (TestApp, Providers) {
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
    async fn run_all_jobs(&self) -> Vec<JobOutcome> {
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

    async fn only_lead(&self, session: &Session) -> Value {
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

    async fn attempts(&self, session: &Session, lead_id: &str) -> Vec<Value> {
        let res = self
            .get(
                &format!("/api/v1/leads/{lead_id}/enrichment-attempts"),
                Some(session.token()),
            )
            .await;
        let body: Value = res.json().await.unwrap();
        body["items"].as_array().unwrap().clone()
    }

    async fn event_kinds(&self, session: &Session) -> Vec<String> {
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

#[tokio::test]
async fn enrich_now_answers_with_the_lead_or_queues_when_providers_are_down() {
    let (app, p) = app_with_providers().await;
    let s = app.signup("Ana", "ana@acme.com.br").await;
    app.upload(
        &s,
        "/api/v1/lead-imports",
        "l.csv",
        format!("CNPJ\n{CNPJ}\n").into_bytes(),
    )
    .await;
    Runner::builder(app.db.clone())
        .handler(
            kinds::IMPORT_LEADS,
            Arc::new(flux_workers::lead_import::ImportLeads::default()),
        )
        .build()
        .drain()
        .await
        .unwrap();
    let id = app.only_lead(&s).await["id"].as_str().unwrap().to_owned();

    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(502))
        .mount(&p.brasilapi)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(502))
        .mount(&p.cnpj_ws)
        .await;
    let res = app
        .post(
            &format!("/api/v1/leads/{id}/enrich"),
            &json!({}),
            Some(s.token()),
        )
        .await;
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    let lead: Value = res.json().await.unwrap();
    assert_eq!(lead["enrichment_status"], "pending");
    let queued: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM jobs WHERE kind = 'leads.enrich' AND status = 'queued'",
    )
    .fetch_one(app.db.pool())
    .await
    .unwrap();
    assert_eq!(
        queued, 1,
        "the retry joins the import's queued job (same unique key) instead of doubling it"
    );

    p.brasilapi.reset().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(brasilapi_body()))
        .mount(&p.brasilapi)
        .await;
    let res = app
        .post(
            &format!("/api/v1/leads/{id}/enrich"),
            &json!({}),
            Some(s.token()),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let lead: Value = res.json().await.unwrap();
    assert_eq!(lead["enrichment_status"], "enriched");
    assert_eq!(lead["nome_fantasia"], "REDE PELO CONHECIMENTO LIVRE");

    let res = app
        .post(
            "/api/v1/leads/nao-e-uuid/enrich",
            &json!({}),
            Some(s.token()),
        )
        .await;
    assert_error(res, StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION").await;
    let other = app.signup("Bia", "bia@outra.com.br").await;
    for res in [
        app.post(
            &format!("/api/v1/leads/{id}/enrich"),
            &json!({}),
            Some(other.token()),
        )
        .await,
        app.get(&format!("/api/v1/leads/{id}"), Some(other.token()))
            .await,
    ] {
        assert_error(res, StatusCode::NOT_FOUND, "NOT_FOUND").await;
    }
}

#[tokio::test]
async fn pro_plans_get_premium_contacts_with_masked_cpfs() {
    let (app, p) = app_with_providers().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(brasilapi_body()))
        .mount(&p.brasilapi)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/v1/consulta/empresa"))
        .and(wiremock::matchers::header(
            "authorization",
            "Bearer lemit-key",
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"empresa": {
            "emails": [{"email": "diretoria@ok.org.br", "ranking": 1}],
            "celulares": [{"ddd": "11", "numero": "987654321", "whatsapp": true, "ranking": 1}],
            "socios": [{"nome": "NATALIA", "cpf": "12345678909"}],
            "faturamento_presumido": "2500000.00"
        }})))
        .expect(1)
        .mount(&p.lemit)
        .await;
    let s = app.signup("Ana", "ana@acme.com.br").await;
    app.set_plan(&s, "pro").await;
    app.upload(
        &s,
        "/api/v1/lead-imports",
        "l.csv",
        format!("CNPJ\n{CNPJ}\n").into_bytes(),
    )
    .await;
    app.run_all_jobs().await;
    let lead = app.only_lead(&s).await;
    assert_eq!(
        lead["premium_contacts"]["emails"],
        json!(["diretoria@ok.org.br"])
    );
    assert_eq!(
        lead["premium_contacts"]["telefones"],
        json!(["+5511987654321"])
    );
    assert_eq!(lead["socios"][0]["cpf_cnpj_masked"], "***456789**");
    assert_eq!(lead["faturamento_estimado_cents"], 250_000_000);
    assert_eq!(lead["email"], "diretoria@ok.org.br");
    let cached: Value =
        sqlx::query_scalar("SELECT data FROM company_registry_cache WHERE cnpj = $1")
            .bind(CNPJ)
            .fetch_one(app.db.pool())
            .await
            .unwrap();
    assert!(
        !cached.to_string().contains("diretoria"),
        "premium data never enters the shared cache"
    );
}

#[tokio::test]
async fn a_used_up_rate_limit_defers_enrichment_without_spending_attempts() {
    let (app, p) = app_with_providers_and(&[
        ("FLUX_ENRICHMENT_PROVIDERS", "brasilapi"),
        ("FLUX_BRASILAPI_RATE_PER_MINUTE", "1"),
    ])
    .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(brasilapi_body()))
        .expect(1)
        .mount(&p.brasilapi)
        .await;
    let s = app.signup("Ana", "ana@acme.com.br").await;
    let csv = format!("CNPJ\n{CNPJ}\n11222333000181\n33000167000101\n");
    app.upload(&s, "/api/v1/lead-imports", "l.csv", csv.into_bytes())
        .await;
    let outcomes = app.run_all_jobs().await;
    assert!(
        !outcomes
            .iter()
            .any(|o| matches!(o, JobOutcome::Dead { .. } | JobOutcome::Retrying { .. })),
        "{outcomes:?}"
    );
    assert_eq!(
        outcomes
            .iter()
            .filter(|o| matches!(o, JobOutcome::Deferred { .. }))
            .count(),
        2
    );
    let waiting: Vec<(i32, String)> = sqlx::query_as(
        "SELECT attempts, status::text FROM jobs WHERE kind = 'leads.enrich' AND status <> 'succeeded'",
    )
    .fetch_all(app.db.pool())
    .await
    .unwrap();
    assert_eq!(
        waiting,
        vec![(0, "queued".to_owned()), (0, "queued".to_owned())],
        "no attempt spent"
    );
    let statuses: Vec<String> = sqlx::query_scalar(
        "SELECT enrichment_status::text FROM leads WHERE org_id = $1 ORDER BY enrichment_status::text",
    )
    .bind(s.org_id())
    .fetch_all(app.db.pool())
    .await
    .unwrap();
    assert_eq!(statuses, vec!["enriched", "pending", "pending"]);
    let logged: i64 = sqlx::query_scalar("SELECT count(*) FROM enrichment_attempts")
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert_eq!(logged, 1, "a deferral records nothing");
}

#[tokio::test]
async fn enrich_now_and_the_queued_job_call_the_providers_once() {
    let (app, p) = app_with_providers().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(brasilapi_body()))
        .expect(1)
        .mount(&p.brasilapi)
        .await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"empresa": {"emails": [{"email": "a@ok.org.br"}]}})),
        )
        .expect(1)
        .mount(&p.lemit)
        .await;
    let s = app.signup("Ana", "ana@acme.com.br").await;
    app.set_plan(&s, "pro").await;
    let created: Value = app
        .post("/api/v1/leads", &json!({"cnpj": CNPJ}), Some(s.token()))
        .await
        .json()
        .await
        .unwrap();
    let id = created["id"].as_str().unwrap();
    let res = app
        .post(
            &format!("/api/v1/leads/{id}/enrich"),
            &json!({}),
            Some(s.token()),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    // The job create queued finds the work done and calls nobody (mocks expect once).
    let outcomes = app.run_all_jobs().await;
    assert!(
        outcomes
            .iter()
            .all(|o| matches!(o, JobOutcome::Succeeded { .. })),
        "{outcomes:?}"
    );
    assert_eq!(
        app.attempts(&s, id).await.len(),
        2,
        "one public and one premium call"
    );
}
