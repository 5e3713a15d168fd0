//! Leads API: create, list with filters and search, edit, bulk actions, soft delete,
//! export — and isolation between organizations.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{
    assert_error, conflict_fields, fields, invalid_fields, spawn_app, Session, TestApp,
};

/// (cnpj, razao_social, nome_fantasia, uf, cidade, porte, cnae, status, enrichment_status)
type Row<'a> = (
    &'a str,
    &'a str,
    &'a str,
    &'a str,
    &'a str,
    &'a str,
    &'a str,
    &'a str,
    &'a str,
);

pub(crate) const ROWS: [Row<'static>; 4] = [
    (
        "11222333000181",
        "Construtora São João Ltda",
        "SJ Obras",
        "SP",
        "São Paulo",
        "EPP",
        "4120400",
        "new",
        "enriched",
    ),
    (
        "33000167000101",
        "Petróleo Brasileiro S.A.",
        "Petrobras",
        "RJ",
        "Rio de Janeiro",
        "DEMAIS",
        "0600001",
        "qualified",
        "enriched",
    ),
    (
        "12ABC34501DE35",
        "Padaria Pão de Açúcar ME",
        "Padaria do Zé",
        "SP",
        "Campinas",
        "ME",
        "1091102",
        "new",
        "pending",
    ),
    (
        "00000000000191",
        "Banco do Brasil S.A.",
        "BB",
        "DF",
        "Brasília",
        "DEMAIS",
        "6422100",
        "contacted",
        "not_found",
    ),
];

impl TestApp {
    /// Inserts leads as enrichment would leave them; returns their ids in order.
    pub(crate) async fn seed_leads(&self, s: &Session) -> Vec<String> {
        let mut ids = vec![];
        for (i, (cnpj, razao, fantasia, uf, cidade, porte, cnae, status, enrichment)) in
            ROWS.iter().enumerate()
        {
            let id: uuid::Uuid = sqlx::query_scalar(
                "INSERT INTO leads (org_id, cnpj, razao_social, nome_fantasia, uf, cidade, porte, cnae, status,
                                    enrichment_status, created_at, owner_id)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10,
                         '2026-11-01T12:00:00Z'::timestamptz + make_interval(days => $11), $12)
                 RETURNING id",
            )
            .bind(s.org_id())
            .bind(cnpj)
            .bind(razao)
            .bind(fantasia)
            .bind(uf)
            .bind(cidade)
            .bind(porte)
            .bind(cnae)
            .bind(status)
            .bind(enrichment)
            .bind(i as i32)
            .bind(if i % 2 == 0 { Some(s.user_id()) } else { None })
            .fetch_one(self.db.pool())
            .await
            .unwrap();
            ids.push(id.to_string());
        }
        ids
    }

    pub(crate) async fn list_cnpjs(&self, s: &Session, query: &str) -> Vec<String> {
        self.list_page(s, query).await.1
    }

    /// The total and the page's CNPJs.
    async fn list_page(&self, s: &Session, query: &str) -> (i64, Vec<String>) {
        let res = self
            .get(&format!("/api/v1/leads?{query}"), Some(s.token()))
            .await;
        assert_eq!(res.status(), StatusCode::OK, "{query}");
        let body: Value = res.json().await.unwrap();
        let cnpjs = body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["cnpj"].as_str().unwrap().to_owned())
            .collect();
        (body["total"].as_i64().unwrap(), cnpjs)
    }
}

#[tokio::test]
async fn filters_and_accent_insensitive_search() {
    let app = spawn_app().await;
    let s = app.signup("Ana", "ana@acme.com.br").await;
    app.seed_leads(&s).await;
    let [sj, petro, padaria, bb] = ROWS.map(|r| r.0.to_owned());

    let body: Value = app
        .get("/api/v1/leads", Some(s.token()))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(body["total"], 4);
    assert_eq!(body["items"][0]["cnpj"], bb, "newest first by default");
    assert_eq!(body["items"][0]["cnpj_formatted"], "00.000.000/0001-91");

    let cases: Vec<(&str, Vec<&String>)> = vec![
        ("q=sao%20joao", vec![&sj]),
        ("q=CONSTRU", vec![&sj]),
        ("q=p%C3%A3o%20acucar", vec![&padaria]),
        ("q=petrobras", vec![&petro]),
        ("q=11.222.333%2F0001", vec![&sj]),
        ("q=12abc", vec![&padaria]),
        ("uf=sp&sort=created_at", vec![&sj, &padaria]),
        ("city=sao%20paulo", vec![&sj]),
        ("city=BRAS%C3%8DLIA", vec![&bb]),
        ("porte=demais,epp&sort=created_at", vec![&sj, &petro, &bb]),
        ("cnae=41", vec![&sj]),
        (
            "status=new,contacted&sort=created_at",
            vec![&sj, &padaria, &bb],
        ),
        ("enrichment_status=pending", vec![&padaria]),
        ("owner_id=none&sort=created_at", vec![&petro, &bb]),
        (
            "created_from=2026-11-02&created_to=2026-11-03&sort=created_at",
            vec![&petro, &padaria],
        ),
        ("sort=razao_social", vec![&bb, &sj, &padaria, &petro]),
        ("uf=SP&q=padaria", vec![&padaria]),
    ];
    for (query, expected) in cases {
        let expected: Vec<String> = expected.into_iter().cloned().collect();
        assert_eq!(
            app.list_page(&s, query).await,
            (expected.len() as i64, expected.clone()),
            "{query}"
        );
        // One lead per page: the total counts them all, on every page and past the end.
        for page in 1..=expected.len() + 1 {
            let (total, items) = app
                .list_page(&s, &format!("{query}&per_page=1&page={page}"))
                .await;
            assert_eq!(total, expected.len() as i64, "{query} page {page}");
            assert_eq!(
                items,
                expected
                    .get(page - 1)
                    .into_iter()
                    .cloned()
                    .collect::<Vec<_>>(),
                "{query} page {page}"
            );
        }
    }
    // More filters and sorts: several CNAE prefixes, opt-out, relevance both ways.
    assert_eq!(
        app.list_cnpjs(&s, "cnae=41,64&sort=created_at").await,
        vec![sj.clone(), bb.clone()]
    );
    assert_eq!(
        app.list_cnpjs(&s, "do_not_contact=true").await,
        Vec::<String>::new()
    );
    assert_eq!(app.list_cnpjs(&s, "do_not_contact=false").await.len(), 4);
    assert_eq!(
        app.list_cnpjs(&s, "q=padaria&sort=-relevance").await,
        vec![padaria.clone()]
    );
    assert_eq!(
        app.list_cnpjs(&s, "q=padaria&sort=relevance").await,
        vec![padaria.clone()]
    );
    let other_import = uuid::Uuid::new_v4();
    assert!(app
        .list_cnpjs(&s, &format!("import_id={other_import}"))
        .await
        .is_empty());
    let long = "a".repeat(201);
    assert_eq!(
        invalid_fields(
            app.get(&format!("/api/v1/leads?q={long}"), Some(s.token()))
                .await
        )
        .await,
        vec!["q"]
    );
    let mine = app
        .list_cnpjs(&s, &format!("owner_id={}&sort=created_at", s.user_id()))
        .await;
    assert_eq!(mine, vec![sj.clone(), padaria.clone()]);

    let page: Value = app
        .get("/api/v1/leads?per_page=3&page=2", Some(s.token()))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (
            page["total"].as_i64(),
            page["items"].as_array().unwrap().len()
        ),
        (Some(4), 1)
    );

    for (query, field) in [
        ("status=maybe", "status"),
        ("porte=GIANT", "porte"),
        ("cnae=4x", "cnae"),
        ("uf=SAO", "uf"),
        ("city=S%00o%20Paulo", "city"),
        ("created_from=ontem", "created_from"),
        ("archived=sometimes", "archived"),
        ("owner_id=someone", "owner_id"),
        ("sort=cnpj", "sort"),
        ("q=%21%21%21", "q"),
        ("do_not_contact=talvez", "do_not_contact"),
        ("import_id=123", "import_id"),
        ("page=um", "page"),
        ("per_page=-", "per_page"),
    ] {
        let res = app
            .get(&format!("/api/v1/leads?{query}"), Some(s.token()))
            .await;
        assert_eq!(invalid_fields(res).await, vec![field], "{query}");
    }
}

#[tokio::test]
async fn create_validates_dedups_and_honours_the_plan_limit() {
    let app = spawn_app().await;
    let s = app.signup("Ana", "ana@acme.com.br").await;
    let res = app
        .post("/api/v1/leads", &json!({"cnpj": "12.abc.345/01de-35", "email": "Vendas@Padaria.com.br", "telefone": "(11) 98765-4321"}), Some(s.token()))
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let lead: Value = res.json().await.unwrap();
    assert_eq!(lead["cnpj"], "12ABC34501DE35");
    assert_eq!(lead["email"], "vendas@padaria.com.br");
    assert_eq!(lead["telefone"], "+5511987654321");
    assert_eq!(lead["owner_id"], json!(s.user_id()));
    assert_eq!(lead["enrichment_status"], "pending");
    let queued: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM jobs WHERE kind = 'leads.enrich' AND payload->>'lead_id' = $1",
    )
    .bind(lead["id"].as_str().unwrap())
    .fetch_one(app.db.pool())
    .await
    .unwrap();
    assert_eq!(queued, 1, "enrichment queued at once");

    let again = app
        .post(
            "/api/v1/leads",
            &json!({"cnpj": "12ABC34501DE35"}),
            Some(s.token()),
        )
        .await;
    assert_eq!(conflict_fields(again).await, vec!["cnpj"]);
    for (body, field) in [
        (json!({"cnpj": "11222333000182"}), "cnpj"),
        (json!({"cnpj": "11222333000181", "email": "nope"}), "email"),
        (
            json!({"cnpj": "11222333000181", "telefone": "123"}),
            "telefone",
        ),
        (
            json!({"cnpj": "11222333000181", "owner_id": uuid::Uuid::new_v4()}),
            "owner_id",
        ),
        (
            json!({"cnpj": "11222333000181", "razao_social": "x".repeat(301)}),
            "razao_social",
        ),
    ] {
        let res = app.post("/api/v1/leads", &body, Some(s.token())).await;
        assert_eq!(invalid_fields(res).await, vec![field]);
    }

    sqlx::query("UPDATE plans SET max_leads = 1 WHERE slug = 'starter'")
        .execute(app.db.pool())
        .await
        .unwrap();
    let res = app
        .post(
            "/api/v1/leads",
            &json!({"cnpj": "11222333000181"}),
            Some(s.token()),
        )
        .await;
    let error = assert_error(res, StatusCode::PAYMENT_REQUIRED, "LIMIT_EXCEEDED").await;
    assert_eq!(error["details"]["limit"], "max_leads");

    // Deleting frees the CNPJ and the quota.
    let id = lead["id"].as_str().unwrap();
    assert_eq!(
        app.delete(&format!("/api/v1/leads/{id}"), Some(s.token()))
            .await
            .status(),
        StatusCode::NO_CONTENT
    );
    assert_error(
        app.get(&format!("/api/v1/leads/{id}"), Some(s.token()))
            .await,
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
    )
    .await;
    let res = app
        .post(
            "/api/v1/leads",
            &json!({"cnpj": "12ABC34501DE35"}),
            Some(s.token()),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn patch_changes_and_clears_fields_and_checks_the_owner() {
    let app = spawn_app().await;
    let s = app.signup("Ana", "ana@acme.com.br").await;
    let sdr = app.add_member(&s, "Caio", "caio@acme.com.br", "sdr").await;
    let ids = app.seed_leads(&s).await;
    let url = format!("/api/v1/leads/{}", ids[0]);
    let res = app
        .patch(&url, &json!({"contact_name": "Maria", "email": "maria@sj.com.br", "status": "qualified", "owner_id": sdr.user_id(), "do_not_contact": true}), Some(s.token()))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let lead: Value = res.json().await.unwrap();
    assert_eq!(
        (
            lead["contact_name"].as_str(),
            lead["status"].as_str(),
            lead["do_not_contact"].as_bool()
        ),
        (Some("Maria"), Some("qualified"), Some(true))
    );
    assert_eq!(lead["owner_id"], json!(sdr.user_id()));
    assert_eq!(
        lead["razao_social"], "Construtora São João Ltda",
        "absent fields are kept"
    );

    let lead: Value = app
        .patch(
            &url,
            &json!({"email": null, "owner_id": null}),
            Some(s.token()),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (lead["email"].clone(), lead["owner_id"].clone()),
        (Value::Null, Value::Null)
    );
    assert_eq!(lead["contact_name"], "Maria");

    for (body, field) in [
        (json!({"owner_id": uuid::Uuid::new_v4()}), "owner_id"),
        (json!({"email": "x@"}), "email"),
        (json!({"telefone": "12"}), "telefone"),
        (json!({"contact_name": "Ma\u{0}ria"}), "contact_name"),
    ] {
        assert_eq!(
            invalid_fields(app.patch(&url, &body, Some(s.token())).await).await,
            vec![field]
        );
    }
    let res = app
        .patch(&url, &json!({"status": "archived"}), Some(s.token()))
        .await;
    assert_error(res, StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION").await;
    let res = app
        .patch(&url, &json!({"cnpj": "33000167000101"}), Some(s.token()))
        .await;
    assert_error(res, StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION").await;
}

#[tokio::test]
async fn bulk_archive_unarchive_and_assign() {
    let app = spawn_app().await;
    let s = app.signup("Ana", "ana@acme.com.br").await;
    let sdr = app.add_member(&s, "Caio", "caio@acme.com.br", "sdr").await;
    let ids = app.seed_leads(&s).await;
    let res: Value = app
        .post(
            "/api/v1/leads/archive",
            &json!({"lead_ids": [ids[0], ids[1], ids[1]]}),
            Some(s.token()),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(res["affected"], 2);
    assert_eq!(app.list_cnpjs(&s, "").await.len(), 2);
    assert_eq!(app.list_cnpjs(&s, "archived=archived").await.len(), 2);
    assert_eq!(app.list_cnpjs(&s, "archived=all").await.len(), 4);
    let res: Value = app
        .post(
            "/api/v1/leads/unarchive",
            &json!({"lead_ids": [ids[0]]}),
            Some(s.token()),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(res["affected"], 1);

    let res: Value = app
        .post(
            "/api/v1/leads/assign",
            &json!({"lead_ids": ids, "owner_id": sdr.user_id()}),
            Some(sdr.token()),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(res["affected"], 4);
    assert_eq!(
        app.list_cnpjs(&s, &format!("owner_id={}&archived=all", sdr.user_id()))
            .await
            .len(),
        4
    );

    let res = app
        .post(
            "/api/v1/leads/archive",
            &json!({"lead_ids": []}),
            Some(s.token()),
        )
        .await;
    assert_eq!(
        fields(&assert_error(res, StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION").await),
        vec!["lead_ids"]
    );
    let too_many: Vec<uuid::Uuid> = (0..1001).map(|_| uuid::Uuid::new_v4()).collect();
    let res = app
        .post(
            "/api/v1/leads/archive",
            &json!({"lead_ids": too_many}),
            Some(s.token()),
        )
        .await;
    assert_eq!(invalid_fields(res).await, vec!["lead_ids"]);
    let res = app
        .post(
            "/api/v1/leads/assign",
            &json!({"lead_ids": [ids[0]], "owner_id": uuid::Uuid::new_v4()}),
            Some(s.token()),
        )
        .await;
    assert_eq!(invalid_fields(res).await, vec!["owner_id"]);
}

#[tokio::test]
async fn leads_are_invisible_and_untouchable_across_organizations() {
    let app = spawn_app().await;
    let a = app.signup("Ana", "ana@acme.com.br").await;
    let b = app.signup("Bia", "bia@outra.com.br").await;
    let ids = app.seed_leads(&a).await;
    assert!(app.list_cnpjs(&b, "archived=all").await.is_empty());
    assert!(app.list_cnpjs(&b, "q=construtora").await.is_empty());
    let id = &ids[0];
    for res in [
        app.get(&format!("/api/v1/leads/{id}"), Some(b.token()))
            .await,
        app.patch(
            &format!("/api/v1/leads/{id}"),
            &json!({"contact_name": "x"}),
            Some(b.token()),
        )
        .await,
        app.delete(&format!("/api/v1/leads/{id}"), Some(b.token()))
            .await,
    ] {
        assert_error(res, StatusCode::NOT_FOUND, "NOT_FOUND").await;
    }
    for path in ["/api/v1/leads/archive", "/api/v1/leads/unarchive"] {
        let res: Value = app
            .post(path, &json!({"lead_ids": ids}), Some(b.token()))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(res["affected"], 0, "{path}");
    }
    let res: Value = app
        .post(
            "/api/v1/leads/assign",
            &json!({"lead_ids": ids, "owner_id": null}),
            Some(b.token()),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(res["affected"], 0);
    // B may create its own lead with the same CNPJ.
    let res = app
        .post(
            "/api/v1/leads",
            &json!({"cnpj": ROWS[0].0}),
            Some(b.token()),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let text = app.export_csv(&b, "").await;
    assert_eq!(text.lines().count(), 2, "header + B's own lead: {text}");
    assert_eq!(app.list_cnpjs(&a, "").await.len(), 4, "A unchanged");
}
