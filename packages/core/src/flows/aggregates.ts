import { catalogEntry, isInfoGauge, isLifecycle } from '../catalog/catalog.js';
import type { SourceReader } from '../catalog/source.js';
import type { MetricCatalogEntry } from '../catalog/types.js';
import type { HistogramSample, MetricFamily, Sample } from '../types/family.js';
import type { SocketRecord } from '../types/socket.js';
import { CumulativeHistogram } from './histogram.js';
import { OwnerInfo } from './info.js';
import type { FlowPlan } from './plan.js';
import type { Series } from './series.js';

const PROTOCOLS = ['tcp', 'udp', 'raw', 'unix'] as const;
const FAMILIES = ['ipv4', 'ipv6', 'unix'] as const;
/** Socket states in the order `sockscope_sockets` and the `state` label of `sockscope_flow_sockets` list them. */
export const STATES = [
  'ESTABLISHED', 'SYN_SENT', 'SYN_RECV', 'FIN_WAIT1', 'FIN_WAIT2', 'TIME_WAIT', 'CLOSE',
  'CLOSE_WAIT', 'LAST_ACK', 'LISTEN', 'CLOSING', 'NEW_SYN_RECV', 'UNKNOWN',
] as const;
const indexOf = (list: readonly string[]): Record<string, number> => Object.fromEntries(list.map((v, i) => [v, i]));
const P = indexOf(PROTOCOLS);
const F = indexOf(FAMILIES);
const S = indexOf(STATES);

/** The index of a socket's state in {@link STATES} (`UNKNOWN` for one it lacks). */
export const stateIndex = (state: string): number => S[state] ?? (S.UNKNOWN as number);

function entry(id: string): MetricCatalogEntry {
  const e = catalogEntry(id);
  if (!e) throw new Error(`metric catalog lacks ${id}`);
  return e;
}

/** A family shell (name, help, type, otel) from a catalog entry. */
export function familyOf(e: MetricCatalogEntry, compat = false): MetricFamily {
  const c = compat ? e.compat : undefined;
  return { name: c?.name ?? e.prometheus, help: c?.help ?? e.help, type: e.kind, otel: c?.otel ?? e.otel };
}

/**
 * Counts sockets for `sockscope_sockets{protocol,family,state}`: every socket of the
 * collection, not only the selected ones (it is the host's socket table at a glance).
 * Counting goes through a dense array indexed by the three enums, so there is no string
 * building per socket, and it takes records one at a time (a streamed collection keeps none).
 */
export class SocketCounter {
  private readonly counts = new Float64Array(PROTOCOLS.length * FAMILIES.length * STATES.length);

  /** Counts one socket. */
  add(s: SocketRecord): void {
    const p = P[s.protocol];
    const f = F[s.family];
    const st = S[s.state] ?? (S.UNKNOWN as number);
    if (p === undefined || f === undefined) return;
    const k = (p * FAMILIES.length + f) * STATES.length + st;
    this.counts[k] = (this.counts[k] as number) + 1;
  }

  /** The family, one sample per (protocol, family, state) seen. */
  family(): MetricFamily {
    const samples: Sample[] = [];
    for (let p = 0; p < PROTOCOLS.length; p++) {
      for (let f = 0; f < FAMILIES.length; f++) {
        for (let st = 0; st < STATES.length; st++) {
          const v = this.counts[(p * FAMILIES.length + f) * STATES.length + st] as number;
          if (v > 0) samples.push({ labels: { protocol: PROTOCOLS[p] as string, family: FAMILIES[f] as string, state: STATES[st] as string }, value: v });
        }
      }
    }
    return { ...familyOf(entry('sockets')), samples };
  }
}

/** `sockscope_sockets{protocol,family,state}` over a list of sockets. */
export function socketCountFamily(sockets: readonly SocketRecord[]): MetricFamily {
  const counter = new SocketCounter();
  for (let i = 0; i < sockets.length; i++) counter.add(sockets[i] as SocketRecord);
  return counter.family();
}

/** TCP listening sockets by port and process: accept queue length and limit, summed over listeners (reuseport, v4+v6). */
export class ListenQueues {
  private readonly groups = new Map<string, { port: number; process: string; length: number; limit: number }>();

  /** Adds a socket; anything but a TCP listener is ignored. */
  add(s: SocketRecord): void {
    if (s.state !== 'LISTEN' || s.protocol !== 'tcp') return;
    const proc = s.process?.comm ?? '';
    const key = `${s.local.port}\u0001${proc}`;
    let g = this.groups.get(key);
    if (!g) this.groups.set(key, (g = { port: s.local.port, process: proc, length: 0, limit: 0 }));
    g.length += s.recvQueue;
    g.limit += s.sendQueue;
  }

  /** The queue length and/or limit families, samples by port then process. */
  families(wantLength: boolean, wantLimit: boolean): MetricFamily[] {
    const sorted = [...this.groups.values()].sort((a, b) => a.port - b.port || (a.process < b.process ? -1 : 1));
    const out: MetricFamily[] = [];
    const emit = (id: string, pick: (g: (typeof sorted)[number]) => number) =>
      out.push({
        ...familyOf(entry(id)),
        samples: sorted.map((g) => ({ labels: { local_port: String(g.port), process: g.process }, value: pick(g) })),
      });
    if (wantLength) emit('tcp_listen_queue_length', (g) => g.length);
    if (wantLimit) emit('tcp_listen_queue_limit', (g) => g.limit);
    return out;
  }
}

/** Marks the local port of a TCP listener in `set`: a flow whose local port is marked was accepted (inbound). */
export function markListeningPort(set: Uint8Array, s: SocketRecord): void {
  if (s.state === 'LISTEN' && s.protocol === 'tcp') set[s.local.port] = 1;
}

/**
 * The metric fold's bounded families, beside the per-flow ones: socket counts, listen queues and
 * the info gauges of each collection (every socket, selected or not), the RTT histogram (selected
 * flows, cumulative across collections) and how many series the cap dropped.
 */
export class Aggregates {
  private counter: SocketCounter | undefined;
  private queues: ListenQueues | undefined;
  private info: OwnerInfo | undefined;
  private readonly hist: CumulativeHistogram | undefined;
  private readonly readRtt: SourceReader | undefined;

  constructor(private readonly plan: FlowPlan) {
    this.hist = plan.histogram && plan.hists.rtt < 0 ? new CumulativeHistogram(plan.histogram.bounds) : undefined;
    this.readRtt = plan.histogram?.read;
  }

  /** Starts a collection: counts and queues start from zero, the histogram carries on. */
  begin(): void {
    this.counter = this.plan.wantCounts ? new SocketCounter() : undefined;
    this.queues = this.plan.wantQueueLength || this.plan.wantQueueLimit ? new ListenQueues() : undefined;
    const { wantContainerInfo, wantProcessInfo, wantAddressInfo, maxSeries } = this.plan;
    this.info = wantContainerInfo || wantProcessInfo || wantAddressInfo ? new OwnerInfo(wantContainerInfo, wantProcessInfo, maxSeries, wantAddressInfo) : undefined;
  }

  /** Counts one socket of the collection. */
  add(s: SocketRecord): void {
    this.counter?.add(s);
    this.queues?.add(s);
    this.info?.add(s);
  }

  /** Observes the RTT of one selected flow. */
  observe(s: SocketRecord): void {
    if (this.hist === undefined || this.readRtt === undefined) return;
    const r = this.readRtt(s);
    if (r !== undefined) this.hist.observe(r);
  }

  /**
   * Appends the collection's aggregate families to `out`: counts, queues and info gauges in
   * catalog order, then the histogram, then `series_dropped` from `dropped` (per flow family id,
   * see countDropped) and the info series the cap left out.
   */
  emit(out: MetricFamily[], flowDropped: ReadonlyMap<string, number>, rttSeries?: readonly Series[]): void {
    const { enabled, compat } = this.plan;
    const { counter, queues, info } = this;
    const dropped = new Map(flowDropped);
    for (const e of enabled) {
      if (e.scope === 'flow') continue;
      if (e.aggregate === 'socket_count' && counter) out.push(counter.family());
      else if (e.id === 'tcp_listen_queue_length' && queues) out.push(...queues.families(true, false));
      else if (e.id === 'tcp_listen_queue_limit' && queues) out.push(...queues.families(false, true));
      else if (isInfoGauge(e) && info) info.emit([e], out, dropped);
    }
    const rttSlot = this.plan.hists.rtt;
    if (rttSeries && this.plan.histogram && rttSlot >= 0) {
      // flows.rtt_histogram_by: strategy — one histogram per series (the cap's `other` included)
      const histograms: HistogramSample[] = [];
      for (const g of rttSeries) {
        const h = g.hists[rttSlot];
        if (h !== undefined && h.totalCount > 0) histograms.push(h.sample(g.labels));
      }
      out.push({ ...familyOf(this.plan.histogram.entry, compat), histograms });
    } else if (this.hist && this.plan.histogram) out.push({ ...familyOf(this.plan.histogram.entry, compat), histograms: [this.hist.sample()] });
    const droppedEntry = enabled.find((e) => e.aggregate === 'series_dropped');
    if (droppedEntry) {
      const { gauges, counters } = this.plan;
      const split = this.plan.hists.rtt >= 0;
      const capped = (e: MetricCatalogEntry) => e.aggregate === 'flow_count' || isLifecycle(e) || isInfoGauge(e) || (split && e.aggregate === 'rtt_histogram');
      const samples = [...gauges, ...counters, ...enabled.filter(capped)]
        .map((e) => ({ labels: { family: compat && e.compat ? e.compat.name : e.prometheus }, value: dropped.get(e.id) ?? 0 }))
        // under the compat profile the family appears only when something was dropped
        .filter((smp) => !compat || smp.value > 0);
      if (!compat || samples.length > 0) out.push({ ...familyOf(droppedEntry), samples });
    }
  }
}
