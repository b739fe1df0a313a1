#!/usr/bin/env bash
# Makes sure the real parts the tests use are on this machine: Debian's Chromium, the Synapse chroot and a
# PostgreSQL server. Idempotent and quick when everything is there already. The test run itself starts Synapse
# and picks or starts PostgreSQL (test/support/global-setup.ts).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
need=()
[ -x /usr/bin/chromium ] || need+=(chromium)
command -v debootstrap >/dev/null || need+=(debootstrap)
if [ -z "${TEST_DATABASE_URL:-}" ] && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then need+=(postgresql); fi
if [ ${#need[@]} -gt 0 ]; then
  echo "installing ${need[*]} from Debian's archive" >&2
  if [ "$(id -u)" = 0 ]; then
    (apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${need[@]}") >&2
  else
    echo "missing ${need[*]}: install them with apt (needs root)" >&2
    exit 1
  fi
fi
# Start the machine's own PostgreSQL if it is installed as a cluster but stopped.
if [ -z "${TEST_DATABASE_URL:-}" ] && command -v pg_isready >/dev/null && ! pg_isready -q -h 127.0.0.1 -p 5432; then
  if command -v pg_ctlcluster >/dev/null && [ -d /etc/postgresql ]; then
    for v in /etc/postgresql/*; do pg_ctlcluster --skip-systemctl-redirect "$(basename "$v")" main start 2>/dev/null || true; done
  fi
fi
if [ -z "${TEST_HOMESERVER_URL:-}" ]; then
  bash "$repo/test/support/synapse/build-chroot.sh" >&2
fi
