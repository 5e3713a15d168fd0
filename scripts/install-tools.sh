#!/usr/bin/env bash
# Installs the pinned build/test tools Flux needs, from crates.io, npm and Debian only.
# Idempotent: each tool is skipped when the pinned version is already present.
set -euo pipefail

WASM_BINDGEN_VERSION=0.2.130
BINARYEN_VERSION=132.0.0
ESBUILD_VERSION=0.28.2
WASM_SPLIT_VERSION=0.2.4
SQLX_CLI_VERSION=0.8.6
ROOT=$(cd "$(dirname "$0")/.." && pwd)
TOOLS="$ROOT/.tools"

want="${1:-all}"   # all | build | e2e

have_version() { command -v "$1" >/dev/null 2>&1 && "$1" --version 2>/dev/null | grep -q "$2"; }

install_postgres() {
  if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  fi
  command -v psql >/dev/null 2>&1 || { apt-get update -qq; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql-client >/dev/null; }
}

install_build_tools() {
  install_postgres
  # Precompresses the SPA's assets (scripts/precompress.sh).
  command -v brotli >/dev/null 2>&1 || { apt-get update -qq; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq brotli >/dev/null; }
  rustup target list --installed | grep -q '^wasm32-unknown-unknown$' \
    || rustup target add wasm32-unknown-unknown
  have_version sqlx "$SQLX_CLI_VERSION" \
    || cargo install sqlx-cli --version "$SQLX_CLI_VERSION" --no-default-features --features postgres,rustls --locked
  # Not --locked: the registry mirror lacks one of its locked dependencies.
  have_version wasm-bindgen "$WASM_BINDGEN_VERSION" \
    || cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION"
  # Cuts the SPA's wasm into route modules (scripts/build-spa.sh).
  cargo install --list | grep -q "^wasm_split_cli_support v$WASM_SPLIT_VERSION:" \
    || cargo install wasm_split_cli_support --version "$WASM_SPLIT_VERSION" --features build-binary --locked
  # Debian's binaryen (v108) emits wasm that fails in the browser: use npm's.
  if ! [ -x "$TOOLS/node_modules/.bin/wasm-opt" ] \
     || ! "$TOOLS/node_modules/.bin/wasm-opt" --version | grep -q "version ${BINARYEN_VERSION%%.*}"; then
    mkdir -p "$TOOLS"
    npm install --prefix "$TOOLS" --no-audit --no-fund --silent "binaryen@$BINARYEN_VERSION"
  fi
  # Minifies the SPA's JS glue.
  if ! [ -x "$TOOLS/node_modules/.bin/esbuild" ] \
     || [ "$("$TOOLS/node_modules/.bin/esbuild" --version)" != "$ESBUILD_VERSION" ]; then
    mkdir -p "$TOOLS"
    npm install --prefix "$TOOLS" --no-audit --no-fund --silent "esbuild@$ESBUILD_VERSION"
  fi
}

install_e2e_tools() {
  if ! command -v chromium >/dev/null 2>&1; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  fi
  (cd "$ROOT/e2e" && npm ci --no-audit --no-fund --silent)
}

case "$want" in
  build) install_build_tools ;;
  e2e) install_e2e_tools ;;
  all) install_build_tools; install_e2e_tools ;;
esac
