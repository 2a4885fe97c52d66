import type { Collector, CollectorResult, SocketVisitor } from '../contracts/collector.js';
import type { Enricher, RecordEnrichment } from '../contracts/enricher.js';
import { isListening } from '../enrichers/direction.js';
import type { SocketFold } from '../flows/renderer.js';
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

/** Options of {@link collectSnapshot}. */
export interface CollectOptions {
  /**
   * Fold the sockets as they are read instead of listing them (see {@link canStream}): each
   * record goes through the enrichers' record-by-record form into `fold` and is dropped, and
   * the snapshot carries `folded` and no sockets.
   */
  fold?: SocketFold;
}

/**
 * True when a collection can be folded as it is read: every enricher has a streaming form.
 * Collectors need not stream: records a collector returns whole are folded after the streamed
 * ones, listening sockets first.
 */
export function canStream(enrichers: readonly NamedEnricher[]): boolean {
  return enrichers.every((e) => typeof e.enricher.prepare === 'function');
}

/** Runs one collector against its timeout; a throw, rejection or timeout becomes its status. */
async function runCollector({ name, collector, timeoutMs }: NamedCollector, visit: SocketVisitor | undefined): Promise<{ status: CollectorStatus; result: CollectorResult | undefined }> {
  const t0 = performance.now();
  try {
    const read = (signal: AbortSignal) => (visit && collector.stream ? collector.stream(signal, visit) : collector.collect(signal));
    const result = await withTimeout(`collector ${name}`, timeoutMs, (signal) => Promise.resolve().then(() => read(signal)));
    const status: CollectorStatus = { name, success: true, durationSeconds: (performance.now() - t0) / 1000 };
    if (result.warnings?.length) status.warnings = result.warnings;
    if (result.inconsistent) status.inconsistent = true;
    return { status, result };
  } catch (err) {
    return { status: { name, success: false, durationSeconds: (performance.now() - t0) / 1000, error: errorMessage(err) }, result: undefined };
  }
}

/**
 * Runs every collector concurrently, then the enrichers in order, and assembles one snapshot.
 * A collector that throws, rejects or times out is reported in `status`; the others still publish.
 * With `options.fold` the sockets are folded as they are read instead (see {@link CollectOptions}).
 */
export async function collectSnapshot(collectors: readonly NamedCollector[], enrichers: readonly NamedEnricher[] = [], options: CollectOptions = {}): Promise<Snapshot> {
  if (options.fold) return foldSnapshot(collectors, enrichers, options.fold);
  const started = performance.now();
  const timestamp = Date.now();
  const results = await Promise.all(collectors.map((c) => runCollector(c, undefined)));

  const sockets: SocketRecord[] = [];
  const host: HostStats = {};
  const families: MetricFamily[] = [];
  const status: CollectorStatus[] = [];
  for (const { status: s, result } of results) {
    status.push(s);
    if (!result) continue;
    // push one by one: spreading 100k records into push() would overflow the call stack
    for (const rec of result.sockets ?? []) sockets.push(rec);
    mergeResult(result, host, families);
  }

  for (const { name, enricher, timeoutMs } of enrichers) {
    const t0 = performance.now();
    try {
      const r = await withTimeout(`enricher ${name}`, timeoutMs, (signal) => enricher.enrich(sockets, signal));
      status.push(enricherStatus(name, (performance.now() - t0) / 1000, r.warnings ?? []));
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

function enricherStatus(name: string, durationSeconds: number, warnings: readonly string[]): CollectorStatus {
  const s: CollectorStatus = { name: `enricher:${name}`, success: true, durationSeconds };
  if (warnings.length > 0) s.warnings = [...warnings];
  return s;
}

/** An enricher's streaming form for one collection and how it went, or why it could not prepare. */
interface Prepared {
  name: string;
  run?: RecordEnrichment;
  prepareSeconds: number;
  failure?: string;
  errors: number;
  firstError?: string;
}

/**
 * The streamed collection: enrichers prepare (in order, each against its timeout), then the
 * collectors run and every record they read goes through the enrichers into the fold at once.
 * An enricher's duration is its preparation: its per-record work counts in the collector's.
 * A collector that fails or times out half-way leaves what it read folded, and its status says so.
 */
async function foldSnapshot(collectors: readonly NamedCollector[], enrichers: readonly NamedEnricher[], fold: SocketFold): Promise<Snapshot> {
  const started = performance.now();
  const timestamp = Date.now();
  const prepared: Prepared[] = [];
  for (const { name, enricher, timeoutMs } of enrichers) {
    const t0 = performance.now();
    const p: Prepared = { name, prepareSeconds: 0, errors: 0 };
    try {
      if (!enricher.prepare) throw new Error('has no streaming form (prepare); the collection cannot be folded as it is read');
      const prepare = enricher.prepare.bind(enricher);
      p.run = await withTimeout(`enricher ${name}`, timeoutMs, (signal) => prepare(signal));
    } catch (err) {
      p.failure = errorMessage(err);
    }
    p.prepareSeconds = (performance.now() - t0) / 1000;
    prepared.push(p);
  }
  const running = prepared.flatMap((p) => (p.run ? [{ p, run: p.run }] : []));

  let open = true;
  let socketCount = 0;
  fold.begin(timestamp);
  const visit: SocketVisitor = (s) => {
    // a collector that ignored its abort signal may still call back after the collection ended
    if (!open) return;
    for (const { p, run } of running) {
      try {
        run.enrich(s);
      } catch (err) {
        if (p.errors++ === 0) p.firstError = errorMessage(err);
      }
    }
    fold.add(s);
    socketCount++;
  };
  let results: Awaited<ReturnType<typeof runCollector>>[];
  try {
    results = await Promise.all(collectors.map((c) => runCollector(c, visit)));
    // Records a collector returned whole (it cannot stream) follow, listening sockets first.
    for (const { result } of results) {
      const list = result?.sockets ?? [];
      for (const s of list) if (isListening(s)) visit(s);
      for (const s of list) if (!isListening(s)) visit(s);
    }
  } finally {
    open = false;
  }
  const folded = fold.end();

  const host: HostStats = {};
  const families: MetricFamily[] = [];
  const status: CollectorStatus[] = [];
  for (const { status: s, result } of results) {
    status.push(s);
    if (result) mergeResult(result, host, families);
  }
  for (const p of prepared) {
    if (!p.run) {
      status.push({ name: `enricher:${p.name}`, success: false, durationSeconds: p.prepareSeconds, error: p.failure ?? 'not prepared' });
      continue;
    }
    const warnings = [...(p.run.finish().warnings ?? [])];
    if (p.errors > 0) warnings.push(`${p.errors} record(s) could not be enriched: ${p.firstError ?? ''}`);
    status.push(enricherStatus(p.name, p.prepareSeconds, warnings));
  }

  return Object.freeze({
    timestamp,
    durationSeconds: (performance.now() - started) / 1000,
    sockets: [],
    folded: { socketCount, families: folded },
    host,
    families,
    status,
  });
}

/** Adds a collector's host counters and families to the snapshot's (its sockets are the caller's). */
function mergeResult(result: CollectorResult, host: HostStats, families: MetricFamily[]): void {
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
