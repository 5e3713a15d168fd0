//! "Enriquecer agora", premium contacts on Pro plans, and rate limits that defer
//! instead of failing.

use std::sync::Arc;

use flux_persistence::jobs::kinds;
use flux_workers::queue::{JobOutcome, Runner};
use reqwest::StatusCode;
use serde_json::{json, Value};
use wiremock::{
    matchers::{method, path},
    Mock, ResponseTemplate,
};

use crate::enrichment::{app_with_providers, app_with_providers_and, brasilapi_body, CNPJ};
use crate::helpers::assert_error;

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
