//! Lead search (`q`): the terms index follows every change to a lead, ranks, counts and
//! pages like the rest of the list, and combines with filters, sorts and exports.

use reqwest::StatusCode;
use serde_json::{json, Value};
use uuid::Uuid;

use crate::helpers::{spawn_app, Session, TestApp};

impl TestApp {
    /// `(total, cnpjs of the page)` of `GET /api/v1/leads?{query}`.
    async fn search(&self, s: &Session, query: &str) -> (i64, Vec<String>) {
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

    /// A lead with this name, `hours` after a fixed instant; returns its id.
    async fn lead_named(&self, s: &Session, cnpj: &str, razao: &str, hours: i32) -> Uuid {
        sqlx::query_scalar(
            "INSERT INTO leads (org_id, cnpj, razao_social, status, created_at)
             VALUES ($1, $2, $3, CASE WHEN $4 % 2 = 0 THEN 'new' ELSE 'contacted' END,
                     '2026-11-01T00:00:00Z'::timestamptz + make_interval(hours => $4))
             RETURNING id",
        )
        .bind(s.org_id())
        .bind(cnpj)
        .bind(razao)
        .bind(hours)
        .fetch_one(self.db.pool())
        .await
        .unwrap()
    }

    /// The terms index equals a rebuild from the leads, both ways.
    async fn assert_terms_match_leads(&self) {
        let drift: i64 = sqlx::query_scalar(
            "WITH rebuilt AS (
               SELECT l.org_id, l.id AS lead_id, t.lexeme::text COLLATE \"C\" AS term,
                      l.archived_at IS NOT NULL AS archived, l.created_at,
                      coalesce(array_length(t.positions, 1), 1)::smallint AS weight
               FROM leads l, unnest(l.search) AS t WHERE l.deleted_at IS NULL),
             kept AS (SELECT org_id, lead_id, term, archived, created_at, weight FROM lead_search_terms)
             SELECT (SELECT count(*) FROM (TABLE rebuilt EXCEPT ALL TABLE kept) a)
                  + (SELECT count(*) FROM (TABLE kept EXCEPT ALL TABLE rebuilt) b)",
        )
        .fetch_one(self.db.pool())
        .await
        .unwrap();
        assert_eq!(drift, 0, "lead_search_terms drifted from leads");
    }

    async fn terms_of(&self, lead: Uuid) -> i64 {
        sqlx::query_scalar("SELECT count(*) FROM lead_search_terms WHERE lead_id = $1")
            .bind(lead)
            .fetch_one(self.db.pool())
            .await
            .unwrap()
    }
}

fn cnpj(n: u32) -> String {
    format!("{n:012}00")
}

#[tokio::test]
async fn search_follows_renames_archiving_and_deletion() {
    let app = spawn_app().await;
    let s = app.signup("Ana", "ana@acme.com.br").await;
    let id = app
        .lead_named(&s, &cnpj(1), "Padaria Pão de Açúcar", 0)
        .await;
    app.lead_named(&s, &cnpj(2), "Mercearia Central", 1).await;
    assert_eq!(app.search(&s, "q=padaria").await, (1, vec![cnpj(1)]));

    // A new name (as enrichment writes it) replaces the old words.
    sqlx::query("UPDATE leads SET razao_social = 'Confeitaria Doce Lar' WHERE id = $1")
        .bind(id)
        .execute(app.db.pool())
        .await
        .unwrap();
    assert_eq!(app.search(&s, "q=padaria").await, (0, vec![]));
    assert_eq!(app.search(&s, "q=confeitaria").await, (1, vec![cnpj(1)]));
    app.assert_terms_match_leads().await;

    // Archived leads leave the default view, and stay findable where archived leads are.
    let archive = |path: &'static str| {
        let app = &app;
        let s = &s;
        async move {
            let res = app
                .post(path, &json!({"lead_ids": [id]}), Some(s.token()))
                .await;
            assert_eq!(res.status(), StatusCode::OK);
        }
    };
    archive("/api/v1/leads/archive").await;
    assert_eq!(app.search(&s, "q=confeitaria").await, (0, vec![]));
    assert_eq!(
        app.search(&s, "q=confeitaria&archived=archived").await,
        (1, vec![cnpj(1)])
    );
    assert_eq!(
        app.search(&s, "q=confeitaria&archived=all").await,
        (1, vec![cnpj(1)])
    );
    assert_eq!(
        app.search(&s, "q=central&archived=archived").await,
        (0, vec![])
    );
    app.assert_terms_match_leads().await;
    archive("/api/v1/leads/unarchive").await;
    assert_eq!(app.search(&s, "q=confeitaria").await, (1, vec![cnpj(1)]));

    // Archived and renamed in one statement, then restored from the archive.
    sqlx::query(
        "UPDATE leads SET razao_social = 'Doceria Bela Vista', archived_at = now() WHERE id = $1",
    )
    .bind(id)
    .execute(app.db.pool())
    .await
    .unwrap();
    app.assert_terms_match_leads().await;
    assert_eq!(
        app.search(&s, "q=doceria&archived=archived").await,
        (1, vec![cnpj(1)])
    );
    archive("/api/v1/leads/unarchive").await;
    assert_eq!(app.search(&s, "q=doceria").await, (1, vec![cnpj(1)]));

    // A deleted lead is gone from every view, and from the index.
    let res = app
        .delete(&format!("/api/v1/leads/{id}"), Some(s.token()))
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        app.search(&s, "q=confeitaria&archived=all").await,
        (0, vec![])
    );
    assert_eq!(app.terms_of(id).await, 0);
    app.assert_terms_match_leads().await;

    // Only stop words: a valid search that matches nothing.
    assert_eq!(app.search(&s, "q=de%20da").await, (0, vec![]));
}

#[tokio::test]
async fn search_ranks_counts_and_pages() {
    let app = spawn_app().await;
    let s = app.signup("Ana", "ana@acme.com.br").await;
    for n in 0..120 {
        app.lead_named(
            &s,
            &cnpj(100 + n),
            &format!("Construtora Exemplo {n}"),
            n as i32,
        )
        .await;
    }
    // Two words starting with `constru`: more occurrences rank first.
    app.lead_named(&s, &cnpj(900), "Construtora Construções Unidas", -5)
        .await;
    app.lead_named(&s, &cnpj(901), "Oficina Mecânica", 500)
        .await;
    app.lead_named(&s, &cnpj(3000), "Depósito 00000000090", 600)
        .await;
    app.assert_terms_match_leads().await;

    let (total, first) = app.search(&s, "q=constru&per_page=50").await;
    assert_eq!(total, 121);
    assert_eq!(first.len(), 50);
    assert_eq!(first[0], cnpj(900), "the lead matching twice ranks first");
    assert_eq!(first[1], cnpj(219), "then the newest");

    let mut seen = first;
    for page in 2..=3 {
        let (total, items) = app
            .search(&s, &format!("q=constru&per_page=50&page={page}"))
            .await;
        assert_eq!(total, 121);
        seen.extend(items);
    }
    assert_eq!(seen.len(), 121);
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 121, "every match once across the pages");
    assert_eq!(
        app.search(&s, "q=constru&per_page=50&page=4").await,
        (121, vec![]),
        "past the end the total still counts"
    );

    // Newest first when asked, every word required, prefixes of each word.
    let (_, newest) = app
        .search(&s, "q=constru&sort=-created_at&per_page=3")
        .await;
    assert_eq!(newest, vec![cnpj(219), cnpj(218), cnpj(217)]);
    let (_, oldest) = app.search(&s, "q=constru&sort=created_at&per_page=2").await;
    assert_eq!(oldest, vec![cnpj(900), cnpj(100)]);
    assert_eq!(app.search(&s, "q=constr%20exemplo%2011").await.0, 11);
    assert_eq!(
        app.search(&s, "q=constru%20unid").await,
        (1, vec![cnpj(900)])
    );
    assert_eq!(app.search(&s, "q=oficina%20exemplo").await, (0, vec![]));

    // CNPJs starting with what was typed rank above names containing it.
    assert_eq!(
        app.search(&s, "q=00000000090").await,
        (3, vec![cnpj(901), cnpj(900), cnpj(3000)])
    );

    // With other filters and sorts the matches join the leads table.
    let (total, items) = app
        .search(
            &s,
            "q=constru&status=contacted&sort=razao_social&per_page=100",
        )
        .await;
    assert_eq!((total, items.len()), (61, 61));
    assert_eq!(items[0], cnpj(900), "Construtora Construções… sorts first");
    let (total, items) = app.search(&s, "q=constru&status=new&per_page=100").await;
    assert_eq!((total, items[0].clone()), (60, cnpj(218)));

    // Relevance orders the same when the matches join the leads table.
    let (_, joined) = app
        .search(&s, "q=constru&do_not_contact=false&per_page=3")
        .await;
    assert_eq!(joined, vec![cnpj(900), cnpj(219), cnpj(218)]);

    // Without a search, a full page is counted too.
    assert_eq!(app.search(&s, "status=new&per_page=10").await.0, 62);
    assert_eq!(app.search(&s, "status=new&per_page=10&page=7").await.0, 62);

    // The export streams the same matches.
    let csv = app.export_csv(&s, "q=constru%20exemplo").await;
    assert_eq!(csv.lines().count(), 1 + 120);
}

#[tokio::test]
async fn searches_never_see_another_organizations_leads() {
    let app = spawn_app().await;
    let a = app.signup("Ana", "ana@acme.com.br").await;
    let b = app.signup("Bia", "bia@outra.com.br").await;
    app.lead_named(&a, &cnpj(1), "Construtora Alfa", 0).await;
    app.lead_named(&b, &cnpj(2), "Construtora Beta", 0).await;
    assert_eq!(app.search(&a, "q=constru").await, (1, vec![cnpj(1)]));
    assert_eq!(app.search(&b, "q=constru").await, (1, vec![cnpj(2)]));
    assert_eq!(app.search(&b, "q=alfa&archived=all").await, (0, vec![]));
    assert_eq!(app.search(&b, "q=000000000001").await, (0, vec![]));
}
