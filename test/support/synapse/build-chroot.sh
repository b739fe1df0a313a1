#!/usr/bin/env bash
# Builds (once) a Debian sid chroot with Debian's matrix-synapse package, for the tests.
# Idempotent: a finished chroot is marked with .vestibule-ready and reused; a half-built one is rebuilt.
# Needs root (debootstrap, chroot, mount). Recipe and reasons: ../shared/PROTOCOLS.md ("Verified on this project's machines").
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
root=${VESTIBULE_SYNAPSE_ROOT:-$repo/.cache/synapse-root}
marker="$root/.vestibule-ready"
if [ -f "$marker" ]; then echo "synapse chroot ready at $root ($(cat "$marker"))"; exit 0; fi
if [ "$(id -u)" != 0 ]; then echo "building the Synapse chroot needs root" >&2; exit 1; fi
if ! command -v debootstrap >/dev/null; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q debootstrap >/dev/null
fi
# Use the mirror this machine's apt already uses (the only archive reachable here).
mirror=$(grep -h '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -n1 | awk '{print $2}')
[ -n "$mirror" ] || mirror=$(grep -h '^deb ' /etc/apt/sources.list 2>/dev/null | head -n1 | awk '{print $2}')
[ -n "$mirror" ] || mirror=http://deb.debian.org/debian
echo "building the Synapse chroot at $root from $mirror (about 70 s)"
umount "$root/proc" 2>/dev/null || true
rm -rf "$root"
mkdir -p "$(dirname "$root")"
debootstrap --variant=minbase --include=ca-certificates sid "$root" "$mirror" >"$root.log" 2>&1 || { tail -n 30 "$root.log" >&2; exit 1; }
cp /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true
echo "deb $mirror sid main" >"$root/etc/apt/sources.list"
chroot "$root" /usr/bin/env DEBIAN_FRONTEND=noninteractive bash -c '
  set -e
  apt-get -q -o Acquire::Check-Valid-Until=false update
  apt-get install -y -q --no-install-recommends python3-cffi-backend matrix-synapse
  apt-get clean
' >>"$root.log" 2>&1 || { tail -n 30 "$root.log" >&2; exit 1; }
version=$(chroot "$root" python3 -c 'import synapse; print(synapse.__version__)')
echo "synapse $version" >"$marker"
echo "synapse chroot ready at $root (synapse $version)"
