//! Enrollments API: bulk enroll with a reason per refused lead, pause/resume/unenroll,
//! the cadence funnel and the lead timeline — and isolation between organizations.

use reqwest::StatusCode;
use serde_json::{json, Value};
use uuid::Uuid;

use crate::{
    cadences::{create_cadence, step, system_templates},
    helpers::{assert_error, conflict_fields, invalid_fields, spawn_app, Session, TestApp},
};

/// A lead inserted as the database owner (no enrichment job, any CNPJ shape).
pub(crate) struct LeadSeed<'a> {
    pub(crate) email: Option<&'a str>,
    pub(crate) phone: Option<&'a str>,
    pub(crate) do_not_contact: bool,
    pub(crate) archived: bool,
}

impl<'a> LeadSeed<'a> {
    fn opted_out() -> Self {
        Self {
            do_not_contact: true,
            ..Self::default()
        }
    }
    fn archived() -> Self {
        Self {
            archived: true,
            ..Self::default()
        }
    }
    fn email(email: Option<&'a str>) -> Self {
        Self {
            email,
            ..Self::default()
        }
    }
    fn phone(email: Option<&'a str>, phone: &'a str) -> Self {
        Self {
            email,
            phone: Some(phone),
            ..Self::default()
        }
    }
}

impl Default for LeadSeed<'_> {
    fn default() -> Self {
        Self {
            email: Some("compras@acme.com.br"),
            phone: None,
            do_not_contact: false,
            archived: false,
        }
    }
}

pub(crate) async fn insert_lead(app: &TestApp, s: &Session, seed: LeadSeed<'_>) -> Uuid {
    let cnpj = format!("{:014}", rand_suffix());
    sqlx::query_scalar(
        "INSERT INTO leads (org_id, cnpj, razao_social, email, telefone, do_not_contact, archived_at)
         VALUES ($1, $2, 'ACME INDUSTRIA LTDA', $3, $4, $5, CASE WHEN $6 THEN now() END)
         RETURNING id",
    )
    .bind(s.org_id())
    .bind(cnpj)
    .bind(seed.email)
    .bind(seed.phone)
    .bind(seed.do_not_contact)
    .bind(seed.archived)
    .fetch_one(app.db.pool())
    .await
    .unwrap()
}

fn rand_suffix() -> u64 {
    u64::from(Uuid::new_v4().as_u128() as u32) * 1000 + 1
}

/// A draft email → email cadence (1 day between steps); its id.
pub(crate) async fn email_cadence(app: &TestApp, s: &Session) -> String {
    let (email, _) = system_templates(app, s).await;
    let c = create_cadence(
        app,
        s,
        vec![step("email", &email, 0), step("email", &email, 1)],
    )
    .await;
    c["id"].as_str().unwrap().to_owned()
}

pub(crate) async fn enroll(app: &TestApp, s: &Session, cadence: &str, leads: &[Uuid]) -> Value {
    let res = app
        .post(
            &format!("/api/v1/cadences/{cadence}/enrollments"),
            &json!({ "lead_ids": leads }),
            Some(s.token()),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    res.json().await.unwrap()
}

pub(crate) fn refusals(result: &Value) -> Vec<(String, String)> {
    let mut found: Vec<(String, String)> = result["refused"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            assert!(!r["message"].as_str().unwrap().is_empty());
            (
                r["lead_id"].as_str().unwrap().to_owned(),
                r["reason"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    found.sort();
    found
}

#[tokio::test]
async fn bulk_enroll_reports_a_reason_for_each_refused_lead() {
    let app = spawn_app().await;
    let s = app.signup("Ana", "ana@acme.com.br").await;
    let cadence = email_cadence(&app, &s).await;
    let ok = insert_lead(&app, &s, LeadSeed::default()).await;
    let opted_out = insert_lead(&app, &s, LeadSeed::opted_out()).await;
    let archived = insert_lead(&app, &s, LeadSeed::archived()).await;
    let no_email = insert_lead(&app, &s, LeadSeed::phone(None, "(11) 98765-4321")).await;
    let bad_email = insert_lead(&app, &s, LeadSeed::email(Some("sem arroba"))).await;
    let unknown = Uuid::new_v4();

    let result = enroll(
        &app,
        &s,
        &cadence,
        &[ok, opted_out, archived, no_email, bad_email, unknown, ok],
    )
    .await;
    let enrolled = result["enrolled"].as_array().unwrap();
    assert_eq!(enrolled.len(), 1, "{result}");
    assert_eq!(enrolled[0]["lead_id"], ok.to_string());
    let mut expected = vec![
        (opted_out.to_string(), "opted_out".to_owned()),
        (archived.to_string(), "archived".to_owned()),
        (no_email.to_string(), "no_address".to_owned()),
        (bad_email.to_string(), "no_address".to_owned()),
        (unknown.to_string(), "not_found".to_owned()),
    ];
    expected.sort();
    assert_eq!(refusals(&result), expected);

    // A retried request with the same Idempotency-Key gets the first answer again
    // ("enrolled", not "already enrolled").
    let late = insert_lead(&app, &s, LeadSeed::default()).await;
    let mut answers = Vec::new();
    for _ in 0..2 {
        let res = app
            .client
            .post(app.url(&format!("/api/v1/cadences/{cadence}/enrollments")))
            .bearer_auth(s.token())
            .header("Idempotency-Key", "enroll-1")
            .json(&json!({ "lead_ids": [late] }))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        answers.push(res.json::<Value>().await.unwrap());
    }
    assert_eq!(answers[0], answers[1]);
    assert_eq!(answers[0]["enrolled"][0]["lead_id"], late.to_string());

    // At most one running enrollment per lead and cadence.
    let again = enroll(&app, &s, &cadence, &[ok]).await;
    assert_eq!(
        refusals(&again),
        vec![(ok.to_string(), "already_enrolled".to_owned())]
    );

    // The enrollment waits for step 1 (no delay), held while the cadence is a draft.
    let id = enrolled[0]["enrollment_id"].as_str().unwrap();
    let e: Value = app
        .get_json(&format!("/api/v1/cadences/{cadence}/enrollments/{id}"), &s)
        .await;
    assert_eq!(e["status"], "active");
    assert_eq!(e["cadence_held"], true);
    assert_eq!(e["next_step_position"], 1);
    assert_eq!(e["steps_sent"], 0);
    assert_eq!(e["steps_total"], 2);
    assert_eq!(e["sender_id"], s.user_id().to_string());
    assert_eq!(e["sender_name"], "Ana");
    assert_eq!(e["lead_name"], "ACME INDUSTRIA LTDA");
    let due: chrono::DateTime<chrono::Utc> = e["next_step_due"].as_str().unwrap().parse().unwrap();
    assert!((chrono::Utc::now() - due).num_seconds().abs() < 60, "{due}");

    // Activating the cadence releases it; the counts show on the cadence.
    let res = app
        .post(
            &format!("/api/v1/cadences/{cadence}/activate"),
            &json!({}),
            Some(s.token()),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let c: Value = res.json().await.unwrap();
    assert_eq!(c["enrollments"]["active"], 2);
    let list: Value = app
        .get_json(
            &format!("/api/v1/cadences/{cadence}/enrollments?status=active"),
            &s,
        )
        .await;
    assert_eq!(list["total"], 2);
    assert_eq!(list["items"][0]["cadence_held"], false);
    let list: Value = app
        .get_json(
            &format!("/api/v1/cadences/{cadence}/enrollments?status=paused"),
            &s,
        )
        .await;
    assert_eq!(list["total"], 0);
}

#[tokio::test]
async fn a_whatsapp_first_step_needs_a_mobile_number() {
    let app = spawn_app().await;
    let s = app.signup("Ana", "ana@acme.com.br").await;
    let (email, whatsapp) = system_templates(&app, &s).await;
    let c = create_cadence(
        &app,
        &s,
        vec![step("whatsapp", &whatsapp, 2), step("email", &email, 1)],
    )
    .await;
    let cadence = c["id"].as_str().unwrap();
    let mobile = insert_lead(&app, &s, LeadSeed::phone(None, "+55 11 98765-4321")).await;
    let landline = insert_lead(
        &app,
        &s,
        LeadSeed::phone(Some("compras@acme.com.br"), "(11) 3456-7890"),
    )
    .await;
    let result = enroll(&app, &s, cadence, &[mobile, landline]).await;
    assert_eq!(result["enrolled"][0]["lead_id"], mobile.to_string());
    assert_eq!(
        refusals(&result),
        vec![(landline.to_string(), "no_address".to_owned())]
    );
    // Due after the first step's delay (2 days).
    let list: Value = app
        .get_json(&format!("/api/v1/cadences/{cadence}/enrollments"), &s)
        .await;
    let due: chrono::DateTime<chrono::Utc> = list["items"][0]["next_step_due"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let wait = due - chrono::Utc::now();
    assert!(
        (wait - chrono::Duration::days(2)).num_seconds().abs() < 60,
        "{wait}"
    );
}

#[tokio::test]
async fn enroll_validates_the_request_and_the_sender() {
    let app = spawn_app().await;
    let s = app.signup("Ana", "ana@acme.com.br").await;
    let sdr = app.add_member(&s, "Caio", "caio@acme.com.br", "sdr").await;
    let other = app.signup("Bia", "bia@beta.com.br").await;
    let cadence = email_cadence(&app, &s).await;
    let lead = insert_lead(&app, &s, LeadSeed::default()).await;
    let path = format!("/api/v1/cadences/{cadence}/enrollments");

    let res = app
        .post(&path, &json!({"lead_ids": []}), Some(s.token()))
        .await;
    assert_eq!(invalid_fields(res).await, vec!["lead_ids"]);
    // An empty page number is malformed, not absent.
    let res = app.get(&format!("{path}?page="), Some(s.token())).await;
    assert_eq!(invalid_fields(res).await, vec!["page"]);
    let res = app
        .get("/api/v1/templates?per_page=%20", Some(s.token()))
        .await;
    assert_eq!(invalid_fields(res).await, vec!["per_page"]);
    let too_many: Vec<Uuid> = (0..1001).map(|_| Uuid::new_v4()).collect();
    let res = app
        .post(&path, &json!({"lead_ids": too_many}), Some(s.token()))
        .await;
    assert_eq!(invalid_fields(res).await, vec!["lead_ids"]);
    // Someone of another organization cannot send for this one.
    let res = app
        .post(
            &path,
            &json!({"lead_ids": [lead], "sender_id": other.user_id()}),
            Some(s.token()),
        )
        .await;
    assert_eq!(invalid_fields(res).await, vec!["sender_id"]);
    let res = app
        .post(
            "/api/v1/cadences/nope/enrollments",
            &json!({"lead_ids": [lead]}),
            Some(s.token()),
        )
        .await;
    assert_eq!(invalid_fields(res).await, vec!["id"]);

    // An SDR cannot send through the manager's mailbox...
    let res = app
        .post(
            &path,
            &json!({"lead_ids": [lead], "sender_id": s.user_id()}),
            Some(sdr.token()),
        )
        .await;
    let error = assert_error(res, StatusCode::FORBIDDEN, "FORBIDDEN").await;
    assert!(error["message"]
        .as_str()
        .unwrap()
        .contains("enrollments:send_as"));
    let list: Value = app.get_json(&path, &sdr).await;
    assert_eq!(list["total"], 0);
    // ...but may name themself, and a manager enrolls on behalf of a teammate.
    let res = app
        .post(
            &path,
            &json!({"lead_ids": [lead], "sender_id": sdr.user_id()}),
            Some(sdr.token()),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let second = insert_lead(&app, &s, LeadSeed::default()).await;
    let res = app
        .post(
            &path,
            &json!({"lead_ids": [second], "sender_id": sdr.user_id()}),
            Some(s.token()),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let enrolled: Value = res.json().await.unwrap();
    let id = enrolled["enrolled"][0]["enrollment_id"].as_str().unwrap();
    let e: Value = app.get_json(&format!("{path}/{id}"), &s).await;
    assert_eq!(e["sender_id"], sdr.user_id().to_string());
    assert_eq!(e["enrolled_by"], s.user_id().to_string());

    // Archived cadences take no one.
    let res = app
        .post(
            &format!("/api/v1/cadences/{cadence}/archive"),
            &json!({}),
            Some(s.token()),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let fresh = insert_lead(&app, &s, LeadSeed::default()).await;
    let res = app
        .post(&path, &json!({"lead_ids": [fresh]}), Some(s.token()))
        .await;
    assert_eq!(conflict_fields(res).await, Vec::<String>::new());
}
