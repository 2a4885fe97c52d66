#!/usr/bin/env node
// `pnpm bench`: how fast and how heavy sockscope is beside ss and node_exporter, at 1k, 10k and
// 30k established loopback TCP connections, inside a private network namespace. See --help.
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BenchError, helpText, parseFlags } from './lib/flags.mjs';
import { insideNamespace, prepareNamespace, reexecInNamespace } from './lib/netns.mjs';
import { installCleanup, runMain, stopAll } from './lib/children.mjs';
import { createHolderPool } from './lib/holders.mjs';
import { progress, sample, timeCommand } from './lib/measure.mjs';
import { memoryOf, scrape, scrapeWithProbe, startNodeExporter, startSockscope, writeCheckedConfig } from './lib/agents.mjs';
import { NODE_EXPORTER_NET_FLAGS, containersOffConfig, containersOnConfig, defaultConfig, hostOnlyConfig, peerConfig, rawEndpointConfig } from './lib/configs.mjs';
import { createFakeContainers, sweepStaleCgroups } from './lib/fake-containers.mjs';
import { measureContainers } from './lib/containers-step.mjs';
import { evaluateGoals } from './lib/goals.mjs';
import { machineInfo, markdown, textTable, writeResults } from './lib/report.mjs';

const here = fileURLToPath(new URL('.', import.meta.url));
const STEPS = ['ss', 'collect', 'scrape', 'host', 'containers'];
const PROBED_SCRAPES = 2;
const SPEC = {
  sizes: { kind: 'ints', default: [1000, 10_000, 30_000], max: 200_000, meta: 'N,N,…', help: 'connection counts to measure, ascending' },
  runs: { kind: 'int', default: 5, min: 1, max: 100, meta: 'N', help: 'measured runs per step (the median is reported)' },
  warmup: { kind: 'int', default: 1, min: 0, max: 20, meta: 'N', help: 'discarded warm-up runs per step' },
  steps: { kind: 'list', default: STEPS, choices: STEPS, meta: 'a,b', help: `steps to run: ${STEPS.join(', ')}` },
  containers: { kind: 'int', default: 200, min: 1, max: 2000, meta: 'N', help: 'fake Kubernetes containers the largest size\'s connections are handed to (containers step)' },
  per_holder: { kind: 'int', default: 10_000, min: 100, max: 19_000, meta: 'N', help: 'connections per holder process pair (each side under the 20,000-file limit)' },
  cli: { kind: 'string', default: join(here, '..', 'dist', 'cli.js'), meta: 'FILE', help: 'the built sockscope CLI' },
  node_exporter: { kind: 'string', default: '/usr/bin/prometheus-node-exporter', meta: 'FILE', help: "Debian's prometheus-node-exporter" },
  out: { kind: 'string', default: join(here, 'results'), meta: 'DIR', help: 'where latest.json and latest.md go' },
  name: { kind: 'string', default: 'latest', meta: 'NAME', help: 'base name of the result files' },
  note: { kind: 'string', default: '', meta: 'TEXT', help: 'a note for the Markdown report (e.g. "machine shared with other jobs")' },
  no_pidns: { kind: 'bool', default: false, help: 'do not add a private pid namespace (the process scan then sees every process of the host)' },
};
const USAGE = 'usage: pnpm bench [flags]   (as root; or node apps/exporter/bench/run.mjs [flags] after pnpm build)';

async function main(argv) {
  const opts = parseFlags(argv, SPEC);
  if (opts.help) return void process.stdout.write(helpText(USAGE, SPEC));
  if (!insideNamespace()) {
    checkPrerequisites(opts);
    return reexecInNamespace(fileURLToPath(import.meta.url), argv, { pidns: !opts.no_pidns });
  }
  installCleanup();
  prepareNamespace();
  const sizes = [...opts.sizes].sort((a, b) => a - b);
  const tmp = mkdtempSync(join(tmpdir(), 'sockscope-bench-'));
  const pool = createHolderPool({ perPair: opts.per_holder });
  let inProcess;
  let fake;
  try {
    const configs = await checkConfigs(opts, tmp);
    if (opts.steps.includes('collect')) inProcess = await (await import('./lib/in-process.mjs')).createInProcess();
    const result = { machine: machineInfo(), options: { ...opts, argv, sizes }, sizes: [] };
    let port = 9500;
    for (const n of sizes) {
      progress(`N=${n}: opening connections`);
      await pool.grow(n, (total) => progress(`N=${n}: ${total} connections open`));
      const size = { connections: n, holderProcesses: pool.processes };
      const times = { runs: opts.runs, warmup: opts.warmup };
      if (opts.steps.includes('ss')) {
        size.ss_tin = await sample(`N=${n} ss -tin`, times, () => timeCommand('ss', ['-tin']));
        size.ss_tinp = await sample(`N=${n} ss -tinp`, times, () => timeCommand('ss', ['-tinp']));
      }
      if (inProcess) {
        const { measureAttribution, measureCollect, measureFold } = await import('./lib/in-process.mjs');
        size.netlink = await measureCollect(`N=${n} netlink collect`, 'linux-netlink', inProcess.netlink, times);
        size.fold = await measureFold(`N=${n} netlink stream + fold`, times);
        size.procfs = await measureCollect(`N=${n} procfs sockets collect`, 'linux-procfs-sockets', inProcess.procfs, times);
        size.attribution = await measureAttribution(`N=${n} process attribution`, inProcess, times);
        checkCounts(n, size);
      }
      if (opts.steps.includes('scrape')) {
        size.scrape_default = await measureExporter(`N=${n} scrape default`, times, () => startSockscope('sockscope (default)', opts.cli, configs.default, ++port), true);
        size.scrape_raw = await measureExporter(`N=${n} scrape raw_endpoint`, times, () => startSockscope('sockscope (raw_endpoint)', opts.cli, configs.raw, ++port), true);
        size.scrape_peer = await measureExporter(`N=${n} scrape peer`, times, () => startSockscope('sockscope (peer)', opts.cli, configs.peer, ++port), true);
      }
      if (opts.steps.includes('host')) {
        size.sockscope_host = await measureExporter(`N=${n} sockscope host-only`, times, () => startSockscope('sockscope (host only)', opts.cli, configs.host, ++port), true);
        size.node_exporter_net = await measureExporter(`N=${n} node_exporter net`, times, () => startNodeExporter('node_exporter (net)', opts.node_exporter, ++port, NODE_EXPORTER_NET_FLAGS));
        size.node_exporter_full = await measureExporter(`N=${n} node_exporter full`, times, () => startNodeExporter('node_exporter (full)', opts.node_exporter, ++port));
      }
      result.sizes.push(size);
    }
    if (opts.steps.includes('containers')) {
      // last: it hands the pool's connections to other processes, so no size can follow it
      const n = sizes.at(-1);
      sweepStaleCgroups();
      fake = createFakeContainers(opts.containers, join(tmp, 'containerd-state'));
      result.containers = await measureContainers({ pool, fake, connections: n, cli: opts.cli, configs: configs.containers, times: { runs: opts.runs, warmup: opts.warmup }, port: ++port });
      port++;
    }
    result.loadavgEnd = machineInfo().loadavg;
    result.goals = evaluateGoals(result.sizes, result.containers);
    process.stdout.write(textTable(result));
    const files = writeResults(opts.out, opts.name, result, markdown(result));
    progress(`wrote ${files.join(' and ')}`);
    return 0;
  } finally {
    await inProcess?.close();
    await pool.close();
    await stopAll();
    await fake?.remove(); // after the holders: their sleepers must have left the cgroups
    rmSync(tmp, { recursive: true, force: true });
  }
}

/**
 * Scrapes a freshly started exporter `runs` times after the warm-up, then adds its memory and,
 * for sockscope (`probe`), its longest event-loop block during extra scrapes probed via /health.
 */
async function measureExporter(label, times, start, probe = false) {
  progress(`${label}: starting`);
  const exporter = await start();
  try {
    const stats = await sample(label, times, async () => {
      const r = await scrape(exporter.url);
      // what sockscope says its own socket collection and process attribution took inside the scrape
      return { ...r, agentNetlinkMs: r.durations['linux-netlink'] ?? NaN, agentProcessMs: r.durations.process ?? NaN };
    });
    // probed scrapes come after the timed ones so that the probing does not slow those down
    const stall = probe ? await sample(`${label} (probing /health)`, { runs: PROBED_SCRAPES, warmup: 0 }, () => scrapeWithProbe(exporter.url, exporter.url.replace(/\/metrics$/, '/health'))) : {};
    return { ...stats, agentStallMs: stall.stallMs, memory: memoryOf(exporter.pid) };
  } finally {
    await exporter.stop();
  }
}

/** Fails loudly when the connections the bench holds are not what the collector sees. */
function checkCounts(n, size) {
  const seen = size.netlink.established.median;
  if (seen < 2 * n) throw new BenchError(`netlink saw ${seen} established TCP sockets, expected at least ${2 * n} (2 per connection): the holders lost connections`);
}

async function checkConfigs(opts, tmp) {
  const need = opts.steps.includes('scrape') || opts.steps.includes('host') || opts.steps.includes('containers');
  if (!need) return {};
  const containers = opts.steps.includes('containers')
    ? { on: await writeCheckedConfig(opts.cli, tmp, 'containers-on', containersOnConfig(join(tmp, 'containerd-state'))), off: await writeCheckedConfig(opts.cli, tmp, 'containers-off', containersOffConfig()) }
    : undefined;
  return {
    containers,
    default: await writeCheckedConfig(opts.cli, tmp, 'default', defaultConfig()),
    raw: await writeCheckedConfig(opts.cli, tmp, 'raw-endpoint', rawEndpointConfig()),
    peer: await writeCheckedConfig(opts.cli, tmp, 'peer', peerConfig()),
    host: await writeCheckedConfig(opts.cli, tmp, 'host-only', hostOnlyConfig()),
  };
}

function checkPrerequisites(opts) {
  const need = opts.steps.includes('scrape') || opts.steps.includes('host') || opts.steps.includes('containers');
  if (need && !existsSync(opts.cli)) throw new BenchError(`the sockscope CLI is not built (${opts.cli} is missing): run pnpm build, or use pnpm bench which builds first`);
  if (opts.steps.includes('host') && !existsSync(opts.node_exporter)) {
    throw new BenchError(`${opts.node_exporter} is missing: apt-get install prometheus-node-exporter, or pass --node-exporter FILE, or leave out the host step (--steps ss,collect,scrape)`);
  }
}

runMain('bench', main, (err) => err instanceof BenchError);
