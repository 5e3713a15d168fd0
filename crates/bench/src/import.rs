//! Lead import of a 100k-row CSV against `\copy` of the same rows.

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use chrono::Utc;
use flux_domain::{cnpj::check_digits_of, Cnpj, TenantCtx};
use flux_persistence::{
    jobs::{self, kinds},
    lead_imports::{self, ImportStatus, NewImport},
};
use flux_workers::{
    lead_import::{EnrichImportedLeads, ImportLeads},
    queue::Runner,
};
use serde_json::json;

use crate::{
    report::Section,
    setup::{organization, BenchDb},
};

const ROWS: usize = 100_000;
const ROUNDS: usize = 3;

struct Generated {
    /// The spreadsheet as an SDR exports it from Excel pt-BR (`;`, masked CNPJs).
    csv: Vec<u8>,
    /// The valid, distinct rows as `\copy` gets them (already normalized).
    copy_rows: Vec<[String; 4]>,
    invalid: usize,
    duplicates: usize,
}

/// 0.5 % rows with a wrong check digit and 0.5 % repeated CNPJs, so validation, dedup
/// and error capture all do real work.
fn generate() -> Generated {
    let mut csv = String::from("CNPJ;Razão Social;E-mail;Telefone\r\n");
    let mut copy_rows = Vec::with_capacity(ROWS);
    let (mut invalid, mut duplicates) = (0, 0);
    let mut previous = String::new();
    for i in 0..ROWS {
        let base = format!("{:08}0001", 10_000_000 + i);
        let (a, b) = check_digits_of(&base);
        let mut cnpj = format!("{base}{a}{b}");
        let mut valid = true;
        if i % 200 == 7 {
            cnpj = format!("{base}{}{b}", (a + 1) % 10);
            valid = false;
            invalid += 1;
        } else if i % 200 == 13 {
            cnpj = previous.clone();
            valid = false;
            duplicates += 1;
        }
        let masked = Cnpj::parse(&cnpj)
            .map(|c| c.formatted())
            .unwrap_or_else(|_| cnpj.clone());
        let razao = format!("Empresa {i} Comércio e Serviços Ltda");
        let email = format!("contato{i}@empresa{i}.com.br");
        let phone = format!("(11) 9{:04}-{:04}", i % 10_000, (i / 10_000) % 10_000);
        csv.push_str(&format!("{masked};{razao};{email};{phone}\r\n"));
        if valid {
            let e164 = format!("+55119{:04}{:04}", i % 10_000, (i / 10_000) % 10_000);
            copy_rows.push([cnpj.clone(), razao, email, e164]);
        }
        if i % 200 != 7 {
            previous = cnpj;
        }
    }
    Generated {
        csv: csv.into_bytes(),
        copy_rows,
        invalid,
        duplicates,
    }
}

/// The API's accept step (file check, import row, job) and the job itself.
async fn import_once(
    b: &BenchDb,
    ctx: &TenantCtx,
    csv: &[u8],
) -> anyhow::Result<(Duration, i32, i32, Duration)> {
    let started = Instant::now();
    let parsed = flux_import::parse(csv).map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut tx = b.db.begin_tenant(ctx).await?;
    let import = lead_imports::create(
        &mut tx,
        NewImport {
            file_name: "bench.csv",
            content: csv,
            encoding: parsed.dialect.encoding.as_str(),
            delimiter: parsed.dialect.delimiter,
            column_mapping: json!([]),
            total_rows: parsed.rows.len() as i32,
        },
    )
    .await?;
    jobs::enqueue(
        &mut tx,
        flux_app::lead_imports::import_job(import.id, Utc::now()),
    )
    .await?;
    tx.commit().await?;
    Runner::builder(b.db.clone())
        .handler(kinds::IMPORT_LEADS, Arc::new(ImportLeads::default()))
        .build()
        .drain()
        .await?;
    let elapsed = started.elapsed();
    let mut tx = b.db.begin_tenant(ctx).await?;
    let done = lead_imports::get(&mut tx, import.id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("import vanished"))?;
    anyhow::ensure!(
        done.status == ImportStatus::Completed,
        "import did not complete: {:?}",
        done.failure_reason
    );
    drop(tx);
    // The follow-up job that queues one enrichment job per new lead.
    let fan_out = Instant::now();
    Runner::builder(b.db.clone())
        .handler(kinds::ENRICH_IMPORT, Arc::new(EnrichImportedLeads))
        .build()
        .drain()
        .await?;
    Ok((
        elapsed,
        done.success_count,
        done.error_count,
        fan_out.elapsed(),
    ))
}

fn copy_once(b: &BenchDb, ctx: &TenantCtx, rows: &[[String; 4]]) -> anyhow::Result<Duration> {
    let path = std::env::temp_dir().join("flux-bench-copy.csv");
    let org = ctx.org_id().to_string();
    let mut text = String::with_capacity(rows.len() * 120);
    for [cnpj, razao, email, phone] in rows {
        text.push_str(&format!("{org},{cnpj},\"{razao}\",{email},{phone}\n"));
    }
    std::fs::write(&path, text)?;
    let command = format!(
        "\\copy leads(org_id, cnpj, razao_social, email, telefone) FROM '{}' WITH (FORMAT csv)",
        path.display()
    );
    let started = Instant::now();
    let status = std::process::Command::new("psql")
        .args(["-q", "-v", "ON_ERROR_STOP=1", &b.url, "-c", &command])
        .status()?;
    let elapsed = started.elapsed();
    anyhow::ensure!(status.success(), "psql \\copy failed");
    Ok(elapsed)
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

pub async fn run(b: &BenchDb) -> anyhow::Result<Section> {
    let g = generate();
    println!(
        "import: {ROWS} rows ({} invalid, {} duplicated), {} MB",
        g.invalid,
        g.duplicates,
        g.csv.len() / 1_000_000
    );
    let mut ours = Vec::new();
    let mut copy = Vec::new();
    let mut lines = Vec::new();
    let mut fan_outs = Vec::new();
    for round in 0..ROUNDS {
        let importer = organization(&b.db, 100 + round).await?;
        let (took, success, errors, fan_out) = import_once(b, &importer, &g.csv).await?;
        fan_outs.push(fan_out.as_secs_f64());
        anyhow::ensure!(
            success as usize == g.copy_rows.len(),
            "imported {success}, expected {}",
            g.copy_rows.len()
        );
        let copier = organization(&b.db, 200 + round).await?;
        let copy_took = copy_once(b, &copier, &g.copy_rows)?;
        let ours_rate = ROWS as f64 / took.as_secs_f64();
        let copy_rate = g.copy_rows.len() as f64 / copy_took.as_secs_f64();
        println!(
            "  round {}: import {:.2} s ({ours_rate:.0} rows/s, {success} leads, {errors} row errors) · \\copy {:.2} s ({copy_rate:.0} rows/s)",
            round + 1,
            took.as_secs_f64(),
            copy_took.as_secs_f64()
        );
        lines.push(format!(
            "| {} | {:.2} s | {ours_rate:.0} | {:.2} s | {copy_rate:.0} | {:.2} |",
            round + 1,
            took.as_secs_f64(),
            copy_took.as_secs_f64(),
            ours_rate / copy_rate
        ));
        ours.push(ours_rate);
        copy.push(copy_rate);
    }
    let ratio = median(ours.clone()) / median(copy.clone());
    let verdict = if ratio >= 0.5 { "meets" } else { "misses" };
    let mut body = vec![
        format!(
            "{ROWS}-row CSV (Excel pt-BR: `;`, masked CNPJs, e-mail, phone; {} invalid CNPJs, {} duplicates). \
             Flux: file check + import row + the `leads.import` job (decode, validate, dedup, quota, row errors, \
             insert, progress events; enrichment is queued right after, see below) — rows of the file per second. \
             `\\copy`: the {} valid, distinct, pre-normalized rows into the same `leads` table with the same \
             indexes, via psql. Median of {ROUNDS} rounds, each into fresh organizations.",
            g.invalid,
            g.duplicates,
            g.copy_rows.len()
        ),
        String::new(),
        "| round | Flux import | rows/s | `\\copy` | rows/s | ratio |".into(),
        "|---|---|---|---|---|---|".into(),
    ];
    body.extend(lines);
    body.push(String::new());
    body.push(format!(
        "**Ratio (median): {ratio:.2}× of `\\copy`** — target ≥ 0.5×: {verdict} the target."
    ));
    body.push(String::new());
    body.push(format!(
        "After the import completes, the `leads.enrich_import` job queues the {} enrichment jobs in one \
         statement: median {:.2} s (not part of the import time above; providers then pace the enrichment).",
        g.copy_rows.len(),
        median(fan_outs)
    ));
    Ok(Section {
        title: "Lead import vs `\\copy`".into(),
        body,
    })
}
