/**
 * Node flags the CLI runs with, from the shebang of `cli.js` (and the root `pnpm start`).
 *
 * `--max-semi-space-size=4` caps V8's young generation at 4 MB per semi-space. A streamed
 * collection parses every socket into a short-lived record: at tens of thousands of sockets
 * the default lets the young generation grow to 16 MB per semi-space, resident memory that
 * is only ever garbage. The bench measures both (apps/exporter/bench/results/latest.md).
 *
 * `--single-threaded-gc` keeps garbage collection on the main thread. Measured at 30,000
 * connections, default config, five runs each: peak RSS 123–143 MB against 140–155 MB with
 * V8's helper threads, scrape time and event-loop stalls the same. It costs the opt-in
 * a-series-per-flow config: at 10,000 connections with `raw_endpoint`, peak RSS 477–482 MB
 * against 451–456 MB (two runs each), and in `pnpm bench` its scrape took 3.9× `ss -tin` in two
 * runs against 3.4× and 3.8× without the flag. The default config is what it is tuned for; an
 * agent should not compete with the host's workload for cores anyway.
 *
 * No flag keeps SIGUSR1 from opening Node's inspector: `--disable-sigusr1` exists from Node 22.14
 * and 23.7 only (`node --help` on Node 20 does not list it), and Node 20 refuses to start with an
 * unknown flag. On Node 20 a SIGUSR1 listener does it (src/signals.ts), installed by cli.js before
 * anything else loads; test/signals.test.ts sends the signal and checks that nothing listens on 9229.
 */
export const CLI_NODE_FLAGS: readonly string[] = Object.freeze(['--max-semi-space-size=4', '--single-threaded-gc']);

/** The Node flags a `#!/usr/bin/env -S node …` line passes; [] for a plain `#!/usr/bin/env node`. */
export function shebangNodeFlags(firstLine: string): string[] {
  const m = /^#!\/usr\/bin\/env(?: -S)? node((?: \S+)*)\s*$/.exec(firstLine);
  if (!m) throw new Error(`not a node shebang: ${firstLine}`);
  return (m[1] ?? '').split(' ').filter(Boolean);
}
