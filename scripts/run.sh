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
  # vitest's global teardown stops the Synapse instances, the chroot's /proc mount and the PostgreSQL clusters the
  # run started. When the run is interrupted (Ctrl-C, SIGTERM) it may not get that far, so this script stays around
  # to release the run's lease and clean up the same way (scripts/test-cleanup.sh; a second call is harmless).
  # vitest runs in the background so that `wait` returns as soon as a signal arrives: bash would run a trap only
  # after a foreground child has exited, and a SIGTERM sent to this script alone would never reach vitest.
  node node_modules/vitest/vitest.mjs run "$@" &
  tests=$!
  trap 'bash scripts/test-cleanup.sh release "$tests" || true' EXIT
  # Background jobs of a script ignore SIGINT, so Ctrl-C is passed on as SIGTERM, which vitest ends on.
  interrupted=""
  trap 'interrupted=130; kill -TERM "$tests" 2>/dev/null || true' INT
  trap 'interrupted=143; kill -TERM "$tests" 2>/dev/null || true' TERM
  status=0
  while :; do
    wait "$tests" && status=0 || status=$?
    kill -0 "$tests" 2>/dev/null || break
  done
  # An interrupted run never counts as passed, whatever vitest answered on its way out.
  exit "${interrupted:-$status}"
fi
if [ "${1:-}" = "bench" ]; then
  shift
  bash scripts/prepare-tests.sh
  exec node --expose-gc bench/run.ts "$@"
fi
exec bash bin/vestibule "$@"
