#!/usr/bin/env bash
# Builds the SPA into frontend/dist, split by route.
#
# Every page is a `#[lazy_route]` (frontend/src/routes.rs). Trunk cannot split a wasm
# module, so the build runs the steps itself:
#   1. cargo builds the wasm with relocations kept (`--emit-relocs`, .cargo/config.toml);
#   2. wasm-split cuts it into the main module, one module per route and the chunks
#      they share, plus `__wasm_split.js`, which fetches them on demand;
#   3. wasm-bindgen writes the JS glue of the main module, and esbuild minifies it;
#   4. wasm-opt -Oz shrinks every module;
#   5. everything goes to `dist/assets/<hash>/`, named after the content, so the server
#      may cache it for good (the files find each other relative to `import.meta.url`),
#      and index.html starts it;
#   6. scripts/precompress.sh writes the .br and .gz copies the server sends.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
export PATH="$ROOT/.tools/node_modules/.bin:$HOME/.cargo/bin:$PATH"

profile=wasm-release
wasm="target/wasm32-unknown-unknown/$profile/flux-frontend.wasm"
work=target/spa-build
dist=frontend/dist

cargo build --quiet --profile "$profile" --target wasm32-unknown-unknown -p flux-frontend

rm -rf "$work"
mkdir -p "$work/split" "$work/bindgen" "$work/out"
wasm-split-cli --target web "$wasm" "$work/split" >/dev/null
wasm-bindgen "$work/split/main.wasm" --out-dir "$work/bindgen" --target web \
  --no-demangle --keep-lld-exports --out-name main --no-typescript

# The JS glue: minified (esbuild, no bundling: the modules keep their imports).
# wasm-bindgen names `./__wasm_split.js` once per import it takes from there; the
# repeated keys all hold that same module.
for js in "$work/bindgen/main.js" "$work/split/__wasm_split.js"; do
  esbuild "$js" --minify --format=esm --log-level=warning \
    --log-override:duplicate-object-key=silent --outfile="$work/out/$(basename "$js")"
done
# wasm-opt warns about the name sections wasm-split leaves; they are dropped anyway.
# `pipefail` again: xargs runs this in a fresh shell, and a failed module must fail
# the build.
optimize() {
  set -o pipefail
  wasm-opt -Oz --enable-bulk-memory --enable-nontrapping-float-to-int "$1" -o "$2" 2>&1 \
    | { grep -v 'unknown name subsection' || true; } >&2
}
export -f optimize
cp "$work/bindgen/main_bg.wasm" "$work/split/main.wasm"
find "$work/split" -name '*.wasm' -printf '%f\n' \
  | xargs -P "$(nproc)" -I{} bash -c 'optimize "$0/split/{}" "$0/out/{}"' "$work"
mv "$work/out/main.wasm" "$work/out/main_bg.wasm"

hash=$(cat "$work/out"/* frontend/style.css | sha256sum | cut -c1-16)
rm -rf "$dist"
mkdir -p "$dist/assets/$hash"
cp "$work/out"/* "$dist/assets/$hash/"
esbuild frontend/style.css --minify --log-level=warning --outfile="$dist/assets/$hash/style.css"
sed -e "s|@ASSETS@|/assets/$hash|g" frontend/index.html > "$dist/index.html"

scripts/precompress.sh "$dist"
