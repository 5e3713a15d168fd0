//! Templates API: CRUD, variables, validation, system templates, duplicate, preview —
//! and isolation between organizations.

use flux_domain::{message_template, Channel};
use reqwest::StatusCode;
use serde_json::{json, Value};
use uuid::Uuid;

use crate::helpers::{assert_error, assert_not_found, invalid_fields, spawn_app, Session, TestApp};

async fn create(app: &TestApp, session: &Session, body: Value) -> Value {
    let res = app
        .post("/api/v1/templates", &body, Some(session.token()))
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    assert!(res.headers().get("location").is_some());
    res.json().await.unwrap()
}

#[tokio::test]
async fn new_organizations_get_the_system_templates_which_are_valid_and_read_only() {
    let app = spawn_app().await;
    let s = app.signup("Ana", "ana@acme.com.br").await;
    let list: Value = app.get_json("/api/v1/templates?per_page=200", &s).await;
    assert_eq!(list["total"], 5);
    let items = list["items"].as_array().unwrap();
    for t in items {
        assert_eq!(t["is_system"], true);
        // The seeded SQL must pass the application's own validation, and its stored
        // variables_used must be what the application extracts.
        let channel = match t["channel"].as_str().unwrap() {
            "email" => Channel::Email,
            _ => Channel::Whatsapp,
        };
        let valid = message_template::validate(
            t["name"].as_str().unwrap(),
            channel,
            t["subject"].as_str(),
            t["body"].as_str().unwrap(),
        )
        .unwrap_or_else(|e| panic!("system template {} invalid: {e}", t["name"]));
        let mut expected: Vec<&str> = valid.variables_used.iter().map(|v| v.name()).collect();
        let mut stored: Vec<&str> = t["variables_used"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        expected.sort();
        stored.sort();
        assert_eq!(stored, expected, "{}", t["name"]);
    }
    let id = items[0]["id"].as_str().unwrap();
    let res = app
        .patch(
            &format!("/api/v1/templates/{id}"),
            &json!({"name": "Meu"}),
            Some(s.token()),
        )
        .await;
    assert_error(res, StatusCode::CONFLICT, "CONFLICT").await;
    let res = app
        .delete(&format!("/api/v1/templates/{id}"), Some(s.token()))
        .await;
    assert_error(res, StatusCode::CONFLICT, "CONFLICT").await;

    // Duplicating one gives an editable copy.
    let res = app
        .post(
            &format!("/api/v1/templates/{id}/duplicate"),
            &json!({}),
            Some(s.token()),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let copy: Value = res.json().await.unwrap();
    assert_eq!(copy["is_system"], false);
    assert_eq!(
        copy["name"],
        format!("Cópia de {}", items[0]["name"].as_str().unwrap())
    );
    assert_eq!(copy["body"], items[0]["body"]);
    let res = app
        .patch(
            &format!("/api/v1/templates/{}", copy["id"].as_str().unwrap()),
            &json!({"name": "Minha abordagem"}),
            Some(s.token()),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
}

#[tokio::test]
async fn create_extracts_variables_and_update_revalidates() {
    let app = spawn_app().await;
    let s = app.signup("Ana", "ana@acme.com.br").await;
    let t = create(
        &app,
        &s,
        json!({
            "name": "Abertura",
            "channel": "email",
            "subject": "{{nome_fantasia|razao_social}} e a {{org_nome}}",
            "body": "Olá {{contato_primeiro_nome|\"tudo bem\"}}, sou {{sdr_nome}}."
        }),
    )
    .await;
    assert_eq!(t["is_system"], false);
    assert_eq!(t["created_by"], s.user_id().to_string());
    assert_eq!(
        t["variables_used"],
        json!([
            "razao_social",
            "nome_fantasia",
            "contato_primeiro_nome",
            "sdr_nome",
            "org_nome"
        ])
    );
    assert_eq!(
        t["stats"],
        json!({"sent": 0, "replied": 0, "reply_rate": 0.0})
    );
    let id = t["id"].as_str().unwrap();

    let res = app
        .patch(
            &format!("/api/v1/templates/{id}"),
            &json!({"body": "Oi {{cidade}}"}),
            Some(s.token()),
        )
        .await;
    let updated: Value = res.json().await.unwrap();
    assert_eq!(updated["body"], "Oi {{cidade}}");
    assert_eq!(
        updated["variables_used"],
        json!(["razao_social", "nome_fantasia", "cidade", "org_nome"])
    );

    let res = app
        .patch(
            &format!("/api/v1/templates/{id}"),
            &json!({"body": "Oi {{cidadee}}"}),
            Some(s.token()),
        )
        .await;
    assert_eq!(invalid_fields(res).await, vec!["body"]);
    let got: Value = app.get_json(&format!("/api/v1/templates/{id}"), &s).await;
    assert_eq!(
        got["body"], "Oi {{cidade}}",
        "a refused update changes nothing"
    );

    let res = app
        .delete(&format!("/api/v1/templates/{id}"), Some(s.token()))
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let res = app
        .get(&format!("/api/v1/templates/{id}"), Some(s.token()))
        .await;
    assert_error(res, StatusCode::NOT_FOUND, "NOT_FOUND").await;
}

#[tokio::test]
async fn invalid_templates_name_the_field_and_the_valid_variables() {
    let app = spawn_app().await;
    let s = app.signup("Ana", "ana@acme.com.br").await;
    let res = app
        .post(
            "/api/v1/templates",
            &json!({"name": "X", "channel": "email", "subject": "Oi", "body": "Olá {{nome}}"}),
            Some(s.token()),
        )
        .await;
    let error = assert_error(res, StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION").await;
    let reason = error["details"]["fields"][0]["reason"].as_str().unwrap();
    assert_eq!(error["details"]["fields"][0]["field"], "body");
    assert!(reason.contains("\"nome\""), "{reason}");
    assert!(
        reason.contains("razao_social") && reason.contains("sdr_nome"),
        "{reason}"
    );

    for (body, field) in [
        (
            json!({"name": "X", "channel": "email", "body": "b"}),
            "subject",
        ),
        (
            json!({"name": "X", "channel": "whatsapp", "subject": "s", "body": "b"}),
            "subject",
        ),
        (
            json!({"name": " ", "channel": "whatsapp", "body": "b"}),
            "name",
        ),
        (
            json!({"name": "X", "channel": "whatsapp", "body": "{{cidade"}),
            "body",
        ),
        (
            json!({"name": "X", "channel": "whatsapp", "body": "x".repeat(4097)}),
            "body",
        ),
        (
            json!({"name": "X", "channel": "email", "subject": "{{x}}", "body": "b"}),
            "subject",
        ),
    ] {
        let res = app.post("/api/v1/templates", &body, Some(s.token())).await;
        assert_eq!(invalid_fields(res).await, vec![field], "{body}");
    }
    let res = app
        .post(
            "/api/v1/templates",
            &json!({"name": "X", "channel": "sms", "body": "b"}),
            Some(s.token()),
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn variables_endpoint_lists_the_catalogue() {
    let app = spawn_app().await;
    let s = app.signup("Ana", "ana@acme.com.br").await;
    let list: Value = app.get_json("/api/v1/templates/variables", &s).await;
    let names: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["name"].as_str().unwrap())
        .collect();
    for expected in [
        "razao_social",
        "nome_fantasia",
        "cidade",
        "uf",
        "porte",
        "primeiro_socio",
        "sdr_nome",
        "org_nome",
    ] {
        assert!(names.contains(&expected), "{expected}");
    }
    let sdr = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["name"] == "sdr_nome")
        .unwrap();
    assert_eq!(sdr["source"], "sender");
}

#[tokio::test]
async fn preview_renders_a_lead_with_fallbacks_and_marks_missing_values() {
    let app = spawn_app().await;
    let s = app.signup("Ana Lima", "ana@acme.com.br").await;
    let lead = app.enriched_lead(&s).await;
    let res = app
        .post(
            "/api/v1/templates/preview",
            &json!({
                "channel": "email",
                "subject": "{{nome_fantasia|razao_social}} em {{cidade}}/{{uf}}",
                "body": "Oi {{primeiro_nome_socio}}, sou {{sdr_primeiro_nome}}. {{contato_nome}} {{telefone|\"sem telefone\"}}",
                "lead_id": lead
            }),
            Some(s.token()),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let p: Value = res.json().await.unwrap();
    assert_eq!(
        p["subject"]["text"],
        "Padaria Pao Quente LTDA em Campinas/SP"
    );
    assert_eq!(
        p["body"]["text"],
        "Oi Maria, sou Ana. {{contato_nome}} sem telefone"
    );
    assert_eq!(p["missing"], json!(["contato_nome"]));
    assert_eq!(p["sendable"], false);
    let kinds: Vec<&str> = p["body"]["pieces"]
        .as_array()
        .unwrap()
        .iter()
        .map(|piece| piece["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        vec!["text", "value", "text", "value", "text", "missing", "text", "value"]
    );

    // Without a lead: the catalogue's examples, always sendable.
    let p: Value = app
        .post(
            "/api/v1/templates/preview",
            &json!({"channel": "whatsapp", "body": "Oi {{contato_primeiro_nome}}"}),
            Some(s.token()),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(p["body"]["text"], "Oi João");
    assert_eq!(p["sendable"], true);

    // An e-mail draft without its subject yet previews the body; saving still asks.
    for subject in [json!(null), json!("  ")] {
        let res = app
            .post(
                "/api/v1/templates/preview",
                &json!({"channel": "email", "subject": subject, "body": "Oi {{contato_primeiro_nome}}"}),
                Some(s.token()),
            )
            .await;
        assert_eq!(res.status(), 200);
        let p: Value = res.json().await.unwrap();
        assert_eq!(p["subject"], Value::Null);
        assert_eq!(p["body"]["text"], "Oi João");
    }
    let res = app
        .post(
            "/api/v1/templates",
            &json!({"name": "Sem assunto", "channel": "email", "subject": " ", "body": "Oi"}),
            Some(s.token()),
        )
        .await;
    assert_eq!(res.status(), 422);

    // A saved template previews the same way.
    let t = create(
        &app,
        &s,
        json!({"name": "W", "channel": "whatsapp", "body": "{{razao_social}} — {{porte}}"}),
    )
    .await;
    let p: Value = app
        .post(
            &format!("/api/v1/templates/{}/preview", t["id"].as_str().unwrap()),
            &json!({"lead_id": lead}),
            Some(s.token()),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(p["body"]["text"], "Padaria Pao Quente LTDA — EPP");
    assert_eq!(p["sendable"], true);

    let res = app
        .post(
            "/api/v1/templates/preview",
            &json!({"channel": "whatsapp", "body": "x", "lead_id": Uuid::new_v4()}),
            Some(s.token()),
        )
        .await;
    assert_eq!(invalid_fields(res).await, vec!["lead_id"]);
}

#[tokio::test]
async fn list_filters_by_channel_and_name() {
    let app = spawn_app().await;
    let s = app.signup("Ana", "ana@acme.com.br").await;
    create(
        &app,
        &s,
        json!({"name": "Reunião rápida", "channel": "whatsapp", "body": "Oi"}),
    )
    .await;
    let list: Value = app.get_json("/api/v1/templates?channel=whatsapp", &s).await;
    assert_eq!(list["total"], 3);
    let list: Value = app.get_json("/api/v1/templates?q=REUNIAO", &s).await;
    assert_eq!(list["total"], 1);
    assert_eq!(list["items"][0]["name"], "Reunião rápida");
    let res = app
        .get("/api/v1/templates?channel=sms", Some(s.token()))
        .await;
    assert_eq!(invalid_fields(res).await, vec!["query"]);
}

#[tokio::test]
async fn templates_are_invisible_and_untouchable_across_organizations() {
    let app = spawn_app().await;
    let a = app.signup("Ana", "ana@acme.com.br").await;
    let b = app.signup("Bia", "bia@beta.com.br").await;
    let t = create(
        &app,
        &a,
        json!({"name": "Segredo", "channel": "whatsapp", "body": "Oi"}),
    )
    .await;
    let id = t["id"].as_str().unwrap();
    let a_lead = app.enriched_lead(&a).await;

    let list: Value = app.get_json("/api/v1/templates?per_page=200", &b).await;
    assert_eq!(list["total"], 5, "only B's own system templates");
    assert!(list["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|t| t["name"] != "Segredo"));
    let path = format!("/api/v1/templates/{id}");
    assert_not_found(app.get(&path, Some(b.token())).await).await;
    assert_not_found(
        app.patch(&path, &json!({"name": "Roubado"}), Some(b.token()))
            .await,
    )
    .await;
    assert_not_found(app.delete(&path, Some(b.token())).await).await;
    assert_not_found(
        app.post(&format!("{path}/duplicate"), &json!({}), Some(b.token()))
            .await,
    )
    .await;
    assert_not_found(
        app.post(&format!("{path}/preview"), &json!({}), Some(b.token()))
            .await,
    )
    .await;
    // B cannot render A's lead either.
    let res = app
        .post(
            "/api/v1/templates/preview",
            &json!({"channel": "whatsapp", "body": "{{razao_social}}", "lead_id": a_lead}),
            Some(b.token()),
        )
        .await;
    assert_eq!(invalid_fields(res).await, vec!["lead_id"]);
    let got: Value = app.get_json(&path, &a).await;
    assert_eq!(got["name"], "Segredo");
}

#[tokio::test]
async fn a_template_used_by_a_live_cadence_cannot_be_deleted() {
    let app = spawn_app().await;
    let s = app.signup("Ana", "ana@acme.com.br").await;
    let t = create(
        &app,
        &s,
        json!({"name": "Usado", "channel": "whatsapp", "body": "Oi"}),
    )
    .await;
    let template_id: Uuid = t["id"].as_str().unwrap().parse().unwrap();
    let cadence: Uuid = sqlx::query_scalar(
        "INSERT INTO cadences (org_id, name, status) VALUES ($1, 'Outbound SP', 'active') RETURNING id",
    )
    .bind(s.org_id())
    .fetch_one(app.db.pool())
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO cadence_steps (org_id, cadence_id, position, channel, template_id)
         VALUES ($1, $2, 1, 'whatsapp', $3)",
    )
    .bind(s.org_id())
    .bind(cadence)
    .bind(template_id)
    .execute(app.db.pool())
    .await
    .unwrap();
    let res = app
        .delete(&format!("/api/v1/templates/{template_id}"), Some(s.token()))
        .await;
    let error = assert_error(res, StatusCode::CONFLICT, "CONFLICT").await;
    assert!(error["message"].as_str().unwrap().contains("Outbound SP"));

    sqlx::query("UPDATE cadences SET status = 'archived' WHERE id = $1")
        .bind(cadence)
        .execute(app.db.pool())
        .await
        .unwrap();
    let res = app
        .delete(&format!("/api/v1/templates/{template_id}"), Some(s.token()))
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn malformed_ids_and_unknown_fields_are_refused() {
    let app = spawn_app().await;
    let s = app.signup("Ana", "ana@acme.com.br").await;
    let res = app.get("/api/v1/templates/123", Some(s.token())).await;
    assert_eq!(invalid_fields(res).await, vec!["id"]);
    let res = app
        .post(
            "/api/v1/templates",
            &json!({"name": "X", "channel": "whatsapp", "body": "b", "is_system": true}),
            Some(s.token()),
        )
        .await;
    assert_error(res, StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION").await;
    // A duplicate with a name of its own.
    let id = app.get_json("/api/v1/templates", &s).await["items"][0]["id"].clone();
    let res = app
        .post(
            &format!("/api/v1/templates/{}/duplicate", id.as_str().unwrap()),
            &json!({"name": "Minha versão"}),
            Some(s.token()),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    assert_eq!(res.json::<Value>().await.unwrap()["name"], "Minha versão");
}
