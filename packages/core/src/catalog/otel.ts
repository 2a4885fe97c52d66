import type { MetricFamily, MetricType, OtelMapping } from '../types/family.js';
import { BoundedMemo } from '../util/bounded-memo.js';

/**
 * The OpenTelemetry instrument-name syntax (metrics API): an ASCII letter, then up to 254
 * letters, digits, `_`, `.`, `-` or `/`.
 */
export const OTEL_INSTRUMENT_NAME = /^[A-Za-z][A-Za-z0-9_./-]{0,254}$/;

/**
 * Kernel TCP state names → the `network.connection.state` values of the semantic conventions.
 * Linux's names (`SocketState`) and FreeBSD's as node_exporter labels them (`CLOSED`, `SYN_RCVD`,
 * `FIN_WAIT_1`, `FIN_WAIT_2`) both. `NEW_SYN_RECV` is Linux's request minisocket, a connection
 * in SYN-RECEIVED (`ss` shows it as `SYN-RECV`): it is `syn_received`, summed with the full
 * sockets in that state. `UNKNOWN` (a state number the kernel added later) has no convention
 * value: the attribute is left out rather than invented.
 */
export const CONNECTION_STATE_VALUES: Readonly<Record<string, string>> = Object.freeze({
  ESTABLISHED: 'established',
  SYN_SENT: 'syn_sent',
  SYN_RECV: 'syn_received',
  NEW_SYN_RECV: 'syn_received',
  SYN_RCVD: 'syn_received',
  FIN_WAIT1: 'fin_wait_1',
  FIN_WAIT_1: 'fin_wait_1',
  FIN_WAIT2: 'fin_wait_2',
  FIN_WAIT_2: 'fin_wait_2',
  TIME_WAIT: 'time_wait',
  CLOSE: 'closed',
  CLOSED: 'closed',
  CLOSE_WAIT: 'close_wait',
  LAST_ACK: 'last_ack',
  LISTEN: 'listen',
  CLOSING: 'closing',
  UNKNOWN: '',
});

/**
 * Address families → `network.type`: the convention knows `ipv4` and `ipv6` only. A Unix
 * domain socket has no network layer; its `network.transport` is `unix`, so it carries no
 * `network.type` rather than a value the attribute does not define.
 */
export const ADDRESS_FAMILY_VALUES: Readonly<Record<string, string>> = Object.freeze({ ipv4: 'ipv4', ipv6: 'ipv6', unix: '' });

// node_exporter subsystems, longest first: their words become one dotted segment, and for
// netstat and sockstat the next word is the protocol (`node_netstat_TcpExt_…`, `node_sockstat_TCP_…`).
const SUBSYSTEMS: ReadonlyArray<readonly [prometheus: string, otel: string, protocolNext: boolean]> = [
  ['node_netstat_', 'node.netstat.', true],
  ['node_sockstat_', 'node.sockstat.', true],
  ['node_nf_conntrack_stat_', 'node.nf_conntrack.stat.', false],
  ['node_nf_conntrack_', 'node.nf_conntrack.', false],
  ['node_softnet_', 'node.softnet.', false],
  ['node_network_', 'node.network.', false],
];

/** `RetransSegs` → `retrans_segs`, `TCPSynRetrans` → `tcp_syn_retrans`, `mem_bytes` stays; odd characters become `_`. */
function snake(word: string): string {
  return word
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')
    .toLowerCase()
    .replace(/[^a-z0-9_]/g, '_');
}

/**
 * The OTel name of a family that has no semantic-convention metric, derived from its Prometheus
 * name: a counter drops `_total` (an OTel sum says it); the namespace (`node`, `sockscope`, a
 * plugin's prefix) and node_exporter's subsystem (`netstat`, `sockstat`, `nf_conntrack`,
 * `nf_conntrack.stat`, `softnet`, `network`) and, for netstat and sockstat, the protocol become
 * dotted segments; the rest is snake_case with CamelCase split (`node_netstat_Tcp_RetransSegs` →
 * `node.netstat.tcp.retrans_segs`, `node_softnet_times_squeezed_total` →
 * `node.softnet.times_squeezed`). Unit words stay in the name (`node.sockstat.tcp.mem_bytes`
 * beside `node.sockstat.tcp.mem` in pages), so two families never derive one name.
 */
export function otelNameOf(prometheusName: string, type: MetricType): string {
  // every collection asks again for the same few hundred families: derived once each
  return (type === 'counter' ? derivedCounterNames : derivedNames).get(prometheusName);
}

/** Families with names of their own (plugins) could be many: past this, the memo starts over. */
const DERIVED_NAMES_MAX = 4096;
/** Derived names by Prometheus name, of counters (theirs drop `_total`) and of any other type (only a counter's type changes the name). */
const derivedCounterNames = new BoundedMemo(DERIVED_NAMES_MAX, (name: string) => deriveOtelName(name, 'counter'));
const derivedNames = new BoundedMemo(DERIVED_NAMES_MAX, (name: string) => deriveOtelName(name, 'gauge'));

function deriveOtelName(prometheusName: string, type: MetricType): string {
  let rest = type === 'counter' && prometheusName.endsWith('_total') ? prometheusName.slice(0, -'_total'.length) : prometheusName;
  let head = '';
  const sub = SUBSYSTEMS.find(([p]) => rest.startsWith(p));
  if (sub) {
    head = sub[1];
    rest = rest.slice(sub[0].length);
    const cut = sub[2] ? rest.indexOf('_') : -1;
    if (cut > 0) {
      head += `${snake(rest.slice(0, cut))}.`;
      rest = rest.slice(cut + 1);
    }
  } else {
    const cut = rest.indexOf('_');
    if (cut > 0) {
      head = `${snake(rest.slice(0, cut))}.`;
      rest = rest.slice(cut + 1);
    }
  }
  let name = head + snake(rest);
  if (!/^[a-z]/.test(name)) name = `x${name}`;
  return name.slice(0, 255);
}

/** The UCUM unit a Prometheus name's suffix says: `_seconds` → `s`, `_bytes` / `Octets` → `By`, `_bytes_per_second` → `By/s`, else `1`. */
export function otelUnitOf(prometheusName: string): string {
  const base = prometheusName.replace(/_total$/, '');
  if (base.endsWith('_bytes_per_second')) return 'By/s';
  if (base.endsWith('_seconds')) return 's';
  if (base.endsWith('_bytes') || base.endsWith('Octets')) return 'By';
  return '1';
}

/** The mapping of a family without a semantic-convention metric: its derived name and unit, labels kept. */
export function derivedOtelMapping(family: Pick<MetricFamily, 'name' | 'type'>, extra: Partial<OtelMapping> = {}): OtelMapping {
  return { name: otelNameOf(family.name, family.type), unit: otelUnitOf(family.name), ...extra };
}

/** How a family is published over OTLP: its own mapping, or the derived one when it has none. */
export function otelMappingOf(family: MetricFamily): OtelMapping {
  return family.otel ?? derivedOtelMapping(family);
}
