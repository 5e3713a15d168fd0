//! Enrollments API: bulk enroll with a reason per refused lead, pause/resume/unenroll,
//! the cadence funnel and the lead timeline — and isolation between organizations.

use reqwest::StatusCode;
use serde_json::{json, Value};
use uuid::Uuid;

use crate::{
    cadences::{create_cadence, step, system_templates},
    helpers::{
        assert_error, assert_not_found, conflict_fields, invalid_fields, spawn_app, Session,
        TestApp,
    },
};

/// A lead inserted as the database owner (no enrichment job, any CNPJ shape).
struct LeadSeed<'a> {
    email: Option<&'a str>,
    phone: Option<&'a str>,
    do_not_contact: bool,
    archived: bool,
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

async fn insert_lead(app: &TestApp, s: &Session, seed: LeadSeed<'_>) -> Uuid {
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
async fn email_cadence(app: &TestApp, s: &Session) -> String {
    let (email, _) = system_templates(app, s).await;
    let c = create_cadence(
        app,
        s,
        vec![step("email", &email, 0), step("email", &email, 1)],
    )
    .await;
    c["id"].as_str().unwrap().to_owned()
}

async fn enroll(app: &TestApp, s: &Session, cadence: &str, leads: &[Uuid]) -> Value {
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

fn refusals(result: &Value) -> Vec<(String, String)> {
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

#[tokio::test]
async fn pause_resume_and_unenroll_follow_the_status() {
    let app = spawn_app().await;
    let s = app.signup("Ana", "ana@acme.com.br").await;
    let cadence = email_cadence(&app, &s).await;
    let lead = insert_lead(&app, &s, LeadSeed::default()).await;
    let result = enroll(&app, &s, &cadence, &[lead]).await;
    let id = result["enrolled"][0]["enrollment_id"].as_str().unwrap();
    let path = format!("/api/v1/cadences/{cadence}/enrollments/{id}");

    let res = app
        .post(&format!("{path}/resume"), &json!({}), Some(s.token()))
        .await;
    assert_error(res, StatusCode::CONFLICT, "CONFLICT").await;
    let res = app
        .post(&format!("{path}/pause"), &json!({}), Some(s.token()))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let e: Value = res.json().await.unwrap();
    assert_eq!(
        (e["status"].as_str(), e["pause_reason"].as_str()),
        (Some("paused"), Some("manual"))
    );
    let res = app
        .post(&format!("{path}/pause"), &json!({}), Some(s.token()))
        .await;
    assert_error(res, StatusCode::CONFLICT, "CONFLICT").await;

    // Paused past its due time: resuming makes it due now, not in the past.
    sqlx::query("UPDATE cadence_enrollments SET next_step_due = now() - interval '3 days' WHERE id = $1::uuid")
        .bind(id)
        .execute(app.db.pool())
        .await
        .unwrap();
    let res = app
        .post(&format!("{path}/resume"), &json!({}), Some(s.token()))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let e: Value = res.json().await.unwrap();
    assert_eq!(e["status"], "active");
    assert!(e["pause_reason"].is_null());
    let due: chrono::DateTime<chrono::Utc> = e["next_step_due"].as_str().unwrap().parse().unwrap();
    assert!((chrono::Utc::now() - due).num_seconds().abs() < 60, "{due}");

    // A send awaiting review blocks resume until it is resolved.
    sqlx::query("UPDATE cadence_enrollments SET status = 'paused', pause_reason = 'review_required' WHERE id = $1::uuid")
        .bind(id)
        .execute(app.db.pool())
        .await
        .unwrap();
    let res = app
        .post(&format!("{path}/resume"), &json!({}), Some(s.token()))
        .await;
    assert_error(res, StatusCode::CONFLICT, "CONFLICT").await;

    let res = app.delete(&path, Some(s.token())).await;
    assert_eq!(res.status(), StatusCode::OK);
    let e: Value = res.json().await.unwrap();
    assert_eq!(e["status"], "stopped");
    assert!(e["finished_at"].is_string());
    assert!(e["next_step_due"].is_null());
    let res = app.delete(&path, Some(s.token())).await;
    assert_error(res, StatusCode::CONFLICT, "CONFLICT").await;
    let res = app
        .post(&format!("{path}/pause"), &json!({}), Some(s.token()))
        .await;
    assert_error(res, StatusCode::CONFLICT, "CONFLICT").await;

    // Unenrolled leads may be enrolled again; each change is audited.
    let again = enroll(&app, &s, &cadence, &[lead]).await;
    assert_eq!(again["enrolled"].as_array().unwrap().len(), 1);
    let actions: Vec<String> = sqlx::query_scalar(
        "SELECT action FROM audit_logs WHERE resource_id = $1::uuid ORDER BY created_at",
    )
    .bind(id)
    .fetch_all(app.db.pool())
    .await
    .unwrap();
    assert_eq!(
        actions,
        vec![
            "enrollment.paused",
            "enrollment.resumed",
            "enrollment.unenrolled"
        ]
    );
}

/// Records an interaction as the engine or the poller would.
async fn record(app: &TestApp, s: &Session, lead: Uuid, cadence: &str, step: &str, kind: &str) {
    sqlx::query(
        "INSERT INTO interactions (org_id, lead_id, cadence_id, step_id, channel, type, summary)
         VALUES ($1, $2, $3::uuid, $4::uuid, 'email', $5::interaction_type, 'Olá')",
    )
    .bind(s.org_id())
    .bind(lead)
    .bind(cadence)
    .bind(step)
    .bind(kind)
    .execute(app.db.pool())
    .await
    .unwrap();
}

#[tokio::test]
async fn funnel_counts_leads_per_step_and_the_timeline_shows_the_history() {
    let app = spawn_app().await;
    let s = app.signup("Ana", "ana@acme.com.br").await;
    let cadence = email_cadence(&app, &s).await;
    let c: Value = app
        .get_json(&format!("/api/v1/cadences/{cadence}"), &s)
        .await;
    let first = c["steps"][0]["id"].as_str().unwrap().to_owned();
    let second = c["steps"][1]["id"].as_str().unwrap().to_owned();
    let a = insert_lead(&app, &s, LeadSeed::default()).await;
    let b = insert_lead(&app, &s, LeadSeed::default()).await;
    enroll(&app, &s, &cadence, &[a, b]).await;
    for lead in [a, b] {
        record(&app, &s, lead, &cadence, &first, "sent").await;
    }
    // Two opens by one lead count once.
    record(&app, &s, a, &cadence, &first, "opened").await;
    record(&app, &s, a, &cadence, &first, "opened").await;
    record(&app, &s, a, &cadence, &second, "sent").await;
    record(&app, &s, a, &cadence, &second, "replied").await;

    let funnel: Value = app
        .get_json(&format!("/api/v1/cadences/{cadence}/funnel"), &s)
        .await;
    let steps = funnel["steps"].as_array().unwrap();
    assert_eq!(steps.len(), 2);
    assert_eq!(steps[0]["step_id"], first);
    assert_eq!(steps[0]["counts"]["sent"], 2);
    assert_eq!(steps[0]["counts"]["opened"], 1);
    assert_eq!(steps[0]["counts"]["replied"], 0);
    assert_eq!(steps[1]["counts"]["sent"], 1);
    assert_eq!(steps[1]["counts"]["replied"], 1);

    let timeline: Value = app
        .get_json(&format!("/api/v1/leads/{a}/timeline?per_page=2"), &s)
        .await;
    assert_eq!(timeline["total"], 5);
    assert_eq!(timeline["interactions"].as_array().unwrap().len(), 2);
    let newest = &timeline["interactions"][0];
    assert_eq!(newest["cadence_name"], "Outbound SP");
    assert_eq!(newest["channel"], "email");
    assert!(newest["step_position"].is_i64());
    let enrollments = timeline["enrollments"].as_array().unwrap();
    assert_eq!(enrollments.len(), 1);
    assert_eq!(enrollments[0]["cadence_id"], cadence);
    assert_not_found(
        app.get(
            &format!("/api/v1/leads/{}/timeline", Uuid::new_v4()),
            Some(s.token()),
        )
        .await,
    )
    .await;
}

#[tokio::test]
async fn enrollments_are_invisible_and_untouchable_across_organizations() {
    let app = spawn_app().await;
    let a = app.signup("Ana", "ana@acme.com.br").await;
    let b = app.signup("Bia", "bia@beta.com.br").await;
    let cadence = email_cadence(&app, &a).await;
    let lead = insert_lead(&app, &a, LeadSeed::default()).await;
    let result = enroll(&app, &a, &cadence, &[lead]).await;
    let id = result["enrolled"][0]["enrollment_id"].as_str().unwrap();
    let path = format!("/api/v1/cadences/{cadence}/enrollments");

    assert_not_found(app.get(&path, Some(b.token())).await).await;
    assert_not_found(
        app.post(&path, &json!({"lead_ids": [lead]}), Some(b.token()))
            .await,
    )
    .await;
    assert_not_found(app.get(&format!("{path}/{id}"), Some(b.token())).await).await;
    for action in ["pause", "resume"] {
        assert_not_found(
            app.post(
                &format!("{path}/{id}/{action}"),
                &json!({}),
                Some(b.token()),
            )
            .await,
        )
        .await;
    }
    assert_not_found(app.delete(&format!("{path}/{id}"), Some(b.token())).await).await;
    assert_not_found(
        app.get(
            &format!("/api/v1/cadences/{cadence}/funnel"),
            Some(b.token()),
        )
        .await,
    )
    .await;
    assert_not_found(
        app.get(&format!("/api/v1/leads/{lead}/timeline"), Some(b.token()))
            .await,
    )
    .await;
    // B cannot enroll A's lead in B's own cadence: to B it does not exist.
    let b_cadence = email_cadence(&app, &b).await;
    let res = enroll(&app, &b, &b_cadence, &[lead]).await;
    assert_eq!(
        refusals(&res),
        vec![(lead.to_string(), "not_found".to_owned())]
    );
    // Nothing changed for A.
    let e: Value = app.get_json(&format!("{path}/{id}"), &a).await;
    assert_eq!(e["status"], "active");
}

/// Leaves an enrollment as a crash with a provider that cannot tell does: its step's
/// send `needs_review`, the enrollment paused `review_required`.
async fn in_review(app: &TestApp, cadence: &str, enrollment: &str) -> Uuid {
    sqlx::query(
        "UPDATE cadence_enrollments SET status = 'paused', pause_reason = 'review_required'
         WHERE id = $1::uuid",
    )
    .bind(enrollment)
    .execute(app.db.pool())
    .await
    .unwrap();
    sqlx::query_scalar(
        "INSERT INTO step_sends (org_id, enrollment_id, step_id, cadence_id, lead_id, sender_id,
                                 channel, state, message_id, to_address, subject, body)
         SELECT e.org_id, e.id, e.next_step_id, e.cadence_id, e.lead_id, e.sender_id, 'email',
                'needs_review', gen_random_uuid() || '@acme.com.br', 'a@b.com.br', 'Oi', 'Olá'
         FROM cadence_enrollments e WHERE e.id = $1::uuid AND e.cadence_id = $2::uuid
         RETURNING id",
    )
    .bind(enrollment)
    .bind(cadence)
    .fetch_one(app.db.pool())
    .await
    .unwrap()
}

#[tokio::test]
async fn a_send_in_review_is_settled_by_a_person() {
    let app = spawn_app().await;
    let s = app.signup("Ana", "ana@acme.com.br").await;
    let other = app.signup("Bia", "bia@beta.com.br").await;
    let cadence = email_cadence(&app, &s).await;
    let c: Value = app
        .get_json(&format!("/api/v1/cadences/{cadence}"), &s)
        .await;
    let second = c["steps"][1]["id"].as_str().unwrap().to_owned();
    let leads = [
        insert_lead(&app, &s, LeadSeed::default()).await,
        insert_lead(&app, &s, LeadSeed::default()).await,
    ];
    let result = enroll(&app, &s, &cadence, &leads).await;
    let id = |i: usize| {
        result["enrolled"][i]["enrollment_id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let path = |i: usize| format!("/api/v1/cadences/{cadence}/enrollments/{}/review", id(i));

    // Nothing in review yet.
    let res = app
        .post(&path(0), &json!({"outcome": "sent"}), Some(s.token()))
        .await;
    assert_error(res, StatusCode::CONFLICT, "CONFLICT").await;

    let kept = in_review(&app, &cadence, &id(0)).await;
    let resent = in_review(&app, &cadence, &id(1)).await;
    let res = app
        .post(&path(0), &json!({"outcome": "maybe"}), Some(s.token()))
        .await;
    assert_error(res, StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION").await;
    assert_not_found(
        app.post(&path(0), &json!({"outcome": "sent"}), Some(other.token()))
            .await,
    )
    .await;
    // An SDR of the organization cannot settle the manager's send.
    let sdr = app.add_member(&s, "Caio", "caio@acme.com.br", "sdr").await;
    let res = app
        .post(&path(0), &json!({"outcome": "sent"}), Some(sdr.token()))
        .await;
    assert_error(res, StatusCode::FORBIDDEN, "FORBIDDEN").await;

    // "It went out": recorded as sent, the lead moves on to step 2.
    let res = app
        .post(&path(0), &json!({"outcome": "sent"}), Some(s.token()))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let e: Value = res.json().await.unwrap();
    assert_eq!(
        (e["status"].as_str(), e["steps_sent"].as_i64()),
        (Some("active"), Some(1))
    );
    assert_eq!(e["next_step_id"], second);
    let (state, resolved_by): (String, Option<Uuid>) =
        sqlx::query_as("SELECT state::text, resolved_by FROM step_sends WHERE id = $1")
            .bind(kept)
            .fetch_one(app.db.pool())
            .await
            .unwrap();
    assert_eq!((state.as_str(), resolved_by), ("sent", Some(s.user_id())));
    // Enrollments are answered in lead id order, not request order.
    let lead = result["enrolled"][0]["lead_id"].as_str().unwrap();
    let timeline: Value = app
        .get_json(&format!("/api/v1/leads/{lead}/timeline"), &s)
        .await;
    assert_eq!(timeline["interactions"][0]["type"], "sent", "{timeline}");

    // "It did not": back to prepared, due now, same step.
    let res = app
        .post(&path(1), &json!({"outcome": "not_sent"}), Some(s.token()))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let e: Value = res.json().await.unwrap();
    assert_eq!(
        (e["status"].as_str(), e["steps_sent"].as_i64()),
        (Some("active"), Some(0))
    );
    assert_eq!(e["next_step_position"], 1);
    let state: String = sqlx::query_scalar("SELECT state::text FROM step_sends WHERE id = $1")
        .bind(resent)
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert_eq!(state, "prepared");
    // Settled once: a second answer is a conflict.
    let res = app
        .post(&path(1), &json!({"outcome": "sent"}), Some(s.token()))
        .await;
    assert_error(res, StatusCode::CONFLICT, "CONFLICT").await;
}

#[tokio::test]
async fn enrolled_over_http_sent_by_the_engine_and_seen_on_the_timeline() {
    use std::sync::Arc;

    use flux_app::channel::Channels;
    use flux_domain::Channel;
    use flux_workers::engine::{memory::MemoryChannel, Engine};

    let app = spawn_app().await;
    let s = app.signup("Ana", "ana@acme.com.br").await;
    let cadence = email_cadence(&app, &s).await;
    sqlx::query(
        "INSERT INTO mailboxes (org_id, user_id, from_name, from_email, smtp_host, smtp_port,
                                smtp_username, smtp_password_enc, min_interval_seconds)
         VALUES ($1, $2, 'Ana', 'ana@acme.com.br', 'smtp.acme.com.br', 587, 'ana', '\\x00', 0)",
    )
    .bind(s.org_id())
    .bind(s.user_id())
    .execute(app.db.pool())
    .await
    .unwrap();
    // Open every day and hour, so the test does not depend on when it runs.
    let res = app
        .patch(
            "/api/v1/organization/sending",
            &json!({"days": ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"],
                    "start": "00:00", "end": "23:59", "send_on_optional_holidays": true}),
            Some(s.token()),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let res = app
        .post(
            &format!("/api/v1/cadences/{cadence}/activate"),
            &json!({}),
            Some(s.token()),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let lead = insert_lead(&app, &s, LeadSeed::default()).await;
    enroll(&app, &s, &cadence, &[lead]).await;

    let channel = MemoryChannel::default();
    let engine = Engine::new(
        app.db.clone(),
        Channels::default().with(Channel::Email, Arc::new(channel.clone())),
    );
    let report = engine.drain().await.unwrap();
    // A national holiday closes the window even when every hour is open.
    if report.sent == 0 {
        assert_eq!(report.rescheduled, 1, "{report:?}");
        return;
    }
    assert_eq!(channel.delivered().len(), 1);
    assert_eq!(channel.delivered()[0].to, "compras@acme.com.br");
    let timeline: Value = app
        .get_json(&format!("/api/v1/leads/{lead}/timeline"), &s)
        .await;
    assert_eq!(timeline["interactions"][0]["type"], "sent");
    assert_eq!(timeline["interactions"][0]["step_position"], 1);
    assert_eq!(timeline["enrollments"][0]["steps_sent"], 1);
    assert_eq!(timeline["enrollments"][0]["next_step_position"], 2);
    let funnel: Value = app
        .get_json(&format!("/api/v1/cadences/{cadence}/funnel"), &s)
        .await;
    assert_eq!(funnel["steps"][0]["counts"]["sent"], 1);
}
