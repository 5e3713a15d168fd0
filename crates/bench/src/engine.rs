//! The cadence engine end to end (claim, render, outbox, send, interaction, advance)
//! with a local in-memory channel, against pgbench doing the same claim + inserts +
//! update per step as the ceiling; and the enqueue → send latency of an idle engine.

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use chrono::{DateTime, Utc};
use flux_app::{channel::Channels, clock::ManualClock};
use flux_domain::{Channel, TenantCtx};
use flux_workers::engine::{memory::MemoryChannel, Engine, EngineConfig};
use uuid::Uuid;

use crate::{
    report::Section,
    setup::{organization, pgbench_bin, BenchDb},
};

/// Enrollments per round; each gets two steps (the second due at once), so a round
/// sends twice this many messages.
const ENROLLMENTS: usize = 10_000;
const STEPS_PER_ENROLLMENT: usize = 2;
const ROUNDS: usize = 3;
const PGBENCH_STEPS: usize = 40_000;
const PGBENCH_CLIENTS: usize = 2;
const IDLE_SAMPLES: usize = 100;

/// Monday 2026-11-23 10:00 in São Paulo: inside the default send window.
fn monday_10am() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-23T13:00:00Z")
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(|_| Utc::now())
}

struct Cadence {
    org: Uuid,
    sender: Uuid,
    cadence: Uuid,
    first_step: Uuid,
}

async fn cadence(b: &BenchDb, ctx: &TenantCtx) -> anyhow::Result<Cadence> {
    let pool = b.db.pool();
    let org = ctx.org_id().uuid();
    let sender = ctx.user_id().uuid();
    sqlx::query(
        "INSERT INTO mailboxes (org_id, user_id, from_name, from_email, smtp_host, smtp_port,
                                smtp_username, smtp_password_enc, daily_limit,
                                min_interval_seconds)
         VALUES ($1, $2, 'Ana Souza', 'ana@bench.com.br', 'smtp.bench.com.br', 587, 'ana',
                 '\\x00', 100000, 0)",
    )
    .bind(org)
    .bind(sender)
    .execute(pool)
    .await?;
    let template: Uuid = sqlx::query_scalar(
        "INSERT INTO message_templates (org_id, name, channel, subject, body)
         VALUES ($1, 'Bench', 'email', '{{nome_fantasia|razao_social}} + Flux',
                 '{{saudacao}}, {{contato_primeiro_nome|\"pessoal\"}}! Sou {{sdr_nome}}, da Flux. Vi que a {{razao_social}} fica em {{cidade}}/{{uf}}.')
         RETURNING id",
    )
    .bind(org)
    .fetch_one(pool)
    .await?;
    let cadence: Uuid = sqlx::query_scalar(
        "INSERT INTO cadences (org_id, name, status, activated_at)
         VALUES ($1, 'Bench', 'active', now()) RETURNING id",
    )
    .bind(org)
    .fetch_one(pool)
    .await?;
    let mut steps = Vec::new();
    for position in 1..=STEPS_PER_ENROLLMENT as i32 {
        steps.push(
            sqlx::query_scalar::<_, Uuid>(
                "INSERT INTO cadence_steps (org_id, cadence_id, position, channel, template_id,
                                            delay_days)
                 VALUES ($1, $2, $3, 'email', $4, 0) RETURNING id",
            )
            .bind(org)
            .bind(cadence)
            .bind(position)
            .bind(template)
            .fetch_one(pool)
            .await?,
        );
    }
    Ok(Cadence {
        org,
        sender,
        cadence,
        first_step: steps[0],
    })
}

/// `count` new leads, each enrolled and due at `due`, in one statement.
async fn enroll(
    b: &BenchDb,
    c: &Cadence,
    count: usize,
    round: usize,
    due: DateTime<Utc>,
) -> anyhow::Result<()> {
    sqlx::query(
        "WITH l AS (
           INSERT INTO leads (org_id, cnpj, razao_social, nome_fantasia, cidade, uf, email,
                              contact_name)
           SELECT $1, lpad(($3::bigint * 1000000 + n)::text, 14, '0'),
                  'EMPRESA ' || n || ' LTDA', 'Empresa ' || n, 'Campinas', 'SP',
                  'contato' || n || '@empresa' || $3 || '.com.br', 'JOÃO DA SILVA'
           FROM generate_series(1, $2) n
           RETURNING id
         )
         INSERT INTO cadence_enrollments (org_id, cadence_id, lead_id, sender_id, next_step_id,
                                          next_step_due, last_step_at)
         SELECT $1, $4, l.id, $5, $6, $7, $7 FROM l",
    )
    .bind(c.org)
    .bind(count as i64)
    .bind(round as i64)
    .bind(c.cadence)
    .bind(c.sender)
    .bind(c.first_step)
    .bind(due)
    .execute(b.db.pool())
    .await?;
    Ok(())
}

fn engine(b: &BenchDb, channel: &MemoryChannel, clock: Arc<ManualClock>) -> Engine {
    Engine::new(
        b.db.clone(),
        Channels::default().with(Channel::Email, Arc::new(channel.clone())),
    )
    .with_clock(clock)
    .with_config(EngineConfig::default())
}

/// Steps per pgbench transaction: the engine's batch.
const PGBENCH_BATCH: usize = 500;

/// Per transaction, set-based as the engine works: claim a batch of due enrollments as
/// the engine does (SKIP LOCKED, pushed past a lease), insert their `sent` outbox rows
/// and interactions, and advance them (completed).
const PGBENCH_SCRIPT: &str = r#"BEGIN;
WITH c AS (
  UPDATE cadence_enrollments e SET next_step_due = now() + interval '5 minutes'
  WHERE e.id = ANY(ARRAY(SELECT id FROM cadence_enrollments
                         WHERE status = 'active' AND NOT cadence_held AND next_step_due <= now()
                         ORDER BY next_step_due LIMIT {batch} FOR UPDATE SKIP LOCKED))
  RETURNING e.id, e.org_id, e.lead_id, e.cadence_id, e.next_step_id, e.sender_id
), s AS (
  INSERT INTO step_sends (org_id, enrollment_id, step_id, cadence_id, lead_id, sender_id,
                          channel, state, message_id, to_address, subject, body, sent_at)
  SELECT org_id, id, next_step_id, cadence_id, lead_id, sender_id, 'email', 'sent',
         replace(gen_random_uuid()::text, '-', '') || '@bench.com.br', 'contato@empresa.com.br',
         'Empresa + Flux', 'Bom dia, João! Sou Ana Souza, da Flux.', now()
  FROM c
  RETURNING id, org_id, lead_id, enrollment_id, cadence_id, step_id
), i AS (
  INSERT INTO interactions (org_id, lead_id, enrollment_id, cadence_id, step_id, send_id,
                            channel, type, summary, dedup_key)
  SELECT org_id, lead_id, enrollment_id, cadence_id, step_id, id, 'email', 'sent',
         'Empresa + Flux', 'sent:' || id
  FROM s
)
SELECT coalesce(array_agg(id), '{}') AS ids, coalesce(array_agg(next_step_id), '{}') AS steps
  FROM c \gset
UPDATE cadence_enrollments e
   SET status = 'completed', next_step_id = NULL, next_step_due = NULL,
       last_step_id = d.step_id, steps_sent = e.steps_sent + 1, last_step_at = now(),
       finished_at = now()
  FROM unnest(:ids::uuid[], :steps::uuid[]) AS d(id, step_id)
 WHERE e.id = d.id;
COMMIT;
"#;

fn pgbench(b: &BenchDb) -> anyhow::Result<f64> {
    let dir = std::env::temp_dir().join("flux-bench-engine");
    std::fs::create_dir_all(&dir)?;
    let path = dir.join("step.sql");
    std::fs::write(
        &path,
        PGBENCH_SCRIPT.replace("{batch}", &PGBENCH_BATCH.to_string()),
    )?;
    let output = std::process::Command::new(pgbench_bin())
        .args([
            "-n",
            "-M",
            "prepared",
            "-c",
            &PGBENCH_CLIENTS.to_string(),
            "-j",
            &PGBENCH_CLIENTS.to_string(),
            "-t",
            &(PGBENCH_STEPS / PGBENCH_BATCH / PGBENCH_CLIENTS).to_string(),
            "-f",
            &path.display().to_string(),
            &b.url,
        ])
        .output()?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    anyhow::ensure!(output.status.success(), "pgbench failed: {stdout}{stderr}");
    Ok(crate::setup::pgbench_tps(&stdout)? * PGBENCH_BATCH as f64)
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[index]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

pub async fn run(b: &BenchDb) -> anyhow::Result<Section> {
    let ctx = organization(&b.db, 1).await?;
    let c = cadence(b, &ctx).await?;
    let clock = Arc::new(ManualClock::new(monday_10am()));

    // Throughput: rounds of enrollments all due at once, drained.
    let mut rows = Vec::new();
    let mut rates = Vec::new();
    for round in 0..ROUNDS {
        enroll(b, &c, ENROLLMENTS, round, monday_10am()).await?;
        sqlx::query("VACUUM ANALYZE").execute(b.db.pool()).await?;
        let channel = MemoryChannel::default();
        let engine = engine(b, &channel, clock.clone());
        let started = Instant::now();
        let report = engine.drain().await?;
        let elapsed = started.elapsed();
        let expected = ENROLLMENTS * STEPS_PER_ENROLLMENT;
        anyhow::ensure!(
            report.sent == expected && channel.delivered().len() == expected,
            "round {round}: sent {} of {expected}",
            report.sent
        );
        let rate = expected as f64 / elapsed.as_secs_f64();
        rates.push(rate);
        rows.push(format!(
            "| {} | {expected} | {:.2} s | {rate:.0} |",
            round + 1,
            elapsed.as_secs_f64()
        ));
        println!("engine round {}: {rate:.0} steps/s", round + 1);
    }
    let engine_rate = median(&mut rates);

    // The ceiling: pgbench over enrollments due now (real time), one step each.
    enroll(
        b,
        &c,
        PGBENCH_STEPS,
        ROUNDS,
        Utc::now() - chrono::Duration::minutes(1),
    )
    .await?;
    sqlx::query("VACUUM ANALYZE").execute(b.db.pool()).await?;
    let pgbench_tps = pgbench(b)?;
    println!("pgbench: {pgbench_tps:.0} steps/s");
    let ratio = engine_rate / pgbench_tps;

    // Latency: an idle engine (LISTEN), one enrollment due now at a time, from the
    // enrolling commit (with its NOTIFY, as the API sends it) to the channel's send.
    let channel = MemoryChannel::default();
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let running = tokio::spawn(engine(b, &channel, clock.clone()).run(stopped));
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut latencies = Vec::with_capacity(IDLE_SAMPLES);
    for sample in 0..IDLE_SAMPLES {
        let mut tx = b.db.pool().begin().await?;
        sqlx::query(
            "WITH l AS (
               INSERT INTO leads (org_id, cnpj, razao_social, cidade, uf, email)
               VALUES ($1, lpad((90000000 + $2)::text, 14, '0'), 'IDLE LTDA', 'Campinas', 'SP',
                       'idle' || $2 || '@empresa.com.br')
               RETURNING id)
             INSERT INTO cadence_enrollments (org_id, cadence_id, lead_id, sender_id,
                                              next_step_id, next_step_due, last_step_at)
             SELECT $1, $3, l.id, $4, $5, $6, $6 FROM l",
        )
        .bind(c.org)
        .bind(sample as i64)
        .bind(c.cadence)
        .bind(c.sender)
        .bind(c.first_step)
        .bind(monday_10am())
        .execute(&mut *tx)
        .await?;
        sqlx::query("SELECT pg_notify('flux_engine', '')")
            .execute(&mut *tx)
            .await?;
        let before = channel.delivered().len();
        let started = Instant::now();
        tx.commit().await?;
        while channel.delivered().len() == before {
            anyhow::ensure!(
                started.elapsed() < Duration::from_secs(10),
                "the idle engine did not send within 10 s"
            );
            tokio::time::sleep(Duration::from_micros(200)).await;
        }
        latencies.push(started.elapsed());
        // The second step goes out too (due at once); let it, then idle again.
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let _ = stop.send(true);
    let _ = running.await;
    latencies.sort();
    let p50 = percentile(&latencies, 0.50);
    let p95 = percentile(&latencies, 0.95);
    let p99 = percentile(&latencies, 0.99);

    let meets = |ok: bool| if ok { "meets" } else { "**misses**" };
    let mut body = vec![
        format!(
            "One organization, one sender (caps off), an active cadence of {STEPS_PER_ENROLLMENT} e-mail steps (the second due at once) with a template of 7 variables and fallbacks; {ENROLLMENTS} enrollments due at once per round, drained by one engine (default config: batch 500, 2 passes at a time, 64 sends at once) into an in-memory channel. Each step: claim (SKIP LOCKED + lease), render, outbox row committed `prepared`, then `dispatching`, the send, then `sent` + the `sent` interaction + the enrollment advanced (or completed). Steps per second of wall time."
        ),
        String::new(),
        "| round | steps | time | steps/s |".into(),
        "|---|---|---|---|".into(),
    ];
    body.extend(rows);
    body.extend([
        String::new(),
        format!(
            "**Engine (median): {engine_rate:.0} steps/s** — target ≥ 5000: {}.",
            meets(engine_rate >= 5000.0)
        ),
        String::new(),
        format!(
            "Ceiling: pgbench, {PGBENCH_CLIENTS} clients, {PGBENCH_STEPS} steps, set-based as the engine: one transaction per {PGBENCH_BATCH} steps doing the engine's claim statement, the `sent` outbox inserts, the interaction inserts and the enrollment update (prepared statements), with none of the engine's work between them (no render, no `prepared` → `dispatching` → `sent` states, no send): **{pgbench_tps:.0} steps/s**. Engine / pgbench: **{:.2}×**.",
            ratio
        ),
        String::new(),
        format!(
            "Idle latency: the engine waiting (LISTEN), {IDLE_SAMPLES} enrollments one at a time, each committed with its `NOTIFY` as the API does; time from the commit to the channel's send: p50 {}, **p95 {}** (≤ 50 ms: {}), p99 {}.",
            ms(p50),
            ms(p95),
            meets(p95 <= Duration::from_millis(50)),
            ms(p99)
        ),
    ]);
    Ok(Section {
        title: "Cadence engine: steps per second and idle latency".into(),
        body,
    })
}
