#!/usr/bin/env bash
# Nothing the tests start may outlive them: Synapse instances in the test chroot, the chroot's /proc mount, and the
# PostgreSQL clusters the tests create for themselves (under /var/tmp/vestibule-<hash of the checkout's path>/).
#
#   test-cleanup.sh register PID   a test run (vitest's main process) starts using the test daemons
#   test-cleanup.sh release PID    that run is over: when no other run is alive, stop everything (tests that need a
#                                  daemon start it again next run)
#   test-cleanup.sh check          list anything of the tests still running or mounted; exit 1 if there is any
#
# Several runs may share the daemons: two vitest processes in one checkout, or git worktrees whose .cache (and so
# the chroot) is one directory. Each run therefore holds a lease (a file named after its pid, holding the process's
# start time, so that a reused pid does not count), and only the last run to finish stops what they shared. A run
# killed with SIGKILL leaves a stale lease, which the next check ignores.
# VESTIBULE_TEST_KEEP=1 keeps the daemons running after a run (quicker reruns while developing).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd -P)
root=${VESTIBULE_SYNAPSE_ROOT:-$repo/.cache/synapse-root}
# The physical path: worktrees reach one chroot through a symlinked .cache and must find the same leases.
mkdir -p "$(dirname "$root")"
root="$(cd "$(dirname "$root")" && pwd -P)/$(basename "$root")"
leases="$root.runs"
pg_base="/var/tmp/vestibule-$(printf %s "$repo" | sha256sum | cut -c1-12)"

start_time() { sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | awk '{print $20}'; }

# Leases of live runs other than $1; each line "PID REPO".
other_runs() {
  local file pid
  [ -d "$leases" ] || return 0
  for file in "$leases"/*; do
    [ -f "$file" ] || continue
    pid=$(basename "$file")
    [ "$pid" = "$1" ] && continue
    read -r started owner <"$file" || continue
    if [ -n "$started" ] && [ "$(start_time "$pid")" = "$started" ]; then echo "$pid $owner"; else rm -f "$file"; fi
  done
}

# Processes whose root directory is the chroot: the Synapse instances, and anything they started.
chroot_pids() {
  local proc
  [ -d "$root" ] || return 0
  for proc in /proc/[0-9]*; do
    [ "$(readlink "$proc/root" 2>/dev/null)" = "$root" ] && basename "$proc"
  done
  return 0
}

# postmaster processes of the tests' clusters (their data directories are under $pg_base).
cluster_pids() {
  local pidfile pid
  for pidfile in "$pg_base"/*/data/postmaster.pid; do
    [ -f "$pidfile" ] || continue
    pid=$(head -n1 "$pidfile")
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && echo "$pid"
  done
  return 0
}

# Mounts at or below the checkout or the chroot (the chroot's /proc).
our_mounts() {
  awk '{print $2}' /proc/self/mounts | while read -r point; do
    point=$(printf '%b' "$point") # /proc/mounts escapes spaces as \040
    case "$point" in "$repo" | "$repo"/* | "$root" | "$root"/*) echo "$point" ;; esac
  done
}

stop_synapse() {
  if [ -d "$root/srv" ]; then bash "$repo/test/support/synapse/synapse.sh" stop-all; fi
}

stop_clusters() {
  local data ctl
  for data in "$pg_base"/*/data; do
    [ -f "$data/postmaster.pid" ] || continue
    ctl=$(ls /usr/lib/postgresql/*/bin/pg_ctl 2>/dev/null | sort -V | tail -n1)
    [ -n "$ctl" ] || break
    if [ "$(id -u)" = 0 ]; then (cd / && runuser -u postgres -- "$ctl" -D "$data" -m fast -w stop >/dev/null 2>&1) || true
    else "$ctl" -D "$data" -m fast -w stop >/dev/null 2>&1 || true; fi
  done
  # The clusters are throwaway (a test run initialises them in a few seconds): nothing of this checkout stays in
  # /var/tmp after the checkout is deleted.
  rm -rf "$pg_base"
}

cmd=${1:-}
case "$cmd" in
  register)
    pid=${2:?pid required}
    mkdir -p "$leases"
    echo "$(start_time "$pid") $repo" >"$leases/$pid"
    ;;
  release)
    pid=${2:?pid required}
    rm -f "$leases/$pid"
    if [ "${VESTIBULE_TEST_KEEP:-}" = 1 ]; then exit 0; fi
    others=$(other_runs "$pid")
    # Synapse (and its chroot) may be shared with other checkouts; the PostgreSQL clusters belong to this one.
    if [ -z "$others" ]; then stop_synapse; fi
    same_checkout=0
    while read -r _ owner; do if [ "$owner" = "$repo" ]; then same_checkout=1; fi; done <<<"$others"
    if [ "$same_checkout" = 0 ]; then stop_clusters; fi
    ;;
  check)
    left=0
    for pid in $(chroot_pids); do
      echo "left running in the Synapse chroot: $(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) (pid $pid)" >&2
      left=1
    done
    for pid in $(cluster_pids); do
      echo "left running: the tests' PostgreSQL cluster, postmaster pid $pid (under $pg_base)" >&2
      left=1
    done
    while read -r point; do
      [ -n "$point" ] || continue
      echo "left mounted: $point" >&2
      left=1
    done < <(our_mounts)
    exit $left
    ;;
  *)
    echo "usage: test-cleanup.sh register PID | release PID | check" >&2
    exit 2
    ;;
esac
