//! CSV exports (pt-BR Excel, the organization's time zone, many pages), the plan limit
//! under concurrent creates, and day bounds in the organization's time zone.

use chrono::{DateTime, FixedOffset, Utc};
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{assert_error, spawn_app};
use crate::leads::ROWS;

#[tokio::test]
async fn export_streams_the_filtered_leads_for_excel_pt_br() {
    let app = spawn_app().await;
    let s = app.signup("Ana", "ana@acme.com.br").await;
    let sdr = app.add_member(&s, "Caio", "caio@acme.com.br", "sdr").await;
    app.seed_leads(&s).await;
    let res = app.get("/api/v1/leads/export?uf=SP", Some(s.token())).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    assert!(res.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .contains("attachment"));
    let bytes = res.bytes().await.unwrap();
    assert_eq!(&bytes[..3], b"\xEF\xBB\xBF");
    let text = std::str::from_utf8(&bytes[3..]).unwrap();
    let lines: Vec<&str> = text.trim_end().split("\r\n").collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert!(lines[0].starts_with("cnpj;razao_social;nome_fantasia;status"));
    assert!(
        lines[1].starts_with(
            "12.ABC.345/01DE-35;Padaria Pão de Açúcar ME;Padaria do Zé;new;pending;ME"
        ),
        "{}",
        lines[1]
    );
    assert!(
        lines[2].ends_with(";não;não;01/11/2026 09:00:00"),
        "São Paulo time (the default zone): {}",
        lines[2]
    );
    let audited: i64 =
        sqlx::query_scalar("SELECT count(*) FROM audit_logs WHERE action = 'leads.exported'")
            .fetch_one(app.db.pool())
            .await
            .unwrap();
    assert_eq!(audited, 1);
    let res = app.get("/api/v1/leads/export", Some(sdr.token())).await;
    assert_error(res, StatusCode::FORBIDDEN, "FORBIDDEN").await;
}

#[tokio::test]
async fn export_dates_follow_the_organizations_time_zone() {
    let app = spawn_app().await;
    let s = app.signup("Ana", "ana@acme.com.br").await;
    app.seed_leads(&s).await;
    let created_at: Vec<DateTime<Utc>> = sqlx::query_scalar(
        "SELECT created_at FROM leads WHERE org_id = $1 ORDER BY created_at DESC, id DESC",
    )
    .bind(s.org_id())
    .fetch_all(app.db.pool())
    .await
    .unwrap();
    let exported_dates = |text: &str| -> Vec<String> {
        text.trim_end()
            .split("\r\n")
            .skip(1)
            .map(|l| l.rsplit(';').next().unwrap().to_owned())
            .collect()
    };
    let expected_at = |hours_east: i32| -> Vec<String> {
        let zone = FixedOffset::east_opt(hours_east * 3600).unwrap();
        created_at
            .iter()
            .map(|at| {
                at.with_timezone(&zone)
                    .format("%d/%m/%Y %H:%M:%S")
                    .to_string()
            })
            .collect()
    };
    // The default zone, America/Sao_Paulo: UTC−3 (no daylight saving since 2019).
    let text = app.export_csv(&s, "").await;
    assert_eq!(exported_dates(&text), expected_at(-3), "{text}");

    // Tokyo has no daylight saving either: UTC+9, twelve hours ahead of São Paulo.
    sqlx::query("UPDATE organizations SET timezone = 'Asia/Tokyo' WHERE id = $1")
        .bind(s.org_id())
        .execute(app.db.pool())
        .await
        .unwrap();
    let text = app.export_csv(&s, "").await;
    assert_eq!(exported_dates(&text), expected_at(9), "{text}");
}

#[tokio::test]
async fn export_of_many_leads_spans_several_pages_without_loss() {
    let app = spawn_app().await;
    let s = app.signup("Ana", "ana@acme.com.br").await;
    sqlx::query(
        "INSERT INTO leads (org_id, cnpj, razao_social, created_at)
         SELECT $1, lpad(n::text, 12, '0') || '00', 'Empresa ' || n, '2026-01-01'::timestamptz + (n % 7) * interval '1 hour'
         FROM generate_series(1, 2500) AS n",
    )
    .bind(s.org_id())
    .execute(app.db.pool())
    .await
    .unwrap();
    let text = app.export_csv(&s, "").await;
    let mut names: Vec<&str> = text
        .lines()
        .skip(1)
        .map(|l| l.split(';').nth(1).unwrap())
        .collect();
    assert_eq!(names.len(), 2500);
    names.sort();
    names.dedup();
    assert_eq!(
        names.len(),
        2500,
        "no row twice, none missing across keyset pages"
    );
}

#[tokio::test]
async fn concurrent_creates_cannot_both_take_the_last_lead_of_the_plan() {
    let app = spawn_app().await;
    let s = app.signup("Ana", "ana@acme.com.br").await;
    sqlx::query("UPDATE plans SET max_leads = 1 WHERE slug = 'starter'")
        .execute(app.db.pool())
        .await
        .unwrap();
    let (first, second) = (json!({"cnpj": ROWS[0].0}), json!({"cnpj": ROWS[1].0}));
    let (a, b) = tokio::join!(
        app.post("/api/v1/leads", &first, Some(s.token())),
        app.post("/api/v1/leads", &second, Some(s.token())),
    );
    let mut statuses = vec![a.status().as_u16(), b.status().as_u16()];
    statuses.sort();
    assert_eq!(statuses, vec![201, 402]);
    assert_eq!(app.list_cnpjs(&s, "").await.len(), 1);
}

#[tokio::test]
async fn bare_dates_are_days_of_the_organizations_time_zone() {
    let app = spawn_app().await;
    let s = app.signup("Ana", "ana@acme.com.br").await;
    let ids = app.seed_leads(&s).await;
    // 01:30 UTC on the 5th is still the evening of the 4th in São Paulo (UTC−3).
    sqlx::query("UPDATE leads SET created_at = '2026-11-05T01:30:00Z' WHERE id = $1::uuid")
        .bind(&ids[0])
        .execute(app.db.pool())
        .await
        .unwrap();
    let sj = ROWS[0].0.to_owned();

    assert!(app
        .list_cnpjs(&s, "created_to=2026-11-04&sort=created_at")
        .await
        .contains(&sj));
    assert!(!app
        .list_cnpjs(&s, "created_from=2026-11-05")
        .await
        .contains(&sj));
    // An explicit instant is taken as given.
    assert!(app
        .list_cnpjs(&s, "created_from=2026-11-05T01:00:00Z")
        .await
        .contains(&sj));

    // The organization's own zone decides: in UTC the lead belongs to the 5th.
    sqlx::query("UPDATE organizations SET timezone = 'UTC' WHERE id = $1")
        .bind(s.org_id())
        .execute(app.db.pool())
        .await
        .unwrap();
    assert_eq!(
        app.list_cnpjs(&s, "created_from=2026-11-05&created_to=2026-11-05")
            .await,
        vec![sj]
    );
}
