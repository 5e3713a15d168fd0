#!/usr/bin/env bash
# Playwright suite (Debian Chromium) against a real server: see with-server.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
exec scripts/with-server.sh e2e bash -c 'cd e2e && FLUX_E2E_URL="$FLUX_URL" npx playwright test'
