//! Appends a dated run to `docs/benchmarks.md` with the machine it ran on.

use std::io::Write;

pub struct Section {
    pub title: String,
    pub body: Vec<String>,
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let memory = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| {
            m.lines()
                .next()
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<u64>().ok())
        })
        .map(|kb| format!("{} GB RAM", kb / 1_048_576))
        .unwrap_or_default();
    let pg = std::process::Command::new("psql")
        .arg("--version")
        .output()
        .ok()
        .map(|o| {
            String::from_utf8_lossy(&o.stdout)
                .trim()
                .replace("psql (PostgreSQL) ", "PostgreSQL ")
        })
        .unwrap_or_default();
    format!("{cpu}, {cores} cores, {memory}; {pg} (durable: fsync on, shared_buffers 1 GB); server, load generator and database on the same machine")
}

pub fn write(sections: &[Section]) -> anyhow::Result<()> {
    let path = std::path::Path::new("docs/benchmarks.md");
    let mut text = String::new();
    if !path.exists() {
        text.push_str("# Benchmarks\n\nProduced by `make bench`; newest run first below the header. Each run lists the machine it ran on.\n");
    }
    let mut run = format!(
        "\n## Run of {}\n\nMachine: {}.\n",
        chrono::Utc::now().format("%Y-%m-%d %H:%M UTC"),
        machine()
    );
    for s in sections {
        run.push_str(&format!("\n### {}\n\n{}\n", s.title, s.body.join("\n")));
    }
    let existing = std::fs::read_to_string(path).unwrap_or_default();
    let (head, rest) = match existing.find("\n## Run of ") {
        Some(i) => existing.split_at(i),
        None => (existing.as_str(), ""),
    };
    let mut file = std::fs::File::create(path)?;
    let head = if head.is_empty() { text.as_str() } else { head };
    write!(file, "{head}{run}{rest}")?;
    println!("results written to docs/benchmarks.md");
    Ok(())
}
