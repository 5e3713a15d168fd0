#!/usr/bin/env bash
# Writes a brotli (.br) and a gzip (.gz) copy next to each built SPA asset, once per
# build, so the server sends them as they are instead of compressing per request.
set -euo pipefail
dir="${1:-frontend/dist}"
shopt -s nullglob
for file in "$dir"/*.wasm "$dir"/*.js "$dir"/*.css; do
  brotli --force --best --output="$file.br" "$file"
  gzip --force --best --keep --no-name "$file"
done
