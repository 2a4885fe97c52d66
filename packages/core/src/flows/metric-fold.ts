import type { Fold } from '../contracts/fold.js';
import { DEFAULT_EPHEMERAL_PORTS, inboundByPorts, portRangeProblems, UnseenCutoff, type PortRange } from '../enrichers/direction.js';
import { SockscopeError } from '../errors.js';
import { compileSelection } from '../selection/compile.js';
import type { ResolveHost } from '../selection/hosts.js';
import type { MetricFamily } from '../types/family.js';
import type { Direction, SocketRecord, SocketState } from '../types/socket.js';
import { Aggregates, markListeningPort, stateIndex, STATES } from './aggregates.js';
import { CapSeats } from './cap.js';
import { CounterSlots } from './counter-slots.js';
import { emitFlowFamilySteps } from './emit.js';
import { createFlowKeyer } from './fold.js';
import { planFlows } from './plan.js';
import { resolveFlowsConfig, type FlowsConfig, type FlowsConfigInput } from './schema.js';
import { SeriesTable } from './series-table.js';
import { Series, addGauges, applySeries, countDropped, foldIntoOther } from './series.js';
import { SocketMemos, type SocketMemo } from './socket-memory.js';
import { runSteps, runStepsSliced, type Steps, type TimeSlice } from '../util/time-slice.js';

/** What the app injects into the metric fold. */
export interface MetricFoldDeps {
  /** Resolves selection host names (the app passes node:dns); default resolves nothing. */
  resolveHost?: ResolveHost;
  /** Clock for the host TTL, ms. */
  now?: () => number;
  /** A series with no socket for this long is forgotten (its counters restart if it returns), ms. Default 10 min. */
  retentionMs?: number;
  /** Most idle series remembered at once, the longest idle forgotten first; overrides `max_idle_series` of the config. */
  maxIdleSeries?: number;
  /**
   * How many network namespaces the socket collectors read. `'many'` (the agent's choice when
   * `collectors.linux-netlink.namespaces` is `all` or a list of names): every strategy that
   * shows addresses (raw_endpoint, pid_condensed, peer, service) keys and labels its series by
   * `netns` (the namespace's name, else its inode), and the packed `flow` label gains a
   * `(NS#…)` part, so equal 4-tuples of two namespaces stay two flows. `'one'` (default): no
   * such label; sockets of several namespaces met anyway are said once in `notices()`.
   */
  namespaces?: 'one' | 'many';
  /**
   * The host's ephemeral ports (`net.ipv4.ip_local_port_range`; the agent reads it), for the
   * fold's own direction fallback: a flow no listening port accounts for is inbound when its local
   * port is outside them and its peer's inside. Default 32768-60999, the kernel's default.
   */
  ephemeralPorts?: PortRange;
}

/**
 * Folds a collection's socket records into flow metric families, one record at a time, and
 * keeps counter totals and histograms across collections: per-flow families, socket counts,
 * listen queues, the RTT histogram and series_dropped, in catalog order. Direction falls back
 * to listening ports, so listeners must come before the flows they accepted (the Fold contract),
 * then to ephemeral ports; a socket keeps the direction first decided for its life.
 * A collection left open is dropped at the next `begin`, its counter increments kept in the totals.
 * `end(false)` (a partial collection) forgets no socket it did not see, unless none has seen it
 * for the retention time; `end(true)` forgets every socket it did not see.
 */
export interface MetricFold extends Fold<MetricFamily[]> {
  /** Resolves once background host-name resolution in flight has finished. */
  settled(): Promise<void>;
  /** Conditions worth one log line (e.g. host names with no resolver). */
  notices(): readonly string[];
  /** The resolved config, defaults filled. */
  readonly config: Readonly<FlowsConfig>;
}

// Listeners, TIME_WAIT and request minisockets have no tcp_info worth a series (ss shows the
// same set by default); sockscope_sockets and the listen-queue families count them.
const NOT_FLOW: Partial<Record<SocketState, true>> = { LISTEN: true, CLOSE: true, TIME_WAIT: true, SYN_RECV: true, NEW_SYN_RECV: true };
// …but with flows.state_label, sockscope_flow_sockets counts these in their series too
const STATE_ONLY: Partial<Record<SocketState, true>> = { TIME_WAIT: true, SYN_RECV: true, NEW_SYN_RECV: true };

const STATE_COUNT = STATES.length;

/** tcpi_min_rtt when the socket never had an RTT sample. */
const NO_RTT_SAMPLE = 0xffffffff;

/**
 * Why an outbound connect never established, from the socket's final tcp_info (the rule measured
 * in the netlink collector's README): no RTT sample and nothing acknowledged means the handshake
 * never completed; then a segment in (the RST) means `refused`, none means `timeout`. Undefined
 * when it did establish, or when the counters were cleared (a blocking connect's failure).
 */
export function connectFailure(s: SocketRecord): 'refused' | 'timeout' | undefined {
  const t = s.tcp;
  if (t === undefined || t.segsOut === undefined || t.segsOut === 0) return undefined;
  if (t.bytesAcked !== undefined && t.bytesAcked > 0n) return undefined;
  if (t.minRttUs !== undefined && t.minRttUs !== NO_RTT_SAMPLE && t.minRttUs !== 0) return undefined;
  return (t.segsIn ?? 0) > 0 ? 'refused' : 'timeout';
}

/** Creates the metric fold of a `flows:` config (validated here, defaults filled). */
export function createMetricFold(input: FlowsConfigInput = {}, deps: MetricFoldDeps = {}): MetricFold {
  const config = resolveFlowsConfig(input);
  if (deps.namespaces !== undefined && deps.namespaces !== 'one' && deps.namespaces !== 'many') {
    throw new SockscopeError('ERR_CONFIG_INVALID', `metric fold: namespaces: must be 'one' or 'many', not ${JSON.stringify(deps.namespaces)}`);
  }
  const many = deps.namespaces === 'many';
  const ephemeral = deps.ephemeralPorts ?? DEFAULT_EPHEMERAL_PORTS;
  const rangeProblems = portRangeProblems(ephemeral, 'ephemeralPorts');
  if (rangeProblems.length > 0) throw new SockscopeError('ERR_CONFIG_INVALID', `metric fold: ${rangeProblems.join('; ')}`);
  const plan = planFlows(config);
  const { G, C, byRtt, rank } = plan;
  const keyer = createFlowKeyer(config.folding, plan.compat ? 'flow' : config.label_style, { netns: many });
  const selection = compileSelection(config.selection, { resolveHost: deps.resolveHost, now: deps.now });
  const slots = plan.K > 0 ? new CounterSlots(plan.counterReaders, 2 * G, C) : undefined;
  const memos = new SocketMemos(slots, many);
  const seats = new CapSeats(config.top_k);
  const retentionMs = deps.retentionMs ?? 600_000;
  const extras = { histograms: plan.hists.bounds, states: plan.stateLabel ? STATE_COUNT : 0 };
  const table = new SeriesTable(keyer, G, C, { retentionMs, maxIdle: deps.maxIdleSeries ?? config.max_idle_series }, extras);
  const unseen = new UnseenCutoff(retentionMs);
  const aggregates = new Aggregates(plan);
  const other = new Series('\u0000other', keyer.otherLabels, G, C, extras);
  // TCP listening ports of the collection open: a flow from a marked local port was accepted
  const listen = plan.needListen || plan.lifecycle.length > 0 || plan.stateLabel ? new Uint8Array(65536) : undefined;
  // the owner of each listening port (the first listener with one), lent to the sockets it
  // accepted that have none of their own: closed before any collection saw them, TIME_WAIT, SYN_RECV
  const listenerOwner = new Map<number, SocketRecord>();
  const { events, hists } = plan;
  const intervalMs = plan.histogramIntervalMs;
  // closed records have come: a complete collection keeps the sockets it did not see for one more
  // collection, since a socket destroyed while the dump ran may have its closed record in the next
  let closedSeen = false;
  const notices: string[] = [];
  if (!deps.resolveHost && (config.selection.include.hosts?.length || config.selection.exclude.hosts?.length)) {
    notices.push('flows.selection: host names are configured but no resolver was given; they match nothing');
  }
  let gen = 0; // collection number
  let win = 0; // the RTT histogram's window of the collection open (flows.histogram_interval)
  const histogram = plan.histogram;
  let open = false;
  let at = 0; // timestamp of the collection open
  // one namespace expected: the first flow's namespace of the collection, until another shows
  const UNSEEN = -1;
  let firstNetns: number | undefined = UNSEEN;
  let mixedSaid = many;

  const begin = (timestamp: number): void => {
    if (open) for (const g of table.active) applySeries(g, G, C);
    gen++;
    open = true;
    at = timestamp;
    win = intervalMs > 0 ? Math.floor(timestamp / intervalMs) : gen;
    selection.tick();
    firstNetns = UNSEEN;
    listen?.fill(0);
    listenerOwner.clear();
    table.begin();
    aggregates.begin();
  };

  /** Direction of a socket with no memo: the record's own, else the fold's fallback (listening port, then ephemeral ports). */
  const classify = (s: SocketRecord): { dir: Direction | undefined; inbound: boolean } => {
    let dir: Direction | undefined = s.direction;
    let inbound = dir === 'inbound';
    if ((dir === undefined || dir === 'local') && listen) {
      inbound = listen[s.local.port] === 1 || inboundByPorts(s, ephemeral);
      dir ??= inbound ? 'inbound' : 'outbound';
    }
    return { dir, inbound };
  };

  /** `s` with the owner of the listener that accepted it, when it has none and one is known. */
  const lendOwner = (s: SocketRecord, inbound: boolean): SocketRecord => {
    if (!inbound || s.process !== undefined) return s;
    const l = listenerOwner.get(s.local.port);
    return l === undefined ? s : { ...s, process: l.process, container: l.container };
  };

  /** Counts one lifecycle event (a counter slot of the lifecycle families) in a series. */
  const count = (g: Series, j: number): void => {
    if (j < 0) return;
    const b = g.buf;
    b[2 * G + j] = (b[2 * G + j] as number) + 1;
    b[2 * G + C + j] = (b[2 * G + C + j] as number) + 1;
  };

  /** A TIME_WAIT or request socket under flows.state_label: counted by state in its series, nothing else. */
  const addStateOnly = (s: SocketRecord): void => {
    const { dir, inbound } = classify(s);
    if (!selection.all && !selection.matches(s, dir)) return;
    const g = table.seriesOf(lendOwner(s, inbound), inbound);
    table.activate(g, gen, at);
    const st = g.states as Float64Array;
    const i = stateIndex(s.state);
    st[i] = (st[i] as number) + 1;
  };

  /**
   * A closed record (a destroy event; after the collection's live sockets): its last deltas (its
   * final counters less what the fold last saw, everything for a socket never seen) go to the
   * series its memo names (else the one it classifies into, like a live socket), with its closing,
   * opening when unseen, failure or duration; no gauge, no socket count; then it is forgotten.
   */
  const addClosed = (s: SocketRecord): void => {
    closedSeen = true;
    if (s.protocol !== 'tcp') return;
    const memo = memos.find(s);
    let g: Series;
    let inbound: boolean;
    if (memo !== undefined && memo.series !== undefined) {
      inbound = memo.inbound;
      g = memo.series;
      // its series was forgotten meanwhile (idle past max_idle_series): the key it had, again
      if (!table.holds(g)) g = table.seriesOf({ ...s, process: memo.process, container: memo.container }, inbound);
    } else {
      // a listener, or a blocking connect whose failure cleared the peer: no flow to fold into
      if (s.remote.port === 0) return;
      const c = classify(s);
      inbound = c.inbound;
      const like = lendOwner(s, inbound);
      if (!selection.all && !selection.matches(like, c.dir)) return;
      g = table.seriesOf(like, inbound);
    }
    const wasActive = g.gen === gen;
    table.activate(g, gen, at);
    // a series with no live socket ranks below every one with (see README, cardinality cap)
    if (!wasActive) g.score = -1;
    if (slots) {
      if (memo !== undefined) slots.addDeltas(s, memo.slot, g.buf);
      else {
        const slot = slots.take();
        slots.addDeltas(s, slot, g.buf);
        slots.release(slot);
      }
    }
    if (memo === undefined) count(g, events.opened);
    count(g, events.closed);
    const failure = inbound || memo?.established ? undefined : connectFailure(s);
    if (failure !== undefined) count(g, failure === 'refused' ? events.refused : events.timeout);
    else if (hists.duration >= 0 && memo !== undefined && memo.firstSeenAt !== undefined && memo.firstSeenAt === memo.firstSeenAt) {
      const closedAt = s.closedAt as number;
      g.hist(hists.duration).observe(Math.max(0, closedAt - memo.firstSeenAt) / 1000);
    }
    if (memo !== undefined) memos.forget(s, memo);
  };

  const add = (s: SocketRecord): void => {
    if (!open) throw new Error('metric fold: add() outside begin()/end()');
    if (s.closedAt !== undefined) return addClosed(s);
    aggregates.add(s);
    if (listen) markListeningPort(listen, s);
    if (s.state === 'LISTEN' && s.process !== undefined && !listenerOwner.has(s.local.port)) listenerOwner.set(s.local.port, s);
    if (s.protocol !== 'tcp') return;
    if (NOT_FLOW[s.state]) {
      if (plan.stateLabel && STATE_ONLY[s.state]) addStateOnly(s);
      return;
    }
    let dir: Direction | undefined = s.direction;
    let inbound = dir === 'inbound';
    let found: SocketMemo | undefined;
    if ((dir === undefined || dir === 'local') && listen && plan.needListen) {
      // the fallback: what this socket was folded as before, else its listening port, else its ports
      found = memos.find(s);
      inbound = found?.decidedInbound() ?? (listen[s.local.port] === 1 || inboundByPorts(s, ephemeral));
      dir ??= inbound ? 'inbound' : 'outbound';
    }
    if (!selection.all && !selection.matches(s, dir)) return;
    if (!mixedSaid && s.netns !== firstNetns) {
      if (firstNetns === UNSEEN) firstNetns = s.netns;
      else {
        mixedSaid = true;
        notices.push(
          'flows: sockets of more than one network namespace were folded without a netns label, so flows with the same addresses merge; ' +
            "create the metric fold with { namespaces: 'many' } (the agent does when collectors.linux-netlink.namespaces is all or a list)",
        );
      }
    }
    const memo = memos.see(s, gen, found);
    const fresh = memo.series === undefined;
    let g = memo.lastSeries(s, inbound, gen);
    if (g === undefined) memo.remember((g = table.seriesOf(s, inbound)), s, inbound);
    table.activate(g, gen, at);
    if (g.score < 0) g.score = 0; // a closed record came first (not the contract's order, but harmless)
    g.count++;
    if (g.states) {
      const i = stateIndex(s.state);
      g.states[i] = (g.states[i] as number) + 1;
    }
    if (fresh) {
      memo.firstSeenAt = at;
      count(g, events.opened);
    }
    if (!memo.established && s.state !== 'SYN_SENT') memo.established = true;
    addGauges(g.buf, s, plan);
    if (slots) slots.addDeltas(s, memo.slot, g.buf);
    if (histogram !== undefined) {
      if (memo.window !== win) {
        memo.window = win;
        if (hists.rtt < 0) aggregates.observe(s);
        else {
          const v = histogram.read(s);
          if (v !== undefined) g.hist(hists.rtt).observe(v);
        }
      }
    }
    const r = rank(s) ?? 0;
    if (!byRtt) g.score += r;
    else if (r > g.score) g.score = r;
  };

  /** The end of a collection, in steps (every thousand series or so) a caller may let the event loop run between. */
  function* ending(complete: boolean): Steps<MetricFamily[]> {
    if (!open) throw new Error('metric fold: end() without begin()');
    open = false;
    // a partial collection (complete false) did not see every live socket: keep their memos
    const oldest = unseen.end(gen, at, complete !== false);
    // with closed records coming, a socket a complete collection missed may still close in the next
    if (oldest !== undefined) memos.forgetSeenBefore(closedSeen && oldest === gen ? gen - 1 : oldest);
    yield;
    const { kept, folded } = seats.split(table.active, config.max_series, gen);
    for (let i = 0; i < kept.length; i++) {
      applySeries(kept[i] as Series, G, C);
      if ((i & 1023) === 1023) yield;
    }
    if (folded.length > 0) foldIntoOther(other, folded, plan, gen, at);
    const dropped = countDropped(folded, plan);
    table.forgetIdle(gen, at);
    yield;
    const withOther = folded.length > 0 ? other : undefined;
    const out = yield* emitFlowFamilySteps(plan, kept, withOther);
    yield;
    aggregates.emit(out, dropped, hists.rtt >= 0 ? (withOther ? [...kept, withOther] : kept) : undefined);
    return out;
  }

  const end = (complete: boolean): MetricFamily[] => runSteps(ending(complete));
  const endSliced = (complete: boolean, slice: TimeSlice): Promise<MetricFamily[]> => runStepsSliced(ending(complete), slice);

  return { begin, add, end, endSliced, settled: () => selection.settled(), notices: () => notices, config };
}
