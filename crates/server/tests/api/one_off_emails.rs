//! One-off e-mails end to end: written over HTTP, delivered by the job through a
//! local SMTP server from the author's mailbox, followed back over HTTP.

use std::{sync::Arc, time::Duration};

use flux_persistence::jobs::kinds;
use flux_testkit::smtp_sink::SmtpSink;
use flux_workers::{
    engine::smtp::SmtpChannel,
    one_off_email::SendOneOffEmail,
    queue::{JobOutcome, Runner, RunnerConfig},
};
use reqwest::StatusCode;
use serde_json::{json, Value};
use uuid::Uuid;

use crate::helpers::{
    assert_error, assert_not_found, conflict_fields, invalid_fields, spawn_app, Session, TestApp,
};
use crate::tracking::track_opens_and_clicks;

const LEAD_EMAIL: &str = "compras@cliente.com.br";

/// Connects the member's mailbox to `sink`, with a daily cap.
async fn connect_mailbox(app: &TestApp, s: &Session, sink: &SmtpSink, daily_limit: i32) {
    let res = app
        .post(
            "/api/v1/mailboxes",
            &json!({"from_name": "Ana Souza", "from_email": "ana@acme.com.br",
                    "smtp_host": sink.host(), "smtp_port": sink.port(), "smtp_security": "none",
                    "smtp_username": "ana", "smtp_password": "x", "daily_limit": daily_limit}),
            Some(s.token()),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
}

async fn lead(app: &TestApp, s: &Session, email: Option<&str>, contacts: Value) -> Uuid {
    sqlx::query_scalar(
        "INSERT INTO leads (org_id, cnpj, razao_social, email, premium_contacts)
         VALUES ($1, $2, 'ACME LTDA', $3, $4) RETURNING id",
    )
    .bind(s.org_id())
    .bind(format!(
        "{:014}",
        Uuid::new_v4().as_u128() % 100_000_000_000_000
    ))
    .bind(email)
    .bind(contacts)
    .fetch_one(app.db.pool())
    .await
    .unwrap()
}

fn email(subject: &str, body: &str) -> Value {
    json!({"subject": subject, "body": body, "ai_generated": true})
}

/// Runs delivery jobs until none is due (retries at once).
async fn deliver(app: &TestApp) -> Vec<JobOutcome> {
    // The wired e-mail channel, with a shorter timeout for the server that never answers.
    let channel = SmtpChannel::new(app.ports.secrets.clone(), app.ports.tracking.clone())
        .with_hosts(app.ports.mail_hosts)
        .with_timeout(Duration::from_secs(5));
    Runner::builder(app.db.clone())
        .handler(
            kinds::SEND_ONE_OFF_EMAIL,
            Arc::new(SendOneOffEmail::new(Arc::new(channel))),
        )
        .config(RunnerConfig {
            backoff_base: Duration::ZERO,
            backoff_cap: Duration::ZERO,
            ..RunnerConfig::default()
        })
        .build()
        .drain()
        .await
        .unwrap()
}

async fn post_email(app: &TestApp, s: &Session, lead: Uuid, body: &Value) -> reqwest::Response {
    app.post(
        &format!("/api/v1/leads/{lead}/emails"),
        body,
        Some(s.token()),
    )
    .await
}

/// Ana, her mailbox on a fresh sink, and a lead with an e-mail.
async fn ana_with_a_mailbox_and_a_lead() -> (TestApp, Session, SmtpSink, Uuid) {
    let app = spawn_app().await;
    let s = app.signup("Ana", "ana@acme.com.br").await;
    let sink = SmtpSink::start().await;
    connect_mailbox(&app, &s, &sink, 200).await;
    let lead = lead(&app, &s, Some(LEAD_EMAIL), Value::Null).await;
    (app, s, sink, lead)
}

/// Queues "Oi" to the lead; returns the e-mail's id.
async fn queue(app: &TestApp, s: &Session, lead: Uuid) -> Uuid {
    let res = post_email(app, s, lead, &email("Oi", "x")).await;
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    let queued: Value = res.json().await.unwrap();
    queued["id"].as_str().unwrap().parse().unwrap()
}

/// A delivery's worker marked the e-mail dispatching (its `attempts`-th try) and died
/// before recording the outcome: the lease has lapsed.
async fn died_dispatching(app: &TestApp, id: Uuid, attempts: i32) {
    sqlx::query(
        "UPDATE step_sends SET state = 'dispatching', dispatch_attempts = $2,
                dispatch_lease_until = now() - interval '1 second' WHERE id = $1",
    )
    .bind(id)
    .bind(attempts)
    .execute(app.db.pool())
    .await
    .unwrap();
}

/// Settles a one-off in review as `session`: `outcome` is `sent` or `not_sent`.
async fn settle_review(
    app: &TestApp,
    session: &Session,
    lead: Uuid,
    id: Uuid,
    outcome: &str,
) -> reqwest::Response {
    app.post(
        &format!("/api/v1/leads/{lead}/emails/{id}/review"),
        &json!({ "outcome": outcome }),
        Some(session.token()),
    )
    .await
}

async fn email_of(app: &TestApp, s: &Session, lead: Uuid, id: Uuid) -> Value {
    app.get_json(&format!("/api/v1/leads/{lead}/emails/{id}"), s)
        .await
}

async fn timeline(app: &TestApp, s: &Session, lead: Uuid) -> Vec<Value> {
    app.get_json(&format!("/api/v1/leads/{lead}/timeline"), s)
        .await["interactions"]
        .as_array()
        .unwrap()
        .clone()
}

async fn sent_today(app: &TestApp, s: &Session) -> i32 {
    sqlx::query_scalar("SELECT sent_today FROM mailboxes WHERE user_id = $1")
        .bind(s.user_id())
        .fetch_one(app.db.pool())
        .await
        .unwrap()
}

#[tokio::test]
async fn a_one_off_email_leaves_once_from_the_authors_mailbox_and_lands_on_the_timeline() {
    let app = spawn_app().await;
    let s = app.signup("Ana", "ana@acme.com.br").await;
    let sink = SmtpSink::start().await;
    connect_mailbox(&app, &s, &sink, 200).await;
    track_opens_and_clicks(&app, &s).await;
    let lead = lead(&app, &s, Some(LEAD_EMAIL), Value::Null).await;

    let res = post_email(
        &app,
        &s,
        lead,
        &email(
            "  Proposta para a ACME ",
            "Olá!\nVeja https://acme.com.br/case\n\n",
        ),
    )
    .await;
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    let location = res.headers()["location"].to_str().unwrap().to_owned();
    let queued: Value = res.json().await.unwrap();
    assert_eq!(queued["state"], "prepared");
    assert_eq!(queued["to"], LEAD_EMAIL);
    assert_eq!(queued["subject"], "Proposta para a ACME");
    assert_eq!(queued["body"], "Olá!\nVeja https://acme.com.br/case");
    assert_eq!(queued["sender_id"], s.user_id().to_string());
    assert_eq!(
        location,
        format!(
            "/api/v1/leads/{lead}/emails/{}",
            queued["id"].as_str().unwrap()
        )
    );
    assert!(
        sink.received().is_empty(),
        "queued, not sent by the request"
    );
    assert_eq!(sent_today(&app, &s).await, 1, "counted against the cap");

    let outcomes = deliver(&app).await;
    assert!(matches!(
        outcomes.as_slice(),
        [JobOutcome::Succeeded { .. }]
    ));
    let mails = sink.received();
    assert_eq!(mails.len(), 1);
    let mail = &mails[0];
    assert_eq!(mail.to, vec![LEAD_EMAIL.to_owned()]);
    assert!(mail.header("From").unwrap().contains("ana@acme.com.br"));
    assert_eq!(mail.header("Subject").unwrap(), "Proposta para a ACME");
    let message_id = mail.header("Message-ID").unwrap();
    assert!(message_id.ends_with("@acme.com.br>"), "{message_id}");
    assert!(mail.header("List-Unsubscribe").is_some());
    assert!(mail.text().contains("Olá!"));
    let html = mail.html().expect("tracking adds the HTML part");
    assert!(html.contains("/open\""), "open pixel: {html}");
    assert!(html.contains("/click/0\""), "click redirect: {html}");

    let sent = app.get_json(&location, &s).await;
    assert_eq!(sent["state"], "sent");
    assert_eq!(sent["attempts"], 1);
    assert!(sent["sent_at"].is_string());
    let timeline = timeline(&app, &s, lead).await;
    assert_eq!(timeline.len(), 1);
    assert_eq!(timeline[0]["type"], "sent");
    assert_eq!(timeline[0]["summary"], "Proposta para a ACME");
    assert_eq!(timeline[0]["actor_id"], s.user_id().to_string());
    assert_eq!(timeline[0]["ai_generated"], true);
    assert!(timeline[0]["cadence_id"].is_null());

    let listed = app
        .get_json(&format!("/api/v1/leads/{lead}/emails"), &s)
        .await;
    assert_eq!(listed["total"], 1);
    assert_eq!(listed["items"][0]["id"], queued["id"]);

    // Nothing left to do: a second pass sends nothing.
    assert!(deliver(&app).await.is_empty());
    assert_eq!(sink.received().len(), 1);
}

#[tokio::test]
async fn a_retried_request_with_the_same_key_sends_one_email() {
    let (app, s, sink, lead) = ana_with_a_mailbox_and_a_lead().await;
    let send = || {
        app.client
            .post(app.url(&format!("/api/v1/leads/{lead}/emails")))
            .bearer_auth(s.token())
            .header("Idempotency-Key", "one-off-1")
            .json(&email("Oi", "Tudo bem?"))
            .send()
    };
    let first: Value = send().await.unwrap().json().await.unwrap();
    let again = send().await.unwrap();
    assert_eq!(again.status(), StatusCode::ACCEPTED);
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    let again: Value = again.json().await.unwrap();
    assert_eq!(again["id"], first["id"]);
    deliver(&app).await;
    assert_eq!(sink.received().len(), 1);
    assert_eq!(sent_today(&app, &s).await, 1);
}

#[tokio::test]
async fn bad_input_names_the_field_and_sends_nothing() {
    let app = spawn_app().await;
    let s = app.signup("Ana", "ana@acme.com.br").await;
    let sink = SmtpSink::start().await;
    connect_mailbox(&app, &s, &sink, 200).await;
    let lead = lead(
        &app,
        &s,
        Some(LEAD_EMAIL),
        json!({"emails": ["diretoria@cliente.com.br"], "telefones": []}),
    )
    .await;
    for (body, field) in [
        (email(" ", "x"), "subject"),
        (email("a\r\nBcc: x@y.z", "x"), "subject"),
        (email(&"a".repeat(201), "x"), "subject"),
        (email("Oi", " \n"), "body"),
        (email("Oi", &"b".repeat(20_001)), "body"),
        (
            json!({"subject": "Oi", "body": "x", "to": "not-an-email"}),
            "to",
        ),
        (
            json!({"subject": "Oi", "body": "x", "to": "someone@else.com"}),
            "to",
        ),
        (json!({"subject": "Oi"}), "body"),
        (json!({"subject": "Oi", "body": "x", "cc": "a@b.c"}), "cc"),
    ] {
        let res = post_email(&app, &s, lead, &body).await;
        assert_eq!(invalid_fields(res).await, vec![field.to_owned()], "{body}");
    }
    // A premium contact's address is the lead's, in any case.
    let res = post_email(
        &app,
        &s,
        lead,
        &json!({"subject": "Oi", "body": "x", "to": "Diretoria@Cliente.com.br"}),
    )
    .await;
    assert_eq!(res.status(), StatusCode::ACCEPTED);

    let no_email = self::lead(&app, &s, None, Value::Null).await;
    let res = post_email(&app, &s, no_email, &email("Oi", "x")).await;
    assert_eq!(invalid_fields(res).await, vec!["to".to_owned()]);
    let res = post_email(
        &app,
        &s,
        no_email,
        &json!({"subject": "Oi", "body": "x", "to": "someone@else.com"}),
    )
    .await;
    assert_eq!(invalid_fields(res).await, vec!["to".to_owned()]);
    let res = post_email(&app, &s, Uuid::new_v4(), &email("Oi", "x")).await;
    assert_not_found(res).await;
    let res = app
        .post(
            "/api/v1/leads/nope/emails",
            &email("Oi", "x"),
            Some(s.token()),
        )
        .await;
    assert_eq!(invalid_fields(res).await, vec!["id".to_owned()]);

    deliver(&app).await;
    assert_eq!(sink.received().len(), 1, "only the accepted one");
    assert_eq!(sent_today(&app, &s).await, 1);

    sqlx::query("UPDATE leads SET do_not_contact = true WHERE id = $1")
        .bind(lead)
        .execute(app.db.pool())
        .await
        .unwrap();
    let res = post_email(&app, &s, lead, &email("Oi", "x")).await;
    assert_eq!(conflict_fields(res).await, vec!["lead_id".to_owned()]);
    assert_eq!(sent_today(&app, &s).await, 1);
}

#[tokio::test]
async fn the_authors_mailbox_must_exist_and_have_room_today() {
    let app = spawn_app().await;
    let s = app.signup("Ana", "ana@acme.com.br").await;
    let lead = lead(&app, &s, Some(LEAD_EMAIL), Value::Null).await;
    let res = post_email(&app, &s, lead, &email("Oi", "x")).await;
    let error = assert_error(res, StatusCode::CONFLICT, "CONFLICT").await;
    assert!(error["message"]
        .as_str()
        .unwrap()
        .contains("caixa de e-mail"));

    let sink = SmtpSink::start().await;
    connect_mailbox(&app, &s, &sink, 1).await;
    let res = post_email(&app, &s, lead, &email("Oi", "x")).await;
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    let res = post_email(&app, &s, lead, &email("De novo", "x")).await;
    let error = assert_error(res, StatusCode::CONFLICT, "CONFLICT").await;
    assert!(error["message"].as_str().unwrap().contains("limite de 1"));

    // Yesterday's count does not hold today's message back.
    sqlx::query("UPDATE mailboxes SET sent_day = sent_day - 1 WHERE user_id = $1")
        .bind(s.user_id())
        .execute(app.db.pool())
        .await
        .unwrap();
    let res = post_email(&app, &s, lead, &email("Hoje", "x")).await;
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    assert_eq!(sent_today(&app, &s).await, 1);
}

#[tokio::test]
async fn a_refused_message_fails_with_the_reason_and_gives_its_slot_back() {
    let app = spawn_app().await;
    let s = app.signup("Ana", "ana@acme.com.br").await;
    let sink = SmtpSink::start().await;
    connect_mailbox(&app, &s, &sink, 200).await;
    sink.reject_recipient(LEAD_EMAIL);
    let lead = lead(&app, &s, Some(LEAD_EMAIL), Value::Null).await;
    let id = queue(&app, &s, lead).await;
    deliver(&app).await;
    let failed = email_of(&app, &s, lead, id).await;
    assert_eq!(failed["state"], "failed");
    assert!(failed["last_error"]
        .as_str()
        .unwrap()
        .starts_with("O envio foi recusado"));
    assert_eq!(sent_today(&app, &s).await, 0);
    let timeline = timeline(&app, &s, lead).await;
    assert_eq!(timeline.len(), 1);
    assert_eq!(timeline[0]["type"], "failed");
    assert!(sink.received().is_empty());
}

#[tokio::test]
async fn a_busy_server_is_retried_and_the_message_goes_out_once() {
    let app = spawn_app().await;
    let s = app.signup("Ana", "ana@acme.com.br").await;
    let sink = SmtpSink::start().await;
    connect_mailbox(&app, &s, &sink, 200).await;
    sink.busy_once();
    let lead = lead(&app, &s, Some(LEAD_EMAIL), Value::Null).await;
    let id = queue(&app, &s, lead).await;
    let outcomes = deliver(&app).await;
    assert!(
        matches!(
            outcomes.as_slice(),
            [JobOutcome::Retrying { .. }, JobOutcome::Succeeded { .. }]
        ),
        "{outcomes:?}"
    );
    assert_eq!(sink.received().len(), 1);
    let sent = email_of(&app, &s, lead, id).await;
    assert_eq!(sent["state"], "sent");
    assert_eq!(sent["attempts"], 2);
}

#[tokio::test]
async fn a_delivery_that_died_mid_send_waits_for_a_person_instead_of_sending_twice() {
    let (app, s, sink, lead) = ana_with_a_mailbox_and_a_lead().await;
    let id = queue(&app, &s, lead).await;
    // A worker marked it dispatching, and died before recording the outcome.
    died_dispatching(&app, id, 1).await;
    deliver(&app).await;
    assert!(sink.received().is_empty(), "SMTP cannot tell: never resent");
    let review = email_of(&app, &s, lead, id).await;
    assert_eq!(review["state"], "needs_review");
    assert!(review["last_error"]
        .as_str()
        .unwrap()
        .contains("caixa de enviados"));
    assert_eq!(sent_today(&app, &s).await, 1, "it may have gone out");

    // Not in the sent folder: a person has it delivered again, once — not while the
    // run that left it for review still holds its job.
    sqlx::query("UPDATE jobs SET status = 'running', locked_until = now() + interval '1 minute'")
        .execute(app.db.pool())
        .await
        .unwrap();
    let res = settle_review(&app, &s, lead, id, "not_sent").await;
    assert_eq!(conflict_fields(res).await, vec!["email_id".to_owned()]);
    assert_eq!(email_of(&app, &s, lead, id).await["state"], "needs_review");
    sqlx::query("UPDATE jobs SET status = 'succeeded', locked_until = NULL")
        .execute(app.db.pool())
        .await
        .unwrap();
    let res = settle_review(&app, &s, lead, id, "not_sent").await;
    assert_eq!(res.status(), StatusCode::OK);
    let again: Value = res.json().await.unwrap();
    assert_eq!(again["state"], "prepared");
    deliver(&app).await;
    assert_eq!(sink.received().len(), 1);
    assert_eq!(email_of(&app, &s, lead, id).await["state"], "sent");
    let res = settle_review(&app, &s, lead, id, "sent").await;
    assert_eq!(conflict_fields(res).await, vec!["email_id".to_owned()]);
}

#[tokio::test]
async fn a_lead_who_opts_out_before_delivery_gets_nothing() {
    let (app, s, sink, lead) = ana_with_a_mailbox_and_a_lead().await;
    let id = queue(&app, &s, lead).await;
    sqlx::query("UPDATE leads SET do_not_contact = true WHERE id = $1")
        .bind(lead)
        .execute(app.db.pool())
        .await
        .unwrap();
    deliver(&app).await;
    assert!(sink.received().is_empty());
    let cancelled = email_of(&app, &s, lead, id).await;
    assert_eq!(cancelled["state"], "cancelled");
    assert_eq!(sent_today(&app, &s).await, 0);
}

#[tokio::test]
async fn another_organizations_leads_and_emails_are_invisible() {
    let (app, s, sink, lead) = ana_with_a_mailbox_and_a_lead().await;
    let id = queue(&app, &s, lead).await;

    let other = app.signup("Bia", "bia@outra.com.br").await;
    connect_mailbox(&app, &other, &sink, 200).await;
    let res = post_email(&app, &other, lead, &email("Oi", "x")).await;
    assert_not_found(res).await;
    let res = app
        .get(
            &format!("/api/v1/leads/{lead}/emails/{id}"),
            Some(other.token()),
        )
        .await;
    assert_not_found(res).await;
    // Its own lead's id does not open the other organization's e-mail either.
    let own = self::lead(&app, &other, Some(LEAD_EMAIL), Value::Null).await;
    let res = app
        .get(
            &format!("/api/v1/leads/{own}/emails/{id}"),
            Some(other.token()),
        )
        .await;
    assert_not_found(res).await;
    let res = app
        .get(&format!("/api/v1/leads/{lead}/emails"), Some(other.token()))
        .await;
    assert_not_found(res).await;
    let listed = app
        .get_json(&format!("/api/v1/leads/{own}/emails"), &other)
        .await;
    assert_eq!(listed["total"], 0);
}

#[tokio::test]
async fn a_worker_that_vanished_on_the_last_attempt_still_leaves_the_message_for_review() {
    let (app, s, sink, lead) = ana_with_a_mailbox_and_a_lead().await;
    let id = queue(&app, &s, lead).await;
    // Its last attempt's worker marked it dispatching, then vanished with the job.
    died_dispatching(&app, id, 6).await;
    sqlx::query(
        "UPDATE jobs SET status = 'running', attempts = max_attempts, locked_by = 'gone',
                locked_until = now() - interval '1 second'",
    )
    .execute(app.db.pool())
    .await
    .unwrap();
    assert!(deliver(&app).await.is_empty(), "the job is dead, not run");
    let review = email_of(&app, &s, lead, id).await;
    assert_eq!(review["state"], "needs_review");
    assert!(sink.received().is_empty());
    let listed = app
        .get_json(&format!("/api/v1/leads/{lead}/emails"), &s)
        .await;
    assert_eq!(listed["total"], 1);
    assert_eq!(listed["items"][0]["state"], "needs_review");

    // Found in the sent folder: recorded as sent, on the timeline, never delivered.
    let other = app.signup("Bia", "bia@outra.com.br").await;
    let res = settle_review(&app, &other, lead, id, "sent").await;
    assert_not_found(res).await;
    // A teammate who did not send it cannot say whether it went out.
    let sdr = app.add_member(&s, "Caio", "caio@acme.com.br", "sdr").await;
    let res = settle_review(&app, &sdr, lead, id, "sent").await;
    assert_error(res, StatusCode::FORBIDDEN, "FORBIDDEN").await;
    let res = settle_review(&app, &s, lead, id, "maybe").await;
    assert_eq!(invalid_fields(res).await, vec!["outcome".to_owned()]);
    let res = settle_review(&app, &s, lead, id, "sent").await;
    assert_eq!(res.status(), StatusCode::OK);
    let settled: Value = res.json().await.unwrap();
    assert_eq!(settled["state"], "sent");
    assert!(settled["sent_at"].is_string());
    let timeline = timeline(&app, &s, lead).await;
    assert_eq!(timeline[0]["type"], "sent");
    assert_eq!(timeline[0]["actor_id"], s.user_id().to_string());
    assert!(deliver(&app).await.is_empty());
    assert!(sink.received().is_empty());
}
