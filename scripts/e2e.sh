#!/usr/bin/env bash
# Playwright suite (Debian Chromium) against a real server: see with-server.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
# Flux sends real e-mail to the SMTP sink Playwright's global setup starts on :2525,
# and enriches leads from the fake BrasilAPI it starts on :18091 (e2e/fake-brasilapi.ts);
# and writes AI messages with the fake Anthropic API on :18092 (e2e/fake-anthropic.ts);
# the outbox and the job queue retry until those are up. Every spec signs up from
# 127.0.0.1, so the per-address credential limit is lifted.
FLUX_SERVER_ENV="FLUX_LOGIN_RATE_PER_IP=100000 FLUX_ALLOW_PRIVATE_MAIL_HOSTS=true SMTP_URL=smtp://127.0.0.1:2525 FLUX_MAIL_FROM=flux-e2e@flux.test FLUX_BRASILAPI_URL=http://127.0.0.1:18091 FLUX_ENRICHMENT_PROVIDERS=brasilapi FLUX_AI_PROVIDER=anthropic FLUX_ANTHROPIC_URL=http://127.0.0.1:18092 FLUX_ANTHROPIC_API_KEY=sk-ant-e2e FLUX_AI_MODEL=claude-e2e" \
  exec scripts/with-server.sh e2e bash -c 'cd e2e && FLUX_E2E_URL="$FLUX_URL" npx playwright test'
