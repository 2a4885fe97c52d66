#!/bin/sh
# Quick local measurement (not the benchmark suite): the destroy-event source under churn, the
# worker-thread reader against the main-thread reader. Runs in a fresh network namespace
# (unshare --net). Usage: scripts/measure-destroy.sh [connections/s=2000] [seconds=10] [all|cost|stall|memory]
set -eu
cd "$(dirname "$0")/.."
out=node_modules/.cache/sockscope-nl-measure-destroy
mkdir -p "$out"
npx esbuild scripts/measure-destroy.ts --bundle --splitting --platform=node --format=esm --conditions=source \
  --external:koffi --log-level=warning --outdir="$out" --out-extension:.js=.mjs
unshare --net sh -c "ip link set lo up && node --expose-gc $out/measure-destroy.mjs ${1:-2000} ${2:-10} ${3:-all}"
rm -rf "$out"
