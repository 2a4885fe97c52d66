// Timing helpers: medians over runs after a warm-up, timed child processes, progress lines.
import { existsSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { spawner } from './spawner.mjs';

const t0 = performance.now();

/** Writes a progress line to stderr, prefixed with the time since the bench started. */
export function progress(message) {
  process.stderr.write(`[${((performance.now() - t0) / 1000).toFixed(1).padStart(6)} s] ${message}\n`);
}

/** Median of a list of numbers (mean of the middle two for an even count). */
export function median(values) {
  const xs = [...values].sort((a, b) => a - b);
  if (xs.length === 0) return NaN;
  const mid = xs.length >> 1;
  return xs.length % 2 ? xs[mid] : (xs[mid - 1] + xs[mid]) / 2;
}

/** `{ median, min, max, runs }` of a list of numbers. */
export function summarize(values) {
  return { median: median(values), min: Math.min(...values), max: Math.max(...values), runs: values.length };
}

/**
 * Which goes first in measured run `i` of a paired step: the reference run in even runs, the
 * step's own sample in odd ones, so that neither always follows the other (a cache the other
 * warmed, a child process still exiting).
 */
export const referenceFirst = (i) => i % 2 === 0;

/**
 * The paired comparison of a step with its reference (e.g. `ss -tin`): `pairs` are
 * `{ ms, refMs, refFirst }`, one per measured run, each sample timed right next to a reference
 * run of its own. Resolves `{ ms: summarize(reference times), ratio: summarize(ms / refMs per
 * pair), refFirst: pairs whose reference ran first }`: the step's "× reference" is ratio.median,
 * the median of the per-pair ratios, not a ratio of two medians taken minutes apart (on a VM
 * whose speed drifts by 20-30 % over minutes, that flipped goals near their line between runs).
 */
export function pairedSummary(pairs) {
  return {
    ms: summarize(pairs.map((p) => p.refMs)),
    ratio: summarize(pairs.map((p) => p.ms / p.refMs)),
    refFirst: pairs.filter((p) => p.refFirst).length,
  };
}

/**
 * Calls `fn` `warmup` times (discarded), then `runs` times; `fn` resolves to an object of
 * numbers (e.g. `{ ms, bytes }`). Resolves to `{ key: summarize(values) }` per numeric key.
 *
 * With `pair` (`{ key, label, run, warm }`: `run` resolves `{ ms }` of one reference run, e.g.
 * `ss -tin`; `key` names the reference's own step in a size's result), each measured run is
 * paired with one reference run right next to it, which goes first alternating (referenceFirst);
 * `warm`: the warm-ups run the reference too. The result then has `paired`:
 * `{ with: key, label, ...pairedSummary(pairs), pairs }`.
 */
/** Whether run `i` of `n` gets a progress line: every one up to 20, then every 10th and the last (the host-only steps run a hundred). */
const shown = (i, n) => n <= 20 || (i + 1) % 10 === 0 || i + 1 === n;

export async function sample(label, { runs, warmup }, fn, pair) {
  for (let i = 0; i < warmup; i++) {
    if (shown(i, warmup)) progress(`${label}: warm-up ${i + 1}/${warmup}${pair?.warm ? ` (and ${pair.label})` : ''}`);
    if (pair?.warm && referenceFirst(i)) await pair.run();
    await fn();
    if (pair?.warm && !referenceFirst(i)) await pair.run();
  }
  const results = [];
  const pairs = [];
  for (let i = 0; i < runs; i++) {
    if (!pair) {
      if (shown(i, runs)) progress(`${label}: run ${i + 1}/${runs}`);
      results.push(await fn());
      continue;
    }
    const refFirst = referenceFirst(i);
    if (shown(i, runs)) progress(`${label}: run ${i + 1}/${runs}, paired with one ${pair.label} run ${refFirst ? 'before' : 'after'} it`);
    const before = refFirst ? await pair.run() : undefined;
    const r = await fn();
    const ref = refFirst ? before : await pair.run();
    results.push(r);
    pairs.push({ ms: r.ms, refMs: ref.ms, refFirst });
  }
  // Numeric keys only, and only those every run reported (e.g. a self-metric an exporter lacks).
  const keys = Object.keys(results[0] ?? {}).filter((k) => results.every((r) => typeof r[k] === 'number' && !Number.isNaN(r[k])));
  const stats = Object.fromEntries(keys.map((k) => [k, summarize(results.map((r) => r[k]))]));
  if (pair) stats.paired = { with: pair.key, label: pair.label, ...pairedSummary(pairs), pairs };
  return stats;
}

/** Runs a command to completion from the spawner (see spawner.mjs); throws, naming it, its exit and its stderr, when it fails. */
async function runChecked(kind, file, args) {
  const r = await spawner().run(kind, file, args);
  if (r.code !== 0) throw new Error(`${file} ${args.join(' ')} exited with ${r.code ?? r.signal}: ${r.stderr.trim()}`);
  return r;
}

/**
 * Runs a command to completion, reading all of its output; resolves `{ ms, bytes }` (spawn to
 * exit, timed by the spawner that starts it).
 */
export async function timeCommand(file, args) {
  const { ms, bytes } = await runChecked('time', file, args);
  return { ms, bytes };
}

/** Runs a command to completion from the spawner; resolves its stdout. */
export async function commandOutput(file, args) {
  return (await runChecked('output', file, args)).stdout;
}

/** GNU time, which reports a child's peak resident set (`%M`, kB). */
export const GNU_TIME = '/usr/bin/time';

/**
 * Runs a command once under GNU time, output read and dropped; resolves its peak resident set in
 * MB (the kernel's ru_maxrss of the child), or NaN when GNU time is not installed. Untimed: the
 * timed runs do not pay for the extra exec.
 */
export async function peakRssOfCommand(file, args) {
  if (!existsSync(GNU_TIME)) return NaN;
  const { stderr } = await runChecked('time', GNU_TIME, ['-f', 'SOCKSCOPE_BENCH_MAXRSS_KB %M', file, ...args]);
  const kb = /SOCKSCOPE_BENCH_MAXRSS_KB (\d+)/.exec(stderr)?.[1];
  if (kb === undefined) throw new Error(`${GNU_TIME} ${file} ${args.join(' ')} reported no peak: ${stderr.trim()}`);
  return Number(kb) / 1024;
}

/**
 * Watches the event loop with a 1 ms timer and keeps the longest gap between two ticks: a
 * synchronous stretch of work shows up as a gap that long. `stop()` returns the gap in ms.
 */
export function startStallMonitor() {
  let last = performance.now();
  let longest = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    longest = Math.max(longest, now - last);
    last = now;
  }, 1);
  return {
    stop() {
      clearInterval(timer);
      return Math.max(longest, performance.now() - last);
    },
  };
}

/** Resolves after `ms` milliseconds. */
export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
