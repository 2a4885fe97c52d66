import { tcpStateName, type Protocol, type SocketRecord } from '@sockscope/core';
import { formatIPv4, formatIPv6 } from './address.js';
import { readCString } from './attributes.js';
import { AF_INET, AF_INET6, INET_DIAG, INET_DIAG_MSG_LEN, NLA_TYPE_MASK } from './constants.js';
import { parseSocketMemory } from './socket-memory.js';
import { parseTcpInfo } from './tcp-info.js';

/** A parsed SOCK_DIAG_BY_FAMILY reply, or why it could not be parsed. */
export type ParsedDiagMessage = { record: SocketRecord; problem?: string } | { record?: undefined; problem: string };

/**
 * Parses one SOCK_DIAG_BY_FAMILY reply payload (struct inet_diag_msg followed by attributes) at
 * `buf[off..off+len)` into a socket record. `protocol` is the one the dump asked for. A malformed
 * attribute list still yields the record with what was read before it, plus a problem.
 */
export function parseDiagMessage(buf: Buffer, off: number, len: number, protocol: Protocol): ParsedDiagMessage {
  if (len < INET_DIAG_MSG_LEN) return { problem: `inet_diag_msg of ${len} bytes, needs ${INET_DIAG_MSG_LEN}` };
  const af = buf[off] ?? 0;
  if (af !== AF_INET && af !== AF_INET6) return { problem: `inet_diag_msg with address family ${af}` };
  const v4 = af === AF_INET;
  const fmt = v4 ? formatIPv4 : formatIPv6;
  const stateNo = buf[off + 1] ?? 0;
  const timerKind = buf[off + 2] ?? 0;
  const timerRetrans = buf[off + 3] ?? 0;
  // struct inet_diag_sockid at +4: ports big-endian, addresses network order, the rest host order.
  const record: SocketRecord = {
    protocol,
    family: v4 ? 'ipv4' : 'ipv6',
    state: tcpStateName(stateNo),
    local: { address: fmt(buf, off + 8), port: buf.readUInt16BE(off + 4) },
    remote: { address: fmt(buf, off + 24), port: buf.readUInt16BE(off + 6) },
    // idiag_rqueue/wqueue: for a listener the accept queue and its backlog limit.
    recvQueue: buf.readUInt32LE(off + 56),
    sendQueue: buf.readUInt32LE(off + 60),
    uid: buf.readUInt32LE(off + 64),
    inode: buf.readUInt32LE(off + 68),
    ifindex: buf.readUInt32LE(off + 40),
    cookie: (BigInt(buf.readUInt32LE(off + 48)) << 32n) | BigInt(buf.readUInt32LE(off + 44)),
  };
  if (timerKind !== 0) {
    // idiag_expires is unsigned on current kernels (clamped at 0); older ones sent negatives.
    record.timer = { kind: timerKind, expiresMs: buf.readInt32LE(off + 52), retransmits: timerRetrans };
  }
  // The attribute walk of forEachAttribute, inlined: this runs once per socket.
  const end = off + len;
  let at = off + INET_DIAG_MSG_LEN;
  let problem: string | undefined;
  while (end - at >= 4) {
    const alen = buf.readUInt16LE(at);
    const type = buf.readUInt16LE(at + 2) & NLA_TYPE_MASK;
    if (alen < 4 || alen > end - at) {
      problem = `attribute ${type} at byte ${at} claims ${alen} bytes, ${end - at} are left`;
      break;
    }
    const v = at + 4;
    const n = alen - 4;
    switch (type) {
      case INET_DIAG.INFO:
        if (protocol === 'tcp' && n > 0) record.tcp = parseTcpInfo(buf, v, n);
        break;
      case INET_DIAG.CONG:
        if (n > 0) record.congestion = readCString(buf, v, n);
        break;
      case INET_DIAG.SKMEMINFO:
        record.memory = parseSocketMemory(buf, v, n);
        break;
      case INET_DIAG.SHUTDOWN:
        if (n >= 1) record.shutdown = buf[v];
        break;
      case INET_DIAG.SKV6ONLY:
        if (n >= 1) record.v6only = buf[v] !== 0;
        break;
    }
    at += (alen + 3) & ~3;
  }
  return problem ? { record, problem } : { record };
}
