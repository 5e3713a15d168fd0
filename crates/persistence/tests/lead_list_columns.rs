//! The lead list decodes its rows by position and without per-value type checks
//! (`LeadListRow::decode_from`). This pins the SQL types it relies on: a migration
//! that changes one of these columns fails here instead of decoding wrong values.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use flux_persistence::{lead_search::LIST_COLUMNS, Db};
use flux_testkit::TestDatabase;
use sqlx::{Column, Executor, TypeInfo};

#[tokio::test]
async fn the_list_columns_keep_the_types_their_unchecked_decoder_expects() {
    let test_db = TestDatabase::create().await;
    let db = Db::from_pool(test_db.pool().await);
    let mut conn = db.acquire().await.unwrap();
    let described = (&mut *conn)
        .describe(&format!("SELECT {LIST_COLUMNS} FROM leads"))
        .await
        .unwrap();
    let columns: Vec<(String, String)> = described
        .columns()
        .iter()
        .map(|c| (c.name().to_owned(), c.type_info().name().to_owned()))
        .collect();
    let expected = [
        ("id", "UUID"),
        ("cnpj", "TEXT"),
        ("status", "TEXT"),
        ("enrichment_status", "TEXT"),
        ("razao_social", "TEXT"),
        ("nome_fantasia", "TEXT"),
        ("porte", "TEXT"),
        ("cnae", "TEXT"),
        ("uf", "TEXT"),
        ("cidade", "TEXT"),
        ("situacao_cadastral", "TEXT"),
        ("email", "TEXT"),
        ("telefone", "TEXT"),
        ("contact_name", "TEXT"),
        ("owner_id", "UUID"),
        ("do_not_contact", "BOOL"),
        ("import_id", "UUID"),
        ("enriched_at", "TIMESTAMPTZ"),
        ("archived_at", "TIMESTAMPTZ"),
        ("created_at", "TIMESTAMPTZ"),
        ("updated_at", "TIMESTAMPTZ"),
    ]
    .map(|(name, ty)| (name.to_owned(), ty.to_owned()));
    assert_eq!(columns, expected);
}
