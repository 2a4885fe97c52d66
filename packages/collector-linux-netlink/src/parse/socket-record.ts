import { tcpStateName, type Protocol, type SocketMemory, type SocketRecord, type TcpInfo } from '@sockscope/core';
import { formatIPv4, formatIPv6 } from './address.js';
import { readName } from './attributes.js';
import { AF_INET, AF_INET6, INET_DIAG, INET_DIAG_MSG_LEN, NLA_TYPE_MASK } from './constants.js';
import { parseSocketMemory } from './socket-memory.js';
import { parseTcpInfo } from './tcp-info.js';
import { viewOf } from './view.js';

/** A parsed SOCK_DIAG_BY_FAMILY reply, or why it could not be parsed. */
export type ParsedDiagMessage = { record: SocketRecord; problem?: string } | { record?: undefined; problem: string };

/**
 * Parses one SOCK_DIAG_BY_FAMILY reply payload (struct inet_diag_msg followed by attributes) at
 * `buf[off..off+len)` into a socket record. `protocol` is the one the dump asked for. A malformed
 * attribute list still yields the record with what was read before it, plus a problem.
 * `netns`: the inode of the namespace the dump ran in, set on the record as it is made (a
 * property added to the finished object costs it a second allocation for the overflow).
 */
export function parseDiagMessage(buf: Buffer, off: number, len: number, protocol: Protocol, netns?: number): ParsedDiagMessage {
  if (len < INET_DIAG_MSG_LEN) return { problem: `inet_diag_msg of ${len} bytes, needs ${INET_DIAG_MSG_LEN}` };
  const af = buf[off] ?? 0;
  if (af !== AF_INET && af !== AF_INET6) return { problem: `inet_diag_msg with address family ${af}` };
  const dv = viewOf(buf);
  const v4 = af === AF_INET;
  const fmt = v4 ? formatIPv4 : formatIPv6;
  const stateNo = buf[off + 1] ?? 0;
  const timerKind = buf[off + 2] ?? 0;
  const timerRetrans = buf[off + 3] ?? 0;
  // The attribute walk of forEachAttribute, inlined: this runs once per socket.
  const end = off + len;
  let at = off + INET_DIAG_MSG_LEN;
  let problem: string | undefined;
  let tcp: TcpInfo | undefined;
  let congestion: string | undefined;
  let memory: SocketMemory | undefined;
  let shutdown: number | undefined;
  let v6only: boolean | undefined;
  let memorySeen = false;
  while (end - at >= 4) {
    const alen = dv.getUint16(at, true);
    const type = dv.getUint16(at + 2, true) & NLA_TYPE_MASK;
    if (alen < 4 || alen > end - at) {
      problem = `attribute ${type} at byte ${at} claims ${alen} bytes, ${end - at} are left`;
      break;
    }
    const v = at + 4;
    const n = alen - 4;
    switch (type) {
      case INET_DIAG.INFO:
        if (protocol === 'tcp' && n > 0) tcp = parseTcpInfo(buf, v, n);
        break;
      case INET_DIAG.CONG:
        if (n > 0) congestion = readName(buf, v, n);
        break;
      case INET_DIAG.SKMEMINFO:
        memory = parseSocketMemory(buf, v, n);
        memorySeen = true;
        break;
      case INET_DIAG.SHUTDOWN:
        if (n >= 1) shutdown = buf[v];
        break;
      case INET_DIAG.SKV6ONLY:
        if (n >= 1) v6only = buf[v] !== 0;
        break;
    }
    at += (alen + 3) & ~3;
  }
  // struct inet_diag_sockid at +4: ports big-endian, addresses network order, the rest host order.
  const local = { address: fmt(buf, off + 8), port: dv.getUint16(off + 4) };
  const remote = { address: fmt(buf, off + 24), port: dv.getUint16(off + 6) };
  const family = v4 ? 'ipv4' : 'ipv6';
  const state = tcpStateName(stateNo);
  // idiag_rqueue/wqueue: for a listener the accept queue and its backlog limit.
  const recvQueue = dv.getUint32(off + 56, true);
  const sendQueue = dv.getUint32(off + 60, true);
  const uid = dv.getUint32(off + 64, true);
  const inode = dv.getUint32(off + 68, true);
  const ifindex = dv.getUint32(off + 40, true);
  // idiag_cookie[0] is the low half, [1] the high one, both host order: one little-endian u64.
  const cookie = dv.getBigUint64(off + 44, true);
  let record: SocketRecord;
  if (tcp !== undefined && congestion !== undefined && memory !== undefined && shutdown !== undefined && v6only === undefined) {
    // An IPv4 TCP socket with every attribute asked for, the common case: the whole record in
    // one literal, so its properties live in the object (one shape, no backing store grown
    // property by property). Same properties and values as the general path below.
    record =
      netns === undefined
        ? { protocol, family, state, local, remote, recvQueue, sendQueue, uid, inode, ifindex, cookie, tcp, congestion, memory, shutdown }
        : { protocol, family, state, local, remote, recvQueue, sendQueue, uid, inode, ifindex, cookie, tcp, congestion, memory, shutdown, netns };
  } else {
    record = { protocol, family, state, local, remote, recvQueue, sendQueue, uid, inode, ifindex, cookie };
    if (tcp !== undefined) record.tcp = tcp;
    if (congestion !== undefined) record.congestion = congestion;
    if (memorySeen) record.memory = memory;
    if (shutdown !== undefined) record.shutdown = shutdown;
    if (v6only !== undefined) record.v6only = v6only;
    if (netns !== undefined) record.netns = netns;
  }
  if (timerKind !== 0) {
    // idiag_expires is unsigned on current kernels (clamped at 0); older ones sent negatives.
    record.timer = { kind: timerKind, expiresMs: dv.getInt32(off + 52, true), retransmits: timerRetrans };
  }
  return problem ? { record, problem } : { record };
}
