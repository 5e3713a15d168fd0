//! Pause, resume and unenroll; the funnel and the timeline; isolation; sends held for
//! review; and one enrollment from HTTP through the engine to the timeline.

use reqwest::StatusCode;
use serde_json::{json, Value};
use uuid::Uuid;

use crate::enrollments::{email_cadence, enroll, insert_lead, refusals, LeadSeed};
use crate::helpers::{assert_error, assert_not_found, spawn_app, Session, TestApp};

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
