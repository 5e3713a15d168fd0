//! Content-Security-Policy. The SPA starts from one inline module script; rather
//! than allowing every inline script, the policy allows exactly that script's hash.

use base64::{engine::general_purpose::STANDARD, Engine};
use sha2::{Digest, Sha256};

/// `'sha256-…'` sources for every inline `<script>` (no `src`) in `html`.
pub fn inline_script_hashes(html: &str) -> Vec<String> {
    let mut hashes = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find("<script") {
        let after = &rest[start..];
        let Some(tag_end) = after.find('>') else {
            break;
        };
        let tag = &after[..tag_end];
        let body_and_more = &after[tag_end + 1..];
        let Some(close) = body_and_more.find("</script>") else {
            break;
        };
        if !tag.contains("src=") {
            let digest = Sha256::digest(&body_and_more.as_bytes()[..close]);
            hashes.push(format!("'sha256-{}'", STANDARD.encode(digest)));
        }
        rest = &body_and_more[close..];
    }
    hashes
}

/// The policy: scripts only from this origin (plus the SPA's hashed bootstrap) and
/// WebAssembly compilation; Swagger UI needs inline styles.
pub fn policy(script_hashes: &[String]) -> String {
    let mut script_src = vec!["'self'".to_owned(), "'wasm-unsafe-eval'".to_owned()];
    script_src.extend(script_hashes.iter().cloned());
    format!(
        "default-src 'self'; script-src {}; style-src 'self' 'unsafe-inline'; img-src 'self' data:; \
         connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'; object-src 'none'",
        script_src.join(" ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_inline_scripts_only() {
        let html = r#"<head><script src="/a.js"></script><script type="module">
import init from '/x.js';
</script></head>"#;
        let hashes = inline_script_hashes(html);
        assert_eq!(hashes.len(), 1);
        let expected = STANDARD.encode(Sha256::digest("\nimport init from '/x.js';\n".as_bytes()));
        assert_eq!(hashes[0], format!("'sha256-{expected}'"));
    }

    #[test]
    fn policy_never_allows_arbitrary_inline_scripts() {
        let p = policy(&["'sha256-abc'".to_owned()]);
        let script_src = p
            .split(';')
            .find(|d| d.trim().starts_with("script-src"))
            .unwrap();
        assert!(!script_src.contains("unsafe-inline"));
        assert!(script_src.contains("'sha256-abc'") && script_src.contains("'wasm-unsafe-eval'"));
    }
}
