#!/usr/bin/env bash
# Writes a brotli (.br) and a gzip (.gz) copy next to each built SPA asset (the build's
# folder included), once per build, so the server sends them as they are instead of
# compressing per request.
set -euo pipefail
dir="${1:-frontend/dist}"
find "$dir" -type f \( -name '*.wasm' -o -name '*.js' -o -name '*.css' \) -print0 \
  | while IFS= read -r -d '' file; do
      brotli --force --best --output="$file.br" "$file"
      gzip --force --best --keep --no-name "$file"
    done
