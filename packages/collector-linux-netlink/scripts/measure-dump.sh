#!/bin/sh
# Quick local measurement (not the benchmark suite): dump+parse of N loopback connections
# against `ss -tin`, sync vs async recv, and the longest event-loop stall. Runs in a fresh
# network namespace (unshare --net). Usage: scripts/measure-dump.sh [connections=10000]
set -eu
cd "$(dirname "$0")/.."
out=node_modules/.cache/sockscope-nl-measure
mkdir -p "$out"
npx esbuild scripts/measure-dump.ts --bundle --splitting --platform=node --format=esm --conditions=source \
  --external:koffi --log-level=warning --outdir="$out" --out-extension:.js=.mjs
unshare --net sh -c "ip link set lo up && node --expose-gc $out/measure-dump.mjs ${1:-10000}"
rm -rf "$out"
