import type { SocketState } from '@sockscope/core';
import { TCP_NSTATES } from './layouts.js';
import { u64 } from './bytes.js';

/** FreeBSD TCPS_* numbers (netinet/tcp_fsm.h) → sockscope state names (Linux spelling). */
export const FREEBSD_TCP_STATES: readonly SocketState[] = [
  'CLOSE', 'LISTEN', 'SYN_SENT', 'SYN_RECV', 'ESTABLISHED', 'CLOSE_WAIT',
  'FIN_WAIT1', 'CLOSING', 'LAST_ACK', 'FIN_WAIT2', 'TIME_WAIT',
];

/** Maps a FreeBSD TCPS_* number to a state name; unknown numbers become `UNKNOWN`. */
export function freebsdTcpStateName(n: number): SocketState {
  return FREEBSD_TCP_STATES[n] ?? 'UNKNOWN';
}

/** Decodes net.inet.tcp.states: TCP_NSTATES u64 counts indexed by TCPS_* (88 bytes). */
export function parseTcpStates(buf: Buffer): { counts: number[] } | { error: string } {
  const want = TCP_NSTATES * 8;
  if (buf.length !== want) return { error: `net.inet.tcp.states returned ${buf.length} bytes, expected ${want} (${TCP_NSTATES} u64 counts); connection counts skipped` };
  const counts: number[] = [];
  for (let i = 0; i < TCP_NSTATES; i++) counts.push(u64(buf, i * 8));
  return { counts };
}
