//! Streaming CSV export of the filtered leads: pages of 1000 rows read with a keyset
//! (so a 100k-lead export never holds a long transaction or all rows in memory),
//! written as Excel pt-BR CSV with dates on the organization's clock.

use chrono::{DateTime, NaiveDateTime, Utc};
use flux_domain::TenantCtx;
use flux_persistence::{
    audit,
    lead_search::{self, ExportRow, LeadFilter},
    Db,
};
use futures_util::Stream;
use serde_json::json;

use crate::{
    audit::audit_entry,
    csv_export::Writer,
    error::{AppError, AppResult},
    ClientInfo,
};

const PAGE: i64 = 1000;

const HEADER: [&str; 16] = [
    "cnpj",
    "razao_social",
    "nome_fantasia",
    "status",
    "enriquecimento",
    "porte",
    "cnae",
    "uf",
    "cidade",
    "situacao_cadastral",
    "email",
    "telefone",
    "contato",
    "nao_contatar",
    "arquivado",
    "criado_em",
];

/// A date and time as Excel pt-BR reads it.
fn excel_pt_br(at: NaiveDateTime) -> String {
    at.format("%d/%m/%Y %H:%M:%S").to_string()
}

fn yes_no(flag: bool) -> &'static str {
    if flag {
        "sim"
    } else {
        "não"
    }
}

fn write_row(csv: &mut Writer, row: &ExportRow) {
    let l = &row.lead;
    let cnpj = crate::convert::formatted_cnpj(&l.cnpj);
    let opt = |v: &Option<String>| v.clone().unwrap_or_default();
    csv.row([
        cnpj,
        opt(&l.razao_social),
        opt(&l.nome_fantasia),
        l.status.to_string(),
        l.enrichment_status.to_string(),
        opt(&l.porte),
        opt(&l.cnae),
        opt(&l.uf),
        opt(&l.cidade),
        opt(&l.situacao_cadastral),
        opt(&l.email),
        opt(&l.telefone),
        opt(&l.contact_name),
        yes_no(l.do_not_contact).to_owned(),
        yes_no(l.archived_at.is_some()).to_owned(),
        excel_pt_br(row.created_local),
    ]);
}

/// Records the export in the audit log (who exported what) and returns the file in
/// chunks; a chunk that fails ends the file early.
pub async fn export(
    db: Db,
    ctx: TenantCtx,
    filter: LeadFilter,
    client: &ClientInfo,
) -> AppResult<impl Stream<Item = AppResult<Vec<u8>>>> {
    let mut tx = db.begin_tenant(&ctx).await?;
    let mut entry = audit_entry(client, "leads.exported", "lead");
    entry.changes = json!({ "filter": format!("{filter:?}") });
    audit::record(&mut tx, entry).await?;
    tx.commit().await?;

    struct State {
        db: Db,
        ctx: TenantCtx,
        filter: LeadFilter,
        after: Option<(DateTime<Utc>, uuid::Uuid)>,
        started: bool,
        done: bool,
    }
    let state = State {
        db,
        ctx,
        filter,
        after: None,
        started: false,
        done: false,
    };
    Ok(futures_util::stream::unfold(state, |mut s| async move {
        if s.done {
            return None;
        }
        let mut csv = if s.started {
            Writer::plain()
        } else {
            Writer::excel_pt_br()
        };
        if !s.started {
            s.started = true;
            csv.row(HEADER);
        }
        let page = async {
            let mut tx = s.db.begin_tenant(&s.ctx).await?;
            lead_search::export_page(&mut tx, &s.filter, s.after, PAGE).await
        }
        .await;
        match page {
            Ok(rows) => {
                s.done = (rows.len() as i64) < PAGE;
                if let Some(last) = rows.last() {
                    s.after = Some((last.lead.created_at, last.lead.id));
                }
                for row in &rows {
                    write_row(&mut csv, row);
                }
                Some((Ok(csv.finish()), s))
            }
            Err(e) => {
                // Headers are gone already: end the body early; the log says why.
                tracing::error!(error = %e, "lead export failed mid-stream");
                s.done = true;
                Some((Err(AppError::from(e)), s))
            }
        }
    }))
}
