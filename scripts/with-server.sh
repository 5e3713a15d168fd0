#!/usr/bin/env bash
# Runs a command against a real `flux serve` (API + built SPA) on a fresh database in
# the throwaway test cluster; the command finds the server at $FLUX_URL.
#   scripts/with-server.sh NAME COMMAND...
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
NAME=$1; shift
FLUX_BIN=${FLUX_BIN:-target/debug/flux}
PORT=${FLUX_SERVER_PORT:-18080}
ADMIN_URL=$(scripts/test-db.sh start)
DB="flux_$NAME"
psql -q -v ON_ERROR_STOP=1 "$ADMIN_URL" -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB" >/dev/null
DATA_DIR=$(mktemp -d)
mkdir -p target
LOG="target/$NAME-server.log"

DATABASE_URL="${ADMIN_URL%/postgres}/$DB" FLUX_ADDR="127.0.0.1:$PORT" FLUX_DATA_DIR="$DATA_DIR" \
  FLUX_STATIC_DIR=frontend/dist FLUX_JWT_SECRET=test-secret-test-secret-test-secret-x \
  env ${FLUX_SERVER_ENV:-} "$FLUX_BIN" serve >"$LOG" 2>&1 &
SERVER=$!
cleanup() { kill "$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true; rm -rf "$DATA_DIR"; }
trap cleanup EXIT

for _ in $(seq 1 60); do
  curl -fsS "http://127.0.0.1:$PORT/readyz" >/dev/null 2>&1 && break
  kill -0 "$SERVER" 2>/dev/null || { echo "flux serve exited; log:"; cat "$LOG"; exit 1; }
  sleep 1
done
curl -fsS "http://127.0.0.1:$PORT/readyz" >/dev/null || { echo "flux serve not ready; log:"; cat "$LOG"; exit 1; }

export FLUX_URL="http://127.0.0.1:$PORT"
"$@" || { status=$?; echo "--- server log ($LOG) ---"; tail -50 "$LOG"; exit "$status"; }
