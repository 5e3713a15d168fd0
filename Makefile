# Flux — the two commands: `make run` and `make test`. Everything they need is
# installed from crates.io, npm and Debian by scripts/install-tools.sh.
SHELL := /bin/bash
.DEFAULT_GOAL := help
export PATH := $(CURDIR)/.tools/node_modules/.bin:$(HOME)/.cargo/bin:$(PATH)
export CARGO_TERM_COLOR := never
# SQL is checked at compile time against the committed .sqlx/ cache (see sqlx-prepare).
export SQLX_OFFLINE := true

WASM := wasm32-unknown-unknown

.PHONY: help run build bench spa spa-size test-spa tools tools-e2e test lint wasm-check sqlx-db sqlx-prepare sqlx-check test-rust e2e contract sdk openapi db-start db-stop clean

help:
	@echo "make run    build everything (release) and serve Flux with demo data on http://127.0.0.1:8080"
	@echo "make test   lint, unit + integration tests on real PostgreSQL, wasm checks, OpenAPI drift, SPA build, e2e, API contract, generated SDK"
	@echo "make openapi  regenerate openapi/openapi.json"
	@echo "make bench  measure import, lead-list and cadence-engine performance into docs/benchmarks.md (BENCH=import|list|engine|spa)"
	@echo "make sqlx-prepare  regenerate .sqlx/ after changing a query or a migration"

tools:
	@scripts/install-tools.sh build

tools-e2e:
	@scripts/install-tools.sh e2e

# The SPA split by route into frontend/dist (see the script for the steps).
spa: tools
	cargo fetch --target $(WASM) --quiet
	scripts/build-spa.sh

# A signed-out visitor's first load (wasm + js + css), gzipped, may not grow past
# this (KB); scripts/spa-size.py also prints a signed-in member's.
SPA_BUDGET_KB := 200

spa-size: spa
	scripts/spa-size.py --budget $(SPA_BUDGET_KB)

build: spa
	cargo build --release -p flux-server

run: build
	./target/release/flux serve --demo

openapi:
	cargo run --quiet -p flux-server -- openapi > openapi/openapi.json

lint:
	cargo fmt --all -- --check
	python3 scripts/module-cycles.py crates/*/src frontend/src
	cargo clippy --all-targets --quiet -- -D warnings
	cargo clippy -p flux-frontend --target $(WASM) --quiet -- -D warnings

# The shared crates must build for the browser without server dependencies.
wasm-check: tools
	cargo check -p flux-domain -p flux-dto --target $(WASM) --quiet
	@for crate in flux-dto flux-domain; do \
	  if cargo tree -p $$crate --target $(WASM) -e normal --prefix none | grep -E '^(tokio|sqlx|actix-web|utoipa|mio) '; then \
	    echo "$$crate pulls server dependencies into its wasm32 build"; exit 1; fi; done

db-start:
	@scripts/test-db.sh start >/dev/null

db-stop:
	@scripts/test-db.sh stop

SQLX_DB = $$(scripts/test-db.sh start | sed 's|/postgres$$|/flux_sqlx|')

# A freshly migrated database for the sqlx macros.
sqlx-db: db-start
	@DATABASE_URL=$(SQLX_DB) sqlx database drop -y >/dev/null 2>&1 || true
	@DATABASE_URL=$(SQLX_DB) sqlx database create
	@DATABASE_URL=$(SQLX_DB) sqlx migrate run --source migrations >/dev/null

sqlx-prepare: tools sqlx-db
	SQLX_OFFLINE=false DATABASE_URL=$(SQLX_DB) cargo sqlx prepare --workspace -- --workspace --all-targets --exclude flux-frontend

# Fails when .sqlx/ does not match the queries and the migrated schema.
sqlx-check: tools sqlx-db
	SQLX_OFFLINE=false DATABASE_URL=$(SQLX_DB) cargo sqlx prepare --workspace --check -- --workspace --all-targets --exclude flux-frontend

test-rust: db-start
	@mkdir -p target
	set -o pipefail; FLUX_TEST_DATABASE_URL=$$(scripts/test-db.sh start) \
	  cargo test --workspace --exclude flux-frontend 2>&1 | tee target/test-rust.log

# Unit tests of the SPA's pure helpers (paths, labels, paging), on the host.
test-spa:
	@mkdir -p target
	set -o pipefail; cargo test -p flux-frontend 2>&1 | tee target/test-spa.log

e2e: spa tools-e2e db-start
	cargo build -p flux-server --quiet
	set -o pipefail; scripts/e2e.sh 2>&1 | tee target/e2e.log

# Schemathesis against the running server: the OpenAPI document must match behaviour.
contract: db-start
	cargo build -p flux-server --quiet
	set -o pipefail; scripts/contract.sh 2>&1 | tee target/contract.log

# A Python client generated from openapi/openapi.json, unedited, drives a real server.
sdk: db-start
	cargo build -p flux-server --quiet
	set -o pipefail; scripts/sdk-smoke.sh 2>&1 | tee target/sdk.log

test: tools lint sqlx-check wasm-check test-rust test-spa spa-size e2e contract sdk
	@scripts/test-db.sh stop
	@scripts/summarize-tests.sh

# Performance figures of the issues (docs/benchmarks.md), on a dedicated durable cluster
# reached over its Unix socket (server, pgbench and psql alike), as a local database is.
BENCH_PG = FLUX_TEST_PG_DIR=/tmp/flux-bench-pg FLUX_TEST_PG_PORT=54330 FLUX_TEST_PG_DURABLE=1
bench: tools spa
	@command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
	cargo build --release -p flux-bench
	@$(BENCH_PG) scripts/test-db.sh start >/dev/null
	FLUX_BENCH_DATABASE_URL='postgresql://postgres@localhost/postgres?host=/tmp/flux-bench-pg&port=54330' ./target/release/flux-bench $(or $(BENCH),all); \
	  status=$$?; $(BENCH_PG) scripts/test-db.sh stop; exit $$status

clean:
	cargo clean
	rm -rf frontend/dist .tools
