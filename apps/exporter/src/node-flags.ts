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
 * `--max-old-space-size=1024` caps the JS heap at 1 GiB, and with it how far V8 lets the heap grow
 * between full collections. After each full GC V8 lets the old generation grow to its live size
 * times a factor that it takes as high as 4 when the heap limit is 2 GiB or more (Node's default
 * limit grows with the host's memory: 4 GiB on a 24 GiB host) and as high as 1.3–2.0 under a
 * smaller limit (1.6 at 1 GiB). A scrape promotes what lives through it (value columns, the
 * exposition's buffers) to the old generation, so the heap climbs to that limit scrape by scrape
 * before a full GC runs. Measured (issue 20; the real CLI, a private netns, VmHWM after 25 scrapes,
 * a client that reads and drops, runs alternated): `raw_endpoint` at 30,000 connections, 75 MB live
 * after a full GC, climbed to 440–459 MB peak without the cap and stays at 260/261 MB with it
 * (265–282 MB at 1536, 291–304 MB at 2000), at the same CPU a scrape (570/628 vs 606/630 ms) and
 * scrape time (512/530 vs 503/523 ms); the default config at 30,000 peaks at 130/130 against
 * 142/144 MB; at 100,000 connections `raw_endpoint` (220 MB live) peaks at 590 against 961 MB, CPU
 * a scrape 2,534 vs 2,574 ms. The cost: an agent whose live JS heap nears 1 GiB collects more and
 * more often and then stops with "heap out of memory" (a per-flow config at about 400,000
 * connections); start it as `node <these flags> --max-old-space-size=<MB> cli.js` (the last one
 * given wins) to allow more.
 *
 * V8 flags apply to every isolate: `--max-semi-space-size=4` also sets the worker threads'
 * young generation, over the `resourceLimits.maxYoungGenerationSizeMb` a worker asks for (the
 * process scan's worker, until issue 20 moved the scan to the main thread, asked for 6 MB, that
 * is 2 MB semi-spaces, and got 4 MB ones; its V8 heap was 12 MB at 30,000 connections). A worker
 * thread costs 9–10 MB of RSS whatever its limits: a default agent starts none (the destroy-event
 * reader's only when its receive buffer is small).
 *
 * `--max-semi-space-size=2` measured again after that (2026-12-02, 30,000 connections, runs
 * alternated): default peak 96.4/97.5 vs 98.8/99.3 MB, `raw_endpoint` 212.9/213.8 vs 218.1/195.8 MB,
 * scrape times within the noise: not taken, a gain inside the noise.
 *
 * Measured again for the agent's baseline memory (issue 20; the real CLI, default config unless
 * said, a private netns, runs alternated, peak = VmHWM after 6 scrapes, scrape = median of scrapes
 * 2–6 or 2–8), and not taken, because each costs scrape time the other goals of issue 20 judge:
 * - `--max-semi-space-size=2`: at 30,000 connections idle 124 vs 128–129 MB, peak 144/147/144 vs
 *   146/147/157 MB, scrape 424/388/352 vs 356/374/335 ms; at 10,000 the peak is the same (128/131
 *   vs 129/131 MB). `=1`: the same peak at 10,000, scrapes 2–3× as long.
 * - `--heap-growing-percent=20` (V8 grows the old generation by 20 % after a full GC instead of its
 *   own factor): at 10,000 peak 117 vs 134–138 MB at the same scrape time (91/92 vs 97/89 ms), at
 *   30,000 141–145 vs 147–154 MB; but `raw_endpoint` at 10,000 scrapes in 296/325 vs 175/203 ms
 *   (peak 180/190 vs 222/224 MB). `=50`: `raw_endpoint` 14–37 % slower (239/232 vs 175/203 ms, peak 203 MB).
 * - `--optimize-for-size`: peak 106–108 vs 132–142 MB at 10,000 and `raw_endpoint` 162–165 vs
 *   221–232 MB, but default scrapes 13–40 % longer (134–168 vs 98–127 ms) and `raw_endpoint` twice
 *   as long (408–463 vs 189–224 ms).
 * - `MALLOC_ARENA_MAX=2` (an environment variable, not a flag): no gain then (peak 128/132 vs
 *   125/127 MB). Measured again on 2026-12-02 at 30,000 connections, it saved 6-9 MB of peak RSS;
 *   cli.js now limits the arenas itself, first thing (src/malloc-arenas.ts).
 *
 * No flag keeps SIGUSR1 from opening Node's inspector: `--disable-sigusr1` exists from Node 22.14
 * and 23.7 only (`node --help` on Node 20 does not list it), and Node 20 refuses to start with an
 * unknown flag. On Node 20 a SIGUSR1 listener does it (src/signals.ts), installed by cli.js before
 * anything else loads; test/signals.test.ts sends the signal and checks that nothing listens on 9229.
 */
export const CLI_NODE_FLAGS: readonly string[] = Object.freeze(['--max-semi-space-size=4', '--single-threaded-gc', '--max-old-space-size=1024']);

/** The Node flags a `#!/usr/bin/env -S node …` line passes; [] for a plain `#!/usr/bin/env node`. */
export function shebangNodeFlags(firstLine: string): string[] {
  const m = /^#!\/usr\/bin\/env(?: -S)? node((?: \S+)*)\s*$/.exec(firstLine);
  if (!m) throw new Error(`not a node shebang: ${firstLine}`);
  return (m[1] ?? '').split(' ').filter(Boolean);
}
