#!/usr/bin/env bash
# `npm test`: sets up what is missing, starts the local stack if it is not running, and runs
# every test layer — types, vitest (core, CLI, integration), pgTAP (pg_prove), Deno, browser.
# Every layer runs even when an earlier one fails; the exit status is non-zero if any failed.
# Services of the stack that this script started are stopped again (by PID) when it ends.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

bash scripts/setup.sh || exit 1

started=$(mktemp)
stop_stack() {
  if [ -s "$started" ]; then
    echo "== stopping what this run started: $(tr '\n' ' ' <"$started")"
    node_modules/.bin/tsx scripts/stack/main.ts down --only "$started" || true
  fi
  rm -f "$started"
}
trap stop_stack EXIT
node_modules/.bin/tsx scripts/stack/main.ts up --record "$started" || exit 1

declare -a names=() results=()
layer() {
  local name=$1; shift
  echo
  echo "================ $name ================"
  local t0=$SECONDS
  "$@"
  local rc=$?
  names+=("$name")
  results+=("$rc $((SECONDS - t0))s")
}

layer "types (tsc)" bash -c 'node_modules/.bin/tsc -p tsconfig.json && node_modules/.bin/tsc -p app/tsconfig.json --noEmit'
layer "vitest" node_modules/.bin/vitest run --reporter=default --passWithNoTests=false
layer "pgTAP (pg_prove)" bash scripts/test-sql.sh
layer "deno" bash scripts/test-deno.sh
layer "browser (playwright)" node_modules/.bin/tsx test/e2e/run.ts

echo
echo "================ summary ================"
failed=0
for i in "${!names[@]}"; do
  read -r rc took <<<"${results[$i]}"
  if [ "$rc" -eq 0 ]; then mark="ok  "; else mark="FAIL"; failed=1; fi
  printf '%s  %-24s %s\n' "$mark" "${names[$i]}" "$took"
done
exit $failed
