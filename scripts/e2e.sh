#!/usr/bin/env bash
# Runs the Playwright suite against a real `flux serve` (built SPA + API) on a fresh
# database in the throwaway test cluster.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
FLUX_BIN=${FLUX_BIN:-target/debug/flux}
PORT=${FLUX_E2E_PORT:-18080}
ADMIN_URL=$(scripts/test-db.sh start)
DB=flux_e2e
psql -q "$ADMIN_URL" -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB" >/dev/null
DATA_DIR=$(mktemp -d)
LOG=target/e2e-server.log
mkdir -p target

DATABASE_URL="${ADMIN_URL%/postgres}/$DB" FLUX_ADDR="127.0.0.1:$PORT" FLUX_DATA_DIR="$DATA_DIR" \
  FLUX_STATIC_DIR=frontend/dist FLUX_JWT_SECRET=e2e-secret-e2e-secret-e2e-secret-e2e \
  "$FLUX_BIN" serve >"$LOG" 2>&1 &
SERVER=$!
cleanup() { kill "$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true; rm -rf "$DATA_DIR"; }
trap cleanup EXIT

for _ in $(seq 1 60); do
  curl -fsS "http://127.0.0.1:$PORT/readyz" >/dev/null 2>&1 && break
  kill -0 "$SERVER" 2>/dev/null || { echo "flux serve exited; log:"; cat "$LOG"; exit 1; }
  sleep 1
done
curl -fsS "http://127.0.0.1:$PORT/readyz" >/dev/null || { echo "flux serve not ready; log:"; cat "$LOG"; exit 1; }

cd e2e
FLUX_E2E_URL="http://127.0.0.1:$PORT" npx playwright test || { echo "--- server log ---"; tail -50 "$ROOT/$LOG"; exit 1; }
