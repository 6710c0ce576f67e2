#!/usr/bin/env bash
# Format benchmarks: throughput (Node and Deno), restic comparison, peak RSS through the engine.
# Usage: bash bench/format/run.sh [--quick] [--reps N] [--rss-gib X] [--skip node,deno,mixed,restic,rss] [--keep]
# Needs the local stack (npm run stack:up). Installs Debian's restic with apt when missing.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
if ! command -v restic >/dev/null 2>&1; then
  echo "run.sh: restic missing, installing Debian's package" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y restic >/dev/null || { apt-get update >/dev/null && apt-get install -y restic >/dev/null; } ||
    echo "run.sh: could not install restic; the restic comparison will be skipped" >&2
fi
if [[ ! -x /usr/bin/time ]]; then
  echo "run.sh: /usr/bin/time missing (Debian package 'time'); installing" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y time >/dev/null || true
fi
exec node --import tsx bench/format/main.ts "$@"
