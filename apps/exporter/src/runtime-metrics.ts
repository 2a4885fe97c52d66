import { closeSync, openSync, readdirSync, readFileSync, readSync } from 'node:fs';
import { constants as perfConstants, monitorEventLoopDelay, PerformanceObserver, type IntervalHistogram } from 'node:perf_hooks';
import { getHeapSpaceStatistics, getHeapStatistics } from 'node:v8';
import type { HistogramSample, MetricFamily, Sample } from '@sockscope/core';

/**
 * The Node runtime of the agent as self-metrics: the `process_*` and `nodejs_*` families of
 * prom-client's `collectDefaultMetrics` (prom-client 15), read by the agent itself and handed to
 * core as families, so every sink publishes them (the Prometheus sink writes them with the same
 * serializer as the rest; OTLP pushes them under core's derived names).
 *
 * Same families as prom-client's, in its order, with its names, help texts, types, labels and
 * value meanings (test/runtime-metrics.test.ts compares them with a `collectDefaultMetrics`
 * registry), less the three `nodejs_active_*_total` gauges. They are read here rather than through
 * a prom-client registry because that read (`getMetricsAsJSON`, then a conversion) was ~0.9 ms
 * of a ~5 ms host-only scrape (issue 20): its metric objects, label hashing and per-value records
 * for about 60 numbers, and `process.memoryUsage()`'s /proc read for three heap numbers that
 * `v8.getHeapStatistics()` gives without one. Where the two differ:
 * - nodejs_gc_duration_seconds counts every GC a PerformanceObserver callback delivers;
 *   prom-client's observer counted only the first of each batch.
 *
 * {@link RuntimeMetrics.refresh} reads the values (the agent awaits it when a collection is asked
 * for, just before the collection runs); {@link RuntimeMetrics.families} gives what the last
 * refresh read.
 */
export interface RuntimeMetrics {
  /** Reads the current values. */
  refresh(): Promise<void>;
  /** The families the last refresh read (none before the first). */
  families(): readonly MetricFamily[];
}

// prom-client's defaults: the event-loop monitor's resolution (ms) and the GC histogram's bounds (s)
const EVENT_LOOP_RESOLUTION_MS = 10;
const GC_BOUNDS: readonly number[] = Object.freeze([0.001, 0.01, 0.1, 1, 2, 5]);

const NO_LABELS: Readonly<Record<string, string>> = Object.freeze({});

const gauge = (name: string, help: string, samples: Sample[]): MetricFamily => ({ name, help, type: 'gauge', samples });
const one = (value: number): Sample[] => [{ labels: NO_LABELS, value }];
const counter = (name: string, help: string, value: number): MetricFamily => ({ name, help, type: 'counter', samples: one(value) });

// prom-client takes the start time once, when its module loads: seconds, rounded
const startTimeSeconds = Math.round(Date.now() / 1000 - process.uptime());
const versionLabels = (() => {
  const [major, minor, patch] = process.version.slice(1).split('.').map(Number);
  return Object.freeze({ version: process.version, major: String(major), minor: String(minor), patch: String(patch) });
})();

/** `Max open files` of /proc/self/limits (NaN for `unlimited`, as prom-client reads it), undefined where it cannot be read. */
export function maxOpenFiles(limits: string): number | undefined {
  for (const line of limits.split('\n')) if (line.startsWith('Max open files')) return Number(line.split(/  +/)[1]);
  return undefined;
}

/** VmSize, VmRSS and VmData of /proc/self/status in bytes (each undefined when its line is missing). */
export function statusMemory(status: string): { VmSize?: number; VmRSS?: number; VmData?: number } {
  const out: { VmSize?: number; VmRSS?: number; VmData?: number } = {};
  for (const key of ['VmSize', 'VmRSS', 'VmData'] as const) {
    // the line that starts with the key, as prom-client looks for it
    let at = status.startsWith(`${key}:`) ? 0 : status.indexOf(`\n${key}:`);
    if (at < 0) continue;
    if (status.charCodeAt(at) === 10) at++;
    const end = status.indexOf('\n', at);
    const value = status.slice(at + key.length + 1, end < 0 ? status.length : end).trim();
    // `  123456 kB`, in kB as prom-client reads it: the number before the unit, × 1024
    out[key] = Number(value.slice(0, value.length - 3)) * 1024;
  }
  return out;
}

/** Counts by name, in the order first met (prom-client's `updateMetrics` order). */
function countBy(names: Iterable<string | undefined>, label: string): Sample[] {
  const counts = new Map<string, number>();
  for (const n of names) if (n !== undefined) counts.set(n, (counts.get(n) ?? 0) + 1);
  const out: Sample[] = [];
  for (const [n, value] of counts) out.push({ labels: { [label]: n }, value });
  return out;
}

/** Constructor names of libuv handles or requests, as prom-client's `aggregateByObjectName` reads them. */
function* constructorNames(list: readonly unknown[]): Iterable<string | undefined> {
  for (const o of list) {
    const ctor = (o as { constructor?: { name: string } } | null | undefined)?.constructor;
    yield o && ctor !== undefined ? ctor.name : undefined;
  }
}

// One buffer for /proc/self/status (about 1.5 KB): read synchronously, never shared.
const statusBuf = Buffer.allocUnsafe(16 * 1024);

function readStatus(): string | undefined {
  let fd: number;
  try {
    fd = openSync('/proc/self/status', 'r');
  } catch {
    return undefined;
  }
  try {
    let used = 0;
    for (let n; used < statusBuf.length && (n = readSync(fd, statusBuf, used, statusBuf.length - used, null)) > 0; ) used += n;
    return statusBuf.toString('latin1', 0, used);
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

interface GcSeries {
  labels: Readonly<Record<string, string>>;
  /** Per bucket (not cumulative), one per bound. */
  buckets: number[];
  sum: number;
  count: number;
}

/** The runtime's families, read afresh by every refresh; less the three `nodejs_active_*_total` gauges, which promtool's lint flags. */
export function createRuntimeMetrics(): RuntimeMetrics {
  const linux = process.platform === 'linux';
  const cpuBase = process.cpuUsage();
  let maxFds: number | undefined;
  try {
    maxFds = maxOpenFiles(readFileSync('/proc/self/limits', 'utf8'));
  } catch {
    // no procfs: no process_max_fds, as with prom-client
  }
  // unlabelled gauges start at 0 and keep their last value when a read fails, as prom-client's do
  let rss = 0;
  let vsize = 0;
  let data = 0;
  let openFds = 0;
  let lag = 0;

  let delay: IntervalHistogram | undefined;
  try {
    delay = monitorEventLoopDelay({ resolution: EVENT_LOOP_RESOLUTION_MS });
    delay.enable();
  } catch {
    delay = undefined; // not implemented here: only nodejs_eventloop_lag_seconds, as with prom-client
  }

  const gcKinds: Record<number, string> = {
    [perfConstants.NODE_PERFORMANCE_GC_MAJOR]: 'major',
    [perfConstants.NODE_PERFORMANCE_GC_MINOR]: 'minor',
    [perfConstants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
    [perfConstants.NODE_PERFORMANCE_GC_WEAKCB]: 'weakcb',
  };
  const gc = new Map<string | undefined, GcSeries>();
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      const kind = gcKinds[(entry as { detail?: { kind?: number } }).detail?.kind ?? -1];
      let s = gc.get(kind);
      if (!s) gc.set(kind, (s = { labels: kind === undefined ? NO_LABELS : Object.freeze({ kind }), buckets: GC_BOUNDS.map(() => 0), sum: 0, count: 0 }));
      const seconds = entry.duration / 1000;
      const b = GC_BOUNDS.findIndex((bound) => seconds <= bound);
      if (b >= 0) (s.buckets[b] as number)++;
      s.sum += seconds;
      s.count++;
    }
  });
  observer.observe({ entryTypes: ['gc'] });

  let last: readonly MetricFamily[] = [];
  const read = (): MetricFamily[] => {
    const cpu = process.cpuUsage();
    const user = (cpu.user - cpuBase.user) / 1e6;
    const system = (cpu.system - cpuBase.system) / 1e6;
    const out: MetricFamily[] = [
      counter('process_cpu_user_seconds_total', 'Total user CPU time spent in seconds.', user),
      counter('process_cpu_system_seconds_total', 'Total system CPU time spent in seconds.', system),
      counter('process_cpu_seconds_total', 'Total user and system CPU time spent in seconds.', (cpu.user - cpuBase.user + cpu.system - cpuBase.system) / 1e6),
      gauge('process_start_time_seconds', 'Start time of the process since unix epoch in seconds.', one(startTimeSeconds)),
    ];
    if (linux) {
      const status = readStatus();
      if (status !== undefined) {
        const m = statusMemory(status);
        if (m.VmRSS !== undefined) rss = m.VmRSS;
        if (m.VmSize !== undefined) vsize = m.VmSize;
        if (m.VmData !== undefined) data = m.VmData;
      }
      out.push(
        gauge('process_resident_memory_bytes', 'Resident memory size in bytes.', one(rss)),
        gauge('process_virtual_memory_bytes', 'Virtual memory size in bytes.', one(vsize)),
        gauge('process_heap_bytes', 'Process heap size in bytes.', one(data)),
      );
      try {
        // less the descriptor readdir itself had open
        openFds = readdirSync('/proc/self/fd').length - 1;
      } catch {
        // the last value stays
      }
      out.push(gauge('process_open_fds', 'Number of open file descriptors.', one(openFds)));
    } else {
      try {
        rss = process.memoryUsage.rss();
      } catch {
        // the last value stays
      }
      out.push(gauge('process_resident_memory_bytes', 'Resident memory size in bytes.', one(rss)));
    }
    if (maxFds !== undefined) out.push(gauge('process_max_fds', 'Maximum number of open file descriptors.', one(maxFds)));

    // nodejs_eventloop_lag_seconds is the time from the previous refresh to the next turn of the
    // event loop after it (measured then, published now), as prom-client's collect measures it
    out.push(gauge('nodejs_eventloop_lag_seconds', 'Lag of event loop in seconds.', one(lag)));
    const start = process.hrtime.bigint();
    setImmediate(() => {
      lag = Number(process.hrtime.bigint() - start) / 1e9;
    });
    if (delay) {
      // the delays sampled since the previous refresh (the monitor is reset after each read)
      out.push(
        gauge('nodejs_eventloop_lag_min_seconds', 'The minimum recorded event loop delay.', one(delay.min / 1e9)),
        gauge('nodejs_eventloop_lag_max_seconds', 'The maximum recorded event loop delay.', one(delay.max / 1e9)),
        gauge('nodejs_eventloop_lag_mean_seconds', 'The mean of the recorded event loop delays.', one(delay.mean / 1e9)),
        gauge('nodejs_eventloop_lag_stddev_seconds', 'The standard deviation of the recorded event loop delays.', one(delay.stddev / 1e9)),
        gauge('nodejs_eventloop_lag_p50_seconds', 'The 50th percentile of the recorded event loop delays.', one(delay.percentile(50) / 1e9)),
        gauge('nodejs_eventloop_lag_p90_seconds', 'The 90th percentile of the recorded event loop delays.', one(delay.percentile(90) / 1e9)),
        gauge('nodejs_eventloop_lag_p99_seconds', 'The 99th percentile of the recorded event loop delays.', one(delay.percentile(99) / 1e9)),
      );
      delay.reset();
    }

    out.push(
      gauge('nodejs_active_resources', 'Number of active resources that are currently keeping the event loop alive, grouped by async resource type.', countBy(process.getActiveResourcesInfo(), 'type')),
    );
    const internals = process as unknown as { _getActiveHandles(): unknown[]; _getActiveRequests(): unknown[] };
    out.push(
      gauge('nodejs_active_handles', 'Number of active libuv handles grouped by handle type. Every handle type is C++ class name.', countBy(constructorNames(internals._getActiveHandles()), 'type')),
      gauge('nodejs_active_requests', 'Number of active libuv requests grouped by request type. Every request type is C++ class name.', countBy(constructorNames(internals._getActiveRequests()), 'type')),
    );

    // process.memoryUsage()'s heapTotal, heapUsed and external are these three (it reads /proc for rss besides)
    const heap = getHeapStatistics() as ReturnType<typeof getHeapStatistics> & { external_memory: number };
    out.push(
      gauge('nodejs_heap_size_total_bytes', 'Process heap size from Node.js in bytes.', one(heap.total_heap_size)),
      gauge('nodejs_heap_size_used_bytes', 'Process heap size used from Node.js in bytes.', one(heap.used_heap_size)),
      gauge('nodejs_external_memory_bytes', 'Node.js external memory size in bytes.', one(heap.external_memory)),
    );
    const total: Sample[] = [];
    const used: Sample[] = [];
    const available: Sample[] = [];
    for (const space of getHeapSpaceStatistics()) {
      const end = space.space_name.indexOf('_space');
      // prom-client's substr(0, indexOf('_space')): '' for a name without it
      const labels = Object.freeze({ space: end < 0 ? '' : space.space_name.slice(0, end) });
      total.push({ labels, value: space.space_size });
      used.push({ labels, value: space.space_used_size });
      available.push({ labels, value: space.space_available_size });
    }
    out.push(
      gauge('nodejs_heap_space_size_total_bytes', 'Process heap space size total from Node.js in bytes.', total),
      gauge('nodejs_heap_space_size_used_bytes', 'Process heap space size used from Node.js in bytes.', used),
      gauge('nodejs_heap_space_size_available_bytes', 'Process heap space size available from Node.js in bytes.', available),
      gauge('nodejs_version_info', 'Node.js version info.', [{ labels: versionLabels, value: 1 }]),
    );

    const histograms: HistogramSample[] = [];
    for (const s of gc.values()) {
      let acc = 0;
      histograms.push({ labels: s.labels, bounds: [...GC_BOUNDS], counts: s.buckets.map((c) => (acc += c)), sum: s.sum, count: s.count });
    }
    out.push({ name: 'nodejs_gc_duration_seconds', help: 'Garbage collection duration by kind, one of major, minor, incremental or weakcb.', type: 'histogram', histograms });
    return out;
  };
  return {
    async refresh() {
      last = read();
    },
    families: () => last,
  };
}
