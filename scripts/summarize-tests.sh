#!/usr/bin/env bash
# Prints one closing line for `make test`, summed over the runners' logs:
#   total: N passed, M failed
set -euo pipefail
cd "$(dirname "$0")/.."
passed=0; failed=0
for log in target/test-rust.log target/test-spa.log; do
  [ -f "$log" ] || continue
  read -r p f < <(grep -E '^test result: ' "$log" \
    | sed -E 's/.* ([0-9]+) passed; ([0-9]+) failed.*/\1 \2/' | awk '{p+=$1; f+=$2} END {print p+0, f+0}')
  passed=$((passed + p)); failed=$((failed + f))
done
if [ -f target/e2e.log ]; then
  p=$(grep -oE '^ +[0-9]+ passed' target/e2e.log | tail -1 | grep -oE '[0-9]+' || echo 0)
  f=$(grep -oE '^ +[0-9]+ failed' target/e2e.log | tail -1 | grep -oE '[0-9]+' || echo 0)
  passed=$((passed + p)); failed=$((failed + f))
fi
if [ -f target/contract.log ]; then
  p=$(grep -oE '[0-9]+ generated, [0-9]+ passed' target/contract.log | tail -1 | grep -oE '[0-9]+ passed' | grep -oE '[0-9]+' || echo 0)
  passed=$((passed + p))
fi
if [ -f target/sdk.log ]; then
  read -r p f < <(grep -E '^SDK smoke' target/sdk.log | sed -E 's/.* ([0-9]+) passed, ([0-9]+) failed.*/\1 \2/' | awk '{p+=$1; f+=$2} END {print p+0, f+0}')
  passed=$((passed + p)); failed=$((failed + f))
fi
echo "total: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
