// The `containers` step: what naming every socket's container costs. The pool's connections are
// handed to `count` processes, each moved into a fake Kubernetes container (lib/fake-containers.mjs)
// with a containerd bundle on disk; then two agents run side by side on the default config, one
// with the container enricher reading that state and one with it off, scraped alternately so that
// both see the same machine at the same moments. `ss -tin` is timed in the same run as the
// reference. The ratio on/off is reported, never asserted on a clock.
import { readdirSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { memoryOf, scrape, scrapeWithProbe, startSockscope } from './agents.mjs';
import { BenchError } from './flags.mjs';
import { progress, summarize, timeCommand, sample } from './measure.mjs';

const PROBED_SCRAPES = 2;

/**
 * CPU time a process has used so far, in ms: the sum over its threads of
 * /proc/<pid>/task/<tid>/schedstat's first field (ns on a CPU). Unlike wall time it does not
 * grow when other processes hold the CPU, so on a busy machine it is the steadier measure of
 * what a scrape cost the agent.
 */
export function cpuMs(pid) {
  let ns = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      /* the thread ended meanwhile */
    }
  }
  return ns / 1e6;
}

/** GET `url` and resolve with the body text. */
function getText(url) {
  return new Promise((resolve, reject) => {
    request(url, { headers: { 'accept-encoding': 'identity' } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve(body));
    }).on('error', reject).end();
  });
}

/**
 * What an exposition says about the fake containers: `sockscope_container_info` series, those with
 * a pod name, and the distinct pods and namespaces named. The bench refuses a run where the
 * enricher named nothing: it would have timed an enricher doing no work.
 */
export function namedContainers(text) {
  const info = text.split('\n').filter((l) => l.startsWith('sockscope_container_info{'));
  const label = (line, name) => new RegExp(`[{,]${name}="([^"]*)"`).exec(line)?.[1] ?? '';
  const withPod = info.filter((l) => label(l, 'pod') !== '');
  return {
    infoSeries: info.length,
    withPod: withPod.length,
    pods: new Set(withPod.map((l) => `${label(l, 'namespace')}/${label(l, 'pod')}`)).size,
    namespaces: new Set(withPod.map((l) => label(l, 'namespace'))).size,
  };
}

/**
 * Runs the step on the pool's connections (`connections` of them, already open): spreads them
 * over `fake.specs.length` processes placed in the fake containers, times `ss -tin`, then the
 * two agents. Resolves with `{ connections, containers, ss_tin, off, on, named, addedPct }`.
 */
export async function measureContainers({ pool, fake, connections, cli, configs, times, port }) {
  const count = fake.specs.length;
  progress(`containers: handing ${connections} connections to ${count} processes in fake containers`);
  const pids = await pool.spread(count);
  pids.forEach((pid, i) => fake.place(i, pid));
  const ss_tin = await sample(`containers: ss -tin`, times, () => timeCommand('ss', ['-tin']));

  progress('containers: starting the agent with the container enricher off and on');
  const off = await startSockscope('sockscope (default, container enricher off)', cli, configs.off, port);
  let on;
  try {
    on = await startSockscope('sockscope (default, container enricher on)', cli, configs.on, port + 1);
    const runs = { off: [], on: [] };
    for (let i = 0; i < times.warmup + times.runs; i++) {
      const label = i < times.warmup ? `warm-up ${i + 1}/${times.warmup}` : `run ${i + 1 - times.warmup}/${times.runs}`;
      progress(`containers: scrape off and on, ${label}`);
      // alternate which goes first, so that neither always follows the other's garbage
      const order = i % 2 === 0 ? ['off', 'on'] : ['on', 'off'];
      for (const which of order) {
        const agent = which === 'on' ? on : off;
        const cpuBefore = cpuMs(agent.pid);
        const r = await scrape(agent.url);
        // the collection is done when the last byte arrives (each scrape collects afresh)
        if (i >= times.warmup) runs[which].push({ ...r, cpuMs: cpuMs(agent.pid) - cpuBefore, agentNetlinkMs: r.durations['linux-netlink'] ?? NaN, agentProcessMs: r.durations.process ?? NaN, agentContainerMs: r.durations.container ?? NaN });
      }
    }
    const named = namedContainers(await getText(on.url));
    if (named.withPod < count) {
      throw new BenchError(`the container enricher named ${named.withPod} of the ${count} fake containers (sockscope_container_info series with a pod): the timing would not be of an enricher doing its work; check the config (runtime_roots) and the cgroup layout`);
    }
    const stats = async (which, agent) => {
      const stall = await sample(`containers: ${which} (probing /health)`, { runs: PROBED_SCRAPES, warmup: 0 }, () => scrapeWithProbe(agent.url, agent.url.replace(/\/metrics$/, '/health')));
      const keys = Object.keys(runs[which][0]).filter((k) => runs[which].every((r) => typeof r[k] === 'number' && !Number.isNaN(r[k])));
      return { ...Object.fromEntries(keys.map((k) => [k, summarize(runs[which].map((r) => r[k]))])), agentStallMs: stall.stallMs, memory: memoryOf(agent.pid) };
    };
    const result = { connections, containers: count, holderProcesses: count, ss_tin, off: await stats('off', off), on: await stats('on', on), named };
    result.addedPct = (result.on.ms.median / result.off.ms.median - 1) * 100;
    result.addedCpuPct = (result.on.cpuMs.median / result.off.cpuMs.median - 1) * 100;
    return result;
  } finally {
    await on?.stop();
    await off.stop();
  }
}
