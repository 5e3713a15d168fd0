#!/usr/bin/env bash
# The SPA's first load as a new user gets it: the wasm, js and css that index.html
# names, gzipped (what every browser accepts) and brotli (what the server prefers).
# Prints one line per asset and the totals; with --budget KB fails when the gzipped
# total is above it.
set -euo pipefail
dir=frontend/dist
budget=""
while [ $# -gt 0 ]; do
  case "$1" in
    --budget) budget="$2"; shift 2 ;;
    --dir) dir="$2"; shift 2 ;;
    *) echo "usage: $0 [--dir DIR] [--budget KB]" >&2; exit 2 ;;
  esac
done
[ -f "$dir/index.html" ] || { echo "no SPA build in $dir (run make spa)" >&2; exit 1; }
# Every asset index.html loads: its stylesheet, module script and the wasm it starts.
assets=$(grep -oE '(href|src)="/?[^"]+\.(css|js|wasm)"' "$dir/index.html" \
  | sed -E 's/^(href|src)="\/?//; s/"$//' | sort -u)
total_raw=0; total_gz=0; total_br=0
for name in $assets; do
  file="$dir/$name"
  [ -f "$file" ] || { echo "index.html names $name, which the build lacks" >&2; exit 1; }
  raw=$(stat -c %s "$file")
  gz=$(gzip --best --no-name -c "$file" | wc -c)
  br=$(brotli --best -c "$file" | wc -c)
  printf '%-48s %9d B  gzip %8d B  brotli %8d B\n' "$name" "$raw" "$gz" "$br"
  total_raw=$((total_raw + raw)); total_gz=$((total_gz + gz)); total_br=$((total_br + br))
done
printf '%-48s %9d B  gzip %8d B  brotli %8d B\n' "first load" "$total_raw" "$total_gz" "$total_br"
if [ -n "$budget" ] && [ "$total_gz" -gt $((budget * 1000)) ]; then
  echo "SPA first load is $((total_gz / 1000)) KB gzipped, over its budget of $budget KB" >&2
  exit 1
fi
