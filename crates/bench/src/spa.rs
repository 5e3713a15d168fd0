//! The SPA's first load as a new user downloads it from `make run`: the wasm, js and
//! css `index.html` names, gzipped and brotli-compressed at the levels the build
//! precompresses them with (`scripts/spa-size.sh` measures; this reports).

use std::process::Command;

use crate::report::Section;

/// The ceiling for the first load, gzipped.
const TARGET_KB: u64 = 200;

struct Asset {
    name: String,
    raw: u64,
    gzip: u64,
    brotli: u64,
}

fn parse(line: &str) -> Option<Asset> {
    // `name  123 B  gzip 45 B  brotli 40 B` (the name may hold spaces: "first load").
    let words: Vec<&str> = line.split_whitespace().collect();
    let at = words.len().checked_sub(8)?;
    let (name, figures) = words.split_at(at);
    match figures {
        [raw, "B", "gzip", gzip, "B", "brotli", brotli, "B"] if !name.is_empty() => Some(Asset {
            name: name.join(" "),
            raw: raw.parse().ok()?,
            gzip: gzip.parse().ok()?,
            brotli: brotli.parse().ok()?,
        }),
        _ => None,
    }
}

pub fn run() -> anyhow::Result<Section> {
    let out = Command::new("scripts/spa-size.sh").output()?;
    anyhow::ensure!(
        out.status.success(),
        "scripts/spa-size.sh failed (is the SPA built? make spa): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let assets: Vec<Asset> = String::from_utf8(out.stdout)?
        .lines()
        .filter_map(parse)
        .collect();
    let (total, files) = assets
        .split_last()
        .ok_or_else(|| anyhow::anyhow!("spa-size.sh printed no assets"))?;
    let kb = |bytes: u64| format!("{:.1} KB", bytes as f64 / 1000.0);
    let mut body = String::from(
        "The files `index.html` loads on a first visit (the release build of `make run`). \
         The server sends the brotli copy to browsers that accept it (all current ones), \
         else the gzip one.\n\n| file | size | gzip -9 | brotli -q 11 |\n|---|---|---|---|\n",
    );
    for a in files.iter().chain(std::iter::once(total)) {
        body.push_str(&format!(
            "| {} | {} | {} | {} |\n",
            a.name,
            kb(a.raw),
            kb(a.gzip),
            kb(a.brotli)
        ));
    }
    let ratio = total.gzip as f64 / (TARGET_KB * 1000) as f64;
    let verdict = if total.gzip <= TARGET_KB * 1000 {
        "meets the target".to_owned()
    } else {
        format!(
            "**misses the target** by {}",
            kb(total.gzip - TARGET_KB * 1000)
        )
    };
    body.push_str(&format!(
        "\n**First load: {} gzipped ({ratio:.2}× the {TARGET_KB} KB target), {} brotli** — {verdict}.\n",
        kb(total.gzip),
        kb(total.brotli),
    ));
    println!(
        "spa: first load {} gzipped, {} brotli",
        kb(total.gzip),
        kb(total.brotli)
    );
    Ok(Section {
        title: "SPA download (first load)".into(),
        body: vec![body],
    })
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn reads_the_script_lines() {
        let a = parse("first load    1805395 B  gzip   625538 B  brotli   457414 B").unwrap();
        assert_eq!(
            (a.name.as_str(), a.raw, a.gzip, a.brotli),
            ("first load", 1805395, 625538, 457414)
        );
        let a = parse("style-58f99128241a0bc5.css   12798 B  gzip 3286 B  brotli 2825 B").unwrap();
        assert_eq!(a.name, "style-58f99128241a0bc5.css");
        assert!(parse("no numbers here").is_none());
    }
}
