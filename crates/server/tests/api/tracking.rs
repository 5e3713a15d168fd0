//! The public links of an e-mail sent over SMTP: unsubscribe (page, form and RFC 8058
//! one-click), open pixel and click redirect, end to end: enrolled over HTTP, sent by
//! the engine through a local SMTP server, links followed back to this server.

use std::sync::Arc;

use chrono::{Duration, Utc};
use flux_app::{channel::Channels, clock::ManualClock, tracking::TrackingLinks};
use flux_domain::{Channel, SendWindow};
use flux_platform::SecretsKey;
use flux_testkit::smtp_sink::{Received, SmtpSink};
use flux_workers::engine::Engine;
use reqwest::StatusCode;
use serde_json::{json, Value};
use uuid::Uuid;

use crate::{
    cadences::{create_cadence, step},
    helpers::{spawn_app, Session, TestApp, TEST_SECRETS_KEY},
};

struct Sent {
    lead: Uuid,
    mail: Received,
}

/// An active cadence whose first e-mail has a link, a lead enrolled over HTTP, and
/// the engine (clock at the send window's next opening) sending it through `sink`.
async fn send_one(app: &TestApp, s: &Session, sink: &SmtpSink) -> Sent {
    let res = app
        .post(
            "/api/v1/mailboxes",
            &json!({"from_name": "Ana", "from_email": "ana@acme.com.br", "smtp_host": sink.host(),
                    "smtp_port": sink.port(), "smtp_security": "none", "smtp_username": "ana",
                    "smtp_password": "x", "min_interval_seconds": 0}),
            Some(s.token()),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let template: Value = app
        .post(
            "/api/v1/templates",
            &json!({"name": "Com link", "channel": "email", "subject": "Oi {{razao_social}}",
                    "body": "Veja https://acme.com.br/case?x=1&y=2. Ou https://acme.com.br/agenda"}),
            Some(s.token()),
        )
        .await
        .json()
        .await
        .unwrap();
    let template = template["id"].as_str().unwrap();
    let cadence = create_cadence(
        app,
        s,
        vec![step("email", template, 0), step("email", template, 3)],
    )
    .await;
    let cadence = cadence["id"].as_str().unwrap();
    let res = app
        .post(
            &format!("/api/v1/cadences/{cadence}/activate"),
            &json!({}),
            Some(s.token()),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let lead: Uuid = sqlx::query_scalar(
        "INSERT INTO leads (org_id, cnpj, razao_social, email) VALUES ($1, '11222333000181', 'ACME LTDA', 'compras@cliente.com.br') RETURNING id",
    )
    .bind(s.org_id())
    .fetch_one(app.db.pool())
    .await
    .unwrap();
    let enrolled: Value = app
        .post(
            &format!("/api/v1/cadences/{cadence}/enrollments"),
            &json!({"lead_ids": [lead]}),
            Some(s.token()),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(enrolled["enrolled"].as_array().unwrap().len(), 1);

    let engine = Engine::new(
        app.db.clone(),
        Channels::default().with(Channel::Email, app.ports.email.clone()),
    )
    // The enrollment is due from the real present: the engine's clock is the default
    // window's next opening after it (never a fixed date that the calendar passes).
    .with_clock(Arc::new(ManualClock::new(
        SendWindow::default().next_open(Utc::now() + Duration::minutes(1), None),
    )));
    assert_eq!(engine.drain().await.unwrap().sent, 1);
    let mail = sink.received().pop().unwrap();
    Sent { lead, mail }
}

/// Turns open and click tracking on for the session's organization.
pub(crate) async fn track_opens_and_clicks(app: &TestApp, s: &Session) {
    let res = app
        .patch(
            "/api/v1/organization/sending",
            &json!({"track_opens": true, "track_clicks": true}),
            Some(s.token()),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
}

/// A link from the message, pointed at this test server instead of FLUX_PUBLIC_URL.
fn local(app: &TestApp, url: &str) -> String {
    url.replace("http://flux.test", &app.address)
}

#[tokio::test]
async fn the_unsubscribe_link_asks_first_then_stops_every_enrollment_of_the_lead() {
    let app = spawn_app().await;
    let s = app.signup("Ana", "ana@acme.com.br").await;
    let sink = SmtpSink::start().await;
    let sent = send_one(&app, &s, &sink).await;
    let header = sent.mail.header("List-Unsubscribe").unwrap();
    let url = local(&app, header.trim_start_matches('<').trim_end_matches('>'));
    assert!(sent.mail.text().contains(&format!(
        "Para não receber mais nossos e-mails: {}",
        header.trim_start_matches('<').trim_end_matches('>')
    )));
    assert!(sent.mail.html().is_none(), "no tracking, no HTML part");

    // GET (what a link scanner does) only shows the question.
    // The lead is in a second cadence too.
    let other: Uuid = sqlx::query_scalar(
        "INSERT INTO cadences (org_id, name, status, activated_at)
         VALUES ($1, 'Outra', 'active', now()) RETURNING id",
    )
    .bind(s.org_id())
    .fetch_one(app.db.pool())
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO cadence_enrollments (org_id, cadence_id, lead_id, sender_id)
         VALUES ($1, $2, $3, $4)",
    )
    .bind(s.org_id())
    .bind(other)
    .bind(sent.lead)
    .bind(s.user_id())
    .execute(app.db.pool())
    .await
    .unwrap();
    let page = app.client.get(&url).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let html = page.text().await.unwrap();
    assert!(html.contains("compras@cliente.com.br") && html.contains("<form method=\"post\">"));
    let dnc = |app: &TestApp| {
        let pool = app.db.pool().clone();
        let lead = sent.lead;
        async move {
            sqlx::query_scalar::<_, bool>("SELECT do_not_contact FROM leads WHERE id = $1")
                .bind(lead)
                .fetch_one(&pool)
                .await
                .unwrap()
        }
    };
    assert!(!dnc(&app).await);

    // Tracking is off in this organization: the same token neither records an open
    // nor redirects.
    let token = url.rsplit('/').nth(1).unwrap().to_owned();
    let pixel = app
        .get(&format!("/api/v1/tracking/{token}/open"), None)
        .await;
    assert_eq!(pixel.status(), StatusCode::OK);
    let click = app
        .get(&format!("/api/v1/tracking/{token}/click/0"), None)
        .await;
    assert_eq!(click.status(), StatusCode::NOT_FOUND);
    let odd = app
        .get(&format!("/api/v1/tracking/{token}/click/-1"), None)
        .await;
    assert_eq!(odd.status(), StatusCode::NOT_FOUND);

    // The RFC 8058 one-click POST a mail client sends.
    let res = app
        .client
        .post(&url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(dnc(&app).await);
    let statuses: Vec<String> =
        sqlx::query_scalar("SELECT status::text FROM cadence_enrollments WHERE lead_id = $1")
            .bind(sent.lead)
            .fetch_all(app.db.pool())
            .await
            .unwrap();
    assert_eq!(
        statuses,
        ["unsubscribed", "unsubscribed"],
        "every cadence of the lead"
    );
    // Again: nothing more happens, one interaction on the timeline.
    assert_eq!(
        app.client.post(&url).send().await.unwrap().status(),
        StatusCode::OK
    );
    let timeline: Value = app
        .get_json(&format!("/api/v1/leads/{}/timeline", sent.lead), &s)
        .await;
    let mut kinds: Vec<&str> = timeline["interactions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["type"].as_str().unwrap())
        .collect();
    kinds.sort_unstable();
    assert_eq!(kinds, ["sent", "unsubscribed"]);
    let html = app
        .client
        .get(&url)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("já não recebe"));
}

#[tokio::test]
async fn opens_and_clicks_are_recorded_once_and_clicks_go_where_the_message_said() {
    let app = spawn_app().await;
    let s = app.signup("Ana", "ana@acme.com.br").await;
    track_opens_and_clicks(&app, &s).await;
    let sink = SmtpSink::start().await;
    let sent = send_one(&app, &s, &sink).await;
    let token = TrackingLinks::new(
        SecretsKey::from_base64(TEST_SECRETS_KEY).unwrap(),
        &app.settings.public_url,
    )
    .token(
        sqlx::query_scalar::<_, Uuid>("SELECT id FROM step_sends")
            .fetch_one(app.db.pool())
            .await
            .unwrap(),
    );
    // The HTML part carries the pixel and the redirects; the text keeps the links.
    let html = sent.mail.html().unwrap();
    assert!(html.contains(&format!("/api/v1/tracking/{token}/open")));
    assert!(html.contains(&format!("/api/v1/tracking/{token}/click/1")));
    assert!(sent
        .mail
        .text()
        .contains("Veja https://acme.com.br/case?x=1&y=2."));

    for _ in 0..2 {
        let pixel = app
            .get(&format!("/api/v1/tracking/{token}/open"), None)
            .await;
        assert_eq!(pixel.status(), StatusCode::OK);
        assert_eq!(pixel.headers()["content-type"], "image/gif");
        assert!(pixel.bytes().await.unwrap().starts_with(b"GIF89a"));
    }
    let click = app
        .get(&format!("/api/v1/tracking/{token}/click/0"), None)
        .await;
    assert_eq!(click.status(), StatusCode::FOUND);
    assert_eq!(
        click.headers()["location"],
        "https://acme.com.br/case?x=1&y=2"
    );
    let click = app
        .get(&format!("/api/v1/tracking/{token}/click/1"), None)
        .await;
    assert_eq!(click.headers()["location"], "https://acme.com.br/agenda");
    let res = app
        .get(&format!("/api/v1/tracking/{token}/click/2"), None)
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);

    let counts: Vec<(String, i64)> = sqlx::query_as(
        "SELECT type::text, count(*) FROM interactions WHERE lead_id = $1 GROUP BY 1 ORDER BY 1",
    )
    .bind(sent.lead)
    .fetch_all(app.db.pool())
    .await
    .unwrap();
    assert_eq!(
        counts,
        [
            ("clicked".to_owned(), 2),
            ("opened".to_owned(), 1),
            ("sent".to_owned(), 1)
        ]
    );
    let url: Value = sqlx::query_scalar(
        "SELECT metadata FROM interactions WHERE type = 'clicked' ORDER BY metadata->>'link' LIMIT 1",
    )
    .fetch_one(app.db.pool())
    .await
    .unwrap();
    assert_eq!(url["url"], "https://acme.com.br/case?x=1&y=2");
}

#[tokio::test]
async fn links_of_a_message_older_than_a_year_have_expired() {
    let app = spawn_app().await;
    let s = app.signup("Ana", "ana@acme.com.br").await;
    track_opens_and_clicks(&app, &s).await;
    let sink = SmtpSink::start().await;
    let sent = send_one(&app, &s, &sink).await;
    let send_id: Uuid = sqlx::query_scalar("SELECT id FROM step_sends")
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    let token = TrackingLinks::new(
        SecretsKey::from_base64(TEST_SECRETS_KEY).unwrap(),
        &app.settings.public_url,
    )
    .token(send_id);
    sqlx::query("UPDATE step_sends SET sent_at = now() - interval '366 days'")
        .execute(app.db.pool())
        .await
        .unwrap();

    let page = app
        .get(&format!("/api/v1/tracking/{token}/unsubscribe"), None)
        .await;
    assert_eq!(page.status(), StatusCode::GONE);
    assert!(page.text().await.unwrap().contains("responda ao e-mail"));
    let res = app
        .post(
            &format!("/api/v1/tracking/{token}/unsubscribe"),
            &json!({}),
            None,
        )
        .await;
    assert_eq!(res.status(), StatusCode::GONE);
    let pixel = app
        .get(&format!("/api/v1/tracking/{token}/open"), None)
        .await;
    assert_eq!(pixel.status(), StatusCode::OK, "the image is still served");
    let click = app
        .get(&format!("/api/v1/tracking/{token}/click/0"), None)
        .await;
    assert_eq!(click.status(), StatusCode::NOT_FOUND);

    let (do_not_contact, recorded): (bool, i64) = sqlx::query_as(
        "SELECT l.do_not_contact,
                (SELECT count(*) FROM interactions i WHERE i.lead_id = l.id AND i.type <> 'sent')
         FROM leads l WHERE l.id = $1",
    )
    .bind(sent.lead)
    .fetch_one(app.db.pool())
    .await
    .unwrap();
    assert_eq!((do_not_contact, recorded), (false, 0));
}

#[tokio::test]
async fn forged_or_foreign_tokens_do_nothing() {
    let app = spawn_app().await;
    let s = app.signup("Ana", "ana@acme.com.br").await;
    let sink = SmtpSink::start().await;
    let sent = send_one(&app, &s, &sink).await;
    let send_id: Uuid = sqlx::query_scalar("SELECT id FROM step_sends")
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    // Signed with another key (another installation), or not signed at all.
    let foreign = TrackingLinks::new(SecretsKey::from_bytes([1; 32]), &app.settings.public_url)
        .token(send_id);
    for token in [foreign.as_str(), "nao-assinado", "AAAA"] {
        let url = app.url(&format!("/api/v1/tracking/{token}/unsubscribe"));
        assert_eq!(
            app.client.post(&url).send().await.unwrap().status(),
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            app.client.get(&url).send().await.unwrap().status(),
            StatusCode::NOT_FOUND
        );
        let click = app.url(&format!("/api/v1/tracking/{token}/click/0"));
        assert_eq!(
            app.client.get(&click).send().await.unwrap().status(),
            StatusCode::NOT_FOUND
        );
        let pixel = app
            .get(&format!("/api/v1/tracking/{token}/open"), None)
            .await;
        assert_eq!(pixel.status(), StatusCode::OK, "the image is served anyway");
    }
    let recorded: i64 =
        sqlx::query_scalar("SELECT count(*) FROM interactions WHERE type <> 'sent'")
            .fetch_one(app.db.pool())
            .await
            .unwrap();
    assert_eq!(recorded, 0);
    let dnc: bool = sqlx::query_scalar("SELECT do_not_contact FROM leads WHERE id = $1")
        .bind(sent.lead)
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert!(!dnc);
}
