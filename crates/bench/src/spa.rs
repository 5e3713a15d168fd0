//! The SPA's first loads as a browser downloads them from `make run`, gzipped and
//! brotli-compressed at the levels the build precompresses them with
//! (`scripts/spa-size.py` measures; this reports).

use std::process::Command;

use serde::Deserialize;

use crate::report::Section;

/// The issue's ceiling for a new visitor's first load, gzipped.
const TARGET_KB: u64 = 200;

#[derive(Deserialize)]
struct Load {
    files: u64,
    raw: u64,
    gzip: u64,
    brotli: u64,
}

#[derive(Deserialize)]
struct Figures {
    signed_out: Load,
    signed_in: Load,
    wasm_modules: u64,
}

fn kb(bytes: u64) -> String {
    format!("{:.1} KB", bytes as f64 / 1000.0)
}

fn table(figures: &Figures) -> String {
    let mut body = String::from(
        "A signed-out visitor (any page opens the login) downloads the main module and \
         its glue; a member opening `/` also fetches the signed-in shell's area and `/me` \
         (`scripts/spa-size.py` lists the files). The server sends the brotli copy to \
         browsers that accept it (all current ones), else the gzip one.\n\n\
         | first load | files | size | gzip -9 | brotli -q 11 |\n|---|---|---|---|---|\n",
    );
    for (name, load) in [
        ("signed out (login)", &figures.signed_out),
        ("signed in (dashboard)", &figures.signed_in),
    ] {
        body.push_str(&format!(
            "| {name} | {} | {} | {} | {} |\n",
            load.files,
            kb(load.raw),
            kb(load.gzip),
            kb(load.brotli)
        ));
    }
    let out = &figures.signed_out;
    let ratio = out.gzip as f64 / (TARGET_KB * 1000) as f64;
    let verdict = if out.gzip <= TARGET_KB * 1000 {
        "meets the target".to_owned()
    } else {
        format!(
            "**misses the target** by {}",
            kb(out.gzip - TARGET_KB * 1000)
        )
    };
    body.push_str(&format!(
        "\n**First load: {} gzipped ({ratio:.2}× the {TARGET_KB} KB target), {} brotli** — \
         {verdict}. The build has {} wasm modules in all.\n",
        kb(out.gzip),
        kb(out.brotli),
        figures.wasm_modules,
    ));
    body
}

pub fn run() -> anyhow::Result<Section> {
    let out = Command::new("scripts/spa-size.py").arg("--json").output()?;
    anyhow::ensure!(
        out.status.success(),
        "scripts/spa-size.py failed (is the SPA built? make spa): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let figures: Figures = serde_json::from_slice(&out.stdout)?;
    println!(
        "spa: first load {} gzipped signed out, {} signed in",
        kb(figures.signed_out.gzip),
        kb(figures.signed_in.gzip)
    );
    Ok(Section {
        title: "SPA download (first load)".into(),
        body: vec![table(&figures)],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_script_figures_and_judges_the_signed_out_load() {
        let json = r#"{"signed_out": {"files": 4, "raw": 484424, "gzip": 184450, "brotli": 151756},
                       "signed_in": {"files": 38, "raw": 655628, "gzip": 267846, "brotli": 224478},
                       "wasm_modules": 62}"#;
        let figures: Figures = serde_json::from_str(json).unwrap();
        let body = table(&figures);
        assert!(body.contains("| signed out (login) | 4 | 484.4 KB | 184.4 KB | 151.8 KB |"));
        assert!(body.contains("| signed in (dashboard) | 38 |"));
        assert!(body.contains("0.92× the 200 KB target"));
        assert!(body.contains("meets the target"));

        let over: Figures = serde_json::from_str(&json.replace("184450", "201000")).unwrap();
        assert!(table(&over).contains("**misses the target** by 1.0 KB"));
    }
}
