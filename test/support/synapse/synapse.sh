#!/usr/bin/env bash
# Runs named Synapse instances inside the test chroot (build-chroot.sh builds it).
#   synapse.sh start NAME PORT [EXTRA_YAML_FILE] [MODULES_DIR]   start (or reuse) an instance; prints its details
#   synapse.sh stop NAME                                          stop it (data kept; start again on the same data)
#   synapse.sh status NAME                                        exit 0 when it answers
# Each instance keeps its data (SQLite) under <chroot>/srv/NAME, listens on 127.0.0.1:PORT only, has server_name
# "localhost", a fixed registration_shared_secret, token-gated registration and rate limits high enough that tests
# are never throttled. EXTRA_YAML_FILE is applied last (e.g. a password provider module); MODULES_DIR is copied into
# the chroot and put on PYTHONPATH.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
root=${VESTIBULE_SYNAPSE_ROOT:-$repo/.cache/synapse-root}
cmd=${1:?usage: synapse.sh start|stop|status NAME [PORT] [EXTRA_YAML] [MODULES_DIR] | stop-all}
# stop-all: stops every instance in the chroot and unmounts its /proc, so nothing outlives a test run
# (scripts/test-cleanup.sh decides when: other checkouts may share the chroot).
if [ "$cmd" = stop-all ]; then
  real_root=$(cd "$root" 2>/dev/null && pwd -P) || exit 0
  pids=()
  for pidfile in "$root"/srv/*/homeserver.pid; do
    if [ -f "$pidfile" ]; then pids+=("$(cat "$pidfile")"); rm -f "$pidfile"; fi
  done
  # Also every other process whose root is the chroot: an instance whose pid file was lost (a crash during start-up)
  # would otherwise keep its port and the /proc mount busy.
  for proc in /proc/[0-9]*; do
    if [ "$(readlink "$proc/root" 2>/dev/null)" = "$real_root" ]; then pids+=("${proc#/proc/}"); fi
  done
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  done
  if mountpoint -q "$root/proc" 2>/dev/null; then umount "$root/proc" 2>/dev/null || umount -l "$root/proc" || true; fi
  exit 0
fi
name=${2:?instance name required}
[[ "$name" =~ ^[a-z0-9-]+$ ]] || { echo "instance name must be [a-z0-9-]+" >&2; exit 2; }
dir="/srv/$name"
host_dir="$root$dir"
secret="vestibule-test-secret-$name"

port_of() { cat "$host_dir/port" 2>/dev/null || true; }
answers() { curl -fsS -m 2 "http://127.0.0.1:$1/health" >/dev/null 2>&1; }
pid_of() { cat "$host_dir/homeserver.pid" 2>/dev/null || true; }
running() { local pid; pid=$(pid_of); [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; }

stop_instance() {
  local pid
  pid=$(pid_of)
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$host_dir/homeserver.pid"
}

case "$cmd" in
  stop)
    stop_instance
    exit 0
    ;;
  status)
    p=$(port_of)
    [ -n "$p" ] && running && answers "$p"
    exit $?
    ;;
  start) ;;
  *) echo "unknown command $cmd" >&2; exit 2 ;;
esac

# VESTIBULE_TEST_PORT_BASE moves every test port by the same amount (the main instance's 18008 becomes the base), so
# a second checkout with a chroot of its own can run its tests while another checkout's instances hold the usual ports.
base=${VESTIBULE_TEST_PORT_BASE:-18008}
if ! [[ "$base" =~ ^[0-9]+$ ]] || [ "$base" -lt 1024 ] || [ "$base" -gt 60000 ]; then
  echo "VESTIBULE_TEST_PORT_BASE must be a port number between 1024 and 60000" >&2
  exit 2
fi
port=$(( ${3:?port required} + base - 18008 ))
extra=${4:-}
modules=${5:-}
[ -f "$root/.vestibule-ready" ] || bash "$here/build-chroot.sh" >&2

mkdir -p "$host_dir"
exec 9>"$host_dir.lock"
flock 9

mountpoint -q "$root/proc" || mount -t proc proc "$root/proc"

# Same settings as last time and still answering: reuse it.
wanted=$(printf '%s\n%s\n%s\n' "$port" "$( [ -n "$extra" ] && sha256sum "$extra" | cut -c1-64 )" "$( [ -n "$modules" ] && find "$modules" -type f -exec sha256sum {} + | sort | sha256sum | cut -c1-64 )")
if running && [ "$(cat "$host_dir/settings" 2>/dev/null)" = "$wanted" ] && answers "$port"; then
  :
else
  stop_instance
  if [ ! -f "$host_dir/homeserver.yaml" ]; then
    chroot "$root" python3 -m synapse.app.homeserver --server-name localhost --config-path "$dir/homeserver.yaml" \
      --data-directory "$dir" --generate-config --report-stats=no >"$host_dir/generate.log" 2>&1
  fi
  cat >"$host_dir/overrides.yaml" <<YAML
listeners:
  - port: $port
    tls: false
    type: http
    x_forwarded: false
    bind_addresses: ['127.0.0.1']
    resources:
      - names: [client, federation]
        compress: false
pid_file: $dir/homeserver.pid
registration_shared_secret: "$secret"
enable_registration: true
registration_requires_token: true
trusted_key_servers: []
suppress_key_server_warning: true
report_stats: false
presence:
  enabled: false
url_preview_enabled: false
rc_message: {per_second: 10000, burst_count: 100000}
rc_registration: {per_second: 10000, burst_count: 100000}
rc_registration_token_validity: {per_second: 10000, burst_count: 100000}
rc_login:
  address: {per_second: 10000, burst_count: 100000}
  account: {per_second: 10000, burst_count: 100000}
  failed_attempts: {per_second: 10000, burst_count: 100000}
rc_admin_redaction: {per_second: 10000, burst_count: 100000}
rc_joins:
  local: {per_second: 10000, burst_count: 100000}
  remote: {per_second: 10000, burst_count: 100000}
rc_joins_per_room: {per_second: 10000, burst_count: 100000}
rc_invites:
  per_room: {per_second: 10000, burst_count: 100000}
  per_user: {per_second: 10000, burst_count: 100000}
  per_issuer: {per_second: 10000, burst_count: 100000}
rc_3pid_validation: {per_second: 10000, burst_count: 100000}
rc_room_creation: {per_second: 10000, burst_count: 100000}
rc_reports: {per_second: 10000, burst_count: 100000}
rc_delayed_event_mgmt: {per_second: 10000, burst_count: 100000}
rc_presence:
  per_user: {per_second: 10000, burst_count: 100000}
YAML
  : >"$host_dir/extra.yaml"
  [ -n "$extra" ] && cp "$extra" "$host_dir/extra.yaml"
  rm -rf "$host_dir/modules" && mkdir -p "$host_dir/modules"
  [ -n "$modules" ] && cp -r "$modules"/. "$host_dir/modules/"
  echo "$port" >"$host_dir/port"
  if ! chroot "$root" /usr/bin/env PYTHONPATH="$dir/modules" python3 -m synapse.app.homeserver \
      -c "$dir/homeserver.yaml" -c "$dir/overrides.yaml" -c "$dir/extra.yaml" --daemonize </dev/null >"$host_dir/start.log" 2>&1 9>&-; then
    cat "$host_dir/start.log" >&2
    tail -n 40 "$host_dir/homeserver.log" >&2 2>/dev/null || true
    exit 1
  fi
  for _ in $(seq 1 300); do answers "$port" && break; sleep 0.2; done
  if ! answers "$port"; then
    echo "synapse $name did not answer on port $port" >&2
    tail -n 40 "$host_dir/homeserver.log" >&2 2>/dev/null || true
    exit 1
  fi
  echo "$wanted" >"$host_dir/settings"
fi

# A server admin for the tests, created once per instance (its token survives restarts: the data is kept).
if [ ! -s "$host_dir/admin-token" ]; then
  node_bin=$(command -v node)
  "$node_bin" "$here/register-admin.mjs" "http://127.0.0.1:$port" "$secret" >"$host_dir/admin-token.tmp"
  mv "$host_dir/admin-token.tmp" "$host_dir/admin-token"
fi
printf '{"name":"%s","url":"http://127.0.0.1:%s","serverName":"localhost","sharedSecret":"%s","adminToken":"%s","logPath":"%s"}\n' \
  "$name" "$port" "$secret" "$(cat "$host_dir/admin-token")" "$host_dir/homeserver.log"
