//! Cadences API: create with steps, validation, lifecycle, editing rules that keep
//! running enrollments sound, soft delete — and isolation between organizations.

use reqwest::StatusCode;
use serde_json::{json, Value};
use uuid::Uuid;

use crate::helpers::{assert_error, invalid_fields, spawn_app, Session, TestApp};

/// The ids of the organization's system templates: (first email, first WhatsApp).
pub(crate) async fn system_templates(app: &TestApp, s: &Session) -> (String, String) {
    let list: Value = app.get_json("/api/v1/templates?per_page=200", s).await;
    let first = |channel: &str| {
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["channel"] == channel)
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    (first("email"), first("whatsapp"))
}

/// The ids of a cadence's steps, in order.
pub(crate) fn step_ids(cadence: &Value) -> Vec<String> {
    cadence["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap().to_owned())
        .collect()
}

/// An existing step to keep, moved to where it is listed, with these values.
pub(crate) fn kept(id: &str, channel: &str, template: &str, days: i32, hours: i32) -> Value {
    json!({"id": id, "channel": channel, "template_id": template, "delay_days": days, "delay_hours": hours})
}

pub(crate) fn step(channel: &str, template: &str, days: i32) -> Value {
    json!({"channel": channel, "template_id": template, "delay_days": days, "delay_hours": 0})
}

pub(crate) async fn create_cadence(app: &TestApp, s: &Session, steps: Vec<Value>) -> Value {
    let res = app
        .post(
            "/api/v1/cadences",
            &json!({"name": "Outbound SP", "description": "Indústrias de SP", "steps": steps}),
            Some(s.token()),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    res.json().await.unwrap()
}

/// An enrollment waiting for `step_id`, due at `last_step_at` + the step's delay.
pub(crate) async fn enroll_directly(
    app: &TestApp,
    s: &Session,
    cadence: &str,
    step_id: &str,
) -> Uuid {
    let lead: Uuid = sqlx::query_scalar(
        "INSERT INTO leads (org_id, cnpj, email) VALUES ($1, '11222333000181', 'a@b.com.br') RETURNING id",
    )
    .bind(s.org_id())
    .fetch_one(app.db.pool())
    .await
    .unwrap();
    sqlx::query_scalar(
        "INSERT INTO cadence_enrollments (org_id, cadence_id, lead_id, sender_id, next_step_id,
                                          next_step_due, last_step_at)
         VALUES ($1, $2::uuid, $3, $4, $5::uuid, '2026-12-01T12:00:00Z', '2026-12-01T12:00:00Z')
         RETURNING id",
    )
    .bind(s.org_id())
    .bind(cadence)
    .bind(lead)
    .bind(s.user_id())
    .bind(step_id)
    .fetch_one(app.db.pool())
    .await
    .unwrap()
}

pub(crate) async fn enrollment(app: &TestApp, id: Uuid) -> (Option<Uuid>, Option<String>, String) {
    let row: (Option<Uuid>, Option<chrono::DateTime<chrono::Utc>>, String) = sqlx::query_as(
        "SELECT next_step_id, next_step_due, status::text FROM cadence_enrollments WHERE id = $1",
    )
    .bind(id)
    .fetch_one(app.db.pool())
    .await
    .unwrap();
    (row.0, row.1.map(|d| d.to_rfc3339()), row.2)
}

#[tokio::test]
async fn create_returns_a_draft_with_ordered_steps() {
    let app = spawn_app().await;
    let s = app.signup("Ana", "ana@acme.com.br").await;
    let (email, whatsapp) = system_templates(&app, &s).await;
    let c = create_cadence(
        &app,
        &s,
        vec![step("email", &email, 0), step("whatsapp", &whatsapp, 2)],
    )
    .await;
    assert_eq!(c["status"], "draft");
    assert_eq!(c["description"], "Indústrias de SP");
    assert_eq!(c["steps"][0]["position"], 1);
    assert_eq!(c["steps"][1]["position"], 2);
    assert_eq!(c["steps"][1]["channel"], "whatsapp");
    assert_eq!(c["steps"][1]["delay_days"], 2);
    let template: Value = app
        .get_json(&format!("/api/v1/templates/{email}"), &s)
        .await;
    assert_eq!(c["steps"][0]["template_name"], template["name"]);
    assert_eq!(c["enrollments"]["active"], 0);

    let list: Value = app
        .get_json("/api/v1/cadences?status=draft&q=outbound", &s)
        .await;
    assert_eq!(list["total"], 1);
    let list: Value = app.get_json("/api/v1/cadences?status=active", &s).await;
    assert_eq!(list["total"], 0);
}

#[tokio::test]
async fn invalid_cadences_name_the_field() {
    let app = spawn_app().await;
    let s = app.signup("Ana", "ana@acme.com.br").await;
    let (email, whatsapp) = system_templates(&app, &s).await;
    let unknown = Uuid::new_v4().to_string();
    let cases = [
        (
            json!({"name": "Ok name", "steps": [step("email", &email, 0)]}),
            "steps",
        ),
        (
            json!({"name": "ab", "steps": [step("email", &email, 0), step("email", &email, 1)]}),
            "name",
        ),
        (
            json!({"name": "Ok name", "steps": [step("email", &email, 0), step("email", &email, 31)]}),
            "steps[1].delay_days",
        ),
        (
            json!({"name": "Ok name", "steps": [step("email", &email, 0), {"channel": "email", "template_id": email, "delay_days": 0, "delay_hours": 24}]}),
            "steps[1].delay_hours",
        ),
        (
            json!({"name": "Ok name", "steps": [step("email", &email, 0), step("email", &unknown, 1)]}),
            "steps[1].template_id",
        ),
        (
            json!({"name": "Ok name", "steps": [step("email", &whatsapp, 0), step("email", &email, 1)]}),
            "steps[0].template_id",
        ),
        (
            json!({"name": "Ok name", "steps": [{"id": unknown, "channel": "email", "template_id": email, "delay_days": 0, "delay_hours": 0}, step("email", &email, 1)]}),
            "steps[0].id",
        ),
    ];
    for (body, field) in cases {
        let res = app.post("/api/v1/cadences", &body, Some(s.token())).await;
        assert_eq!(invalid_fields(res).await, vec![field], "{body}");
    }
    let list: Value = app.get_json("/api/v1/cadences", &s).await;
    assert_eq!(list["total"], 0, "nothing half-written");
}

#[tokio::test]
async fn lifecycle_moves_through_the_allowed_statuses_and_holds_enrollments() {
    let app = spawn_app().await;
    let s = app.signup("Ana", "ana@acme.com.br").await;
    let (email, _) = system_templates(&app, &s).await;
    let c = create_cadence(
        &app,
        &s,
        vec![step("email", &email, 0), step("email", &email, 3)],
    )
    .await;
    let id = c["id"].as_str().unwrap();
    let enrolled = enroll_directly(&app, &s, id, c["steps"][0]["id"].as_str().unwrap()).await;
    sqlx::query("UPDATE cadence_enrollments SET cadence_held = true WHERE id = $1")
        .bind(enrolled)
        .execute(app.db.pool())
        .await
        .unwrap();
    let held = |app: &TestApp| {
        let pool = app.db.pool().clone();
        async move {
            sqlx::query_scalar::<_, bool>(
                "SELECT cadence_held FROM cadence_enrollments WHERE id = $1",
            )
            .bind(enrolled)
            .fetch_one(&pool)
            .await
            .unwrap()
        }
    };
    let act = |action: &'static str| {
        let app = &app;
        let token = s.token().to_owned();
        async move {
            app.post(
                &format!("/api/v1/cadences/{id}/{action}"),
                &json!({}),
                Some(&token),
            )
            .await
        }
    };
    assert_error(act("pause").await, StatusCode::CONFLICT, "CONFLICT").await;
    let res = act("activate").await;
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["status"], "active");
    assert!(body["activated_at"].is_string());
    assert!(!held(&app).await, "active cadences send");
    assert_error(act("activate").await, StatusCode::CONFLICT, "CONFLICT").await;
    assert_eq!(act("pause").await.status(), StatusCode::OK);
    assert!(held(&app).await, "paused cadences hold");
    assert_eq!(act("resume").await.status(), StatusCode::OK);
    assert!(!held(&app).await);
    let body: Value = act("archive").await.json().await.unwrap();
    assert_eq!(body["status"], "archived");
    assert_eq!(body["enrollments"]["stopped"], 1);
    let (_, due, status) = enrollment(&app, enrolled).await;
    assert_eq!((due, status.as_str()), (None, "stopped"));
    let error = assert_error(act("resume").await, StatusCode::CONFLICT, "CONFLICT").await;
    assert_eq!(
        error["message"],
        "Não é possível retomar uma cadência arquivada"
    );
    let res = app
        .patch(
            &format!("/api/v1/cadences/{id}"),
            &json!({"name": "Novo nome"}),
            Some(s.token()),
        )
        .await;
    assert_error(res, StatusCode::CONFLICT, "CONFLICT").await;
    let audited: Vec<String> = sqlx::query_scalar(
        "SELECT action FROM audit_logs WHERE resource_id = $1::uuid ORDER BY created_at, action",
    )
    .bind(id)
    .fetch_all(app.db.pool())
    .await
    .unwrap();
    assert_eq!(audited.first().map(String::as_str), Some("cadence.created"));
    assert_eq!(
        audited
            .iter()
            .filter(|a| *a == "cadence.status_changed")
            .count(),
        4,
        "activate, pause, resume, archive"
    );
}

#[tokio::test]
async fn editing_steps_keeps_running_enrollments_sound() {
    let app = spawn_app().await;
    let s = app.signup("Ana", "ana@acme.com.br").await;
    let (email, whatsapp) = system_templates(&app, &s).await;
    let c = create_cadence(
        &app,
        &s,
        vec![
            step("email", &email, 0),
            step("email", &email, 2),
            step("whatsapp", &whatsapp, 4),
        ],
    )
    .await;
    let id = c["id"].as_str().unwrap();
    let ids = step_ids(&c);
    let waiting_for_second = enroll_directly(&app, &s, id, &ids[1]).await;

    // Reorder (third first), remove the second, change nothing else.
    let res = app
        .patch(
            &format!("/api/v1/cadences/{id}"),
            &json!({"steps": [
                kept(&ids[2], "whatsapp", &whatsapp, 4, 0),
                kept(&ids[0], "email", &email, 0, 0),
                step("email", &email, 1),
            ]}),
            Some(s.token()),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let c: Value = res.json().await.unwrap();
    let order: Vec<&str> = c["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert_eq!(&order[..2], &[ids[2].as_str(), ids[0].as_str()]);
    assert_eq!(c["steps"].as_array().unwrap().len(), 3);
    let new_step = order[2].to_owned();

    // The enrollment waited for the removed step; it never got any step, so its next
    // is the first of the new order, due 4 days after its last step.
    let (next, due, status) = enrollment(&app, waiting_for_second).await;
    assert_eq!(next.unwrap().to_string(), ids[2]);
    assert_eq!(due.as_deref(), Some("2026-12-05T12:00:00+00:00"));
    assert_eq!(status, "active");

    // Changing that step's delay reschedules it.
    let res = app
        .patch(
            &format!("/api/v1/cadences/{id}"),
            &json!({"steps": [
                kept(&ids[2], "whatsapp", &whatsapp, 1, 6),
                kept(&ids[0], "email", &email, 0, 0),
                {"id": new_step, "channel": "email", "template_id": email, "delay_days": 1, "delay_hours": 0},
            ]}),
            Some(s.token()),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let (_, due, _) = enrollment(&app, waiting_for_second).await;
    assert_eq!(due.as_deref(), Some("2026-12-02T18:00:00+00:00"));

    // Steps of another cadence cannot be smuggled in, and a step cannot be listed twice.
    let other = create_cadence(
        &app,
        &s,
        vec![step("email", &email, 0), step("email", &email, 1)],
    )
    .await;
    let foreign = other["steps"][0]["id"].as_str().unwrap();
    let res = app
        .patch(
            &format!("/api/v1/cadences/{id}"),
            &json!({"steps": [
                kept(foreign, "email", &email, 0, 0),
                step("email", &email, 1),
            ]}),
            Some(s.token()),
        )
        .await;
    assert_eq!(invalid_fields(res).await, vec!["steps[0].id"]);
    let res = app
        .patch(
            &format!("/api/v1/cadences/{id}"),
            &json!({"steps": [
                kept(&ids[0], "email", &email, 0, 0),
                kept(&ids[0], "email", &email, 0, 0),
            ]}),
            Some(s.token()),
        )
        .await;
    assert_eq!(invalid_fields(res).await, vec!["steps[1].id"]);
}
