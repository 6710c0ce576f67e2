#!/usr/bin/env bash
# `npm start`: sets up what is missing, starts the local stack, and runs the demo job —
# seed → backup → restore → proof — leaving the stack running with its URLs printed.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
node_modules/.bin/tsx scripts/stack/main.ts up
node_modules/.bin/tsx scripts/demo/main.ts
