//! CSV lead import over HTTP: preview, accept, background processing by the real
//! job runner, progress, row errors (JSON and CSV), limits and tenancy.

use flux_domain::{MemberRole, OrgId, TenantCtx, UserId};
use flux_persistence::leads;
use flux_workers::{lead_import::ImportLeads, queue::Runner};
use reqwest::{multipart, StatusCode};
use serde_json::Value;
use std::sync::Arc;

use crate::helpers::{assert_error, fields, spawn_app, spawn_app_with, Session, TestApp};

/// Valid CNPJs (check digits computed), numeric and alphanumeric.
const A: &str = "11.222.333/0001-81";
const B: &str = "33000167000101";
const C: &str = "12.ABC.345/01DE-35";
const D: &str = "00000000000191";

impl TestApp {
    pub async fn upload(
        &self,
        session: &Session,
        path: &str,
        name: &str,
        bytes: Vec<u8>,
    ) -> reqwest::Response {
        self.upload_with_key(session, path, name, bytes, None).await
    }

    pub async fn upload_with_key(
        &self,
        session: &Session,
        path: &str,
        name: &str,
        bytes: Vec<u8>,
        key: Option<&str>,
    ) -> reqwest::Response {
        let form = multipart::Form::new().part(
            "file",
            multipart::Part::bytes(bytes)
                .file_name(name.to_owned())
                .mime_str("text/csv")
                .unwrap(),
        );
        let mut req = self
            .client
            .post(self.url(path))
            .bearer_auth(session.token())
            .multipart(form);
        if let Some(key) = key {
            req = req.header("Idempotency-Key", key);
        }
        req.send().await.unwrap()
    }

    /// Imports a file and runs the background jobs to the end; returns the import.
    pub async fn import(&self, session: &Session, bytes: Vec<u8>) -> Value {
        let res = self
            .upload(session, "/api/v1/lead-imports", "leads.csv", bytes)
            .await;
        assert_eq!(
            res.status(),
            StatusCode::ACCEPTED,
            "{}",
            res.text().await.unwrap()
        );
        let accepted: Value = res.json().await.unwrap();
        self.run_import_jobs().await;
        let id = accepted["id"].as_str().unwrap();
        self.get(&format!("/api/v1/lead-imports/{id}"), Some(session.token()))
            .await
            .json()
            .await
            .unwrap()
    }

    pub async fn run_import_jobs(&self) {
        Runner::builder(self.db.clone())
            .handler(
                flux_persistence::jobs::kinds::IMPORT_LEADS,
                Arc::new(ImportLeads::default()),
            )
            .build()
            .drain()
            .await
            .unwrap();
    }

    pub async fn lead_cnpjs(&self, session: &Session) -> Vec<String> {
        let ctx = TenantCtx::new(
            OrgId::new(session.org_id()),
            UserId::new(session.user_id()),
            MemberRole::Manager,
        );
        let mut tx = self.db.begin_tenant(&ctx).await.unwrap();
        let mut all: Vec<String> =
            sqlx::query_scalar("SELECT cnpj FROM leads WHERE deleted_at IS NULL")
                .fetch_all(tx.conn())
                .await
                .unwrap();
        all.sort();
        assert_eq!(
            leads::count_live(&mut tx).await.unwrap() as usize,
            all.len()
        );
        all
    }
}

fn windows_1252(text: &str) -> Vec<u8> {
    let (bytes, _, unmappable) = encoding_rs::WINDOWS_1252.encode(text);
    assert!(!unmappable);
    bytes.into_owned()
}

#[tokio::test]
async fn preview_reports_dialect_mapping_and_row_validity_without_writing() {
    let app = spawn_app().await;
    let s = app.signup("Ana", "ana@acme.com.br").await;
    let file = windows_1252(&format!(
        "CNPJ;Razão Social;E-mail\r\n{A};Construtora São João;contato@sj.com.br\r\n11222333000182;Errada;\r\n{A};Repetida;\r\n"
    ));
    let res = app
        .upload(&s, "/api/v1/lead-imports/preview", "planilha.csv", file)
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let p: Value = res.json().await.unwrap();
    assert_eq!(p["file_name"], "planilha.csv");
    assert_eq!(p["encoding"], "windows-1252");
    assert_eq!(p["delimiter"], ";");
    assert_eq!(
        p["headers"],
        serde_json::json!(["CNPJ", "Razão Social", "E-mail"])
    );
    assert_eq!(
        p["mapping"][0],
        serde_json::json!({"field": "cnpj", "column_index": 0, "header": "CNPJ"})
    );
    assert_eq!(
        (
            p["total_rows"].as_i64(),
            p["valid_rows"].as_i64(),
            p["invalid_rows"].as_i64()
        ),
        (Some(3), Some(1), Some(2))
    );
    assert_eq!(p["remaining_quota"], 1000, "Starter plan");
    let rows = p["rows"].as_array().unwrap();
    assert_eq!(rows[0]["razao_social"], "Construtora São João");
    assert_eq!(rows[0]["valid"], true);
    assert_eq!(rows[1]["issues"][0]["code"], "invalid_cnpj");
    assert_eq!(rows[2]["issues"][0]["code"], "duplicate_in_file");
    assert_eq!(rows[2]["row_number"], 4);

    let list: Value = app
        .get("/api/v1/lead-imports", Some(s.token()))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["total"], 0, "a preview writes nothing");
    assert!(app.lead_cnpjs(&s).await.is_empty());
}

#[tokio::test]
async fn import_creates_leads_records_each_bad_row_and_reports_progress() {
    let app = spawn_app().await;
    let s = app.signup("Ana", "ana@acme.com.br").await;
    let mut file = vec![0xEF, 0xBB, 0xBF];
    file.extend_from_slice(
        format!(
            "cnpj_empresa,nome,email,telefone\n\
             \"{A}\",\"Silva, Souza & Cia\",a@silva.com.br,(11) 98765-4321\n\
             {C},Padaria,,\n\
             {A},Repetida,,\n\
             123,Curto,,\n\
             ,Sem CNPJ,,\n\
             {B},Email ruim,não-é-email,\n\
             {D},Fone ruim,,12\n"
        )
        .as_bytes(),
    );
    let import = app.import(&s, file).await;
    assert_eq!(import["status"], "completed", "{import}");
    assert_eq!(import["total_rows"], 7);
    assert_eq!(import["processed_rows"], 7);
    assert_eq!(import["success_count"], 2);
    assert_eq!(import["error_count"], 5);
    assert_eq!(import["encoding"], "utf-8-bom");
    assert_eq!(import["created_by"], serde_json::json!(s.user_id()));
    assert!(import["finished_at"].is_string());
    assert_eq!(
        app.lead_cnpjs(&s).await,
        vec!["11222333000181", "12ABC34501DE35"]
    );

    let id = import["id"].as_str().unwrap();
    let errors: Value = app
        .get(
            &format!("/api/v1/lead-imports/{id}/errors?per_page=2&page=1"),
            Some(s.token()),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(errors["total"], 5);
    assert_eq!(errors["items"].as_array().unwrap().len(), 2);
    assert_eq!(errors["items"][0]["row_number"], 4);
    assert_eq!(errors["items"][0]["code"], "duplicate_in_file");
    assert_eq!(errors["items"][0]["cnpj"], A);
    assert_eq!(errors["items"][1]["code"], "invalid_cnpj");
    let page3: Value = app
        .get(
            &format!("/api/v1/lead-imports/{id}/errors?per_page=2&page=3"),
            Some(s.token()),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page3["items"][0]["code"], "invalid_phone");

    let res = app
        .get(
            &format!("/api/v1/lead-imports/{id}/errors.csv"),
            Some(s.token()),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    assert!(res.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .contains("erros-leads.csv"));
    let bytes = res.bytes().await.unwrap();
    assert_eq!(&bytes[..3], b"\xEF\xBB\xBF", "BOM for Excel");
    let text = std::str::from_utf8(&bytes[3..]).unwrap();
    let lines: Vec<&str> = text.split("\r\n").collect();
    assert_eq!(lines[0], "linha;cnpj;codigo;motivo");
    assert!(
        lines[1].starts_with("4;11.222.333/0001-81;duplicate_in_file;CNPJ repetido no arquivo"),
        "{}",
        lines[1]
    );
    assert_eq!(lines.len(), 7, "header + 5 errors + final empty");

    let list: Value = app
        .get("/api/v1/lead-imports", Some(s.token()))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["total"], 1);
    assert_eq!(list["items"][0]["id"], id);
}

#[tokio::test]
async fn reimport_never_creates_a_second_lead_and_the_plan_limit_is_one_error() {
    let app = spawn_app().await;
    let s = app.signup("Ana", "ana@acme.com.br").await;
    let first = app.import(&s, format!("CNPJ\n{A}\n").into_bytes()).await;
    assert_eq!(first["success_count"], 1);

    sqlx::query("UPDATE plans SET max_leads = 3 WHERE slug = 'starter'")
        .execute(app.db.pool())
        .await
        .unwrap();
    // A exists; B and C fill the plan; D, E (and F, G, H) are over it.
    const OVER: [&str; 4] = [
        "11444777000161",
        "45723174000110",
        "07526557000100",
        "60701190000104",
    ];
    let second = app
        .import(
            &s,
            format!("CNPJ\n{A}\n{B}\n{C}\n{D}\n{}\n", OVER.join("\n")).into_bytes(),
        )
        .await;
    assert_eq!(
        (
            second["success_count"].as_i64(),
            second["error_count"].as_i64()
        ),
        (Some(2), Some(6))
    );
    let id = second["id"].as_str().unwrap();
    let errors: Value = app
        .get(
            &format!("/api/v1/lead-imports/{id}/errors"),
            Some(s.token()),
        )
        .await
        .json()
        .await
        .unwrap();
    let codes: Vec<&str> = errors["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["code"].as_str().unwrap())
        .collect();
    // Not one row per lead over the plan: one error saying where it started.
    assert_eq!(codes, vec!["already_exists", "plan_limit_reached"]);
    assert_eq!(errors["items"][1]["row_number"], 5);
    assert!(errors["items"][1]["message"]
        .as_str()
        .unwrap()
        .starts_with("limite de 3 leads do plano atingido"));
    assert_eq!(app.lead_cnpjs(&s).await.len(), 3);
}

#[tokio::test]
async fn an_import_has_at_most_the_configured_rows() {
    let app = spawn_app_with(&[("FLUX_IMPORT_MAX_ROWS", "3")]).await;
    let s = app.signup("Ana", "ana@acme.com.br").await;
    let four = format!("CNPJ\n{A}\n{B}\n{C}\n{D}\n").into_bytes();
    for path in ["/api/v1/lead-imports", "/api/v1/lead-imports/preview"] {
        let res = app.upload(&s, path, "x.csv", four.clone()).await;
        let body = assert_error(res, StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION").await;
        assert_eq!(fields(&body), vec!["file"]);
        let why = body["details"]["fields"][0]["reason"].as_str().unwrap();
        assert!(
            why.contains("4 linhas") && why.contains("limite por importação é 3"),
            "{why}"
        );
    }
    let list: Value = app.get_json("/api/v1/lead-imports", &s).await;
    assert_eq!(list["total"], 0, "nothing was stored");
    let three = app
        .import(&s, format!("CNPJ\n{A}\n{B}\n{C}\n").into_bytes())
        .await;
    assert_eq!(three["success_count"], 3);
}

#[tokio::test]
async fn files_that_cannot_be_imported_are_refused_whole() {
    let app = spawn_app_with(&[("FLUX_IMPORT_MAX_BYTES", "2000")]).await;
    let s = app.signup("Ana", "ana@acme.com.br").await;
    for (bytes, reason) in [
        (Vec::new(), "vazio"),
        (
            b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00".to_vec(),
            "CSV de texto",
        ),
        (
            b"Empresa;Cidade\nACME;SP\n".to_vec(),
            "nenhuma coluna de CNPJ",
        ),
        (b"CNPJ;Nome\n".to_vec(), "apenas o cabe"),
    ] {
        for path in ["/api/v1/lead-imports", "/api/v1/lead-imports/preview"] {
            let res = app.upload(&s, path, "x.csv", bytes.clone()).await;
            let body = assert_error(res, StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION").await;
            assert_eq!(fields(&body), vec!["file"]);
            let why = body["details"]["fields"][0]["reason"]
                .as_str()
                .unwrap()
                .to_owned();
            assert!(why.contains(reason), "{why}");
        }
    }
    let big = format!("CNPJ\n{}", format!("{B}\n").repeat(200)).into_bytes();
    let res = app
        .upload(&s, "/api/v1/lead-imports", "big.csv", big.clone())
        .await;
    assert_error(res, StatusCode::PAYLOAD_TOO_LARGE, "VALIDATION").await;
    // The Idempotency-Key path reads the body itself and applies the same limit.
    let res = app
        .upload_with_key(&s, "/api/v1/lead-imports", "big.csv", big, Some("grande"))
        .await;
    assert_error(res, StatusCode::PAYLOAD_TOO_LARGE, "VALIDATION").await;

    // Not multipart at all, and multipart without the `file` field.
    let res = app
        .post(
            "/api/v1/lead-imports",
            &serde_json::json!({"file": "x"}),
            Some(s.token()),
        )
        .await;
    let body = assert_error(res, StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION").await;
    assert_eq!(fields(&body), vec!["file"]);
    let form = multipart::Form::new().text("other", "value");
    let res = app
        .client
        .post(app.url("/api/v1/lead-imports"))
        .bearer_auth(s.token())
        .multipart(form)
        .send()
        .await
        .unwrap();
    let body = assert_error(res, StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION").await;
    assert_eq!(fields(&body), vec!["file"]);

    let list: Value = app
        .get("/api/v1/lead-imports", Some(s.token()))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["total"], 0, "nothing was written");
}

#[tokio::test]
async fn imports_and_their_errors_are_invisible_to_other_organizations() {
    let app = spawn_app().await;
    let a = app.signup("Ana", "ana@acme.com.br").await;
    let b = app.signup("Bia", "bia@outra.com.br").await;
    let import = app
        .import(&a, format!("CNPJ\n{A}\n123\n").into_bytes())
        .await;
    let id = import["id"].as_str().unwrap();
    for path in [
        format!("/api/v1/lead-imports/{id}"),
        format!("/api/v1/lead-imports/{id}/errors"),
        format!("/api/v1/lead-imports/{id}/errors.csv"),
    ] {
        assert_error(
            app.get(&path, Some(b.token())).await,
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
        )
        .await;
    }
    let list: Value = app
        .get("/api/v1/lead-imports", Some(b.token()))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["total"], 0);
    // B importing the same CNPJ gets its own lead: uniqueness is per organization.
    let theirs = app.import(&b, format!("CNPJ\n{A}\n").into_bytes()).await;
    assert_eq!(theirs["success_count"], 1);
    assert_eq!(app.lead_cnpjs(&b).await, vec!["11222333000181"]);
}

#[tokio::test]
async fn sdrs_import_and_anonymous_callers_cannot() {
    let app = spawn_app().await;
    let manager = app.signup("Ana", "ana@acme.com.br").await;
    let sdr = app
        .add_member(&manager, "Caio", "caio@acme.com.br", "sdr")
        .await;
    let import = app.import(&sdr, format!("CNPJ\n{A}\n").into_bytes()).await;
    assert_eq!(import["success_count"], 1);
    let res = app
        .client
        .post(app.url("/api/v1/lead-imports"))
        .send()
        .await
        .unwrap();
    assert_error(res, StatusCode::UNAUTHORIZED, "UNAUTHORIZED").await;
}

#[tokio::test]
async fn paging_and_ids_are_validated() {
    let app = spawn_app().await;
    let s = app.signup("Ana", "ana@acme.com.br").await;
    for (query, field) in [
        ("per_page=0", "per_page"),
        ("per_page=201", "per_page"),
        ("page=0", "page"),
    ] {
        let res = app
            .get(&format!("/api/v1/lead-imports?{query}"), Some(s.token()))
            .await;
        let body = assert_error(res, StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION").await;
        assert_eq!(fields(&body), vec![field]);
    }
    let res = app
        .get("/api/v1/lead-imports/nao-e-uuid", Some(s.token()))
        .await;
    assert_error(res, StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION").await;
    let res = app
        .get(
            &format!("/api/v1/lead-imports/{}", uuid::Uuid::new_v4()),
            Some(s.token()),
        )
        .await;
    assert_error(res, StatusCode::NOT_FOUND, "NOT_FOUND").await;
}

#[tokio::test]
async fn idempotency_key_replays_an_upload_even_with_a_new_multipart_boundary() {
    let app = spawn_app().await;
    let s = app.signup("Ana", "ana@acme.com.br").await;
    let file = format!("CNPJ\n{A}\n").into_bytes();
    let first = app
        .upload_with_key(
            &s,
            "/api/v1/lead-imports",
            "a.csv",
            file.clone(),
            Some("imp-1"),
        )
        .await;
    assert_eq!(first.status(), StatusCode::ACCEPTED);
    let first: Value = first.json().await.unwrap();
    // reqwest draws a fresh random boundary for every form.
    let again = app
        .upload_with_key(&s, "/api/v1/lead-imports", "a.csv", file, Some("imp-1"))
        .await;
    assert_eq!(again.status(), StatusCode::ACCEPTED);
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    let again: Value = again.json().await.unwrap();
    assert_eq!(again["id"], first["id"]);
    let other = app
        .upload_with_key(
            &s,
            "/api/v1/lead-imports",
            "a.csv",
            format!("CNPJ\n{B}\n").into_bytes(),
            Some("imp-1"),
        )
        .await;
    assert_error(other, StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION").await;
    let list: Value = app
        .get("/api/v1/lead-imports", Some(s.token()))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["total"], 1);
}
