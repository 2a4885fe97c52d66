#!/usr/bin/env node
// `pnpm bench`: how fast and how heavy sockscope is beside ss and node_exporter, at 1k, 10k, 30k
// and 100k established loopback TCP connections, inside a private network namespace; issue 20's
// goals judged, the cost curve fitted and drawn (results/<name>.{json,md,svg}). See --help.
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BenchError, helpText, parseFlags } from './lib/flags.mjs';
import { RESERVED_PORTS, insideNamespace, prepareNamespace, reexecInNamespace } from './lib/netns.mjs';
import { installCleanup, runMain, stopAll } from './lib/children.mjs';
import { createHolderPool } from './lib/holders.mjs';
import { spawner } from './lib/spawner.mjs';
import { peakRssOfCommand, progress, sample, timeCommand } from './lib/measure.mjs';
import { expositionChecks, memoryOf, scrape, scrapeWithProbe, startNodeExporter, startSockscope, writeCheckedConfig } from './lib/agents.mjs';
import { NODE_EXPORTER_NET_FLAGS, containersOffConfig, containersOnConfig, defaultConfig, hostOnlyConfig, peerConfig, rawEndpointConfig, ssExporterConfig } from './lib/configs.mjs';
import { createFakeContainers, sweepStaleCgroups } from './lib/fake-containers.mjs';
import { measureContainers } from './lib/containers-step.mjs';
import { RATIO_METHOD, evaluateEarlierGoals, evaluateGoals, verdict } from './lib/goals.mjs';
import { costCurve, curveSvg } from './lib/curve.mjs';
import { machineInfo, markdown, textTable, writeResults } from './lib/report.mjs';

const here = fileURLToPath(new URL('.', import.meta.url));
const STEPS = ['ss', 'collect', 'scrape', 'host', 'containers'];
const SPEC = {
  sizes: { kind: 'ints', default: [1000, 10_000, 30_000, 100_000], max: 200_000, meta: 'N,N,…', help: 'connection counts to measure, ascending' },
  runs: { kind: 'int', default: 5, min: 1, max: 100, meta: 'N', help: 'measured runs per step (the median is reported); each run of a step compared with ss -tin is timed next to an ss -tin run of its own (which goes first alternates), each host-only scrape next to a scrape of a node_exporter (network collectors) beside it: a step\'s "×" is the median of its per-pair ratios' },
  large_runs: { kind: 'int', default: 3, min: 1, max: 100, meta: 'N', help: 'measured runs per step at --large-from connections and above (a scrape there takes seconds)' },
  large_from: { kind: 'int', default: 100_000, min: 1, max: 200_000, meta: 'N', help: 'connection count from which --large-runs applies' },
  probes: { kind: 'int', default: 3, min: 1, max: 100, meta: 'N', help: 'scrapes of every sockscope config at every N during which /health is probed (agent blocked)' },
  warmup: { kind: 'int', default: 1, min: 0, max: 20, meta: 'N', help: 'discarded warm-up runs per step' },
  host_runs: { kind: 'int', default: 101, min: 1, max: 1000, meta: 'N', help: 'measured runs of each host-only step (sockscope host-only, each paired with a node_exporter net scrape, and node_exporter both ways): a scrape takes a few ms, and the median of 5 pairs moved by a third between runs of one build' },
  scrape_warmup: { kind: 'int', default: 5, min: 0, max: 50, meta: 'N', help: 'discarded warm-up scrapes of each sockscope scrape config (default, raw_endpoint, ss_exporter format, peer): a fresh agent\'s first scrapes learn every series and grow its heap (at 10,000 connections under raw_endpoint they took 627, 342, 292, 230 and 202 ms before settling at 170-230), so the agent is measured settled, as it runs for days; the first one\'s time is reported beside' },
  host_warmup: { kind: 'int', default: 20, min: 0, max: 200, meta: 'N', help: 'discarded warm-up scrapes of the host-only steps (sockscope host-only, node_exporter both ways): a scrape of a few ms, so the agent is measured settled, as it runs for days; the same count for node_exporter, and for the node_exporter paired with the host-only scrapes' },
  steps: { kind: 'list', default: STEPS.filter((s) => s !== 'containers'), choices: STEPS, meta: 'a,b', help: `steps to run: ${STEPS.join(', ')} (containers, issue 16's step at the largest N, only when named)` },
  containers: { kind: 'int', default: 200, min: 1, max: 2000, meta: 'N', help: 'fake Kubernetes containers the largest size\'s connections are handed to (containers step)' },
  per_holder: { kind: 'int', default: 10_000, min: 100, max: 19_000, meta: 'N', help: 'connections per holder process pair (each side under the 20,000-file limit)' },
  cli: { kind: 'string', default: join(here, '..', 'dist', 'cli.js'), meta: 'FILE', help: 'the built sockscope CLI' },
  node_exporter: { kind: 'string', default: '/usr/bin/prometheus-node-exporter', meta: 'FILE', help: "Debian's prometheus-node-exporter" },
  out: { kind: 'string', default: join(here, 'results'), meta: 'DIR', help: 'where latest.json, latest.md and latest.svg (the cost curve) go' },
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
  // the process that starts every timed reference command, started while this one is small (see spawner.mjs)
  spawner();
  prepareNamespace();
  const sizes = [...opts.sizes].sort((a, b) => a - b);
  const tmp = mkdtempSync(join(tmpdir(), 'sockscope-bench-'));
  checkPortRange(opts.per_holder);
  const pool = createHolderPool({ perPair: opts.per_holder });
  let inProcess;
  let fake;
  try {
    const configs = await checkConfigs(opts, tmp);
    if (opts.steps.includes('collect')) inProcess = await (await import('./lib/in-process.mjs')).createInProcess();
    // ratioMethod: how every "×" of the report is made (paired runs, median of per-pair ratios), for readers of the JSON
    const result = { machine: machineInfo(), ratioMethod: RATIO_METHOD, options: { ...opts, argv, sizes }, sizes: [] };
    let port = 9500;
    for (const n of sizes) {
      progress(`N=${n}: opening connections (${Math.ceil(n / opts.per_holder)} holder pairs of at most ${opts.per_holder.toLocaleString('en-US')}, one server port each)`);
      await pool.grow(n, (total) => progress(`N=${n}: ${total} connections open`));
      const size = { connections: n, holderProcesses: pool.processes };
      const times = { runs: n >= opts.large_from ? opts.large_runs : opts.runs, warmup: opts.warmup };
      if (opts.steps.includes('ss')) {
        for (const [key, flags] of [['ss_tin', '-tin'], ['ss_tinp', '-tinp']]) {
          size[key] = await sample(`N=${n} ss ${flags}`, times, () => timeCommand('ss', [flags]));
          progress(`N=${n} ss ${flags}: one more run under GNU time for its peak RSS`);
          size[key].memory = { peakMb: await peakRssOfCommand('ss', [flags]) };
        }
      }
      if (inProcess) {
        const { measureAttribution, measureCollect, measureFold } = await import('./lib/in-process.mjs');
        size.netlink = await measureCollect(`N=${n} netlink collect`, 'linux-netlink', inProcess.netlink, 'stream', times, SS_PAIR);
        size.netlink_list = await measureCollect(`N=${n} netlink collect, listed`, 'linux-netlink', inProcess.netlink, 'list', times, SS_PAIR);
        size.fold = await measureFold(`N=${n} netlink stream + fold`, times, SS_PAIR);
        size.procfs = await measureCollect(`N=${n} procfs sockets collect`, 'linux-procfs-sockets', inProcess.procfs, 'list', times, SS_PAIR);
        size.attribution = await measureAttribution(`N=${n} process attribution`, inProcess, times, SS_PAIR);
        checkCounts(n, size);
      }
      // the first scrape of a fresh agent learns every series: a minute more per 100k connections to answer it
      const sockscope = (label, file) => () => startSockscope(`sockscope (${label})`, opts.cli, file, ++port, { startupMs: 30_000 + n * 0.6 });
      const probes = opts.probes;
      if (opts.steps.includes('scrape')) {
        const scrapeTimes = { ...times, warmup: opts.scrape_warmup };
        size.scrape_default = await measureExporter(`N=${n} scrape default`, scrapeTimes, sockscope('default', configs.default), probes, SS_PAIR);
        size.scrape_raw = await measureExporter(`N=${n} scrape raw_endpoint`, scrapeTimes, sockscope('raw_endpoint', configs.raw), probes, SS_PAIR);
        size.scrape_ss = await measureExporter(`N=${n} scrape ss_exporter format`, scrapeTimes, sockscope('ss_exporter format, raw_endpoint', configs.ss), probes, SS_PAIR);
        size.scrape_peer = await measureExporter(`N=${n} scrape peer`, scrapeTimes, sockscope('peer', configs.peer), probes, SS_PAIR);
      }
      if (opts.steps.includes('host')) {
        const hostTimes = { runs: opts.host_runs, warmup: opts.host_warmup };
        // each host-only scrape paired with a scrape of a node_exporter of its own (network collectors), started beside it and warmed as long
        const netPair = { key: 'node_exporter_net', label: 'node_exporter net', warm: true, start: () => startNodeExporter('node_exporter (net, paired)', opts.node_exporter, ++port, NODE_EXPORTER_NET_FLAGS) };
        size.sockscope_host = await measureExporter(`N=${n} sockscope host-only`, hostTimes, sockscope('host only', configs.host), probes, netPair);
        // measured apart too, as before: their own medians and memory
        size.node_exporter_net = await measureExporter(`N=${n} node_exporter net`, hostTimes, () => startNodeExporter('node_exporter (net)', opts.node_exporter, ++port, NODE_EXPORTER_NET_FLAGS));
        size.node_exporter_full = await measureExporter(`N=${n} node_exporter full`, hostTimes, () => startNodeExporter('node_exporter (full)', opts.node_exporter, ++port));
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
    result.curve = costCurve(result.sizes);
    // `verdict` beside `pass` so that the JSON reads PASS / FAIL / not measured at N as the Markdown does
    const withVerdict = (goals) => goals.map((g) => ({ ...g, verdict: verdict(g.pass, g.missing) }));
    result.goals = withVerdict(evaluateGoals(result.sizes, result.curve));
    result.earlierGoals = withVerdict(evaluateEarlierGoals(result.sizes, result.containers));
    const svg = result.curve.length > 0 ? curveSvg(result.curve, { subtitle: `${result.machine.date.slice(0, 10)}, ${result.machine.cores} cores, kernel ${result.machine.kernel}, node ${result.machine.node}; medians, private network namespace` }) : undefined;
    if (svg) result.svg = `${opts.name}.svg`;
    process.stdout.write(textTable(result));
    const files = writeResults(opts.out, opts.name, result, markdown(result), svg);
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
 * The reference every sockscope step compared with `ss -tin` is paired with: one `ss -tin` run
 * right next to each of its measured runs (sample()), so that its "× ss -tin" is the median of
 * per-pair ratios. The separately measured `ss -tin` step stays for the absolute figures.
 */
const SS_PAIR = { key: 'ss_tin', label: 'ss -tin', run: () => timeCommand('ss', ['-tin']) };

/**
 * Scrapes a freshly started exporter `runs` times after the warm-up, then adds its memory and,
 * for sockscope (`probes` > 0), its longest event-loop block during `probes` extra scrapes probed
 * via /health, and what its first scrape showed on (`checks`: process attribution, counters, histogram).
 * `pair`: a reference run next to each timed scrape (see sample()); with `start`, the reference
 * is another exporter started beside this one, scraped, and stopped with it.
 */
async function measureExporter(label, times, start, probes = 0, pair = undefined) {
  progress(`${label}: starting`);
  const exporter = await start();
  let reference;
  try {
    if (pair?.start) {
      progress(`${label}: starting ${pair.label} beside it (paired scrapes)`);
      reference = await pair.start();
      pair = { ...pair, run: () => scrape(reference.url, undefined, { keep: false }) };
    }
    let checks;
    // the first scrape (the warm-up, unless --warmup 0) is kept whole: the checks and the series count are read from
    // it; every later one is counted and dropped as it arrives, as ss's output is
    let first;
    const stats = await sample(label, times, async () => {
      const keep = first === undefined;
      const { text, durations, ...r } = await scrape(exporter.url, undefined, { keep });
      if (keep) first = r;
      if (probes > 0 && checks === undefined && text !== null) checks = expositionChecks(text);
      // what sockscope says its own socket collection and process attribution took inside the scrape
      return { ...r, series: first.series, agentNetlinkMs: durations['linux-netlink'] ?? NaN, agentProcessMs: durations['enricher:process'] ?? NaN };
    }, pair);
    // probed scrapes come after the timed ones so that the probing does not slow those down
    const stall = probes > 0 ? await sample(`${label} (probing /health)`, { runs: probes, warmup: 0 }, () => scrapeWithProbe(exporter.url, exporter.url.replace(/\/metrics$/, '/health'))) : {};
    return { ...stats, firstScrapeMs: first?.ms, agentStallMs: stall.stallMs, memory: memoryOf(exporter.pid), ...(checks ? { checks } : {}) };
  } finally {
    await reference?.stop();
    await exporter.stop();
  }
}

/**
 * Each holder pair has a server port of its own, so its connections need `perPair` ephemeral
 * ports towards that one port: fails when the namespace's range (less the reserved ports) is
 * smaller. More connections take more pairs, never more ports per pair.
 */
function checkPortRange(perPair) {
  const [lo, hi] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
  const reserved = RESERVED_PORTS.split(',').map((r) => r.split('-').map(Number)).reduce((n, [a, b]) => n + Math.max(0, Math.min(b, hi) - Math.max(a, lo) + 1), 0);
  const free = hi - lo + 1 - reserved;
  progress(`ephemeral ports ${lo}-${hi}, ${free.toLocaleString('en-US')} usable per server port (${RESERVED_PORTS} reserved)`);
  if (free < perPair) throw new BenchError(`--per-holder ${perPair} needs that many ephemeral ports per server port, the namespace has ${free} (${lo}-${hi} less ${RESERVED_PORTS}); lower --per-holder`);
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
    ss: await writeCheckedConfig(opts.cli, tmp, 'ss-exporter-format', ssExporterConfig()),
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
