// Sockscope's collectors and the process enricher driven directly, in this process, without
// the agent around them: what collection alone costs.
import { performance } from 'node:perf_hooks';
import { compileConfigSchema } from '@sockscope/core';
import { linuxNetlinkCollector } from '@sockscope/collector-linux-netlink';
import { linuxProcfsSocketsCollector, processEnricher } from '@sockscope/collector-linux-procfs';
import { BenchError } from './flags.mjs';
import { sample, sleep, startStallMonitor } from './measure.mjs';

/** A plugin context with the plugin's schema defaults applied, as the agent would build it. */
function contextFor(def, config = {}) {
  const copy = structuredClone(config);
  const errors = compileConfigSchema(def.configSchema, def.name)(copy);
  if (errors.length > 0) throw new BenchError(`config of ${def.name} is invalid: ${errors.join('; ')}`);
  const quiet = { debug() {}, info() {}, warn() {}, error() {} };
  const notices = [];
  return { config: Object.freeze(copy), logger: quiet, platform: process.platform, reportOnce: (_key, m) => notices.push(m), notices };
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

async function collectChecked(name, collector) {
  const result = await collector.collect(AbortSignal.timeout(60_000));
  if (!result.sockets) throw new BenchError(`${name} returned no sockets: ${(result.warnings ?? []).join('; ')}`);
  return result;
}

/** Counts established TCP sockets (both ends of every loopback connection). */
const established = (sockets) => sockets.filter((s) => s.protocol === 'tcp' && s.state === 'ESTABLISHED').length;

/**
 * Times `collect()` of one collector: ms, longest event-loop stall during it, sockets seen,
 * and this process's RSS afterwards.
 */
export async function measureCollect(label, name, collector, opts) {
  return sample(label, opts, async () => {
    await sleep(5); // let the stall monitor's first tick start from a quiet loop
    const monitor = startStallMonitor();
    await sleep(2);
    const start = performance.now();
    const result = await collectChecked(name, collector);
    const ms = performance.now() - start;
    const stallMs = monitor.stop();
    return { ms, stallMs, sockets: result.sockets.length, established: established(result.sockets), rssMb: process.memoryUsage().rss / 2 ** 20 };
  });
}

/** Times the process enricher over freshly collected netlink records (collection not timed). */
export async function measureAttribution(label, { netlink, enricher }, opts) {
  return sample(label, opts, async () => {
    const { sockets } = await collectChecked('linux-netlink', netlink);
    const start = performance.now();
    await enricher.enrich(sockets, AbortSignal.timeout(60_000));
    const ms = performance.now() - start;
    const attributed = sockets.filter((s) => s.process).length;
    return { ms, attributed, sockets: sockets.length };
  });
}
