import type { Collector, CollectorResult } from '../contracts/collector.js';
import type { Enricher } from '../contracts/enricher.js';
import { errorMessage } from '../errors.js';
import type { MetricFamily } from '../types/family.js';
import type { HostStats } from '../types/host.js';
import type { CollectorStatus, Snapshot } from '../types/snapshot.js';
import type { SocketRecord } from '../types/socket.js';

/** A named collector instance with its own timeout. */
export interface NamedCollector {
  /** Collector name (the `collector` label). */
  name: string;
  /** The instance. */
  collector: Collector;
  /** Milliseconds before the collector is reported as timed out. */
  timeoutMs: number;
}

/** A named enricher instance with its own timeout. */
export interface NamedEnricher {
  /** Enricher name. */
  name: string;
  /** The instance. */
  enricher: Enricher;
  /** Milliseconds before the enricher is reported as timed out. */
  timeoutMs: number;
}

/** Runs a promise-returning task against a timeout; the abort signal tells the task to give up. */
async function withTimeout<T>(name: string, timeoutMs: number, task: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const ac = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const err = new Error(`${name} timed out after ${timeoutMs} ms`);
      ac.abort(err);
      reject(err);
    }, timeoutMs);
  });
  try {
    return await Promise.race([task(ac.signal), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Runs every collector concurrently, then the enrichers in order, and assembles one snapshot.
 * A collector that throws, rejects or times out is reported in `status`; the others still publish.
 */
export async function collectSnapshot(collectors: readonly NamedCollector[], enrichers: readonly NamedEnricher[] = []): Promise<Snapshot> {
  const started = performance.now();
  const timestamp = Date.now();
  const results = await Promise.all(
    collectors.map(async ({ name, collector, timeoutMs }) => {
      const t0 = performance.now();
      try {
        const result = await withTimeout(`collector ${name}`, timeoutMs, (signal) => Promise.resolve().then(() => collector.collect(signal)));
        const status: CollectorStatus = { name, success: true, durationSeconds: (performance.now() - t0) / 1000 };
        if (result.warnings?.length) status.warnings = result.warnings;
        if (result.inconsistent) status.inconsistent = true;
        return { status, result };
      } catch (err) {
        const status: CollectorStatus = { name, success: false, durationSeconds: (performance.now() - t0) / 1000, error: errorMessage(err) };
        return { status, result: undefined };
      }
    }),
  );

  const sockets: SocketRecord[] = [];
  const host: HostStats = {};
  const families: MetricFamily[] = [];
  const status: CollectorStatus[] = [];
  for (const { status: s, result } of results) {
    status.push(s);
    if (result) mergeResult(result, sockets, host, families);
  }

  for (const { name, enricher, timeoutMs } of enrichers) {
    const t0 = performance.now();
    try {
      const r = await withTimeout(`enricher ${name}`, timeoutMs, (signal) => enricher.enrich(sockets, signal));
      const s: CollectorStatus = { name: `enricher:${name}`, success: true, durationSeconds: (performance.now() - t0) / 1000 };
      if (r.warnings?.length) s.warnings = r.warnings;
      status.push(s);
    } catch (err) {
      status.push({ name: `enricher:${name}`, success: false, durationSeconds: (performance.now() - t0) / 1000, error: errorMessage(err) });
    }
  }

  return Object.freeze({
    timestamp,
    durationSeconds: (performance.now() - started) / 1000,
    sockets,
    host,
    families,
    status,
  });
}

function mergeResult(result: CollectorResult, sockets: SocketRecord[], host: HostStats, families: MetricFamily[]): void {
  if (result.sockets) {
    // push in chunks: spreading 100k records into push() would overflow the call stack
    for (const s of result.sockets) sockets.push(s);
  }
  if (result.families) families.push(...result.families);
  if (result.host) {
    const h = result.host;
    if (h.interfaces) host.interfaces = [...(host.interfaces ?? []), ...h.interfaces];
    if (h.protocols) host.protocols = mergeNested(host.protocols, h.protocols);
    if (h.sockstat) host.sockstat = mergeNested(host.sockstat, h.sockstat);
    if (h.conntrack) host.conntrack = { ...host.conntrack, ...h.conntrack };
    if (h.softnet) host.softnet = [...(host.softnet ?? []), ...h.softnet];
    if (h.tcpStates) host.tcpStates = { ...host.tcpStates, ...h.tcpStates };
  }
}

function mergeNested(
  a: Record<string, Record<string, number>> | undefined,
  b: Record<string, Record<string, number>>,
): Record<string, Record<string, number>> {
  const out: Record<string, Record<string, number>> = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = { ...out[k], ...v };
  return out;
}
