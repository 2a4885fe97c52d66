import type { Fold } from '../contracts/fold.js';
import { DEFAULT_EPHEMERAL_PORTS, inboundByPorts, portRangeProblems, UnseenCutoff, type PortRange } from '../enrichers/direction.js';
import { SockscopeError } from '../errors.js';
import { compileSelection } from '../selection/compile.js';
import type { ResolveHost } from '../selection/hosts.js';
import type { MetricFamily } from '../types/family.js';
import type { Direction, SocketRecord, SocketState } from '../types/socket.js';
import { Aggregates, markListeningPort } from './aggregates.js';
import { CapSeats } from './cap.js';
import { CounterSlots } from './counter-slots.js';
import { emitFlowFamilies } from './emit.js';
import { createFlowKeyer } from './fold.js';
import { planFlows } from './plan.js';
import { resolveFlowsConfig, type FlowsConfig, type FlowsConfigInput } from './schema.js';
import { SeriesTable } from './series-table.js';
import { Series, addGauges, applyDeltas, countDropped, foldIntoOther } from './series.js';
import { SocketMemos, type SocketMemo } from './socket-memory.js';

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
  const slots = C > 0 ? new CounterSlots(plan.counterReaders, 2 * G) : undefined;
  const memos = new SocketMemos(slots, many);
  const seats = new CapSeats(config.top_k);
  const retentionMs = deps.retentionMs ?? 600_000;
  const table = new SeriesTable(keyer, G, C, { retentionMs, maxIdle: deps.maxIdleSeries ?? config.max_idle_series });
  const unseen = new UnseenCutoff(retentionMs);
  const aggregates = new Aggregates(plan);
  const other = new Series('\u0000other', keyer.otherLabels, G, C);
  // TCP listening ports of the collection open: a flow from a marked local port was accepted
  const listen = plan.needListen ? new Uint8Array(65536) : undefined;
  const notices: string[] = [];
  if (!deps.resolveHost && (config.selection.include.hosts?.length || config.selection.exclude.hosts?.length)) {
    notices.push('flows.selection: host names are configured but no resolver was given; they match nothing');
  }
  let gen = 0; // collection number
  let open = false;
  let at = 0; // timestamp of the collection open
  // one namespace expected: the first flow's namespace of the collection, until another shows
  const UNSEEN = -1;
  let firstNetns: number | undefined = UNSEEN;
  let mixedSaid = many;

  const begin = (timestamp: number): void => {
    if (open) for (const g of table.active) applyDeltas(g.buf, G, C);
    gen++;
    open = true;
    at = timestamp;
    selection.tick();
    firstNetns = UNSEEN;
    listen?.fill(0);
    table.begin();
    aggregates.begin();
  };

  const add = (s: SocketRecord): void => {
    if (!open) throw new Error('metric fold: add() outside begin()/end()');
    aggregates.add(s);
    if (listen) markListeningPort(listen, s);
    if (s.protocol !== 'tcp' || NOT_FLOW[s.state]) return;
    let dir: Direction | undefined = s.direction;
    let inbound = dir === 'inbound';
    let found: SocketMemo | undefined;
    if ((dir === undefined || dir === 'local') && listen) {
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
    let g = memo.lastSeries(s, inbound, gen);
    if (g === undefined) memo.remember((g = table.seriesOf(s, inbound)), s, inbound);
    table.activate(g, gen, at);
    g.count++;
    addGauges(g.buf, s, plan);
    if (slots) slots.addDeltas(s, memo.slot, g.buf);
    aggregates.observe(s);
    const r = rank(s) ?? 0;
    if (!byRtt) g.score += r;
    else if (r > g.score) g.score = r;
  };

  const end = (complete: boolean): MetricFamily[] => {
    if (!open) throw new Error('metric fold: end() without begin()');
    open = false;
    // a partial collection (complete false) did not see every live socket: keep their memos
    const oldest = unseen.end(gen, at, complete !== false);
    if (oldest !== undefined) memos.forgetSeenBefore(oldest);
    const { kept, folded } = seats.split(table.active, config.max_series, gen);
    for (const g of kept) applyDeltas(g.buf, G, C);
    if (folded.length > 0) foldIntoOther(other, folded, plan, gen, at);
    const dropped = countDropped(folded, plan);
    table.forgetIdle(gen, at);
    const out = emitFlowFamilies(plan, kept, folded.length > 0 ? other : undefined);
    aggregates.emit(out, dropped);
    return out;
  };

  return { begin, add, end, settled: () => selection.settled(), notices: () => notices, config };
}
