//! AI-personalized cadence steps through the engine, against a real database and a
//! local server speaking the Anthropic Messages API: the model's words go out and
//! count against the plan's daily limit; without AI text the organization's fallback
//! applies (the template as written, or a pause naming the reason); a step is never
//! sent twice, nor blank.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::{sync::Arc, time::Duration};

use flux_app::ai_messages::AiMessages;
use flux_integrations::ai::{Anthropic, RetryPolicy};
use flux_testkit::fake_ai;
use flux_workers::engine::{Engine, EngineConfig};
use serde_json::Value;
use uuid::Uuid;
use wiremock::{
    matchers::{header, method, path},
    Mock, MockServer, ResponseTemplate,
};

mod common;

use common::World;

const ANSWER: &str = "Assunto: Pão quente e prospecção na Padaria\n\nOlá João,\n\nVi que a Padaria Pão Quente atende Campinas. A Flux ajuda times como o seu a falar com mais clientes sem perder o toque pessoal. Podemos conversar 15 minutos na quinta?\n\nAbraço,\nAna Souza";

/// A world whose first step (of two, the second two days later) is AI-personalized.
async fn ai_world() -> World {
    let w = World::new(&[0, 2]).await;
    w.sql("UPDATE cadence_steps SET ai_personalization = true WHERE position = 1")
        .await;
    w
}

async fn fake_anthropic(response: ResponseTemplate) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/messages"))
        .and(header("x-api-key", "sk-ant-test"))
        .respond_with(response)
        .mount(&server)
        .await;
    server
}

fn answering(text: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(fake_ai::anthropic_message(text, 900, 180))
}

fn overloaded() -> ResponseTemplate {
    ResponseTemplate::new(529)
        .set_body_json(fake_ai::anthropic_error("overloaded_error", "Overloaded"))
}

/// The engine with AI through the fake provider (one try per call, short timeouts).
fn ai_engine(w: &World, server: &MockServer) -> Engine {
    let policy = RetryPolicy {
        attempts: 1,
        base_delay: Duration::from_millis(10),
        max_delay: Duration::from_millis(10),
        timeout: Duration::from_secs(5),
    };
    let provider = Anthropic::new(&server.uri(), "sk-ant-test", "claude-test", policy);
    let ai =
        AiMessages::new(w.db.clone(), Some(Arc::new(provider)), policy).with_clock(w.clock.clone());
    w.engine().with_ai(ai)
}

async fn set_ai_limit(w: &World, limit: i32) {
    sqlx::query(
        "UPDATE plans SET max_ai_per_day = $2
         WHERE id = (SELECT plan_id FROM subscriptions WHERE org_id = $1)",
    )
    .bind(w.org)
    .bind(limit)
    .execute(w.db.pool())
    .await
    .unwrap();
}

async fn set_fallback(w: &World, fallback: &str) {
    sqlx::query("UPDATE organizations SET ai_fallback = $2::text::ai_fallback WHERE id = $1")
        .bind(w.org)
        .bind(fallback)
        .execute(w.db.pool())
        .await
        .unwrap();
}

/// Resumes paused enrollments as the API does.
async fn resume_all(w: &World) {
    w.sql(
        "UPDATE cadence_enrollments SET status = 'active', pause_reason = NULL,
                status_detail = NULL WHERE status = 'paused'",
    )
    .await;
}

/// Whether each of the enrollment's outbox rows was written by the model.
async fn ai_generated(w: &World, enrollment: Uuid) -> Vec<bool> {
    sqlx::query_scalar(
        "SELECT ai_generated FROM step_sends WHERE enrollment_id = $1 ORDER BY created_at",
    )
    .bind(enrollment)
    .fetch_all(w.db.pool())
    .await
    .unwrap()
}

/// Successful generations counted today.
async fn counted(w: &World) -> i32 {
    sqlx::query_scalar(
        "SELECT coalesce(sum(generation_count), 0)::int FROM ai_usage WHERE org_id = $1",
    )
    .bind(w.org)
    .fetch_one(w.db.pool())
    .await
    .unwrap()
}

/// The outcomes logged for cadence generations, in alphabetical order.
async fn cadence_outcomes(w: &World) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT outcome::text FROM ai_generations
         WHERE org_id = $1 AND source = 'cadence' ORDER BY outcome::text",
    )
    .bind(w.org)
    .fetch_all(w.db.pool())
    .await
    .unwrap()
}

/// Messages counted against the sender's daily cap today.
async fn sent_today(w: &World) -> i32 {
    sqlx::query_scalar("SELECT sent_today FROM mailboxes WHERE user_id = $1")
        .bind(w.sender)
        .fetch_one(w.db.pool())
        .await
        .unwrap()
}

/// Waits until the fake provider has been asked `n` times.
async fn until_called(server: &MockServer, n: usize) {
    while calls(server).await.len() < n {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn calls(server: &MockServer) -> Vec<Value> {
    server
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .map(|r| serde_json::from_slice(&r.body).unwrap())
        .collect()
}

#[tokio::test]
async fn personalized_steps_go_out_in_the_models_words_and_count_against_the_plan() {
    let w = ai_world().await;
    let server = fake_anthropic(answering(ANSWER)).await;
    let (lead, a) = w
        .enroll("PADARIA PAO QUENTE LTDA", "SP", Some("joao@padaria.com.br"))
        .await;
    sqlx::query(
        "UPDATE leads SET nome_fantasia = 'PADARIA PAO QUENTE', cidade = 'CAMPINAS',
                socios = '[{\"nome\": \"MARIA OLIVEIRA\"}, {\"nome\": \"PEDRO SANTOS\"}]'
         WHERE id = $1",
    )
    .bind(lead)
    .execute(w.db.pool())
    .await
    .unwrap();
    let (_, b) = w
        .enroll("ACME INDUSTRIA LTDA", "RJ", Some("contato@acme.ind.br"))
        .await;
    let engine = ai_engine(&w, &server);

    let report = engine.drain().await.unwrap();
    assert_eq!((report.claimed, report.sent, report.failed), (2, 2, 0));
    let delivered = w.channel.delivered();
    assert_eq!(delivered.len(), 2);
    for message in &delivered {
        assert_eq!(
            message.subject.as_deref(),
            Some("Pão quente e prospecção na Padaria")
        );
        assert!(message.body.starts_with("Olá João,"), "{}", message.body);
        assert!(message.body.ends_with("Ana Souza"));
    }
    assert_eq!(ai_generated(&w, a).await, [true]);
    assert_eq!(ai_generated(&w, b).await, [true]);
    assert_eq!(counted(&w).await, 2);
    assert_eq!(cadence_outcomes(&w).await, ["succeeded", "succeeded"]);
    let logged: Vec<(Option<Uuid>, Option<Uuid>)> = sqlx::query_as(
        "SELECT user_id, enrollment_id FROM ai_generations ORDER BY enrollment_id = $1 DESC",
    )
    .bind(a)
    .fetch_all(w.db.pool())
    .await
    .unwrap();
    assert_eq!(logged[0], (Some(w.sender), Some(a)));

    // The brief is the rendered template; the lead's data travels in its block.
    let requests = calls(&server).await;
    assert_eq!(requests.len(), 2);
    let prompt = requests
        .iter()
        .map(|r| r["messages"][0]["content"].as_str().unwrap().to_owned())
        .find(|p| p.contains("Padaria Pao Quente LTDA"))
        .expect("the padaria's prompt");
    let data =
        &prompt[prompt.find("<dados_do_lead>").unwrap()..prompt.find("</dados_do_lead>").unwrap()];
    assert!(data.contains("\"cidade\": \"Campinas\""), "{data}");
    assert!(
        data.contains("\"Maria\"") && data.contains("\"Pedro\""),
        "{data}"
    );
    assert!(
        !data.contains("joao@padaria.com.br"),
        "no contact details: {data}"
    );
    let base = &prompt[prompt.find("<mensagem_base>").unwrap()..];
    assert!(
        base.contains("Assunto: Padaria Pao Quente + Flux"),
        "{base}"
    );
    assert!(base.contains("Bom dia, João! Sou Ana Souza."), "{base}");

    // The second step has no AI: the template goes out as written, no provider call.
    w.clock.advance(chrono::Duration::days(2));
    assert_eq!(engine.drain().await.unwrap().sent, 2);
    assert_eq!(ai_generated(&w, a).await, [true, false]);
    assert_eq!(calls(&server).await.len(), 2);
    assert_eq!(counted(&w).await, 2);
}

#[tokio::test]
async fn at_the_daily_limit_the_step_pauses_naming_the_limit_or_sends_the_template() {
    let w = ai_world().await;
    set_ai_limit(&w, 1).await;
    let server = fake_anthropic(answering(ANSWER)).await;
    let (_, a) = w
        .enroll("PRIMEIRA LTDA", "SP", Some("a@primeira.com.br"))
        .await;
    let (_, b) = w
        .enroll("SEGUNDA LTDA", "SP", Some("b@segunda.com.br"))
        .await;
    let engine = ai_engine(&w, &server);

    let report = engine.drain().await.unwrap();
    assert_eq!((report.sent, report.failed), (1, 1));
    assert_eq!(calls(&server).await.len(), 1, "no call over the limit");
    let (sent, paused) = if w.send_states(a).await.is_empty() {
        (b, a)
    } else {
        (a, b)
    };
    assert_eq!(ai_generated(&w, sent).await, [true]);
    let e = w.enrollment(paused).await;
    assert_eq!(
        (e.status.as_str(), e.pause_reason.as_deref()),
        ("paused", Some("step_failed"))
    );
    let detail = e.detail.unwrap();
    assert!(detail.contains("Limite diário"), "{detail}");
    assert!(detail.contains("(1 por dia)"), "{detail}");
    assert_eq!(w.interactions(paused, "failed").await, 1);
    assert!(
        w.send_states(paused).await.is_empty(),
        "nothing blank left in the outbox"
    );
    assert_eq!(
        sent_today(&w).await,
        1,
        "the paused step gave its slot back"
    );

    // The organization prefers the template to a pause: resumed, it goes out as written.
    set_fallback(&w, "send_template").await;
    resume_all(&w).await;
    assert_eq!(engine.drain().await.unwrap().sent, 1);
    assert_eq!(ai_generated(&w, paused).await, [false]);
    let delivered = w.channel.delivered();
    assert_eq!(delivered.len(), 2);
    let template = delivered
        .iter()
        .find(|m| m.subject.as_deref() != Some("Pão quente e prospecção na Padaria"))
        .unwrap();
    assert!(template.subject.as_deref().unwrap().ends_with("+ Flux"));
    assert!(template.body.contains("Sou Ana Souza."));
    assert_eq!(calls(&server).await.len(), 1);
    assert_eq!(counted(&w).await, 1);
    assert_eq!(
        cadence_outcomes(&w).await,
        ["limit_exceeded", "limit_exceeded", "succeeded"]
    );
}

#[tokio::test]
async fn a_failing_provider_pauses_the_step_or_sends_the_template() {
    let w = ai_world().await;
    let server = fake_anthropic(overloaded()).await;
    let (_, id) = w.enroll("FALHA LTDA", "SP", Some("a@falha.com.br")).await;
    let engine = ai_engine(&w, &server);

    let report = engine.drain().await.unwrap();
    assert_eq!((report.sent, report.failed), (0, 1));
    let e = w.enrollment(id).await;
    assert_eq!(e.pause_reason.as_deref(), Some("step_failed"));
    assert!(
        e.detail
            .as_deref()
            .unwrap()
            .contains("A personalização por IA falhou"),
        "{e:?}"
    );
    assert!(w.channel.delivered().is_empty());
    assert_eq!(counted(&w).await, 0);
    assert_eq!(cadence_outcomes(&w).await, ["failed"]);
    assert_eq!(sent_today(&w).await, 0);

    set_fallback(&w, "send_template").await;
    resume_all(&w).await;
    let report = engine.drain().await.unwrap();
    assert_eq!((report.sent, report.failed), (1, 0));
    assert_eq!(ai_generated(&w, id).await, [false]);
    assert!(w.channel.delivered()[0].body.contains("Sou Ana Souza."));
    assert_eq!(cadence_outcomes(&w).await, ["failed", "failed"]);
}

#[tokio::test]
async fn with_no_provider_send_template_sends_the_template_without_asking() {
    let w = ai_world().await;
    set_fallback(&w, "send_template").await;
    let (_, id) = w.enroll("SEM IA LTDA", "SP", Some("a@semia.com.br")).await;
    let unconfigured = AiMessages::new(w.db.clone(), None, RetryPolicy::default());
    let report = w.engine().with_ai(unconfigured).drain().await.unwrap();
    assert_eq!(report.sent, 1);
    assert_eq!(ai_generated(&w, id).await, [false]);
    assert!(w.channel.delivered()[0]
        .subject
        .as_deref()
        .unwrap()
        .ends_with("+ Flux"));
    assert!(cadence_outcomes(&w).await.is_empty());
}

#[tokio::test]
async fn ai_steps_over_a_passes_share_are_written_by_the_next_passes() {
    let w = ai_world().await;
    let server = fake_anthropic(answering(ANSWER)).await;
    let ids = w.enroll_many(3).await;
    let engine = ai_engine(&w, &server).with_config(EngineConfig {
        ai_concurrency: 1,
        ai_per_pass: 1,
        passes: 1,
        ..EngineConfig::default()
    });

    let report = engine.drain().await.unwrap();
    assert_eq!(report.sent, 3);
    assert_eq!(
        report.ai_waiting,
        2 + 1,
        "two wait in the first pass, one in the second"
    );
    assert_eq!(calls(&server).await.len(), 3);
    for id in ids {
        assert_eq!(ai_generated(&w, id).await, [true]);
    }
}

#[tokio::test]
async fn a_step_another_engine_prepared_while_the_model_wrote_is_not_sent_again() {
    let w = ai_world().await;
    let server = fake_anthropic(answering(ANSWER).set_delay(Duration::from_secs(3))).await;
    let (lead, id) = w
        .enroll("CORRIDA LTDA", "SP", Some("a@corrida.com.br"))
        .await;
    let engine = ai_engine(&w, &server);
    let pass = tokio::spawn(async move { engine.drain().await.map(|r| r.sent) });

    // While the model writes, another engine prepared the step.
    until_called(&server, 1).await;
    sqlx::query(
        "INSERT INTO step_sends (org_id, enrollment_id, step_id, cadence_id, lead_id, sender_id,
                                 channel, message_id, to_address, subject, body, ai_generated)
         VALUES ($1, $2, $3, $4, $5, $6, 'email', 'outro@acme.com.br', 'a@corrida.com.br',
                 'Do outro motor', 'Corpo do outro motor', false)",
    )
    .bind(w.org)
    .bind(id)
    .bind(w.steps[0])
    .bind(w.cadence)
    .bind(lead)
    .bind(w.sender)
    .execute(w.db.pool())
    .await
    .unwrap();

    assert_eq!(pass.await.unwrap().unwrap(), 0);
    assert!(w.channel.delivered().is_empty());
    let bodies: Vec<String> =
        sqlx::query_scalar("SELECT body FROM step_sends WHERE enrollment_id = $1")
            .bind(id)
            .fetch_all(w.db.pool())
            .await
            .unwrap();
    assert_eq!(bodies, ["Corpo do outro motor"]);
}

#[tokio::test]
async fn a_claim_that_lapsed_while_the_model_wrote_leaves_the_enrollment_to_its_new_owner() {
    let w = ai_world().await;
    let server = fake_anthropic(overloaded().set_delay(Duration::from_secs(3))).await;
    let (_, id) = w.enroll("LENTA LTDA", "SP", Some("a@lenta.com.br")).await;
    let engine = ai_engine(&w, &server);
    let pass = tokio::spawn(async move { engine.drain().await });

    // The lease ran out and another engine claimed the enrollment: its due time is
    // that claim's lease.
    until_called(&server, 1).await;
    w.sql("UPDATE cadence_enrollments SET next_step_due = next_step_due + interval '1 minute'")
        .await;

    let report = pass.await.unwrap().unwrap();
    assert_eq!((report.sent, report.failed), (0, 0));
    let e = w.enrollment(id).await;
    assert_eq!(
        (e.status.as_str(), e.pause_reason),
        ("active", None),
        "the failed generation does not pause what another engine owns"
    );
    assert_eq!(w.interactions(id, "failed").await, 0);
    assert!(w.send_states(id).await.is_empty());
    assert_eq!(sent_today(&w).await, 0, "the slot went back");
}
