import { unmapAddress } from '../enrichers/direction.js';
import type { AddressSpace } from '../net/address-space.js';
import { inNetwork, parseIp, type IpAddress } from '../selection/ip.js';
import type { ConnectionsSnapshot } from './connections-fold.js';
import { SockscopeError } from '../errors.js';
import type { ConnectionsQuery, ConnectionsView, TopologyGroupBy } from './query.js';
import { rowAgeSeconds, serverIsLocal, type ConnectionDirection, type ConnectionProtocol, type ConnectionRow } from './row.js';
import { buildTopology } from './topology.js';

/** One socket in a detailed answer (snake_case; absent fields omitted). */
export interface DetailedRow {
  direction: ConnectionDirection;
  protocol: ConnectionProtocol;
  state: string;
  netns: string;
  pid?: number;
  process?: string;
  cmdline?: string;
  uid: number;
  user?: string;
  container?: string;
  pod?: string;
  namespace?: string;
  image?: string;
  unit?: string;
  local_ip: string;
  local_port: number;
  local_space: AddressSpace;
  remote_ip: string;
  remote_port: number;
  remote_space: AddressSpace;
  server_port: number;
  port_name?: string;
  rtt_ms?: number;
  rttvar_ms?: number;
  min_rtt_ms?: number;
  rcv_rtt_ms?: number;
  cwnd?: number;
  ssthresh?: number;
  mss?: number;
  rto_ms?: number;
  delivery_rate_bps?: number;
  retransmits?: number;
  total_retransmits?: number;
  lost?: number;
  unacked?: number;
  sacked?: number;
  bytes_acked?: number;
  bytes_received?: number;
  recv_queue: number;
  send_queue: number;
  inode: number;
  cookie?: string;
  age_seconds?: number;
}

/** Sockets folded on their process, user, direction, namespace, state, protocol and server endpoint, tcp_info merged. */
export interface AggregatedRow {
  process?: string;
  uid: number;
  user?: string;
  direction: ConnectionDirection;
  netns: string;
  state: string;
  protocol: ConnectionProtocol;
  server_ip: string;
  server_port: number;
  port_name?: string;
  client_space: AddressSpace;
  server_space: AddressSpace;
  count: number;
  rtt_ms?: number;
  rttvar_ms?: number;
  rcv_rtt_ms?: number;
  recv_queue: number;
  send_queue: number;
  total_retransmits?: number;
  lost?: number;
  unacked?: number;
  sacked?: number;
  cwnd?: number;
  ssthresh?: number;
  mss?: number;
  rto_ms?: number;
}

/** A node of the topology: this host, a process, a container, or a remote endpoint. */
export interface TopologyActor {
  id: string;
  kind: 'host' | 'process' | 'container' | 'endpoint';
  label: string;
  pid?: number;
  process?: string;
  container?: string;
  address?: string;
  space?: AddressSpace;
  sockets: number;
  /** With `labels=`: per asked row field, the distinct values over the actor's rows, sorted, at most 10. */
  labels?: Record<string, string[]>;
  /** True when a label of this actor had more than 10 values and was cut. */
  labels_truncated?: true;
}

/** Client → server connections between two actors of one protocol and state. */
export interface TopologyLink {
  source: string;
  target: string;
  protocol: ConnectionProtocol;
  state: string;
  sockets: number;
  retransmits: number;
  max_rtt_ms?: number;
}

/** The JSON answer of `GET /api/v1/connections` (version 1). */
export interface ConnectionsAnswer {
  version: 1;
  view: ConnectionsView;
  timestamp: string;
  hostname: string;
  collection: { duration_seconds: number; complete: boolean; collectors: { name: string; success: boolean; error?: string }[] };
  counts: {
    sockets: number;
    matched: number;
    by_direction: Record<string, number>;
    by_protocol: Record<string, number>;
    by_process: Record<string, number>;
  };
  truncated: boolean;
  limit: number;
  rows?: DetailedRow[] | AggregatedRow[];
  topology?: { group_by: TopologyGroupBy; actors: TopologyActor[]; links: TopologyLink[] };
}

/** Processes named in `counts.by_process`; the rest are summed under `other`. */
export const BY_PROCESS_TOP = 20;
/** `counts.by_process` key of sockets with no known process. */
export const NO_PROCESS = '(none)';

/** A compiled query: one predicate per filter given, regexes built once and memoised by value. */
function compileFilter(q: ConnectionsQuery): (r: ConnectionRow) => boolean {
  const tests: ((r: ConnectionRow) => boolean)[] = [];
  const set = <T>(values: readonly T[], get: (r: ConnectionRow) => T | undefined) => {
    if (values.length === 0) return;
    const s = new Set(values);
    tests.push((r) => {
      const v = get(r);
      return v !== undefined && s.has(v);
    });
  };
  set(q.protocol, (r) => r.protocol);
  if (q.family.length > 0) {
    const v4 = q.family.includes('ipv4');
    const v6 = q.family.includes('ipv6');
    // a dual-stack socket serves both families
    tests.push((r) => (r.protocol.endsWith('46') ? true : r.protocol.endsWith('4') ? v4 : v6));
  }
  set(q.state, (r) => r.state);
  set(q.direction, (r) => r.direction);
  if (q.netns.length > 0) {
    const s = new Set(q.netns);
    tests.push((r) => s.has(r.netns) || (r.netnsInode >= 0 && s.has(String(r.netnsInode))));
  }
  if (q.process.length > 0) {
    const res = q.process.map(globToRegExp);
    const memo = new Map<string, boolean>();
    tests.push((r) => {
      const p = r.process;
      if (p === undefined) return false;
      let m = memo.get(p);
      if (m === undefined) memo.set(p, (m = res.some((re) => re.test(p))));
      return m;
    });
  }
  set(q.pid, (r) => r.pid);
  if (q.container.length > 0) {
    const names = new Set(q.container);
    const ids = q.container.filter((c) => c.length >= 12);
    tests.push((r) => (r.container !== undefined && names.has(r.container)) || (r.containerId !== undefined && ids.some((id) => (r.containerId as string).startsWith(id))));
  }
  if (q.pod.length > 0) {
    const s = new Set(q.pod);
    tests.push((r) => (r.pod !== undefined && s.has(r.pod)) || (r.podUid !== undefined && s.has(r.podUid)));
  }
  set(q.namespace, (r) => r.namespace);
  const inRanges = (ranges: readonly (readonly [number, number])[]) => {
    const bits = new Uint8Array(65536);
    for (const [a, b] of ranges) bits.fill(1, a, b + 1);
    return bits;
  };
  if (q.port.length > 0) {
    const bits = inRanges(q.port);
    tests.push((r) => bits[r.localPort] === 1 || bits[r.remotePort] === 1);
  }
  if (q.localPort.length > 0) {
    const bits = inRanges(q.localPort);
    tests.push((r) => bits[r.localPort] === 1);
  }
  if (q.remotePort.length > 0) {
    const bits = inRanges(q.remotePort);
    tests.push((r) => bits[r.remotePort] === 1);
  }
  if (q.address.length > 0) {
    const memo = new Map<string, boolean>();
    const hit = (text: string): boolean => {
      let m = memo.get(text);
      if (m === undefined) {
        const ip: IpAddress | undefined = parseIp(text);
        memo.set(text, (m = ip !== undefined && q.address.some((n) => inNetwork(ip, n))));
      }
      return m;
    };
    tests.push((r) => hit(r.localIp) || hit(r.remoteIp));
  }
  set(q.space, (r) => r.remoteSpace);
  if (tests.length === 0) return () => true;
  return (r) => {
    for (let i = 0; i < tests.length; i++) if (!(tests[i] as (r: ConnectionRow) => boolean)(r)) return false;
    return true;
  };
}

/** A command-name glob (`*`, `?`) as an anchored regular expression; everything else is literal. */
function globToRegExp(glob: string): RegExp {
  let src = '';
  for (const ch of glob) src += ch === '*' ? '.*' : ch === '?' ? '.' : ch.replace(/[\\^$.|+()[\]{}]/g, '\\$&');
  return new RegExp(`^${src}$`, 's');
}

/** A command line cut to `max` characters, the last one `…`. */
function shorten(cmdline: string, max: number): string {
  return cmdline.length <= max ? cmdline : `${cmdline.slice(0, max - 1)}…`;
}

function detailedRow(r: ConnectionRow, cmdline: (c: string) => string, timestamp: number): DetailedRow {
  const o: DetailedRow = { direction: r.direction, protocol: r.protocol, state: r.state, netns: r.netns } as DetailedRow;
  if (r.pid !== undefined) o.pid = r.pid;
  if (r.process !== undefined) o.process = r.process;
  if (r.cmdline !== undefined) o.cmdline = cmdline(r.cmdline);
  o.uid = r.uid;
  if (r.user !== undefined) o.user = r.user;
  if (r.container !== undefined) o.container = r.container;
  if (r.pod !== undefined) o.pod = r.pod;
  if (r.namespace !== undefined) o.namespace = r.namespace;
  if (r.image !== undefined) o.image = r.image;
  if (r.unit !== undefined) o.unit = r.unit;
  o.local_ip = r.localIp;
  o.local_port = r.localPort;
  o.local_space = r.localSpace;
  o.remote_ip = r.remoteIp;
  o.remote_port = r.remotePort;
  o.remote_space = r.remoteSpace;
  o.server_port = r.serverPort;
  if (r.portName !== undefined) o.port_name = r.portName;
  if (r.rttUs !== undefined) o.rtt_ms = r.rttUs / 1000;
  if (r.rttvarUs !== undefined) o.rttvar_ms = r.rttvarUs / 1000;
  if (r.minRttUs !== undefined) o.min_rtt_ms = r.minRttUs / 1000;
  if (r.rcvRttUs !== undefined) o.rcv_rtt_ms = r.rcvRttUs / 1000;
  if (r.cwnd !== undefined) o.cwnd = r.cwnd;
  if (r.ssthresh !== undefined) o.ssthresh = r.ssthresh;
  if (r.mss !== undefined) o.mss = r.mss;
  if (r.rtoUs !== undefined) o.rto_ms = r.rtoUs / 1000;
  if (r.deliveryRate !== undefined) o.delivery_rate_bps = r.deliveryRate;
  if (r.retransmits !== undefined) o.retransmits = r.retransmits;
  if (r.totalRetransmits !== undefined) o.total_retransmits = r.totalRetransmits;
  if (r.lost !== undefined) o.lost = r.lost;
  if (r.unacked !== undefined) o.unacked = r.unacked;
  if (r.sacked !== undefined) o.sacked = r.sacked;
  if (r.bytesAcked !== undefined) o.bytes_acked = r.bytesAcked;
  if (r.bytesReceived !== undefined) o.bytes_received = r.bytesReceived;
  o.recv_queue = r.recvQueue;
  o.send_queue = r.sendQueue;
  o.inode = r.inode;
  if (r.cookie !== undefined) o.cookie = r.cookie.toString();
  const age = rowAgeSeconds(r, timestamp);
  if (age !== undefined) o.age_seconds = age;
  return o;
}

/** Aggregation: keeps merged numbers undefined until a socket has them (max/min/sum of what is known). */
class Aggregate {
  count = 0;
  rtt: number | undefined = undefined;
  rttvar: number | undefined = undefined;
  rcvRtt: number | undefined = undefined;
  recvQueue = 0;
  sendQueue = 0;
  totalRetransmits: number | undefined = undefined;
  lost: number | undefined = undefined;
  unacked: number | undefined = undefined;
  sacked: number | undefined = undefined;
  cwnd: number | undefined = undefined;
  ssthresh: number | undefined = undefined;
  mss: number | undefined = undefined;
  rto: number | undefined = undefined;

  constructor(readonly first: ConnectionRow) {}

  add(r: ConnectionRow): void {
    this.count++;
    this.rtt = max(this.rtt, r.rttUs);
    this.rttvar = max(this.rttvar, r.rttvarUs);
    this.rcvRtt = max(this.rcvRtt, r.rcvRttUs);
    this.recvQueue = Math.max(this.recvQueue, r.recvQueue);
    this.sendQueue = Math.max(this.sendQueue, r.sendQueue);
    this.totalRetransmits = sum(this.totalRetransmits, r.totalRetransmits);
    this.lost = sum(this.lost, r.lost);
    this.unacked = sum(this.unacked, r.unacked);
    this.sacked = sum(this.sacked, r.sacked);
    this.cwnd = min(this.cwnd, r.cwnd);
    this.ssthresh = min(this.ssthresh, r.ssthresh);
    this.mss = min(this.mss, r.mss);
    this.rto = min(this.rto, r.rtoUs);
  }

  row(): AggregatedRow {
    const r = this.first;
    const local = serverIsLocal(r.direction);
    const o = {} as AggregatedRow;
    if (r.process !== undefined) o.process = r.process;
    o.uid = r.uid;
    if (r.user !== undefined) o.user = r.user;
    o.direction = r.direction;
    o.netns = r.netns;
    o.state = r.state;
    o.protocol = r.protocol;
    o.server_ip = local ? r.localIp : r.remoteIp;
    o.server_port = r.serverPort;
    if (r.portName !== undefined) o.port_name = r.portName;
    o.client_space = local ? r.remoteSpace : r.localSpace;
    o.server_space = local ? r.localSpace : r.remoteSpace;
    o.count = this.count;
    if (this.rtt !== undefined) o.rtt_ms = this.rtt / 1000;
    if (this.rttvar !== undefined) o.rttvar_ms = this.rttvar / 1000;
    if (this.rcvRtt !== undefined) o.rcv_rtt_ms = this.rcvRtt / 1000;
    o.recv_queue = this.recvQueue;
    o.send_queue = this.sendQueue;
    if (this.totalRetransmits !== undefined) o.total_retransmits = this.totalRetransmits;
    if (this.lost !== undefined) o.lost = this.lost;
    if (this.unacked !== undefined) o.unacked = this.unacked;
    if (this.sacked !== undefined) o.sacked = this.sacked;
    if (this.cwnd !== undefined) o.cwnd = this.cwnd;
    if (this.ssthresh !== undefined) o.ssthresh = this.ssthresh;
    if (this.mss !== undefined) o.mss = this.mss;
    if (this.rto !== undefined) o.rto_ms = this.rto / 1000;
    return o;
  }
}

const max = (a: number | undefined, b: number | undefined) => (b === undefined ? a : a === undefined || b > a ? b : a);
const min = (a: number | undefined, b: number | undefined) => (b === undefined ? a : a === undefined || b < a ? b : a);
const sum = (a: number | undefined, b: number | undefined) => (b === undefined ? a : (a ?? 0) + b);

function aggregateKey(r: ConnectionRow): string {
  return (r.aggregateKey ??= makeAggregateKey(r));
}

function makeAggregateKey(r: ConnectionRow): string {
  const local = serverIsLocal(r.direction);
  const server = unmapAddress(local ? r.localIp : r.remoteIp);
  const spaces = local ? `${r.remoteSpace}\u0001${r.localSpace}` : `${r.localSpace}\u0001${r.remoteSpace}`;
  return `${r.process ?? ''}\u0001${r.uid}\u0001${r.direction}\u0001${r.netns}\u0001${r.state}\u0001${r.protocol}\u0001${server}\u0001${r.serverPort}\u0001${spaces}`;
}

function countsOf(snapshot: ConnectionsSnapshot, matched: readonly ConnectionRow[]): ConnectionsAnswer['counts'] {
  const byDirection: Record<string, number> = {};
  const byProtocol: Record<string, number> = {};
  const byProcess = new Map<string, number>();
  for (const r of matched) {
    byDirection[r.direction] = (byDirection[r.direction] ?? 0) + 1;
    byProtocol[r.protocol] = (byProtocol[r.protocol] ?? 0) + 1;
    const p = r.process ?? NO_PROCESS;
    byProcess.set(p, (byProcess.get(p) ?? 0) + 1);
  }
  const sorted = [...byProcess].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  const top: Record<string, number> = {};
  let other = 0;
  sorted.forEach(([p, n], i) => {
    if (i < BY_PROCESS_TOP) top[p] = n;
    else other += n;
  });
  if (other > 0) top.other = (top.other ?? 0) + other;
  return { sockets: snapshot.rows.length, matched: matched.length, by_direction: byDirection, by_protocol: byProtocol, by_process: top };
}

/**
 * A connections answer whose rows are made one by one as they are read (`rows` an iterable that
 * can be read once): the sink streams it as JSON without holding every row object of a large
 * answer at once. Everything else is as in {@link ConnectionsAnswer}.
 */
export type StreamedConnectionsAnswer = Omit<ConnectionsAnswer, 'rows'> & { rows?: Iterable<DetailedRow> | Iterable<AggregatedRow> };

/**
 * How a caller answers queries. Topology labels (`labels=`) are off by default, as netdata's
 * free-form labels are: a label is answered only when `allowLabels` allows its field name.
 */
export interface ConnectionsAnswerOptions {
  /** The label fields allowed: a predicate, or glob patterns of field names (`*`, `?`), such as `['*']` or `['image', 'unit']`. Default: none. */
  readonly allowLabels?: ((field: string) => boolean) | readonly string[];
  /** The setting that allows labels, named in the error when a label is not allowed (such as `sinks.prometheus.connections_topology_labels`). */
  readonly allowLabelsSetting?: string;
}

const globRegex = (pattern: string): RegExp => new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);

/** A predicate of the label fields `allow` allows (none when absent). */
export function compileLabelAllow(allow: ConnectionsAnswerOptions['allowLabels']): (field: string) => boolean {
  if (allow === undefined) return () => false;
  if (typeof allow === 'function') return allow;
  const res = allow.map(globRegex);
  return (field) => res.some((re) => re.test(field));
}

/** Throws `ERR_QUERY_INVALID` naming `allowLabelsSetting` when the query asks a label the options do not allow (before collecting). */
export function checkLabelsAllowed(query: ConnectionsQuery, options: ConnectionsAnswerOptions): void {
  if (query.labels.length === 0) return;
  const allowed = compileLabelAllow(options.allowLabels);
  const refused = query.labels.filter((f) => !allowed(f));
  if (refused.length === 0) return;
  const setting = options.allowLabelsSetting ?? 'the allowLabels option';
  const message = `labels: ${refused.join(', ')} ${refused.length > 1 ? 'are' : 'is'} not allowed here (topology labels are off by default); allow ${refused.length > 1 ? 'them' : 'it'} with ${setting} (glob patterns of field names, such as ${JSON.stringify(refused)} or ["*"]), or leave labels out`;
  throw new SockscopeError('ERR_QUERY_INVALID', message, [message]);
}

/**
 * Answers a connections query from a snapshot of the connections fold: the filters applied to
 * every row, the counts of the matched rows, then the view — detailed rows (the first `limit`
 * in collection order), aggregated rows (most sockets first, the first `limit`) or the topology
 * (actors and links, the `limit` links with most sockets). `truncated` says rows or links were cut.
 */
export function queryConnections(snapshot: ConnectionsSnapshot, query: ConnectionsQuery, options: ConnectionsAnswerOptions = {}): ConnectionsAnswer {
  const streamed = streamConnections(snapshot, query, options);
  if (streamed.rows === undefined) return streamed as ConnectionsAnswer;
  return { ...streamed, rows: [...(streamed.rows as Iterable<DetailedRow>)] };
}

/**
 * {@link queryConnections} with the rows made lazily: the filters, counts, `truncated` and (for
 * the topology) the links are computed at once, but a detailed or aggregated row object is only
 * built when the iterable reaches it, so a writer that serialises each row as it comes holds one
 * row at a time (a detailed answer of 20,000 sockets built whole held about 40 MB more).
 */
export function streamConnections(snapshot: ConnectionsSnapshot, query: ConnectionsQuery, options: ConnectionsAnswerOptions = {}): StreamedConnectionsAnswer {
  checkLabelsAllowed(query, options);
  const keep = compileFilter(query);
  const matched: ConnectionRow[] = [];
  for (const r of snapshot.rows) if (keep(r)) matched.push(r);
  const answer: StreamedConnectionsAnswer = {
    version: 1,
    view: query.view,
    timestamp: new Date(snapshot.timestamp).toISOString(),
    hostname: snapshot.hostname,
    collection: {
      duration_seconds: snapshot.collection.durationSeconds,
      complete: snapshot.collection.complete,
      collectors: snapshot.collection.collectors.map((c) => ({ ...c })),
    },
    counts: countsOf(snapshot, matched),
    truncated: false,
    limit: query.limit,
  };
  const max = query.fullCmdline ? Infinity : snapshot.cmdlineMax;
  const memo = new Map<string, string>();
  const cmdline = (c: string): string => {
    if (c.length <= max) return c;
    let s = memo.get(c);
    if (s === undefined) memo.set(c, (s = shorten(c, max)));
    return s;
  };
  if (query.view === 'detailed') {
    const n = Math.min(matched.length, query.limit);
    answer.truncated = matched.length > n;
    answer.rows = (function* detailedRows() {
      for (let i = 0; i < n; i++) yield detailedRow(matched[i] as ConnectionRow, cmdline, snapshot.timestamp);
    })();
  } else if (query.view === 'aggregated') {
    const groups = new Map<string, Aggregate>();
    for (const r of matched) {
      const k = aggregateKey(r);
      let g = groups.get(k);
      if (g === undefined) groups.set(k, (g = new Aggregate(r)));
      g.add(r);
    }
    const all = [...groups.values()].sort((a, b) => b.count - a.count);
    answer.truncated = all.length > query.limit;
    const n = Math.min(all.length, query.limit);
    answer.rows = (function* aggregatedRows() {
      for (let i = 0; i < n; i++) yield (all[i] as Aggregate).row();
    })();
  } else {
    const t = buildTopology(snapshot, matched, query.groupBy, query.limit, query.labels.length > 0 ? { fields: query.labels, cmdline } : undefined);
    answer.truncated = t.truncated;
    answer.topology = { group_by: query.groupBy, actors: t.actors, links: t.links };
  }
  return answer;
}
