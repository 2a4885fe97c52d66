// Exporters under test as separate processes: the sockscope CLI with a temp config, and Debian's
// prometheus-node-exporter; both scraped over HTTP on loopback.
import { execFile } from 'node:child_process';
import { request } from 'node:http';
import { constants } from 'node:buffer';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { CLI_NODE_FLAGS } from '../../dist/index.js';
import { spawnTracked, stopChild } from './children.mjs';
import { startHealthProbe } from './health-probe.mjs';
import { BenchError } from './flags.mjs';
import { sleep } from './measure.mjs';

/** Writes a config (JSON is valid YAML) into `dir` and checks it with `sockscope check-config`; throws when invalid. */
export async function writeCheckedConfig(cli, dir, name, config) {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, JSON.stringify(config, null, 2) + '\n');
  const { code, stdout, stderr } = await new Promise((resolve) => {
    execFile(process.execPath, [cli, 'check-config', file], (err, stdout, stderr) => resolve({ code: err ? (err.code ?? 1) : 0, stdout, stderr }));
  });
  if (code !== 0) {
    throw new BenchError(
      `the bench's "${name}" config is not valid for this sockscope build (sockscope check-config exited ${code}).\n` +
        `config ${file}:\n${JSON.stringify(config, null, 2)}\n` +
        `check-config said:\n${(stderr + stdout).trim()}\n` +
        'Fix the config in apps/exporter/bench/lib/configs.mjs to match the current config schema.',
    );
  }
  return file;
}

/**
 * One GET of `url` (no compression): `{ ms, bytes, series, durations, text, reused }`; series =
 * non-comment lines, durations = sockscope's own per-collector times in ms, reused = it went over
 * a kept-alive connection (Node 20's global agent keeps them alive).
 *
 * `keep: false` (the timed scrapes) treats the body as the bench treats `ss -tin`'s output: its
 * bytes are counted and dropped as they arrive, and only the last {@link TAIL_BYTES} are kept, for
 * the durations (sockscope's self-metrics come last); `series` and `text` are then undefined and
 * null. Keeping every chunk of a 90 MB exposition made the bench's own process hold and collect
 * it while the scrape was timed: at 30,000 connections under raw_endpoint a kept scrape took
 * 1,117 ms (median of 8) against 724 ms for one read and dropped, alternated on one agent.
 */
export function scrape(url, timeoutMs = 120_000, { keep = true } = {}) {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const req = request(url, { headers: { 'accept-encoding': 'identity' }, timeout: timeoutMs }, (res) => {
      const chunks = [];
      let bytes = 0;
      // dropping: only the chunks that make up the last TAIL_BYTES stay
      let tail = 0;
      res.on('data', (c) => {
        bytes += c.length;
        chunks.push(c);
        if (keep) return;
        tail += c.length;
        while (tail - chunks[0].length >= TAIL_BYTES) tail -= chunks.shift().length;
      });
      res.on('end', () => {
        const ms = performance.now() - start;
        const body = Buffer.concat(chunks);
        if (res.statusCode !== 200) return reject(new BenchError(`GET ${url}: HTTP ${res.statusCode}: ${body.toString('utf8', 0, 300)}`));
        if (!keep) return resolve({ ms, bytes, series: undefined, durations: collectorDurations(durationLines(body)), text: null, reused: req.reusedSocket });
        // too big for one string (about 200k connections under raw_endpoint): text null, the rest from the bytes
        const text = body.length >= constants.MAX_STRING_LENGTH ? null : body.toString('utf8');
        resolve({ ms, bytes, series: countSeriesIn(body), durations: collectorDurations(text ?? durationLines(body)), text, reused: req.reusedSocket });
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new BenchError(`GET ${url}: no answer within ${timeoutMs / 1000} s`)));
    req.on('error', reject);
    req.end();
  });
}

/** What a dropping {@link scrape} keeps of the end of a body: sockscope's self-metrics are its last few KB. */
export const TAIL_BYTES = 256 * 1024;

/** Number of sample lines in a Prometheus text exposition. */
export function countSeries(text) {
  return countSeriesIn(Buffer.from(text, 'utf8'));
}

/**
 * countSeries() of an exposition held as bytes: a loop over line starts, not split() (a
 * 100k-connection raw_endpoint exposition has millions of lines and may not fit one string).
 */
export function countSeriesIn(buf) {
  let n = 0;
  for (let start = 0; start < buf.length;) {
    let end = buf.indexOf(10, start);
    if (end < 0) end = buf.length;
    if (end > start && buf[start] !== 35) n++;
    start = end + 1;
  }
  return n;
}

/** The sockscope_scrape_collector_duration_seconds lines of an exposition held as bytes, as text. */
function durationLines(buf) {
  const lines = [];
  const name = Buffer.from('\nsockscope_scrape_collector_duration_seconds{');
  for (let i = buf.indexOf(name); i >= 0; i = buf.indexOf(name, i + 1)) {
    const end = buf.indexOf(10, i + 1);
    lines.push(buf.toString('utf8', i + 1, end < 0 ? buf.length : end));
  }
  return lines.join('\n');
}

/**
 * What an exposition shows is on (issue 20: no goal reached by turning something off):
 * `processEnricher` (sockscope's `enricher:process` self-timing is there: attribution ran),
 * `processInfo` (series of `sockscope_process_info`), `counters` and `histograms` (per-flow
 * families of that type with at least one sample: names starting `sockscope_tcp_` or, in the
 * prometheus_ss_exporter format, `tcp_`).
 */
export function expositionChecks(text) {
  const counters = [];
  const histograms = [];
  for (const m of text.matchAll(/^# TYPE ((?:sockscope_tcp_|tcp_)\S*) (counter|histogram)$/gm)) {
    const [, name, type] = m;
    const sample = type === 'histogram' ? `\n${name}_bucket` : `\n${name}`;
    if (!text.includes(sample)) continue;
    (type === 'counter' ? counters : histograms).push(name);
  }
  let processInfo = 0;
  for (let i = text.indexOf('\nsockscope_process_info{'); i >= 0; i = text.indexOf('\nsockscope_process_info{', i + 1)) processInfo++;
  return { processEnricher: 'enricher:process' in collectorDurations(text), processInfo, counters, histograms };
}

/**
 * Scrapes `url` once while asking `probeUrl` (sockscope's /health) again and again; the slowest
 * probe answer is how long the agent's event loop was blocked during that scrape, seen from outside.
 */
export async function scrapeWithProbe(url, probeUrl) {
  const probe = startHealthProbe(probeUrl, 2);
  let answers;
  try {
    await scrape(url, undefined, { keep: false });
  } finally {
    answers = await probe.stop();
  }
  return { stallMs: answers.latencies.reduce((m, x) => Math.max(m, x.ms), 0) };
}

/** `sockscope_scrape_collector_duration_seconds{collector}` of an exposition as `{ collector: ms }`. */
export function collectorDurations(text) {
  const out = {};
  for (const m of text.matchAll(/^sockscope_scrape_collector_duration_seconds\{[^}]*collector="([^"]+)"[^}]*\} (\S+)/gm)) out[m[1]] = Number(m[2]) * 1000;
  return out;
}

/** `{ rssMb, peakMb }` of a process from /proc/<pid>/status (VmRSS, VmHWM). */
export function memoryOf(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rssMb: kb('VmRSS') / 1024, peakMb: kb('VmHWM') / 1024 };
}

/**
 * Starts an exporter process and waits until `url` answers 200. Resolves to
 * `{ pid, url, log(), exited, stop() }` (`exited` resolves to `{ code, signal }` when it ends);
 * if it exits first, rejects with what it printed.
 */
export async function startExporter(label, file, args, url, { startupMs = 30_000 } = {}) {
  const child = spawnTracked(file, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr.on('data', (c) => (log = (log + c).slice(-4000)));
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const deadline = Date.now() + startupMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new BenchError(`${label} exited during startup (${child.exitCode ?? child.signalCode}):\n${log.trim()}`);
    }
    try {
      // the first scrape of a big host is the slowest (every series is new): give it the time left
      await scrape(url, Math.max(5000, deadline - Date.now()));
      break;
    } catch {
      if (Date.now() > deadline) {
        await stopChild(child);
        throw new BenchError(`${label} did not answer ${url} within ${startupMs / 1000} s:\n${log.trim()}`);
      }
      await sleep(100);
    }
  }
  return {
    pid: child.pid, // `sh -c ... exec` keeps the pid: this is the exporter itself
    url,
    log: () => log,
    exited,
    stop: () => stopChild(child),
  };
}

/**
 * Starts the sockscope CLI (`node FLAGS cli.js --config FILE`, the flags of its shebang) listening
 * on 127.0.0.1:port; `args` are more CLI flags, `auth` (`user:password`) what the start-up probe
 * sends when the agent asks for basic auth, `startupMs` how long it may take to answer its first
 * scrape (default 30 s).
 */
export function startSockscope(label, cli, configFile, port, { args = [], auth, startupMs } = {}) {
  const argv = [...CLI_NODE_FLAGS, cli, '--config', configFile, '--web.listen-address', `127.0.0.1:${port}`, '--log.level', 'warn', ...args];
  const userinfo = auth ? `${auth.split(':').map(encodeURIComponent).join(':')}@` : '';
  return startExporter(label, process.execPath, argv, `http://${userinfo}127.0.0.1:${port}/metrics`, { startupMs });
}

/** Starts prometheus-node-exporter on 127.0.0.1:port with extra flags (e.g. to pick collectors). */
export function startNodeExporter(label, bin, port, flags = []) {
  return startExporter(label, bin, [`--web.listen-address=127.0.0.1:${port}`, ...flags], `http://127.0.0.1:${port}/metrics`);
}
