// Sockscope's collectors and the process enricher driven directly, in this process, without
// the agent around them: what collection alone costs.
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { createPluginContext, enrichRecords, listSockets } from '@sockscope/core';
import { CLI_NODE_FLAGS } from '../../dist/index.js';
import { linuxNetlinkCollector } from '@sockscope/collector-linux-netlink';
import { linuxProcfsSocketsCollector, processEnricher } from '@sockscope/collector-linux-procfs';
import { BenchError } from './flags.mjs';
import { commandOutput, sample, sleep, startStallMonitor } from './measure.mjs';

/** A plugin context with the plugin's schema defaults applied, as the agent would build it. */
export function contextFor(def, config = {}) {
  const quiet = { debug() {}, info() {}, warn() {}, error() {} };
  const notices = [];
  try {
    return { ...createPluginContext(def, config, { logger: quiet, reportOnce: (_key, m) => notices.push(m) }), notices };
  } catch (err) {
    throw new BenchError(`config of ${def.name} is invalid: ${[err.message, ...(err.details ?? [])].join('; ')}`);
  }
}

/** Creates the netlink and procfs socket collectors and the process enricher once. */
export async function createInProcess() {
  const netlink = await linuxNetlinkCollector.create(contextFor(linuxNetlinkCollector));
  const procfs = await linuxProcfsSocketsCollector.create(contextFor(linuxProcfsSocketsCollector));
  const enricher = await processEnricher.create(contextFor(processEnricher));
  return {
    netlink,
    procfs,
    enricher,
    async close() {
      await Promise.allSettled([netlink.close(), procfs.close(), enricher.close()]);
    },
  };
}

/** Counts established TCP sockets (both ends of every loopback connection). */
const isEstablished = (s) => s.protocol === 'tcp' && s.state === 'ESTABLISHED';

/** The bench's error for a collection that saw no socket, with the collector's warnings. */
const noSockets = (name, warnings) => new BenchError(`${name} returned no sockets: ${(warnings ?? []).map((w) => `${w.code}: ${w.message}`).join('; ')}`);

/** One collection listed (`listSockets`); fails when it saw no socket, with the collector's warnings. */
async function listChecked(name, collector) {
  const result = await listSockets(collector, AbortSignal.timeout(60_000));
  if (result.sockets.length === 0) throw noSockets(name, result.warnings);
  return result.sockets;
}

/**
 * One collection streamed (every record parsed in full and handed to a visitor that counts it
 * and keeps none, as the agent's folds keep none) or listed (`listSockets`: every record kept in
 * a list, a library user's table in hand): `{ sockets, established }`.
 */
async function collectOnce(name, collector, how) {
  if (how === 'list') {
    const sockets = await listChecked(name, collector);
    return { sockets: sockets.length, established: sockets.filter(isEstablished).length };
  }
  let sockets = 0;
  let established = 0;
  const { warnings } = await collector.stream(AbortSignal.timeout(60_000), (s) => {
    sockets++;
    if (isEstablished(s)) established++;
  });
  if (sockets === 0) throw noSockets(name, warnings);
  return { sockets, established };
}

/**
 * Times one collection of one collector, streamed or listed (`how`, see collectOnce; the count of
 * established sockets is inside the time either way): ms, longest event-loop stall during it,
 * sockets seen, and this process's RSS afterwards. `pair`: a reference run next to each measured
 * run (see sample()).
 */
export async function measureCollect(label, name, collector, how, opts, pair) {
  return sample(label, opts, async () => {
    await sleep(5); // let the stall monitor's first tick start from a quiet loop
    const monitor = startStallMonitor();
    await sleep(2);
    const start = performance.now();
    const { sockets, established } = await collectOnce(name, collector, how);
    const ms = performance.now() - start;
    const stallMs = monitor.stop();
    return { ms, stallMs, sockets, established, rssMb: process.memoryUsage().rss / 2 ** 20 };
  }, pair);
}

/** Times the process enricher over freshly collected netlink records (collection not timed). */
export async function measureAttribution(label, { netlink, enricher }, opts, pair) {
  return sample(label, opts, async () => {
    const sockets = await listChecked('linux-netlink', netlink);
    const start = performance.now();
    await enrichRecords(enricher, sockets, AbortSignal.timeout(60_000));
    const ms = performance.now() - start;
    const attributed = sockets.filter((s) => s.process).length;
    return { ms, attributed, sockets: sockets.length };
  }, pair);
}

const FOLD_CHILD = fileURLToPath(new URL('./fold-child.mjs', import.meta.url));
/** Collections per child: the first one cold (the renderer learns every socket), then warm ones. */
const FOLD_COLLECTIONS = 3;

/** Runs fold-child.mjs in `mode` with Node `flags` (started by the spawner) and resolves its JSON line. */
async function runFoldChild(mode, flags) {
  let stdout;
  try {
    stdout = await commandOutput(process.execPath, [...flags, FOLD_CHILD, mode, String(FOLD_COLLECTIONS)]);
  } catch (err) {
    throw new BenchError(`fold-child.mjs ${mode} failed: ${err.message}`);
  }
  try {
    return JSON.parse(stdout);
  } catch {
    throw new BenchError(`fold-child.mjs ${mode} printed no result: ${stdout.slice(0, 200)}`);
  }
}

/**
 * A netlink collection folded as it is parsed (stream() into the flow renderer, default flows
 * config: what the agent does) beside the same collection listed first (listSockets(), then
 * foldRecords()), both under the CLI's Node flags, and the fold once more under Node's defaults.
 * Each runs in a fresh process doing three collections; its RSS growth is the peak resident
 * set over them (VmHWM, reset after start-up) minus the resident set before the first.
 * Time is the median collection's. With `pair` (see sample()), the reference run goes right
 * before or after the three children of a run.
 */
export async function measureFold(label, opts, pair) {
  return sample(label, opts, async () => {
    const folded = await runFoldChild('fold', CLI_NODE_FLAGS);
    const listed = await runFoldChild('list', CLI_NODE_FLAGS);
    const plain = await runFoldChild('fold', []);
    const mid = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
    const growth = (r) => r.peakMb - r.baseMb;
    return {
      ms: mid(folded.ms),
      sockets: folded.sockets,
      series: folded.series,
      rssGrowthMb: growth(folded),
      // the fresh process's whole peak resident set (start-up included): the cost curve's RSS point
      peakMb: folded.peakMb,
      listedMs: mid(listed.ms),
      listedSeries: listed.series,
      listedRssGrowthMb: growth(listed),
      defaultFlagsMs: mid(plain.ms),
      defaultFlagsRssGrowthMb: growth(plain),
    };
  }, pair);
}
