//! The ceiling of the lead list benchmark: the endpoint's own statements, replayed by
//! pgbench with the same per-request tenant setup.

use super::*;

/// The endpoint's statements with pgbench variables: `$k` → `:sNpK`, the page size
/// literal, and a random page offset.
pub(super) fn pgbench_script(
    index: usize,
    s: &Scenario,
    org: uuid::Uuid,
    user: uuid::Uuid,
) -> (String, Vec<(String, String)>) {
    let statements = lead_search::search_statements(&s.filter, &s.lexemes, s.sort, PER_PAGE, 0);
    let n = s.binds.len();
    let substitute = |sql: &str, limit_offset: bool| {
        let mut out = sql.to_owned();
        // Highest index first so `$1` does not clobber `$10`.
        let total = if limit_offset { n + 2 } else { n };
        for k in (1..=total).rev() {
            let value = if limit_offset && k == n + 1 {
                PER_PAGE.to_string()
            } else if limit_offset && k == n + 2 {
                ":off".to_owned()
            } else {
                format!(":s{index}p{k}")
            };
            out = out.replace(&format!("${k}"), &value);
        }
        out
    };
    // The endpoint sends the tenant setup and `BEGIN` in one round trip (a simple
    // query); a pipeline does the same in pgbench's prepared mode, with the same
    // statements. `BEGIN` goes first there: a pipeline's `SET LOCAL` before it would
    // run outside a transaction block and cost PostgreSQL a warning each (the simple
    // query runs its statements in one implicit block, so the endpoint gets none). The
    // member's role comes from the server's membership cache, so no statement reads it.
    let mut script = format!("\\set off random(0, 4) * {PER_PAGE}\n\\startpipeline\nBEGIN;\n");
    for statement in tenant_setup(org, user, statements.plans) {
        script.push_str(&format!("{statement};\n"));
    }
    script.push_str("\\endpipeline\n");
    let mut vars: Vec<(String, String)> = s
        .binds
        .iter()
        .enumerate()
        .map(|(k, v)| (format!("s{index}p{}", k + 1), v.clone()))
        .collect();
    if let Some(lexemes) = statements.lexemes {
        script.push_str(&format!(
            "{};\n",
            lexemes.replace("$1", &format!(":s{index}w"))
        ));
        vars.push((format!("s{index}w"), s.filter.search_words.join(" ")));
    }
    script.push_str(&format!("{};\n", substitute(&statements.page, true)));
    if !statements.total_in_page {
        script.push_str(&format!("{};\n", substitute(&statements.count, false)));
    }
    // The endpoint ends its read-only transaction with a rollback.
    script.push_str("ROLLBACK;\n");
    (script, vars)
}

pub(super) fn pgbench(
    b: &BenchDb,
    scenarios: &[Scenario],
    org: uuid::Uuid,
    user: uuid::Uuid,
    name: &str,
) -> anyhow::Result<f64> {
    let dir = std::env::temp_dir().join(format!("flux-bench-{name}"));
    std::fs::create_dir_all(&dir)?;
    let mut args: Vec<String> = vec![
        "-n".into(),
        // The endpoint prepares every statement once per connection.
        "-M".into(),
        "prepared".into(),
        "-c".into(),
        CLIENTS.to_string(),
        "-j".into(),
        "2".into(),
        "-T".into(),
        MEASURE.as_secs().to_string(),
    ];
    for (i, s) in scenarios.iter().enumerate() {
        let (script, vars) = pgbench_script(i, s, org, user);
        let path = dir.join(format!("s{i}.sql"));
        std::fs::write(&path, script)?;
        args.push("-f".into());
        args.push(path.display().to_string());
        for (k, v) in vars {
            args.push("-D".into());
            args.push(format!("{k}={v}"));
        }
    }
    args.push(b.url.clone());
    let output = std::process::Command::new(crate::setup::pgbench_bin())
        .args(&args)
        .output()?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    anyhow::ensure!(output.status.success(), "pgbench failed: {stdout}{stderr}");
    // A warning per statement (e.g. `SET LOCAL` outside a block) slows pgbench down and
    // would flatter the ratio: the replay must be as clean as the endpoint.
    anyhow::ensure!(
        !stderr.contains("WARNING"),
        "pgbench got warnings from PostgreSQL: {}",
        stderr.lines().take(3).collect::<Vec<_>>().join(" | ")
    );
    crate::setup::pgbench_tps(&stdout)
}
