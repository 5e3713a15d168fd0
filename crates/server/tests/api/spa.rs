//! The SPA as a browser loads it: precompressed assets, long-lived caching for the
//! content-hashed ones, and `index.html` revalidated on every load.

use reqwest::header::{ACCEPT_ENCODING, CACHE_CONTROL, CONTENT_ENCODING, CONTENT_TYPE, VARY};

use crate::helpers::spawn_app_with;

const BUILD: &str = "assets/0123456789abcdef";
const WASM: &str = "assets/0123456789abcdef/main_bg.wasm";

/// A built SPA: the page, a module of the build with its brotli and gzip copies
/// (their bytes differ, so the test sees which one was sent), and a file outside it.
fn built_spa() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join(BUILD)).unwrap();
    let write = |name: &str, bytes: &[u8]| std::fs::write(dir.path().join(name), bytes).unwrap();
    write("index.html", b"<!DOCTYPE html><title>Flux</title>");
    write(WASM, b"plain wasm");
    write(&format!("{WASM}.br"), b"brotli wasm");
    write(&format!("{WASM}.gz"), b"gzip wasm");
    write(&format!("{BUILD}/chunk_7.wasm"), b"chunk");
    write("extra.js", b"console.log(1)");
    dir
}

#[tokio::test]
async fn assets_go_out_precompressed_and_hashed_ones_are_cached_for_good() {
    let spa = built_spa();
    let app = spawn_app_with(&[("FLUX_STATIC_DIR", spa.path().to_str().unwrap())]).await;
    let get = |path: &str, accept: Option<&str>| {
        let mut request = app.client.get(format!("{}{path}", app.address));
        if let Some(accept) = accept {
            request = request.header(ACCEPT_ENCODING, accept);
        }
        request.send()
    };

    for (accept, encoding, body) in [
        (Some("gzip, deflate, br"), Some("br"), "brotli wasm"),
        (Some("gzip"), Some("gzip"), "gzip wasm"),
        (Some("br;q=0.5, gzip;q=0.9"), Some("gzip"), "gzip wasm"),
        (None, None, "plain wasm"),
    ] {
        let res = get(&format!("/{WASM}"), accept).await.unwrap();
        assert_eq!(res.status(), 200, "{accept:?}");
        assert_eq!(
            res.headers()
                .get(CONTENT_ENCODING)
                .map(|v| v.to_str().unwrap()),
            encoding,
            "{accept:?}"
        );
        assert_eq!(res.headers()[CONTENT_TYPE], "application/wasm");
        assert_eq!(
            res.headers()[CACHE_CONTROL],
            "public, max-age=31536000, immutable"
        );
        assert_eq!(res.headers()[VARY], "accept-encoding");
        assert_eq!(res.text().await.unwrap(), body, "{accept:?}");
    }

    // A module without precompressed copies goes out as it is, cached as well.
    let res = get(&format!("/{BUILD}/chunk_7.wasm"), Some("br"))
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers().get(CONTENT_ENCODING), None);
    assert_eq!(
        res.headers()[CACHE_CONTROL],
        "public, max-age=31536000, immutable"
    );
    assert_eq!(res.text().await.unwrap(), "chunk");

    // Outside a build's folder a file may change under the same name.
    let res = get("/extra.js", Some("br")).await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()[CACHE_CONTROL], "no-cache");

    for page in ["/", "/index.html", "/leads/importar"] {
        let res = get(page, None).await.unwrap();
        assert_eq!(res.status(), 200, "{page}");
        assert_eq!(res.headers()[CACHE_CONTROL], "no-cache", "{page}");
        assert!(res.text().await.unwrap().contains("<title>Flux</title>"));
    }

    // An earlier build's module (a tab opened before a deploy) is gone, not the page.
    for missing in [
        "/assets/ffffffffffffffff/main.js",
        "/assets/0123456789abcdef/chunk_8.wasm",
    ] {
        let res = get(missing, None).await.unwrap();
        assert_eq!(res.status(), 404, "{missing}");
    }
    let api = get("/api/v1/nothing-here", None).await.unwrap();
    assert_eq!(api.status(), 404);
    assert_eq!(
        api.json::<serde_json::Value>().await.unwrap()["error"]["code"],
        "NOT_FOUND"
    );
}
