#!/usr/bin/env bash
# Playwright suite (Debian Chromium) against a real server: see with-server.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
# Flux sends real e-mail to the SMTP sink Playwright's global setup starts on :2525;
# the dispatcher retries until the sink is up.
FLUX_SERVER_ENV="SMTP_URL=smtp://127.0.0.1:2525 FLUX_MAIL_FROM=flux-e2e@flux.test" \
  exec scripts/with-server.sh e2e bash -c 'cd e2e && FLUX_E2E_URL="$FLUX_URL" npx playwright test'
