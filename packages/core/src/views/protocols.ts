import type { HostStats } from '../types/host.js';

/**
 * The protocols view (`GET /api/v1/connections?view=protocols`): netdata's FreeBSD "network
 * protocols" function — per-second rates of the kernel's TCP and UDP counters and the number of
 * established TCP connections — as a small table. It is computed from the host stats a
 * collection already carries (`HostStats.protocols`, keyed like /proc/net/snmp): the FreeBSD
 * collector fills them from net.inet.tcp.stats, net.inet.udp.stats and net.inet.tcp.states, the
 * Linux procfs host stats from /proc/net/snmp and /proc/net/netstat, so both platforms answer the
 * same table. Rates are deltas between two collections over the time between them; the first
 * answer (nothing to compare with yet) says 0 for every rate.
 */

/** One counter of the table. */
export interface ProtocolRow {
  /** `tcp` or `udp`. */
  protocol: 'tcp' | 'udp';
  /** What is counted, snake_case (`active_opens`, `retrans_segs`, …). */
  counter: string;
  /** The kernel counter it comes from, as /proc/net/snmp names it (`Tcp.ActiveOpens`). */
  source: string;
  /** Per second since the previous collection (0 on the first answer or after a counter reset). */
  per_second: number;
  /** The counter's value now (since boot). */
  total: number;
}

/** The JSON answer of `view=protocols` (version 1). */
export interface ProtocolsAnswer {
  version: 1;
  view: 'protocols';
  timestamp: string;
  hostname: string;
  /** Seconds between the two collections the rates come from; 0 on the first answer. */
  interval_seconds: number;
  /** Established TCP connections now (RFC 1213 tcpCurrEstab: ESTABLISHED and CLOSE_WAIT); absent when the kernel gave no count. */
  tcp_established?: number;
  rows: ProtocolRow[];
}

/** The counters of the table, in its order: [protocol, counter, group, key]. */
export const PROTOCOL_COUNTERS: readonly (readonly ['tcp' | 'udp', string, string, string])[] = [
  ['tcp', 'active_opens', 'Tcp', 'ActiveOpens'],
  ['tcp', 'passive_opens', 'Tcp', 'PassiveOpens'],
  ['tcp', 'attempt_fails', 'Tcp', 'AttemptFails'],
  ['tcp', 'estab_resets', 'Tcp', 'EstabResets'],
  ['tcp', 'in_segs', 'Tcp', 'InSegs'],
  ['tcp', 'out_segs', 'Tcp', 'OutSegs'],
  ['tcp', 'retrans_segs', 'Tcp', 'RetransSegs'],
  ['tcp', 'in_errs', 'Tcp', 'InErrs'],
  ['tcp', 'listen_overflows', 'TcpExt', 'ListenOverflows'],
  ['udp', 'in_datagrams', 'Udp', 'InDatagrams'],
  ['udp', 'out_datagrams', 'Udp', 'OutDatagrams'],
  ['udp', 'no_ports', 'Udp', 'NoPorts'],
  ['udp', 'in_errors', 'Udp', 'InErrors'],
  ['udp', 'rcvbuf_errors', 'Udp', 'RcvbufErrors'],
];

/** True when a collection carries TCP or UDP protocol counters (false: no host stats collector, or its stats off). */
export function hasProtocolCounters(host: HostStats | undefined): boolean {
  return host?.protocols?.Tcp !== undefined || host?.protocols?.Udp !== undefined;
}

/**
 * A stateful protocols view: `answer(host, timestamp, hostname)` gives the table of one
 * collection, its rates against the previous collection given. The same collection answered
 * again (a cached one: same timestamp) gives the rates it gave the first time.
 */
export function createProtocolsView(): { answer(host: HostStats, timestamp: number, hostname: string): ProtocolsAnswer } {
  let previous: { timestamp: number; totals: Map<string, number> } | undefined;
  let last: { timestamp: number; answer: ProtocolsAnswer } | undefined;
  return {
    answer(host, timestamp, hostname) {
      if (last && last.timestamp === timestamp) return last.answer;
      const totals = new Map<string, number>();
      const rows: ProtocolRow[] = [];
      const seconds = previous && timestamp > previous.timestamp ? (timestamp - previous.timestamp) / 1000 : 0;
      for (const [protocol, counter, group, key] of PROTOCOL_COUNTERS) {
        const total = host.protocols?.[group]?.[key];
        if (total === undefined) continue;
        const source = `${group}.${key}`;
        totals.set(source, total);
        const before = previous?.totals.get(source);
        // a counter that went down was reset (reboot, module reload): no rate this time
        const perSecond = seconds > 0 && before !== undefined && total >= before ? (total - before) / seconds : 0;
        rows.push({ protocol, counter, source, per_second: Math.round(perSecond * 1000) / 1000, total });
      }
      const answer: ProtocolsAnswer = {
        version: 1,
        view: 'protocols',
        timestamp: new Date(timestamp).toISOString(),
        hostname,
        interval_seconds: Math.round(seconds * 1000) / 1000,
        rows,
      };
      const established = host.protocols?.Tcp?.CurrEstab;
      if (established !== undefined) answer.tcp_established = established;
      previous = { timestamp, totals };
      last = { timestamp, answer };
      return answer;
    },
  };
}
