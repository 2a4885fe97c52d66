#!/bin/sh
# Captures real sock_diag destroy-event datagrams from the running kernel into
# test/fixtures/destroy/. Runs in a fresh network namespace (unshare --net) so only the sockets
# the capture script closes are heard. Needs root (or CAP_SYS_ADMIN) for unshare.
set -eu
cd "$(dirname "$0")/.."
out=node_modules/.cache/sockscope-nl-capture-destroy.mjs
mkdir -p node_modules/.cache test/fixtures/destroy
npx esbuild scripts/capture-destroy-fixtures.ts --bundle --platform=node --format=esm --conditions=source \
  --external:koffi --log-level=warning --outfile="$out"
unshare --net sh -c "ip link set lo up && node $out test/fixtures/destroy"
rm -f "$out"
