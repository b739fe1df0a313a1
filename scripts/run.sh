#!/usr/bin/env bash
# Entry point behind `npm start` and `npm test`, so both work on a fresh machine: it makes sure Node >= 22.18
# (installing Node 24 from the npm registry when the machine's node is older) and the packages are there, then
#   run.sh test [vitest args]   prepares the real test parts (Chromium, Synapse, PostgreSQL) and runs the tests
#   run.sh bench [names]        runs the benchmarks (bench/README.md)
#   run.sh <vestibule args>     runs the vestibule CLI (`run.sh serve` is `npm start`)
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
PATH="$(bash scripts/ensure-node.sh):$PATH"
export PATH
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "installing packages (npm ci)" >&2
  npm ci --no-audit --no-fund --loglevel=error >&2
fi
if [ "${1:-}" = "test" ]; then
  shift
  bash scripts/prepare-tests.sh
  exec node node_modules/vitest/vitest.mjs run "$@"
fi
if [ "${1:-}" = "bench" ]; then
  shift
  bash scripts/prepare-tests.sh
  exec node --expose-gc bench/run.ts "$@"
fi
exec bash bin/vestibule "$@"
