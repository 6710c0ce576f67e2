#!/usr/bin/env bash
# Deno side of the tests: type-checks every edge function as the edge runtime loads it
# (its own deno.json), then runs supabase/functions/tests under `deno test`.
# Fails when a check or a test fails, or when no test ran at all.
# The served-function test needs the local stack (`npm run stack:up`);
# COFRE_SKIP_STACK_TESTS=1 marks it ignored instead.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
DENO="$ROOT/node_modules/.bin/deno"
FUNCTIONS="$ROOT/supabase/functions"
export DENO_NO_UPDATE_CHECK=1
export NO_COLOR="${NO_COLOR:-1}"

if [[ ! -x "$DENO" ]]; then
  echo "test-deno: $DENO not found; run npm install (deno is a devDependency)" >&2
  exit 1
fi

# 1. deno check: every function folder (not _shared, not tests) with its own deno.json.
checked=0
for dir in "$FUNCTIONS"/*/; do
  name="$(basename "$dir")"
  [[ "$name" == _* || "$name" == "tests" ]] && continue
  if [[ ! -f "$dir/deno.json" ]]; then
    echo "test-deno: $name has no deno.json (Deno would then resolve from node_modules only)" >&2
    exit 1
  fi
  echo "== deno check $name"
  "$DENO" check --quiet --config "$dir/deno.json" "$dir/index.ts"
  checked=$((checked + 1))
done
if (( checked == 0 )); then
  echo "test-deno: no function found under $FUNCTIONS" >&2
  exit 1
fi

# 2. deno test. Read: the repository and the temp dir; write: the temp dir (backups the
#    tests make); net: only loopback (postgres.js under Deno also asks for "localhost");
#    env: the functions read their settings.
TMP_BASE="${TMPDIR:-/tmp}"
report="$(mktemp)"
trap 'rm -f "$report"' EXIT
echo "== deno test supabase/functions/tests"
set +e
"$DENO" test \
  --config "$FUNCTIONS/tests/deno.json" \
  --allow-read="$ROOT,$TMP_BASE" \
  --allow-write="$TMP_BASE" \
  --allow-net=127.0.0.1,localhost \
  --allow-env \
  --allow-sys \
  --junit-path="$report" \
  "$FUNCTIONS/tests/"
status=$?
set -e
if (( status != 0 )); then
  exit "$status"
fi

# A run where no test actually ran (none found, or all ignored) is a failure, not a pass.
cases="$(grep -c '<testcase ' "$report" || true)"
skipped="$(grep -c '<skipped' "$report" || true)"
ran=$((cases - skipped))
if (( ran <= 0 )); then
  echo "test-deno: zero tests ran ($cases found, $skipped ignored)" >&2
  exit 1
fi
echo "test-deno: $checked functions type-checked; $ran test cases passed (steps included), $skipped ignored"
