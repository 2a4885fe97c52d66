import type { AggregatedRow, ConnectionsAnswer, DetailedRow, TopologyActor } from '@sockscope/core';

/** How text is shown: colour (only on a terminal, never under NO_COLOR) and the terminal's width. */
export interface RenderOptions {
  color: boolean;
  /** Lines are cut to this many characters (a terminal's columns); undefined: never cut. */
  width?: number;
}

const CODES = { bold: '1', dim: '2', red: '31', green: '32', yellow: '33', blue: '34', magenta: '35', cyan: '36' } as const;
type Colour = keyof typeof CODES;

const paint = (on: boolean, colour: Colour | undefined, text: string) => (on && colour ? `\x1b[${CODES[colour]}m${text}\x1b[0m` : text);

/** `ip:port`, IPv6 in brackets as ss writes it. */
export function endpoint(ip: string, port: number): string {
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}

const DIRECTION_COLOURS: Record<string, Colour> = { listen: 'blue', inbound: 'green', outbound: 'cyan', 'local-inbound': 'magenta', 'local-outbound': 'magenta' };
const stateColour = (state: string): Colour | undefined =>
  state === 'ESTABLISHED' ? 'green' : state === 'LISTEN' ? 'blue' : state === 'CLOSE_WAIT' || state === 'TIME_WAIT' || state.startsWith('FIN_WAIT') || state === 'LAST_ACK' ? 'yellow' : state === 'SYN_SENT' || state === 'SYN_RECV' ? 'red' : undefined;

const ms = (v: number | undefined) => (v === undefined ? '' : v >= 100 ? `${v.toFixed(0)}ms` : v >= 10 ? `${v.toFixed(1)}ms` : `${v.toFixed(2)}ms`);

/** `namespace/pod/container`, or the container, or the systemd unit. */
function owner(r: { container?: string; pod?: string; namespace?: string; unit?: string }): string {
  if (r.pod) return [r.namespace, r.pod, r.container].filter(Boolean).join('/');
  return r.container ?? r.unit ?? '';
}

interface Column<R> {
  title: string;
  cell(row: R): string;
  colour?(row: R): Colour | undefined;
  right?: boolean;
}

/** Rows as aligned columns: a bold header, each cell padded to its column, lines cut to the width. */
function table<R>(rows: readonly R[], columns: readonly Column<R>[], opts: RenderOptions): string {
  const cells = rows.map((r) => columns.map((c) => c.cell(r)));
  const widths = columns.map((c, i) => Math.max(c.title.length, ...cells.map((row) => (row[i] as string).length)));
  // the last column is never padded (no trailing spaces)
  const line = (texts: readonly string[], colours: readonly (Colour | undefined)[]) => {
    const plain = texts.map((t, i) => (i === texts.length - 1 ? t : columns[i]?.right ? t.padStart(widths[i] as number) : t.padEnd(widths[i] as number)));
    if (opts.width !== undefined) {
      // cut at the width, counting only visible characters
      let left = opts.width;
      const out: string[] = [];
      for (let i = 0; i < plain.length && left > 0; i++) {
        const text = (plain[i] as string).slice(0, left);
        left -= text.length + 2;
        out.push(paint(opts.color, colours[i], text));
      }
      return out.join('  ').trimEnd();
    }
    return plain.map((t, i) => paint(opts.color, colours[i], t)).join('  ').trimEnd();
  };
  const header = line(
    columns.map((c) => c.title),
    columns.map(() => 'bold' as const),
  );
  return [header, ...rows.map((r, n) => line(cells[n] as string[], columns.map((c) => c.colour?.(r))))].join('\n');
}

const DETAILED: Column<DetailedRow>[] = [
  { title: 'DIRECTION', cell: (r) => r.direction || '?', colour: (r) => DIRECTION_COLOURS[r.direction] },
  { title: 'PROTO', cell: (r) => r.protocol },
  { title: 'STATE', cell: (r) => r.state, colour: (r) => stateColour(r.state) },
  { title: 'RECV-Q', cell: (r) => String(r.recv_queue), right: true },
  { title: 'SEND-Q', cell: (r) => String(r.send_queue), right: true },
  { title: 'LOCAL', cell: (r) => endpoint(r.local_ip, r.local_port) },
  { title: 'REMOTE', cell: (r) => (r.direction === 'listen' || (r.remote_port === 0 && /^(0\.0\.0\.0|::)$/.test(r.remote_ip)) ? '*' : endpoint(r.remote_ip, r.remote_port)) },
  { title: 'PROCESS', cell: (r) => (r.process ? `${r.process}[${r.pid ?? '?'}]` : '') },
  { title: 'USER', cell: (r) => r.user ?? String(r.uid) },
  { title: 'CONTAINER', cell: owner },
  { title: 'RTT', cell: (r) => (r.state === 'LISTEN' ? '' : ms(r.rtt_ms)), colour: (r) => (r.total_retransmits ? 'red' : undefined), right: true },
];

const AGGREGATED: Column<AggregatedRow>[] = [
  { title: 'COUNT', cell: (r) => String(r.count), right: true },
  { title: 'DIRECTION', cell: (r) => r.direction || '?', colour: (r) => DIRECTION_COLOURS[r.direction] },
  { title: 'PROTO', cell: (r) => r.protocol },
  { title: 'STATE', cell: (r) => r.state, colour: (r) => stateColour(r.state) },
  { title: 'SERVER', cell: (r) => `${endpoint(r.server_ip, r.server_port)}${r.port_name ? ` (${r.port_name})` : ''}` },
  { title: 'PROCESS', cell: (r) => r.process ?? '' },
  { title: 'USER', cell: (r) => r.user ?? String(r.uid) },
  { title: 'CLIENT', cell: (r) => r.client_space },
  { title: 'MAX-RTT', cell: (r) => (r.state === 'LISTEN' ? '' : ms(r.rtt_ms)), right: true },
  { title: 'RETRANS', cell: (r) => (r.total_retransmits === undefined ? '' : String(r.total_retransmits)), colour: (r) => (r.total_retransmits ? 'red' : undefined), right: true },
];

/** The counts line under a table: matched of all, by direction and protocol, and whether rows were left out. */
function summary(answer: ConnectionsAnswer, shown: number, opts: RenderOptions): string {
  const { counts } = answer;
  const tally = (t: Record<string, number>) =>
    Object.entries(t)
      .map(([k, v]) => `${k || '?'} ${v}`)
      .join(', ');
  // nothing matched: no tallies to give (they used to read "— none; no protocol")
  const lines = [
    counts.matched === 0
      ? `0 of ${counts.sockets} sockets matched`
      : `${counts.matched} of ${counts.sockets} sockets matched — ${tally(counts.by_direction)}; ${tally(counts.by_protocol)}`,
  ];
  if (answer.truncated) lines.push(paint(opts.color, 'yellow', `showing ${shown}: the rest were left out (raise --limit, up to 100000, or filter)`));
  if (!answer.collection.complete) {
    const failed = answer.collection.collectors.filter((c) => !c.success).map((c) => `${c.name}${c.error ? `: ${c.error}` : ''}`);
    lines.push(paint(opts.color, 'red', `partial collection${failed.length ? `: ${failed.join('; ')}` : ''}`));
  }
  return lines.join('\n');
}

function actorText(a: TopologyActor | undefined, id: string): string {
  if (!a) return id;
  return a.kind === 'endpoint' ? `${a.label}${a.space ? ` (${a.space})` : ''}` : a.label;
}

/** An actor's labels (`--labels`) as `field=v1,v2` pairs, `…` when a label was cut at 10 values. */
function labelsText(a: TopologyActor): string {
  if (!a.labels) return '';
  const parts = Object.entries(a.labels)
    .filter(([, v]) => v.length > 0)
    .map(([k, v]) => `${k}=${v.join(',')}`);
  return `${parts.join(' ')}${a.labels_truncated ? ' …' : ''}`;
}

/** The topology as text: the actors with their sockets, then each client → server link. */
function topologyText(answer: ConnectionsAnswer, opts: RenderOptions): string {
  const topo = answer.topology;
  if (!topo) return '';
  const byId = new Map(topo.actors.map((a) => [a.id, a]));
  const actors = table(
    topo.actors,
    [
      { title: 'ACTOR', cell: (a) => actorText(a, a.id), colour: (a) => (a.kind === 'endpoint' ? 'cyan' : a.kind === 'host' ? 'dim' : undefined) },
      { title: 'KIND', cell: (a) => a.kind },
      { title: 'SOCKETS', cell: (a) => String(a.sockets), right: true },
      ...(topo.actors.some((a) => a.labels !== undefined) ? [{ title: 'LABELS', cell: (a: TopologyActor) => labelsText(a) }] : []),
    ],
    opts,
  );
  const links = table(
    topo.links,
    [
      { title: 'CLIENT', cell: (l) => actorText(byId.get(l.source), l.source) },
      { title: '', cell: () => '→' },
      { title: 'SERVER', cell: (l) => actorText(byId.get(l.target), l.target) },
      { title: 'PROTO', cell: (l) => l.protocol },
      { title: 'STATE', cell: (l) => l.state, colour: (l) => stateColour(l.state) },
      { title: 'SOCKETS', cell: (l) => String(l.sockets), right: true },
      { title: 'MAX-RTT', cell: (l) => ms(l.max_rtt_ms), right: true },
      { title: 'RETRANS', cell: (l) => String(l.retransmits), colour: (l) => (l.retransmits ? 'red' : undefined), right: true },
    ],
    opts,
  );
  return `${paint(opts.color, 'bold', `Actors (${topo.actors.length}, grouped by ${topo.group_by})`)}\n${actors}\n\n${paint(opts.color, 'bold', `Links (${topo.links.length})`)}\n${links}`;
}

/** The answer as text: an ss-like table (detailed), the aggregated table, or the topology; then the counts. */
export function renderAnswer(answer: ConnectionsAnswer, opts: RenderOptions): string {
  if (answer.view === 'topology') return `${topologyText(answer, opts)}\n\n${summary(answer, answer.topology?.links.length ?? 0, opts)}\n`;
  const rows = answer.rows ?? [];
  const body = answer.view === 'aggregated' ? table(rows as AggregatedRow[], AGGREGATED, opts) : table(rows as DetailedRow[], DETAILED, opts);
  return `${body}\n\n${summary(answer, rows.length, opts)}\n`;
}
