#!/usr/bin/env bash
# Throwaway PostgreSQL cluster for tests (fsync off, loopback only). Benchmarks set
# FLUX_TEST_PG_DURABLE=1 for production-like durability and memory settings.
#   scripts/test-db.sh start   -> prints DATABASE_URL
#   scripts/test-db.sh stop
set -euo pipefail
DIR=${FLUX_TEST_PG_DIR:-/tmp/flux-test-pg}
PORT=${FLUX_TEST_PG_PORT:-54329}
BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)
[ -n "$BIN" ] || { echo "PostgreSQL server binaries missing: apt-get install -y postgresql" >&2; exit 1; }

as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "${1:-start}" in
  start)
    if [ ! -f "$DIR/data/PG_VERSION" ]; then
      rm -rf "$DIR"; mkdir -p "$DIR"
      [ "$(id -u)" = 0 ] && chown postgres:postgres "$DIR"
      as_pg "$BIN/initdb" -D "$DIR/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 --no-sync >/dev/null
    fi
    if [ "${FLUX_TEST_PG_DURABLE:-0}" = 1 ]; then
      SETTINGS="-c shared_buffers=1GB -c effective_cache_size=8GB -c work_mem=16MB -c max_connections=400"
    else
      SETTINGS="-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=400"
    fi
    if ! as_pg "$BIN/pg_ctl" -D "$DIR/data" status >/dev/null 2>&1; then
      as_pg "$BIN/pg_ctl" -D "$DIR/data" -l "$DIR/postgres.log" -w -t 60 \
        -o "-k $DIR -p $PORT -c listen_addresses=127.0.0.1 $SETTINGS" \
        start >/dev/null
    fi
    echo "postgres://postgres@127.0.0.1:$PORT/postgres"
    ;;
  stop)
    as_pg "$BIN/pg_ctl" -D "$DIR/data" -m fast -w stop >/dev/null 2>&1 || true
    ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
