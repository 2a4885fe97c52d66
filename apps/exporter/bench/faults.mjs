#!/usr/bin/env node
// `pnpm bench:faults`: the faults of issue 15 against the built CLI, on loopback in a private
// network namespace, each bounded in time and count: an auth flood, 20,000 idle connections, a
// slow reader during SIGTERM, an OTLP receiver answering 429 with Retry-After, a partial
// collection under load. One line per fault says "held" or "did not hold" with the numbers;
// results/faults-latest.{md,json} keep them. It exits 0 whatever the verdicts. See --help.
import { mkdtempSync, rmSync, existsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Agent } from 'node:http';
import { performance } from 'node:perf_hooks';
import bcrypt from 'bcryptjs';
import { BenchError, helpText, parseFlags } from './lib/flags.mjs';
import { insideNamespace, prepareNamespace, reexecInNamespace } from './lib/netns.mjs';
import { installCleanup, runMain, stopAll } from './lib/children.mjs';
import { Holder, createHolderPool } from './lib/holders.mjs';
import { progress, sleep } from './lib/measure.mjs';
import { scrape, startSockscope, writeCheckedConfig } from './lib/agents.mjs';
import { defaultConfig, rawEndpointConfig } from './lib/configs.mjs';
import { machineInfo, writeResults } from './lib/report.mjs';
import { basicAuth, descriptorsOf, get, queuedBytes, slowReader, startCountingReceiver, waitUntil } from './lib/fault-tools.mjs';
import { FAULTS, failedFault, faultLine, faultsMarkdown, judgeAuthFlood, judgeIdle, judgePartial, judgeRetryAfter, judgeShutdown, samplesOf } from './lib/faults-report.mjs';

const here = fileURLToPath(new URL('.', import.meta.url));
const IDS = FAULTS.map((f) => f.id);
const SPEC = {
  only: { kind: 'list', default: IDS, choices: IDS, meta: 'a,b', help: `faults to run: ${IDS.join(', ')}` },
  auth_clients: { kind: 'int', default: 50, min: 1, max: 500, meta: 'N', help: 'auth flood: clients sending wrong passwords' },
  auth_seconds: { kind: 'int', default: 10, min: 2, max: 120, meta: 'SECONDS', help: 'auth flood: how long the flood lasts' },
  bcrypt_cost: { kind: 'int', default: 10, min: 4, max: 14, meta: 'N', help: 'auth flood: bcrypt cost of the web config hash' },
  auth_limit_ms: { kind: 'int', default: 1000, min: 1, max: 60_000, meta: 'MS', help: 'auth flood: slowest authenticated scrape that still holds' },
  idle_connections: { kind: 'int', default: 20_000, min: 1, max: 60_000, meta: 'N', help: 'idle connections opened to the agent' },
  idle_per_process: { kind: 'int', default: 5000, min: 100, max: 19_000, meta: 'N', help: 'idle connections per holder process (each under the 20,000-file limit)' },
  idle_limit_ms: { kind: 'int', default: 2000, min: 1, max: 60_000, meta: 'MS', help: 'idle connections: slowest /health or /metrics answer that still holds' },
  slow_connections: { kind: 'int', default: 6000, min: 1, max: 30_000, meta: 'N', help: 'SIGTERM: connections held so that /metrics (raw_endpoint, about 2.7 KB each) is more than the loopback queues take' },
  shutdown_limit_ms: { kind: 'int', default: 7000, min: 1, max: 60_000, meta: 'MS', help: 'SIGTERM: longest exit that still holds (--web.shutdown-timeout 5 s and 2 s to close)' },
  sigterm_wait: { kind: 'int', default: 30, min: 1, max: 300, meta: 'SECONDS', help: 'SIGTERM: how long to wait for the exit before killing the agent' },
  retry_after: { kind: 'int', default: 5, min: 2, max: 60, meta: 'SECONDS', help: 'OTLP: the Retry-After the receiver answers its first request with' },
  partial_connections: { kind: 'int', default: 9000, min: 1, max: 19_000, meta: 'N', help: 'partial collection: idle connections, each sent --partial-bytes once' },
  partial_bytes: { kind: 'int', default: 1000, min: 1, max: 1_000_000, meta: 'N', help: 'partial collection: bytes each connection sends' },
  partial_scrapes: { kind: 'int', default: 30, min: 1, max: 1000, meta: 'N', help: 'partial collection: scrapes with collection.timeout 100ms' },
  fault_seconds: { kind: 'int', default: 300, min: 10, max: 1800, meta: 'SECONDS', help: 'most time one fault may take; past it the fault did not hold' },
  cli: { kind: 'string', default: join(here, '..', 'dist', 'cli.js'), meta: 'FILE', help: 'the built sockscope CLI' },
  out: { kind: 'string', default: join(here, 'results'), meta: 'DIR', help: 'where faults-latest.json and .md go' },
  name: { kind: 'string', default: 'faults-latest', meta: 'NAME', help: 'base name of the result files' },
  note: { kind: 'string', default: '', meta: 'TEXT', help: 'a note for the Markdown report' },
  no_pidns: { kind: 'bool', default: false, help: 'do not add a private pid namespace' },
};
const USAGE = 'usage: pnpm bench:faults [flags]   (as root; or node apps/exporter/bench/faults.mjs [flags] after pnpm build)';

// Each fault's agent listens on its own port (9000-9999 are kept out of the ephemeral range).
const PORTS = { auth: 9701, idle: 9702, sigterm: 9703, otlp: 9704, partial: 9705 };
const USER = 'prometheus';
const PASSWORD = 'correct horse battery staple';

async function main(argv) {
  const opts = parseFlags(argv, SPEC);
  if (opts.help) return void process.stdout.write(helpText(USAGE, SPEC));
  if (!insideNamespace()) {
    if (!existsSync(opts.cli)) throw new BenchError(`the sockscope CLI is not built (${opts.cli} is missing): run pnpm build, or use pnpm bench:faults which builds first`);
    return reexecInNamespace(fileURLToPath(import.meta.url), argv, { pidns: !opts.no_pidns });
  }
  installCleanup();
  prepareNamespace();
  const tmp = mkdtempSync(join(tmpdir(), 'sockscope-faults-'));
  try {
    const machine = machineInfo();
    const runners = { auth: authFlood, idle: idleConnections, sigterm: slowReaderSigterm, otlp: otlpRetryAfter, partial: partialCollection };
    const faults = [];
    for (const { id, title } of FAULTS.filter((f) => opts.only.includes(f.id))) {
      progress(`${title}: starting`);
      const fault = { id, title, ...(await runFault(title, opts, (cleanup) => runners[id](opts, tmp, cleanup))) };
      progress(faultLine(fault));
      faults.push(fault);
    }
    const result = { machine, loadavgEnd: machineInfo().loadavg, options: { ...opts, argv }, faults };
    process.stdout.write(faults.map(faultLine).join('\n') + '\n');
    progress(`wrote ${writeResults(opts.out, opts.name, result, faultsMarkdown(result)).join(' and ')}`);
    return 0;
  } finally {
    await stopAll();
    rmSync(tmp, { recursive: true, force: true });
  }
}

/**
 * Runs one fault within `--fault-seconds`; `cleanup(fn)` registers what ends its agent and
 * holders, run afterwards whatever happened. An error or the deadline is a fault that did not hold.
 */
async function runFault(title, opts, run) {
  const cleanups = [];
  const cleanup = (fn) => cleanups.push(fn);
  let timer;
  const deadline = new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`did not finish within ${opts.fault_seconds} s`)), opts.fault_seconds * 1000)));
  const running = run(cleanup);
  running.catch(() => {}); // after the deadline nobody waits for it
  try {
    return await Promise.race([running, deadline]);
  } catch (err) {
    return failedFault(title, err);
  } finally {
    clearTimeout(timer);
    for (const fn of cleanups.reverse()) await fn().catch(() => {});
  }
}

/** Starts the CLI with a checked config on `port`; the agent is stopped after the fault. */
async function startAgent(opts, tmp, cleanup, name, config, port, extra = {}) {
  const file = await writeCheckedConfig(opts.cli, tmp, name, config);
  const agent = await startSockscope(`sockscope (${name})`, opts.cli, file, port, extra);
  cleanup(() => agent.stop());
  let alive = true;
  agent.exited.then(() => (alive = false));
  return Object.assign(agent, { file, alive: () => alive, base: `http://127.0.0.1:${port}` });
}

/**
 * Auth flood: basic auth with a bcrypt hash of `--bcrypt-cost`; `--auth-clients` clients send
 * wrong passwords back to back (keep-alive) for `--auth-seconds` while an authenticated client
 * scrapes /metrics every 500 ms; its latency is what is judged.
 */
async function authFlood(opts, tmp, cleanup) {
  const webConfig = join(tmp, 'web-auth.yaml');
  writeFileSync(webConfig, `basic_auth_users:\n  ${USER}: '${bcrypt.hashSync(PASSWORD, opts.bcrypt_cost)}'\n`);
  const agent = await startAgent(opts, tmp, cleanup, 'auth', defaultConfig(), PORTS.auth, { args: ['--web.config.file', webConfig], auth: `${USER}:${PASSWORD}` });
  const url = `${agent.base}/metrics`;
  const good = { authorization: basicAuth(USER, PASSWORD) };
  const baseline = [];
  for (let i = 0; i < 5; i++) baseline.push(await get(url, { headers: good, timeoutMs: 30_000 }));
  if (baseline.some((r) => r.status !== 200)) throw new Error(`authenticated scrapes before the flood answered ${baseline.map((r) => r.status || r.error).join(', ')}`);

  const flood = {};
  const MAX_FLOOD_REQUESTS = 500_000;
  let sent = 0;
  let stop = false;
  const floodAgent = new Agent({ keepAlive: true, maxSockets: opts.auth_clients });
  cleanup(async () => floodAgent.destroy());
  progress(`auth flood: ${opts.auth_clients} clients with wrong passwords for ${opts.auth_seconds} s`);
  const loops = Array.from({ length: opts.auth_clients }, (_, i) =>
    (async () => {
      const bad = { authorization: basicAuth(USER, `wrong-${i}`) };
      while (!stop && sent++ < MAX_FLOOD_REQUESTS) {
        const r = await get(url, { headers: bad, timeoutMs: 30_000, agent: floodAgent });
        const key = r.status === 0 ? 'no answer' : String(r.status);
        flood[key] = (flood[key] ?? 0) + 1;
        if (r.status === 0) await sleep(50); // a refused connection must not turn into a busy loop
      }
    })(),
  );
  const start = performance.now();
  await sleep(1000); // let the flood build up before the first authenticated scrape
  const scrapes = [];
  while (performance.now() - start < opts.auth_seconds * 1000) {
    const r = await get(url, { headers: good, timeoutMs: 30_000 });
    scrapes.push({ status: r.status, ms: r.ms });
    await sleep(500);
  }
  stop = true;
  await Promise.all(loops);
  return {
    ...judgeAuthFlood({ clients: opts.auth_clients, seconds: opts.auth_seconds, cost: opts.bcrypt_cost, limitMs: opts.auth_limit_ms, baselineMs: baseline.map((r) => r.ms), scrapes, flood }),
    numbers: { baselineMs: baseline.map((r) => r.ms), scrapes, flood },
  };
}

/**
 * Idle connections: `--idle-connections` TCP connections to the agent's port that never send a
 * byte, held by client holders of `--idle-per-process` each (the agent and every holder run under
 * the same open-file limit, 20,000 here); then /health and /metrics are asked three times each.
 */
async function idleConnections(opts, tmp, cleanup) {
  const agent = await startAgent(opts, tmp, cleanup, 'idle', defaultConfig(), PORTS.idle);
  const shares = [];
  for (let left = opts.idle_connections; left > 0; left -= opts.idle_per_process) shares.push(Math.min(left, opts.idle_per_process));
  const holders = shares.map(() => new Holder('client', PORTS.idle));
  cleanup(() => Promise.all(holders.map((h) => h.close())));
  progress(`idle connections: opening ${opts.idle_connections} from ${holders.length} processes`);
  // A connect the agent cannot take (full backlog) gives up after 3 s instead of retrying SYNs for
  // 2 minutes, and is tried again (three rounds at most) until each holder has established its
  // share once; a connection the agent closed later counts as established.
  for (let round = 0; round < 3; round++) {
    const status = await Promise.all(holders.map((h) => h.send('status')));
    const missing = status.map((s, i) => shares[i] - s.opened);
    if (missing.every((n) => n <= 0)) break;
    await Promise.all(holders.map((h, i) => (missing[i] > 0 ? h.send(`open ${missing[i]} 0 3000`) : undefined)));
  }
  await sleep(1000);
  const probes = [];
  for (let i = 0; i < 3; i++) {
    for (const path of ['/health', '/metrics']) {
      const r = await get(`${agent.base}${path}`, { timeoutMs: 10_000 });
      probes.push({ path, status: r.status, ms: r.ms, error: r.error });
    }
    await sleep(300);
  }
  const fds = descriptorsOf(agent.pid);
  const status = await Promise.all(holders.map((h) => h.send('status')));
  const open = status.reduce((n, s) => n + s.open, 0);
  const established = status.reduce((n, s) => n + s.opened, 0);
  const errors = status.reduce((n, s) => n + s.errors, 0);
  const judged = judgeIdle({ wanted: opts.idle_connections, established, open, errors, processes: holders.length, agentFds: fds.open, agentFdLimit: fds.limit, alive: agent.alive(), probes, limitMs: opts.idle_limit_ms });
  return { ...judged, numbers: { established, open, errors, agentFds: fds.open, agentFdLimit: fds.limit, probes, lastErrors: status.map((s) => s.lastError).filter(Boolean) } };
}

/**
 * Slow reader during SIGTERM: `--slow-connections` connections make a raw_endpoint /metrics of
 * megabytes; a client asks for it and reads 40 KB/s; once the answer is flowing the agent gets
 * SIGTERM, and the time to its exit is judged (at most `--sigterm-wait`, then it is killed).
 */
async function slowReaderSigterm(opts, tmp, cleanup) {
  const pool = createHolderPool({ basePort: 20_000 });
  cleanup(() => pool.close());
  progress(`slow reader: opening ${opts.slow_connections} connections`);
  await pool.grow(opts.slow_connections);
  const agent = await startAgent(opts, tmp, cleanup, 'sigterm', rawEndpointConfig(), PORTS.sigterm);
  const size = await scrape(`${agent.base}/metrics`, 60_000);
  const reader = slowReader(PORTS.sigterm, '/metrics', { chunk: 4096, everyMs: 100 });
  cleanup(async () => reader.close());
  await waitUntil(() => reader.received > 0, 60_000, 'the first bytes of /metrics');
  await sleep(1000);
  const queued = queuedBytes(PORTS.sigterm);
  const readAtSignal = reader.received;
  const signalled = performance.now();
  process.kill(agent.pid, 'SIGTERM');
  const exit = await Promise.race([agent.exited, sleep(opts.sigterm_wait * 1000).then(() => undefined)]);
  const exitMs = exit ? performance.now() - signalled : undefined;
  const judged = judgeShutdown({
    responseBytes: size.bytes,
    readAtSignal,
    queuedBytes: queued,
    exitMs,
    code: exit?.code,
    signal: exit?.signal,
    limitMs: opts.shutdown_limit_ms,
    waitMs: opts.sigterm_wait * 1000,
    readRate: reader.rate,
  });
  return { ...judged, numbers: { responseBytes: size.bytes, readAtSignal, queuedAtSignal: queued, readAtEnd: reader.received, exitMs, exit, log: agent.log().split('\n').slice(-5) } };
}

/**
 * OTLP 429 with Retry-After: a receiver answers the first export 429 with `Retry-After:
 * --retry-after` and every later one 200; the agent exports every second with a 1 s timeout.
 * The requests that came during the wait are counted.
 */
async function otlpRetryAfter(opts, tmp, cleanup) {
  const receiver = await startCountingReceiver((n) => (n === 0 ? { status: 429, headers: { 'retry-after': String(opts.retry_after) } } : { status: 200 }));
  cleanup(() => receiver.close());
  const intervalS = 1;
  const timeoutS = 1;
  const config = { collection: { min_interval: '0s' }, sinks: { otlp: { endpoint: receiver.url, interval: `${intervalS}s`, timeout: `${timeoutS}s` } } };
  await startAgent(opts, tmp, cleanup, 'otlp', config, PORTS.otlp);
  await waitUntil(() => receiver.requests.length > 0, 30_000, 'the first OTLP export');
  const refusedAt = receiver.requests[0].at;
  const observedMs = (opts.retry_after + intervalS + 3) * 1000;
  await sleep(refusedAt + observedMs - performance.now());
  const requests = receiver.requests.slice(1).map((r) => r.at);
  return {
    ...judgeRetryAfter({ retryAfterS: opts.retry_after, intervalS, timeoutS, refusedAt, requests, observedMs }),
    numbers: { requestsAfterRefusalMs: requests.map((t) => Math.round(t - refusedAt)) },
  };
}

/**
 * Partial collection under load: `--partial-connections` idle connections each sent
 * `--partial-bytes` once; the agent runs with `collection: {timeout: 100ms, min_interval: 0s}`
 * and is scraped `--partial-scrapes` times; then, reloaded (SIGHUP) with a 10 s timeout, until a
 * collection reads every socket. The bytes received over those flows must stay the truth.
 */
async function partialCollection(opts, tmp, cleanup) {
  const pool = createHolderPool({ basePort: 20_100, bytes: opts.partial_bytes });
  cleanup(() => pool.close());
  progress(`partial collection: opening ${opts.partial_connections} connections of ${opts.partial_bytes} bytes`);
  await pool.grow(opts.partial_connections);
  const expected = opts.partial_connections * opts.partial_bytes;
  const received = async () => (await pool.status()).filter((s) => s.role === 'server').reduce((n, s) => n + s.received, 0);
  await waitUntil(async () => (await received()) >= expected, 60_000, `the holders receiving ${expected} bytes`);
  const ports = new Set(pool.ports.map(String));
  const timeout = '100ms';
  // Owners are not what this is about: without the process and container enrichers every socket
  // keeps its series (with them, a collection cut before attribution files a socket under
  // process="" and the next under its process, a series that starts from that moment).
  const config = (t) => ({ collection: { timeout: t, min_interval: '0s' }, enrichers: { process: { enabled: false }, container: { enabled: false } } });
  const agent = await startAgent(opts, tmp, cleanup, 'partial', config(timeout), PORTS.partial);
  const scrapeOnce = async () => {
    const r = await get(`${agent.base}/metrics`, { timeoutMs: 30_000, keepBody: true });
    if (r.status !== 200) throw new Error(`GET /metrics: ${r.status || r.error}`);
    const bytes = samplesOf(r.body, 'sockscope_tcp_bytes_received_total')
      .filter((s) => ports.has(s.labels.local_port) || ports.has(s.labels.dst_port))
      .reduce((n, s) => n + s.value, 0);
    const complete = samplesOf(r.body, 'sockscope_scrape_collector_success').find((s) => s.labels.collector === 'linux-netlink')?.value === 1;
    return { bytes, complete };
  };
  const scrapes = [];
  for (let i = 0; i < opts.partial_scrapes; i++) scrapes.push(await scrapeOnce());
  // the same agent (a reload keeps the fold while flows are unchanged) given time to read everything
  await writeCheckedConfig(opts.cli, tmp, 'partial', config('10s'));
  process.kill(agent.pid, 'SIGHUP');
  let full;
  for (let i = 0; i < 10 && full === undefined; i++) {
    await sleep(500);
    const r = await scrapeOnce();
    if (r.complete) full = r.bytes;
  }
  const sums = scrapes.map((s) => s.bytes);
  const partial = scrapes.filter((s) => !s.complete).length;
  return {
    ...judgePartial({ connections: opts.partial_connections, bytes: opts.partial_bytes, timeout, sums, partial, full }),
    numbers: { sums, partial, full, expected },
  };
}

runMain('bench:faults', main, (err) => err instanceof BenchError);
