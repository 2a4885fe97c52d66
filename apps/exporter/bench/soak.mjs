#!/usr/bin/env node
// `pnpm bench:soak`: connection churn while /metrics is scraped every second, to see whether
// sockscope's memory or collection time grows over time. See --help.
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { BenchError, helpText, parseFlags } from './lib/flags.mjs';
import { insideNamespace, prepareNamespace, reexecInNamespace } from './lib/netns.mjs';
import { installCleanup, runMain, stopAll } from './lib/children.mjs';
import { createHolderPool } from './lib/holders.mjs';
import { progress, sleep } from './lib/measure.mjs';
import { startHealthProbe } from './lib/health-probe.mjs';
import { memoryOf, scrape, startSockscope, writeCheckedConfig } from './lib/agents.mjs';
import { soakConfig } from './lib/configs.mjs';
import { machineCpuTicks, machineInfo, stealPercent, writeResults } from './lib/report.mjs';
import { createLifecycleMemory, lifecycleDelta, lifecycleExpected, soakMarkdown, soakText, summarizeProbe, summarizeSoak } from './lib/soak-report.mjs';

const here = fileURLToPath(new URL('.', import.meta.url));
const SPEC = {
  minutes: { kind: 'number', default: 10, meta: 'N', help: 'how long to soak (e.g. 1 for a quick check)' },
  connections: { kind: 'int', default: 2000, min: 1, max: 100_000, meta: 'N', help: 'connections held open throughout' },
  churn: { kind: 'int', default: 500, min: 0, max: 5000, meta: 'N', help: 'connections closed and opened per second' },
  settle: { kind: 'int', default: 60, min: 0, max: 600, meta: 'SECONDS', help: 'churn and scrape this long before measuring (TIME_WAIT sockets pile up for 60 s)' },
  interval: { kind: 'number', default: 1, meta: 'SECONDS', help: 'time between scrapes' },
  folding: { kind: 'string', default: 'raw_endpoint', meta: 'STRATEGY', help: 'flows.folding of the agent (raw_endpoint: a series per socket, the most churn)' },
  cli: { kind: 'string', default: join(here, '..', 'dist', 'cli.js'), meta: 'FILE', help: 'the built sockscope CLI' },
  out: { kind: 'string', default: join(here, 'results'), meta: 'DIR', help: 'where soak-latest.json and .md go' },
  name: { kind: 'string', default: 'soak-latest', meta: 'NAME', help: 'base name of the result files' },
  note: { kind: 'string', default: '', meta: 'TEXT', help: 'a note for the Markdown report' },
  no_pidns: { kind: 'bool', default: false, help: 'do not add a private pid namespace' },
  no_lifecycle: { kind: 'bool', default: false, help: "do not check the lifecycle totals against the churner (they mean parsing every exposition and remembering every lifecycle series: with raw_endpoint at thousands of connections under churn, gigabytes in this harness and CPU taken from the agent)" },
  probe_ms: { kind: 'int', default: 20, min: 0, max: 10_000, meta: 'MS', help: "ask the agent's /health this often during the measured window (its latency: how long the event loop was blocked); 0: no probe" },
};
const USAGE = 'usage: pnpm bench:soak [flags]   (as root; or node apps/exporter/bench/soak.mjs [flags] after pnpm build)';

async function main(argv) {
  const opts = parseFlags(argv, SPEC);
  if (opts.help) return void process.stdout.write(helpText(USAGE, SPEC));
  if (!insideNamespace()) {
    if (!existsSync(opts.cli)) throw new BenchError(`the sockscope CLI is not built (${opts.cli} is missing): run pnpm build, or use pnpm bench:soak which builds first`);
    return reexecInNamespace(fileURLToPath(import.meta.url), argv, { pidns: !opts.no_pidns });
  }
  installCleanup();
  prepareNamespace();
  const tmp = mkdtempSync(join(tmpdir(), 'sockscope-soak-'));
  const pool = createHolderPool();
  let exporter;
  try {
    const file = await writeCheckedConfig(opts.cli, tmp, 'soak', soakConfig(opts.folding));
    exporter = await startSockscope('sockscope', opts.cli, file, 9600);
    progress(`opening ${opts.connections} connections`);
    await pool.grow(opts.connections);
    await pool.churn(opts.churn);
    // every lifecycle series seen in any scrape (see createLifecycleMemory)
    const memory = opts.no_lifecycle ? null : createLifecycleMemory();
    if (opts.settle > 0) {
      progress(`settling for ${opts.settle} s (churn and scrapes, not measured)`);
      await scrapeLoop(exporter, opts.settle, opts.interval * 1000, 'settle', memory);
    }
    const machine = machineInfo();
    const seconds = opts.minutes * 60;
    const closedBefore = await closedSoFar(pool);
    // lifecycle totals (issue 18): the agent's counters around the measured window, and the
    // holders', both read while the churn pauses (a close during a scrape would be on one side
    // of the line for the holders and on the other for the agent)
    await pool.churn(0);
    await sleep(1000);
    const holdersBefore = await holderTotals(pool);
    let lifecycleBefore = null;
    if (memory) {
      memory.observe((await scrape(exporter.url, 120_000)).text);
      lifecycleBefore = memory.totals();
    }
    await pool.churn(opts.churn);
    const prober = opts.probe_ms > 0 ? startHealthProbe(exporter.url.replace(/\/metrics$/, '/health'), opts.probe_ms) : null;
    const { samples, failed, late } = await scrapeLoop(exporter, seconds, opts.interval * 1000, 'soak', memory);
    const closed = (await closedSoFar(pool)) - closedBefore;
    // the probe's connections are closed before the last reading: both of their ends count as closed
    const probe = await prober?.stop();
    await pool.churn(0);
    const lifecycle = memory && await lifecycleAfter(exporter, pool, memory, holdersBefore, lifecycleBefore, samples.filter((x) => !x.reused).length + (probe?.newConnections ?? 0));
    const peakRssMb = memoryOf(exporter.pid).peakMb;
    // the window's scrapes were dropped without the lifecycle check: one more, kept, counts the series
    const lastSeries = samples.at(-1)?.series ?? (await scrape(exporter.url, 120_000)).series;
    const result = {
      machine,
      loadavgEnd: machineInfo().loadavg,
      options: { ...opts, argv },
      seconds,
      scrapes: samples.length,
      failedScrapes: failed,
      lateScrapes: late,
      churnPerSecond: closed / seconds,
      peakRssMb,
      lastSeries,
      summary: summarizeSoak(samples, seconds),
      health: probe ? summarizeProbe(probe.latencies, probe.failed, opts.probe_ms) : null,
      lifecycle,
      samples,
    };
    process.stdout.write(soakText(result).join('\n') + '\n');
    progress(`wrote ${writeResults(opts.out, opts.name, result, soakMarkdown(result)).join(' and ')}`);
    return 0;
  } finally {
    await exporter?.stop();
    await pool.close();
    await stopAll();
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** Connections the client holders have closed since they started. */
async function closedSoFar(pool) {
  return (await pool.status()).filter((s) => s.role === 'client').reduce((n, s) => n + s.closed, 0);
}

/** Closed, opened and failed connects of the client holders, closed of the server holders, since they started. */
async function holderTotals(pool) {
  const st = await pool.status();
  const sum = (role, key) => st.filter((s) => s.role === role).reduce((n, s) => n + s[key], 0);
  return { clientClosed: sum('client', 'closed'), clientOpened: sum('client', 'opened'), serverClosed: sum('server', 'closed'), failedConnects: sum('client', 'errors') };
}

/**
 * After the churn stopped: waits a second for the last closes to reach the agent, scrapes once
 * more and sets what it heard (the deltas of the lifecycle families) against what the holders
 * did and the HTTP connections to the agent that closed meanwhile. The scrapes go over one
 * kept-alive connection; each one that had to open a new connection (`newConnections`: the
 * window's scrapes and this last one, not reused) means the previous connection was closed, both
 * of its ends in the bench's namespace.
 */
async function lifecycleAfter(exporter, pool, memory, holdersBefore, lifecycleBefore, newConnections) {
  await sleep(1000);
  const holders = await holderTotals(pool);
  const churner = Object.fromEntries(Object.entries(holders).map(([k, v]) => [k, v - holdersBefore[k]]));
  const last = await scrape(exporter.url, 120_000);
  const httpConnections = newConnections + (last.reused ? 0 : 1);
  memory.observe(last.text);
  const agent = lifecycleDelta(lifecycleBefore, memory.totals());
  return { churner, httpConnections, expected: lifecycleExpected(churner, httpConnections), agent };
}

/** Scrapes every `intervalMs` for `seconds`, sampling the agent's RSS after each scrape. */
async function scrapeLoop(exporter, seconds, intervalMs, phase, memory) {
  const samples = [];
  let failed = 0;
  let late = 0;
  const start = performance.now();
  let cpuBefore = machineCpuTicks();
  const maxScrapes = Math.ceil((seconds * 1000) / intervalMs) + 1;
  for (let i = 0; i < maxScrapes && performance.now() - start < seconds * 1000; i++) {
    const wait = start + i * intervalMs - performance.now();
    if (wait > 0) await sleep(wait);
    else if (i > 0) late++; // the previous scrape took longer than the interval
    let r;
    try {
      // read and dropped as it arrives unless the lifecycle check parses it (see scrape() in lib/agents.mjs)
      r = await scrape(exporter.url, 30_000, { keep: Boolean(memory) });
    } catch (err) {
      failed++;
      progress(`scrape ${i + 1} failed: ${err.message}`);
      if (failed > 10 && failed > samples.length / 10) throw new BenchError(`too many failed scrapes (${failed}); the agent's log:\n${exporter.log()}`);
      continue;
    }
    memory?.observe(r.text);
    let rss;
    try {
      rss = memoryOf(exporter.pid);
    } catch {
      throw new BenchError(`the agent exited during the soak; its log:\n${exporter.log()}`);
    }
    const t = (performance.now() - start) / 1000;
    // the machine's stolen CPU since the previous sample: a slow stretch of the VM, told apart from the agent's own
    const cpuNow = machineCpuTicks();
    const steal = stealPercent(cpuBefore, cpuNow);
    cpuBefore = cpuNow;
    samples.push({ t: Number(t.toFixed(3)), scrapeMs: r.ms, bytes: r.bytes, series: r.series, rssMb: rss.rssMb, collectorMs: r.durations, reused: r.reused, stealPct: steal === undefined ? undefined : Number(steal.toFixed(2)) });
    if (i % 10 === 0) progress(`${phase} ${t.toFixed(0)}/${seconds} s: RSS ${rss.rssMb.toFixed(1)} MB, scrape ${r.ms.toFixed(1)} ms${r.series === undefined ? '' : `, ${r.series} series`}`);
  }
  return { samples, failed, late };
}

runMain('bench:soak', main, (err) => err instanceof BenchError);
