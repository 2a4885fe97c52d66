import { metricCatalog } from '../catalog/catalog.js';
import { compileSource, type SourceReader } from '../catalog/source.js';
import type { MetricCatalogEntry } from '../catalog/types.js';
import { compileSelection } from '../selection/compile.js';
import type { ResolveHost } from '../selection/hosts.js';
import type { MetricFamily } from '../types/family.js';
import type { Direction, SocketRecord, SocketState } from '../types/socket.js';
import { ListenQueues, SocketCounter, familyOf, markListeningPort } from './aggregates.js';
import { createFlowKeyer } from './fold.js';
import { CumulativeHistogram } from './histogram.js';
import { resolveFlowsConfig, type FlowsConfig, type FlowsConfigInput } from './schema.js';
import { emitFlowFamilies, type FlowPlan } from './emit.js';
import { MERGE, Series, mergeGauge, mergeSeriesGauge, splitByCap } from './series.js';

/** What the app injects into the flow renderer. */
export interface FlowRendererDeps {
  /** Resolves selection host names (the app passes node:dns); default resolves nothing. */
  resolveHost?: ResolveHost;
  /** Clock for the host TTL, ms. */
  now?: () => number;
  /** A series with no socket for this long is forgotten (its counters restart if it returns), ms. Default 10 min. */
  retentionMs?: number;
  /** Most idle series remembered at once, the longest idle forgotten first; overrides `max_idle_series` of the config. */
  maxIdleSeries?: number;
}

/**
 * Folds socket records into families one at a time, for a streamed collection that keeps no
 * records: `begin`, `add` every socket, `end`. Direction falls back to listening ports, so
 * listeners must come before the flows they accepted (a streaming collector's promise).
 */
export interface SocketFold {
  /**
   * Starts a collection taken at `timestamp` (ms since the epoch). A collection left open is
   * dropped, but the counter increments it saw are kept in the totals, so none are lost.
   */
  begin(timestamp: number): void;
  /** Folds one socket record of the collection begun. */
  add(record: SocketRecord): void;
  /** Ends the collection: its families, as {@link FlowRenderer.render} gives them. */
  end(): MetricFamily[];
}

/** Turns snapshots into flow metric families; keeps counter totals and histograms across calls. */
export interface FlowRenderer extends SocketFold {
  /** Resolves once background host-name resolution in flight has finished. */
  settled(): Promise<void>;
  /** Conditions worth one log line (e.g. host names with no resolver). */
  notices(): readonly string[];
  /** The resolved config, defaults filled. */
  readonly config: Readonly<FlowsConfig>;
}

/** What the renderer remembers of one live socket between collections. */
interface SocketMemo {
  /** Collection it was last seen in. */
  gen: number;
  /** Where its last value of each counter lives in the shared {@link CounterSlots} (-1 without counters). */
  slot: number;
  /** The series it folded into last time, and what that choice depended on. */
  series: Series | undefined;
  process: SocketRecord['process'];
  container: SocketRecord['container'];
  inbound: boolean;
}

// Listeners, TIME_WAIT and request minisockets have no tcp_info worth a series (ss shows the
// same set by default); sockscope_sockets and the listen-queue families count them.
const NOT_FLOW: Partial<Record<SocketState, true>> = { LISTEN: true, CLOSE: true, TIME_WAIT: true, SYN_RECV: true, NEW_SYN_RECV: true };

/** Creates a stateful renderer for a `flows:` config (validated here, defaults filled). */
export function createFlowRenderer(input: FlowsConfigInput = {}, deps: FlowRendererDeps = {}): FlowRenderer {
  const config = resolveFlowsConfig(input);
  const compat = config.compat === 'prometheus_ss_exporter';
  const on = (e: MetricCatalogEntry) => config.families[e.id] === true;
  const enabled = metricCatalog.filter(on);
  const gauges = enabled.filter((e) => e.scope === 'flow' && e.kind === 'gauge' && e.source);
  const counters = enabled.filter((e) => e.scope === 'flow' && e.kind === 'counter' && e.source);
  const G = gauges.length;
  const C = counters.length;
  const reader = (e: MetricCatalogEntry): SourceReader =>
    compileSource(e.source as NonNullable<MetricCatalogEntry['source']>, compat && e.compat ? e.compat.scale : 1);
  const gaugeReaders = gauges.map(reader);
  const counterReaders = counters.map(reader);
  const gaugeMerge = Int8Array.from(gauges, (e) => MERGE[e.merge]);
  const keyer = createFlowKeyer(config.folding, compat ? 'flow' : config.label_style);
  const selection = compileSelection(config.selection, { resolveHost: deps.resolveHost, now: deps.now });
  const histEntry = enabled.find((e) => e.aggregate === 'rtt_histogram');
  const histScale = compat ? (histEntry?.compat?.scale ?? 1) : 1;
  const hist = histEntry ? new CumulativeHistogram(config.histogram_buckets.map((b) => Number((b * histScale).toPrecision(12)))) : undefined;
  const rttUs = compileSource({ path: 'tcp.rttUs', scale: 1 });
  const histReader = histEntry ? compileSource(histEntry.source as NonNullable<MetricCatalogEntry['source']>, histScale) : undefined;
  const retransReader = compileSource({ path: 'tcp.totalRetrans', scale: 1 });
  const byRtt = config.top_k === 'rtt';
  const needListen = config.folding === 'service' || Boolean(config.selection.include.directions?.length || config.selection.exclude.directions?.length);
  const retentionMs = deps.retentionMs ?? 600_000;
  // Under churn (raw_endpoint keys of short connections) idle series would pile up for the
  // whole retention time; the cap bounds memory and forgets the longest idle first.
  const maxIdle = deps.maxIdleSeries ?? config.max_idle_series;
  const plan: FlowPlan = { enabled, gauges, counters, gaugeMerge, compat, G, C };

  const series = new Map<string, Series>();
  // Series in the order they went idle, oldest first; an entry is stale once its series was
  // active again (its idleSince moved on).
  let idle: { g: Series; since: number }[] = [];
  let idleHead = 0;
  let prevActive: Series[] = [];
  const sockets = new Map<bigint | string, SocketMemo>();
  const lastValues = new CounterSlots(C);
  const other = new Series('\u0000other', keyer.otherLabels, G, C);
  let gen = 0;
  const notices: string[] = [];
  if (!deps.resolveHost && (config.selection.include.hosts?.length || config.selection.exclude.hosts?.length)) {
    notices.push('flows.selection: host names are configured but no resolver was given; they match nothing');
  }

  const wantCounts = enabled.some((e) => e.aggregate === 'socket_count');
  const wantQueueLength = enabled.some((e) => e.id === 'tcp_listen_queue_length');
  const wantQueueLimit = enabled.some((e) => e.id === 'tcp_listen_queue_limit');
  const listen = needListen ? new Uint8Array(65536) : undefined;
  /** The collection between begin() and end(). */
  let open: { at: number; active: Series[]; counter: SocketCounter | undefined; queues: ListenQueues | undefined } | undefined;

  const begin = (timestamp: number): void => {
    if (open) for (const g of open.active) applyDeltas(g.buf);
    gen++;
    selection.tick();
    listen?.fill(0);
    open = {
      at: timestamp,
      active: [],
      counter: wantCounts ? new SocketCounter() : undefined,
      queues: wantQueueLength || wantQueueLimit ? new ListenQueues() : undefined,
    };
  };

  const add = (s: SocketRecord): void => {
    if (open === undefined) throw new Error('flow renderer: add() outside begin()/end()');
    open.counter?.add(s);
    open.queues?.add(s);
    if (listen) markListeningPort(listen, s);
    if (s.protocol !== 'tcp' || NOT_FLOW[s.state]) return;
    let dir: Direction | undefined = s.direction;
    if ((dir === undefined || dir === 'local') && listen) dir = listen[s.local.port] === 1 ? (dir ?? 'inbound') : (dir ?? 'outbound');
    if (!selection.all && !selection.matches(s, dir)) return;
    const inbound = dir === 'inbound' || (dir === 'local' && listen !== undefined && listen[s.local.port] === 1);
    const st = stateOf(s);
    let g = st.series;
    // A socket keeps its endpoints for life, so its series only changes when what else the
    // key reads does (owner, container, direction): then the key is built and looked up again.
    if (g === undefined || st.process !== s.process || st.container !== s.container || st.inbound !== inbound || g.gen < gen - 1) {
      const key = keyer.key(s, inbound);
      g = series.get(key);
      if (g === undefined) series.set(key, (g = new Series(key, keyer.labels(s, inbound, key), G, C)));
      st.series = g;
      st.process = s.process;
      st.container = s.container;
      st.inbound = inbound;
    }
    if (g.gen !== gen) {
      g.begin(gen, open.at, G, C);
      open.active.push(g);
    }
    g.count++;
    const buf = g.buf;
    for (let j = 0; j < G; j++) {
      const v = (gaugeReaders[j] as SourceReader)(s);
      if (v !== undefined) mergeGauge(buf, G, j, gaugeMerge[j] as number, v);
    }
    if (C > 0) addCounterDeltas(s, st.slot, buf);
    if (hist && histReader) {
      const r = histReader(s);
      if (r !== undefined) hist.observe(r);
    }
    if (byRtt) {
      const r = rttUs(s) ?? 0;
      if (r > g.score) g.score = r;
    } else g.score += retransReader(s) ?? 0;
  };

  const end = (): MetricFamily[] => {
    if (open === undefined) throw new Error('flow renderer: end() without begin()');
    const { at, active, counter, queues } = open;
    open = undefined;
    for (const [id, st] of sockets) {
      if (st.gen === gen) continue;
      sockets.delete(id);
      if (st.slot >= 0) lastValues.release(st.slot);
    }

    const { kept, folded } = splitByCap(active, config.max_series);
    for (const g of kept) applyDeltas(g.buf);
    if (folded.length > 0) foldIntoOther(folded, at);
    const dropped = countDropped(folded);
    forgetIdle(active, at);

    const out = emitFlowFamilies(plan, kept, folded.length > 0 ? other : undefined);
    for (const e of enabled) {
      if (e.scope === 'flow') continue;
      if (e.aggregate === 'socket_count' && counter) out.push(counter.family());
      else if (e.id === 'tcp_listen_queue_length' && queues) out.push(...queues.families(true, false));
      else if (e.id === 'tcp_listen_queue_limit' && queues) out.push(...queues.families(false, true));
    }
    if (hist && histEntry) out.push({ ...familyOf(histEntry, compat), histograms: [hist.sample()] });
    const droppedEntry = enabled.find((e) => e.aggregate === 'series_dropped');
    if (droppedEntry) {
      const samples = [...gauges, ...counters, ...enabled.filter((e) => e.aggregate === 'flow_count')]
        .map((e) => ({ labels: { family: compat && e.compat ? e.compat.name : e.prometheus }, value: dropped.get(e.id) ?? 0 }))
        // under the compat profile the family appears only when something was dropped
        .filter((smp) => !compat || smp.value > 0);
      if (!compat || samples.length > 0) out.push({ ...familyOf(droppedEntry), samples });
    }
    return out;
  };

  /**
   * Forgets idle series past the retention time, and the longest idle ones beyond maxIdle, so
   * memory stays bounded under connection churn. Work is proportional to what went idle.
   */
  function forgetIdle(active: Series[], at: number): void {
    for (const g of prevActive) {
      if (g.gen !== gen) {
        g.idleSince = at;
        idle.push({ g, since: at });
      }
    }
    prevActive = active;
    let idleCount = series.size - active.length;
    while (idleHead < idle.length) {
      const { g, since } = idle[idleHead] as { g: Series; since: number };
      if (g.gen === gen || g.idleSince !== since || series.get(g.key) !== g) {
        idleHead++;
        continue;
      }
      if (at - since < retentionMs && idleCount <= maxIdle) break;
      series.delete(g.key);
      idleCount--;
      idleHead++;
    }
    if (idleHead > 1024 && idleHead * 2 > idle.length) {
      idle = idle.slice(idleHead);
      idleHead = 0;
    }
  }

  function stateOf(s: SocketRecord): SocketMemo {
    const id = s.cookie ?? `${s.netns ?? ''}|${s.inode}|${s.local.address}|${s.local.port}|${s.remote.address}|${s.remote.port}`;
    let st = sockets.get(id);
    if (st === undefined) {
      st = { gen, slot: C > 0 ? lastValues.take() : -1, series: undefined, process: undefined, container: undefined, inbound: false };
      sockets.set(id, st);
    }
    st.gen = gen;
    return st;
  }

  function addCounterDeltas(s: SocketRecord, slot: number, buf: Float64Array): void {
    const last = lastValues.values;
    for (let j = 0, at = slot * C; j < C; j++, at++) {
      const v = (counterReaders[j] as SourceReader)(s);
      if (v === undefined) continue;
      const prev = last[at] as number;
      // first sighting counts the whole value; a value going down means a reused key: start over
      const d = prev !== prev || v < prev ? v : v - prev;
      last[at] = v;
      buf[2 * G + j] = (buf[2 * G + j] as number) + d;
      buf[2 * G + C + j] = (buf[2 * G + C + j] as number) + 1;
    }
  }

  function applyDeltas(buf: Float64Array): void {
    for (let j = 0; j < C; j++) buf[2 * G + 2 * C + j] = (buf[2 * G + 2 * C + j] as number) + (buf[2 * G + j] as number);
  }

  function foldIntoOther(folded: readonly Series[], at: number): void {
    other.begin(gen, at, G, C);
    const into = other.buf;
    for (const g of folded) {
      other.count += g.count;
      for (let j = 0; j < G; j++) mergeSeriesGauge(into, g.buf, G, j, gaugeMerge[j] as number);
      for (let j = 0; j < C; j++) {
        into[2 * G + j] = (into[2 * G + j] as number) + (g.buf[2 * G + j] as number);
        into[2 * G + C + j] = (into[2 * G + C + j] as number) + (g.buf[2 * G + C + j] as number);
      }
    }
    applyDeltas(into);
  }

  function countDropped(folded: readonly Series[]): Map<string, number> {
    const m = new Map<string, number>();
    if (folded.length === 0) return m;
    gauges.forEach((e, j) => m.set(e.id, folded.filter((g) => (g.buf[G + j] as number) > 0).length));
    counters.forEach((e, j) => m.set(e.id, folded.filter((g) => (g.buf[2 * G + C + j] as number) > 0).length));
    m.set('flow_sockets', folded.length);
    return m;
  }

  return { begin, add, end, settled: () => selection.settled(), notices: () => notices, config };
}

/**
 * The last counter values of every live socket, `width` per socket, in one Float64Array: a
 * typed array per socket would cost more in headers than its few numbers (60k sockets are
 * 60k of them). A slot is taken when a socket is first seen and given back when it is gone.
 */
class CounterSlots {
  private pool: Float64Array;
  private readonly free: number[] = [];
  private next = 0;

  constructor(private readonly width: number) {
    this.pool = new Float64Array(width * 1024).fill(NaN);
  }

  /** The values, slot i at [i * width, (i + 1) * width); a new array after a take() that grew it. */
  get values(): Float64Array {
    return this.pool;
  }

  /** A slot, every value NaN (nothing seen yet). */
  take(): number {
    const slot = this.free.pop() ?? this.next++;
    const end = (slot + 1) * this.width;
    if (end > this.pool.length) {
      const grown = new Float64Array(Math.max(end, this.pool.length * 2)).fill(NaN);
      grown.set(this.pool);
      this.pool = grown;
    }
    this.pool.fill(NaN, slot * this.width, end);
    return slot;
  }

  /** Gives a slot back for reuse. */
  release(slot: number): void {
    this.free.push(slot);
  }
}
