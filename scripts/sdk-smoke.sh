#!/usr/bin/env bash
# Generates the Python SDK from openapi/openapi.json (openapi-python-client, unedited)
# and drives a real server with it (sdk/smoke_python.py).
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=.tools/venv
GENERATOR_VERSION=0.29.1
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
if ! "$VENV/bin/openapi-python-client" --version 2>/dev/null | grep -q "$GENERATOR_VERSION"; then
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "openapi-python-client==$GENERATOR_VERSION"
fi
rm -rf target/sdk/python
mkdir -p target/sdk
"$VENV/bin/openapi-python-client" generate --path openapi/openapi.json --output-path target/sdk/python \
  --config sdk/openapi-python-client.yaml --overwrite >/dev/null
"$VENV/bin/pip" install --quiet --disable-pip-version-check --force-reinstall target/sdk/python
exec scripts/with-server.sh sdk "$VENV/bin/python" sdk/smoke_python.py
