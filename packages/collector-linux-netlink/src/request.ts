import type { Family, Protocol, SocketState } from '@sockscope/core';
import { TCP_STATES } from '@sockscope/core';
import {
  AF_INET,
  AF_INET6,
  INET_DIAG,
  INET_DIAG_REQ_V2_LEN,
  IPPROTO_TCP,
  IPPROTO_UDP,
  NLM_F_DUMP,
  NLM_F_REQUEST,
  NLMSG_HDRLEN,
  SOCK_DIAG_BY_FAMILY,
} from './parse/constants.js';

/** Every state bit 1..12 (ESTABLISHED..NEW_SYN_RECV): what `ss -a` asks for. */
export const ALL_STATES_MASK = 0x1ffe;

/** Turns state names into the idiag_states bit mask; SYN_RECV also selects request sockets. */
export function statesMask(states: readonly SocketState[] | undefined): number {
  if (!states) return ALL_STATES_MASK;
  let mask = 0;
  for (const s of states) {
    const n = TCP_STATES.indexOf(s);
    if (n > 0) mask |= 1 << n;
    // Pending connections live as NEW_SYN_RECV request sockets and are reported as SYN_RECV.
    if (s === 'SYN_RECV') mask |= 1 << TCP_STATES.indexOf('NEW_SYN_RECV');
  }
  return mask;
}

// The attributes asked for: tcp_info, congestion algorithm, socket memory, shutdown bits.
// INET_DIAG_SKV6ONLY needs no request bit: the kernel adds it to every IPv6 reply.
const EXTENSIONS =
  (1 << (INET_DIAG.INFO - 1)) | (1 << (INET_DIAG.CONG - 1)) | (1 << (INET_DIAG.SKMEMINFO - 1)) | (1 << (INET_DIAG.SHUTDOWN - 1));

/** Encodes a SOCK_DIAG_BY_FAMILY dump request (nlmsghdr + inet_diag_req_v2) for one protocol and family. */
export function encodeDumpRequest(protocol: Protocol, family: Family, stateMask: number, seq: number): Buffer {
  const len = NLMSG_HDRLEN + INET_DIAG_REQ_V2_LEN;
  const buf = Buffer.alloc(len);
  buf.writeUInt32LE(len, 0);
  buf.writeUInt16LE(SOCK_DIAG_BY_FAMILY, 4);
  buf.writeUInt16LE(NLM_F_REQUEST | NLM_F_DUMP, 6);
  buf.writeUInt32LE(seq >>> 0, 8);
  buf[16] = family === 'ipv6' ? AF_INET6 : AF_INET;
  buf[17] = protocol === 'udp' ? IPPROTO_UDP : IPPROTO_TCP;
  buf[18] = EXTENSIONS;
  buf.writeUInt32LE(stateMask >>> 0, 20);
  // The zeroed inet_diag_sockid that follows matches every socket.
  return buf;
}
