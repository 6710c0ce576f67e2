#!/usr/bin/env bash
# Runs every supabase/tests/*.sql pgTAP file with pg_prove against the local stack's database.
#
# Contract: exits 0 only if at least one test file exists and every file passes; non-zero when
# a test fails, when there is nothing to run, or when the stack is not reachable.
# Extra arguments go to pg_prove (e.g. `scripts/test-sql.sh --verbose`).
# Needs: `npm run stack:up` (writes .stack/env) and pg_prove (Debian package
# libtap-parser-sourcehandler-pgtap-perl, installed by `npm run setup`).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ENV_FILE="$ROOT/.stack/env"
TEST_DIR="$ROOT/supabase/tests"

fail() {
  echo "test-sql: $*" >&2
  exit 1
}

command -v pg_prove >/dev/null || fail "pg_prove not found: install libtap-parser-sourcehandler-pgtap-perl (npm run setup)"
[[ -f "$ENV_FILE" ]] || fail "$ENV_FILE is missing: start the local stack with \`npm run stack:up\`"

# .stack/env is KEY='value' lines; export them so psql (under pg_prove) sees PGPASSWORD.
set -a
# shellcheck source=/dev/null
source "$ENV_FILE"
set +a
: "${PGHOST:?PGHOST missing from $ENV_FILE}" "${PGPORT:?PGPORT missing from $ENV_FILE}"
: "${PGUSER:?PGUSER missing from $ENV_FILE}" "${PGPASSWORD:?PGPASSWORD missing from $ENV_FILE}"
# The tests assert pg_cron runs in this database: the one the stack's migrations target.
export PGDATABASE="${PGDATABASE:-postgres}"

shopt -s nullglob
tests=("$TEST_DIR"/*.sql)
shopt -u nullglob
((${#tests[@]} > 0)) || fail "no test files in $TEST_DIR"

pg_isready -q -h "$PGHOST" -p "$PGPORT" -d "$PGDATABASE" \
  || fail "PostgreSQL at $PGHOST:$PGPORT is not accepting connections: \`npm run stack:up\`"

echo "pgTAP: ${#tests[@]} file(s) against $PGUSER@$PGHOST:$PGPORT/$PGDATABASE"
# pg_prove exits non-zero if any file fails, plans wrongly, or errors out.
pg_prove --ext .sql --failures "$@" "${tests[@]}"
