// FreeBSD tcpstat/udpstat → the Linux /proc/net/snmp and netstat names core's HostStats uses,
// where a FreeBSD counter means the same thing (mapping as netstat(1) and bsnmpd's MIB-II do),
// and the per-protocol packet totals node_exporter's FreeBSD netstat collector publishes.
import type { TransportPacketCounts } from '@sockscope/core';

const TCPS_ESTABLISHED = 4;
const TCPS_CLOSE_WAIT = 5;

/** Tcp and TcpExt rows from tcpstat counters (and the per-state counts for CurrEstab). */
export function tcpProtocols(c: Readonly<Record<string, number>>, states?: readonly number[]): Record<string, Record<string, number>> {
  const v = (k: string) => c[k] ?? 0;
  const tcp: Record<string, number> = {
    ActiveOpens: v('connattempt'),
    PassiveOpens: v('accepts'),
    AttemptFails: v('conndrops'),
    EstabResets: v('drops'),
    InSegs: v('rcvtotal'),
    // MIB-II tcpOutSegs excludes retransmissions; tcps_sndtotal includes them.
    OutSegs: Math.max(0, v('sndtotal') - v('sndrexmitpack')),
    RetransSegs: v('sndrexmitpack'),
    InErrs: v('rcvbadsum') + v('rcvbadoff') + v('rcvshort'),
    InCsumErrors: v('rcvbadsum'),
  };
  // RFC 1213 tcpCurrEstab counts ESTABLISHED and CLOSE_WAIT, as Linux does.
  if (states) tcp.CurrEstab = (states[TCPS_ESTABLISHED] ?? 0) + (states[TCPS_CLOSE_WAIT] ?? 0);
  const ext: Record<string, number> = {
    ListenOverflows: v('listendrop'),
    TCPTimeouts: v('rexmttimeo'),
    SyncookiesRecv: v('sc_recvcookie'),
    TCPSackRecovery: v('sack_recovery_episode'),
  };
  if (c.dsack_count !== undefined) ext.TCPDSACKRecv = c.dsack_count;
  return { Tcp: tcp, TcpExt: ext };
}

/** Udp row from udpstat counters. */
export function udpProtocols(c: Readonly<Record<string, number>>): Record<string, Record<string, number>> {
  const v = (k: string) => c[k] ?? 0;
  // netstat(1)'s "delivered": input minus every drop reason udpstat counts.
  const dropped = v('hdrops') + v('badlen') + v('badsum') + v('noport') + v('noportbcast') + v('fullsock');
  return {
    Udp: {
      InDatagrams: Math.max(0, v('ipackets') - dropped),
      NoPorts: v('noport'),
      InErrors: v('hdrops') + v('badsum') + v('badlen') + v('fullsock'),
      OutDatagrams: v('opackets'),
      RcvbufErrors: v('fullsock'),
      InCsumErrors: v('badsum'),
    },
  };
}

/** TCP packets sent (tcps_sndtotal, retransmissions included) and received (tcps_rcvtotal). */
export function tcpPackets(c: Readonly<Record<string, number>>): TransportPacketCounts {
  return { transmit: c.sndtotal ?? 0, receive: c.rcvtotal ?? 0 };
}

/** UDP datagrams sent (udps_opackets) and received (udps_ipackets). */
export function udpPackets(c: Readonly<Record<string, number>>): TransportPacketCounts {
  return { transmit: c.opackets ?? 0, receive: c.ipackets ?? 0 };
}
