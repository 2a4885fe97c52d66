import type { Collector, CollectorProvides, CollectorResult, SocketVisitor } from '../contracts/collector.js';
import type { Enricher, RecordEnrichment } from '../contracts/enricher.js';
import type { FoldResults, Folds } from '../contracts/fold.js';
import type { Warning } from '../contracts/warning.js';
import { isListening } from '../enrichers/direction.js';
import { errorMessage, isSockscopeError } from '../errors.js';
import type { MetricFamily } from '../types/family.js';
import type { HostStats } from '../types/host.js';
import type { Collection, CollectorStatus } from '../types/snapshot.js';
import type { SocketRecord } from '../types/socket.js';
import { TimeSlice } from '../util/time-slice.js';
import { mergeHost } from './merge-host.js';
import { withTimeout } from './timeout.js';

/** Longest piece of a fold's end between two turns of the event loop, ms (a collector's dump slices are as long). */
const END_SLICE_MS = 4;

/** A named collector instance with its own timeout. */
export interface NamedCollector {
  /** Collector name (the `collector` label). */
  name: string;
  /** The instance. */
  collector: Collector;
  /** Milliseconds before the collector is reported as timed out. */
  timeoutMs: number;
  /**
   * What it produces (its definition's `provides`). A collector that does not provide `sockets`
   * cannot make a collection partial by failing; without this, any failure might have cut sockets
   * short, and the collection is partial (see {@link collect}).
   */
  provides?: readonly CollectorProvides[];
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

/** Options of {@link collect}. */
export interface CollectOptions {
  /**
   * Buffer every record, then replay them listeners first once the collectors are done
   * (`collection.streaming: off`): the enrichers prepare after the read, as a list-at-once
   * enrichment would, at the cost of keeping the whole socket table in memory for the cycle.
   */
  buffer?: boolean;
}

/** An enricher prepared for one collection and how it went. */
interface Prepared {
  name: string;
  run?: RecordEnrichment;
  seconds: number;
  failure?: unknown;
  errors: number;
  firstError?: string;
}

/**
 * One collection, one way: the enrichers prepare, the collectors run concurrently and stream
 * their records, and every record goes through the enrichers into every fold at once; nothing
 * keeps it. A collector that throws, rejects or times out is reported in `status` (what it read
 * before stays folded); the others still publish. An enricher's duration is its preparation: its
 * per-record work counts in the collector's.
 *
 * The collection is complete when every collector that may stream sockets (see
 * {@link NamedCollector.provides}) finished and did not call its data inconsistent; otherwise it
 * is partial, and the folds (`end(complete)`) and enrichers (`finish(complete)`) are told so:
 * a socket a partial collection did not see may still be alive, and must not be forgotten.
 */
export async function collect<F extends Folds>(
  collectors: readonly NamedCollector[],
  enrichers: readonly NamedEnricher[],
  folds: F,
  options: CollectOptions = {},
): Promise<Collection<FoldResults<F>>> {
  const started = performance.now();
  const timestamp = Date.now();
  const sinks = Object.values(folds);
  const buffered: SocketRecord[] | undefined = options.buffer ? [] : undefined;
  let prepared: Prepared[] = buffered ? [] : await prepareAll(enrichers);
  let running = runnable(prepared);
  let open = true;
  let socketCount = 0;
  const pass = (s: SocketRecord): void => {
    for (const { p, run } of running) {
      try {
        run.enrich(s);
      } catch (err) {
        if (p.errors++ === 0) p.firstError = errorMessage(err);
      }
    }
    for (const f of sinks) f.add(s);
    socketCount++;
  };
  const visit: SocketVisitor = buffered
    ? (s) => void (open && buffered.push(s))
    : // a collector that ignored its abort signal may still call back after the collection ended
      (s) => void (open && pass(s));
  for (const f of sinks) f.begin(timestamp);
  let results: Ran[];
  try {
    results = await Promise.all(collectors.map((c) => runCollector(c, visit)));
  } finally {
    open = false;
  }
  if (buffered) {
    prepared = await prepareAll(enrichers);
    running = runnable(prepared);
    for (const s of buffered) if (isListening(s)) pass(s);
    for (const s of buffered) if (!isListening(s)) pass(s);
    buffered.length = 0;
  }
  const complete = results.every((r, i) => (r.status.success && !r.status.inconsistent) || !maySeeSockets(collectors[i] as NamedCollector));
  const out: Record<string, unknown> = {};
  // a fold's end may be long (every flow's samples): cut into slices, so the agent keeps answering
  const slice = new TimeSlice(END_SLICE_MS);
  for (const [name, f] of Object.entries(folds)) out[name] = f.endSliced ? await f.endSliced(complete, slice) : f.end(complete);

  const host: HostStats = {};
  const families: MetricFamily[] = [];
  const status: CollectorStatus[] = [];
  for (const { status: s, result } of results) {
    status.push(s);
    if (!result) continue;
    if (result.families) families.push(...result.families);
    if (result.host) mergeHost(host, result.host);
  }
  for (const p of prepared) status.push(enricherStatus(p, complete, families));
  return Object.freeze({
    timestamp,
    durationSeconds: (performance.now() - started) / 1000,
    socketCount,
    host,
    families,
    status,
    folds: out as FoldResults<F>,
  });
}

/** Prepares every enricher in order, each against its timeout; one that fails is reported and skipped. */
async function prepareAll(enrichers: readonly NamedEnricher[]): Promise<Prepared[]> {
  const prepared: Prepared[] = [];
  for (const { name, enricher, timeoutMs } of enrichers) {
    const t0 = performance.now();
    const p: Prepared = { name, seconds: 0, errors: 0 };
    try {
      p.run = await withTimeout(`enricher ${name}`, timeoutMs, (signal) => enricher.prepare(signal));
    } catch (err) {
      p.failure = err;
    }
    p.seconds = (performance.now() - t0) / 1000;
    prepared.push(p);
  }
  return prepared;
}

function runnable(prepared: readonly Prepared[]): { p: Prepared; run: RecordEnrichment }[] {
  return prepared.flatMap((p) => (p.run ? [{ p, run: p.run }] : []));
}

/** A collector whose failure may have cut the collection's sockets short. */
function maySeeSockets(c: NamedCollector): boolean {
  return c.provides === undefined || c.provides.includes('sockets');
}

function enricherStatus(p: Prepared, complete: boolean, families: MetricFamily[]): CollectorStatus {
  const name = `enricher:${p.name}`;
  if (!p.run) return failed(name, p.seconds, p.failure ?? 'not prepared');
  const finished = p.run.finish(complete);
  if (finished.families) families.push(...finished.families);
  const warnings: Warning[] = [...(finished.warnings ?? [])];
  if (p.errors > 0) warnings.push({ code: 'ERR_ENRICHER_RECORD', message: `${p.errors} record(s) could not be enriched: ${p.firstError ?? ''}` });
  const s: CollectorStatus = { name, success: true, durationSeconds: p.seconds };
  if (warnings.length > 0) s.warnings = warnings;
  return s;
}

interface Ran {
  status: CollectorStatus;
  result: CollectorResult | undefined;
}

/** Runs one collector against its timeout; a throw, rejection or timeout becomes its status. */
async function runCollector({ name, collector, timeoutMs }: NamedCollector, visit: SocketVisitor): Promise<Ran> {
  const t0 = performance.now();
  try {
    const result = await withTimeout(`collector ${name}`, timeoutMs, (signal) => collector.stream(signal, visit));
    const status: CollectorStatus = { name, success: true, durationSeconds: (performance.now() - t0) / 1000 };
    if (result.warnings?.length) status.warnings = result.warnings;
    if (result.inconsistent) status.inconsistent = true;
    return { status, result };
  } catch (err) {
    return { status: failed(name, (performance.now() - t0) / 1000, err), result: undefined };
  }
}

function failed(name: string, durationSeconds: number, err: unknown): CollectorStatus {
  const s: CollectorStatus = { name, success: false, durationSeconds, error: errorMessage(err) };
  if (isSockscopeError(err)) s.errorCode = err.code;
  return s;
}
