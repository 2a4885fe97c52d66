#!/bin/sh
# Captures real sock_diag dump datagrams from the running kernel into test/fixtures/.
# Runs in a fresh network namespace (unshare --net) so the dumps hold only the sockets the
# capture script opens. Needs root (or CAP_SYS_ADMIN) for unshare.
set -eu
cd "$(dirname "$0")/.."
out=node_modules/.cache/sockscope-nl-capture.mjs
mkdir -p node_modules/.cache
npx esbuild scripts/capture-fixtures.ts --bundle --platform=node --format=esm --conditions=source \
  --external:koffi --log-level=warning --outfile="$out"
unshare --net sh -c "ip link set lo up && node $out test/fixtures"
rm -f "$out"
