//! Reordered and removed steps, deleted cadences, isolation between organizations, and
//! requests retried with an idempotency key.

use reqwest::StatusCode;
use serde_json::{json, Value};
use uuid::Uuid;

use crate::cadences::{
    create_cadence, enroll_directly, enrollment, kept, step, step_ids, system_templates,
};
use crate::helpers::{assert_error, assert_not_found, invalid_fields, spawn_app, TestApp};

#[tokio::test]
async fn a_lead_is_never_sent_a_step_twice_after_a_reorder() {
    let app = spawn_app().await;
    let s = app.signup("Ana", "ana@acme.com.br").await;
    let (email, _) = system_templates(&app, &s).await;
    let c = create_cadence(
        &app,
        &s,
        vec![
            step("email", &email, 0),
            step("email", &email, 1),
            step("email", &email, 2),
        ],
    )
    .await;
    let id = c["id"].as_str().unwrap();
    let ids = step_ids(&c);
    // The lead got steps 1 and 2 and waits for step 3.
    let e = enroll_directly(&app, &s, id, &ids[2]).await;
    for step_id in &ids[..2] {
        record_send(&app, e, step_id, "sent").await;
    }
    // Step 3 is removed; step 2 moved to the end. The lead has nothing left: step 2
    // was already sent to it.
    let res = app
        .patch(
            &format!("/api/v1/cadences/{id}"),
            &json!({"steps": [
                kept(&ids[0], "email", &email, 0, 0),
                step("email", &email, 1),
                kept(&ids[1], "email", &email, 1, 0),
            ]}),
            Some(s.token()),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let (next, due, status) = enrollment(&app, e).await;
    assert_eq!((next, due, status.as_str()), (None, None, "completed"));
}

/// A `step_sends` row for `step_id` in `state`; a sent step becomes the last one.
async fn record_send(app: &TestApp, enrollment: Uuid, step_id: &str, state: &str) {
    sqlx::query(
        "INSERT INTO step_sends (org_id, enrollment_id, step_id, cadence_id, lead_id, sender_id,
                                 channel, state, message_id, to_address, body)
         SELECT org_id, id, $2::uuid, cadence_id, lead_id, sender_id, 'email',
                $3::text::send_state, gen_random_uuid()::text, 'a@b.com.br', 'x'
         FROM cadence_enrollments WHERE id = $1",
    )
    .bind(enrollment)
    .bind(step_id)
    .bind(state)
    .execute(app.db.pool())
    .await
    .unwrap();
    if state == "sent" {
        sqlx::query("UPDATE cadence_enrollments SET last_step_id = $2::uuid WHERE id = $1")
            .bind(enrollment)
            .bind(step_id)
            .execute(app.db.pool())
            .await
            .unwrap();
    }
}

async fn next_step(app: &TestApp, enrollment: Uuid) -> Option<Uuid> {
    sqlx::query_scalar("SELECT enrollment_next_step($1)")
        .bind(enrollment)
        .fetch_one(app.db.pool())
        .await
        .unwrap()
}

#[tokio::test]
async fn after_a_reorder_a_lead_continues_from_the_step_it_got_last() {
    let app = spawn_app().await;
    let s = app.signup("Ana", "ana@acme.com.br").await;
    let (email, _) = system_templates(&app, &s).await;
    let c = create_cadence(&app, &s, (0..4).map(|d| step("email", &email, d)).collect()).await;
    let id = c["id"].as_str().unwrap();
    let ids = step_ids(&c);
    // The lead got A and waits for B; the steps become B, C, D, A.
    let e = enroll_directly(&app, &s, id, &ids[1]).await;
    record_send(&app, e, &ids[0], "sent").await;
    let reordered: Vec<Value> = [1, 2, 3, 0]
        .iter()
        .map(|&i| kept(&ids[i], "email", &email, 0, 0))
        .collect();
    let res = app
        .patch(
            &format!("/api/v1/cadences/{id}"),
            &json!({ "steps": reordered }),
            Some(s.token()),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        enrollment(&app, e).await.0.unwrap().to_string(),
        ids[1],
        "still waits for B"
    );
    // B goes out: C and D follow, A is never sent again.
    record_send(&app, e, &ids[1], "sent").await;
    assert_eq!(next_step(&app, e).await.unwrap().to_string(), ids[2]);
    record_send(&app, e, &ids[2], "sent").await;
    assert_eq!(next_step(&app, e).await.unwrap().to_string(), ids[3]);
    record_send(&app, e, &ids[3], "sent").await;
    assert_eq!(next_step(&app, e).await, None);
}

#[tokio::test]
async fn removing_a_step_being_sent_leaves_its_enrollment_to_the_engine() {
    let app = spawn_app().await;
    let s = app.signup("Ana", "ana@acme.com.br").await;
    let (email, _) = system_templates(&app, &s).await;
    let c = create_cadence(&app, &s, (0..3).map(|d| step("email", &email, d)).collect()).await;
    let id = c["id"].as_str().unwrap();
    let ids = step_ids(&c);
    let e = enroll_directly(&app, &s, id, &ids[0]).await;
    record_send(&app, e, &ids[0], "dispatching").await;
    // Another lead's message of that step was prepared but not handed over yet.
    let sql = "UPDATE leads SET cnpj = '99888777000166' WHERE cnpj = '11222333000181'";
    sqlx::query(sql).execute(app.db.pool()).await.unwrap();
    let waiting = enroll_directly(&app, &s, id, &ids[0]).await;
    record_send(&app, waiting, &ids[0], "prepared").await;
    let res = app
        .patch(
            &format!("/api/v1/cadences/{id}"),
            &json!({"steps": [
                kept(&ids[1], "email", &email, 1, 0),
                kept(&ids[2], "email", &email, 2, 0),
            ]}),
            Some(s.token()),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let (next, due, status) = enrollment(&app, e).await;
    assert_eq!(
        next.unwrap().to_string(),
        ids[0],
        "the send in flight finishes first"
    );
    assert_eq!(due.as_deref(), Some("2026-12-01T12:00:00+00:00"));
    assert_eq!(status, "active");
    // Not handed over: cancelled, and that lead moves on to the next step.
    let (next, _, _) = enrollment(&app, waiting).await;
    assert_eq!(next.unwrap().to_string(), ids[1]);
    let state: String =
        sqlx::query_scalar("SELECT state::text FROM step_sends WHERE enrollment_id = $1")
            .bind(waiting)
            .fetch_one(app.db.pool())
            .await
            .unwrap();
    assert_eq!(state, "cancelled");
}

#[tokio::test]
async fn deleting_a_cadence_stops_its_enrollments_and_hides_it() {
    let app = spawn_app().await;
    let s = app.signup("Ana", "ana@acme.com.br").await;
    let (email, _) = system_templates(&app, &s).await;
    let c = create_cadence(
        &app,
        &s,
        vec![step("email", &email, 0), step("email", &email, 1)],
    )
    .await;
    let id = c["id"].as_str().unwrap();
    let e = enroll_directly(&app, &s, id, c["steps"][0]["id"].as_str().unwrap()).await;
    let res = app
        .delete(&format!("/api/v1/cadences/{id}"), Some(s.token()))
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_eq!(enrollment(&app, e).await.2, "stopped");
    assert_not_found(
        app.get(&format!("/api/v1/cadences/{id}"), Some(s.token()))
            .await,
    )
    .await;
}

#[tokio::test]
async fn cadences_are_invisible_and_untouchable_across_organizations() {
    let app = spawn_app().await;
    let a = app.signup("Ana", "ana@acme.com.br").await;
    let b = app.signup("Bia", "bia@beta.com.br").await;
    let (email, _) = system_templates(&app, &a).await;
    let (b_email, _) = system_templates(&app, &b).await;
    let c = create_cadence(
        &app,
        &a,
        vec![step("email", &email, 0), step("email", &email, 1)],
    )
    .await;
    let path = format!("/api/v1/cadences/{}", c["id"].as_str().unwrap());
    let list: Value = app.get_json("/api/v1/cadences", &b).await;
    assert_eq!(list["total"], 0);
    assert_not_found(app.get(&path, Some(b.token())).await).await;
    assert_not_found(
        app.patch(&path, &json!({"name": "Roubada"}), Some(b.token()))
            .await,
    )
    .await;
    for action in ["activate", "pause", "resume", "archive"] {
        assert_not_found(
            app.post(&format!("{path}/{action}"), &json!({}), Some(b.token()))
                .await,
        )
        .await;
    }
    assert_not_found(app.delete(&path, Some(b.token())).await).await;
    // B cannot build a cadence on A's template.
    let res = app
        .post(
            "/api/v1/cadences",
            &json!({"name": "B cad", "steps": [step("email", &email, 0), step("email", &b_email, 1)]}),
            Some(b.token()),
        )
        .await;
    assert_eq!(invalid_fields(res).await, vec!["steps[0].template_id"]);
    let got: Value = app.get_json(&path, &a).await;
    assert_eq!(
        (got["name"].as_str(), got["status"].as_str()),
        (Some("Outbound SP"), Some("draft"))
    );
}

#[tokio::test]
async fn bad_requests_name_the_problem_and_retries_create_once() {
    let app = spawn_app().await;
    let s = app.signup("Ana", "ana@acme.com.br").await;
    let (email, _) = system_templates(&app, &s).await;
    let res = app
        .get("/api/v1/cadences/not-a-uuid", Some(s.token()))
        .await;
    assert_eq!(invalid_fields(res).await, vec!["id"]);
    // NUL cannot be stored or searched for: a 422 naming the field, not a 500.
    let res = app.get("/api/v1/cadences?q=a%00b", Some(s.token())).await;
    assert_eq!(invalid_fields(res).await, vec!["q"]);
    let res = app.get("/api/v1/templates?q=%00", Some(s.token())).await;
    assert_eq!(invalid_fields(res).await, vec!["q"]);
    let res = app
        .post(
            "/api/v1/cadences",
            &json!({"name": "Out\u{0}bound", "steps": [step("email", &email, 0), step("email", &email, 1)]}),
            Some(s.token()),
        )
        .await;
    assert_eq!(invalid_fields(res).await, vec!["name"]);
    let res = app
        .post(
            "/api/v1/cadences",
            &json!({"name": "Outbound", "steps": [], "colour": "red"}),
            Some(s.token()),
        )
        .await;
    assert_error(res, StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION").await;

    // The same Idempotency-Key replays the first answer: one cadence, not two.
    let body = json!({"name": "Outbound SP", "steps": [step("email", &email, 0), step("email", &email, 1)]});
    let mut ids = Vec::new();
    for _ in 0..2 {
        let res = app
            .client
            .post(app.url("/api/v1/cadences"))
            .bearer_auth(s.token())
            .header("Idempotency-Key", "cad-1")
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::CREATED);
        ids.push(res.json::<Value>().await.unwrap()["id"].clone());
    }
    assert_eq!(ids[0], ids[1]);
    assert_eq!(app.get_json("/api/v1/cadences", &s).await["total"], 1);

    // `null` clears the description.
    let id = ids[0].as_str().unwrap();
    let res = app
        .patch(
            &format!("/api/v1/cadences/{id}"),
            &json!({"description": null}),
            Some(s.token()),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        res.json::<Value>().await.unwrap()["description"],
        Value::Null
    );
}
